"""The search tokens of each wish's code and public text, and their index on PostgreSQL;
an index for the back office's list of wishes, newest first.

`search_text` holds every character and every pair of neighbouring characters of the code
and the public text (huamu.search); on PostgreSQL a GIN full-text index over it lets the
public and the staff searches find 1- and 2-character Chinese words without scanning every
wish. Existing wishes are filled here, with the rule copied as it is today: a migration must
not change when the app's rule does (a later change of the rule brings its own migration).
"""

import re

from django.db import migrations, models

_RUN = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
INDEX_NAME = "wish_search_text"


def _tokens(*texts: str) -> str:
    tokens: set[str] = set()
    for text in texts:
        for run in _RUN.findall(text.upper().lower()):
            tokens.update(run)
            tokens.update(run[i : i + 2] for i in range(len(run) - 1))
    return " ".join(sorted(tokens))


def fill_tokens(apps, schema_editor) -> None:
    Wish = apps.get_model("wishes", "Wish")
    rows = Wish.objects.order_by("pk").only("pk", "code", "public_text")
    batch = []
    for wish in rows.iterator(chunk_size=2000):
        wish.search_text = _tokens(wish.code, wish.public_text)
        batch.append(wish)
        if len(batch) == 2000:
            Wish.objects.bulk_update(batch, ["search_text"])
            batch = []
    Wish.objects.bulk_update(batch, ["search_text"])


def _index(apps):
    from django.contrib.postgres.indexes import GinIndex
    from django.contrib.postgres.search import SearchVector

    return GinIndex(SearchVector("search_text", config="simple"), name=INDEX_NAME)


def add_index(apps, schema_editor) -> None:
    # PostgreSQL only: SQLite has no GIN index and searches with LIKE.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("wishes", "Wish"), _index(apps))


def remove_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("wishes", "Wish"), _index(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("wishes", "0019_task_progress"),
    ]

    operations = [
        migrations.AddField(
            model_name="wish",
            name="search_text",
            field=models.TextField(
                blank=True, default="", editable=False, verbose_name="search tokens"
            ),
        ),
        migrations.RunPython(fill_tokens, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(add_index, remove_index),
        migrations.AddIndex(
            model_name="wish",
            index=models.Index(fields=["created_at", "id"], name="wish_created"),
        ),
    ]
