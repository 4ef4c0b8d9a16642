"""The search over wishes' public text: the tokens' index finds exactly what LIKE finds,
on PostgreSQL through the index, and never a word of a private field."""

import importlib
import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import translation

from huamu.search import contains_all, query_tokens, search_tokens
from tests.factories import CampaignFactory, WishFactory
from tests.wishes.importing.files import good_row, xlsx_bytes
from tests.wishes.importing.test_import import stored_batch
from wishes.importing import children as importing
from wishes.models import Wish
from wishes.public.filters import search_public_text

LIST = reverse("wishes:list")

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the tokens' index exists on PostgreSQL only"
)

TEXTS = [
    "想要一套科普书和一个书包",
    "想要一个天文望远镜，看星星",
    "想要一双跑鞋（42码）",
    "想要LEGO积木 Technic 42100",
    "想要3D打印笔",
    "想要书法字帖",
    "想要一本《十万个为什么》",
    "想要 lego 小车",
]

# 1 and 2 characters, longer words, several words, Latin letters and digits in any case,
# a code, punctuation, words whose characters are all present but not side by side, and
# words nobody wrote.
QUERIES = [
    "书",
    "书包",
    "科普书",
    "书 跑鞋",
    "望远镜 星星",
    "lego",
    "LeGo 42",
    "42100",
    "3d打印",
    "d打",
    "technic",
    "hm20",
    "（42码）",
    "《十万",
    "，",
    "书想",
    "要书",
    "鲸鱼",
    "zz",
    "7",
]


def _planted() -> list[Wish]:
    return [WishFactory(open=True, public_text=text) for text in TEXTS]


def _like(query: str) -> set[int]:
    like = Wish.objects.filter(contains_all(query.split(), ["public_text", "code"]))
    return set(like.values_list("pk", flat=True))


@pytest.mark.parametrize("query", QUERIES)
def test_search_finds_exactly_what_like_finds(query):
    _planted()

    found = set(search_public_text(Wish.objects.all(), query).values_list("pk", flat=True))

    assert found == _like(query)


def test_the_planted_queries_hit_and_miss_as_expected(client):
    wishes = _planted()

    def codes(query: str) -> set[str]:
        return {wish.code for wish in client.get(LIST, {"q": query}).context["page_obj"]}

    assert codes("书") == {wishes[0].code, wishes[5].code}
    assert codes("《十万") == {wishes[6].code}
    assert codes("书包") == {wishes[0].code}
    assert codes("lego") == {wishes[3].code, wishes[7].code}
    assert codes("3D打印") == {wishes[4].code}
    # Every character is in the first wish, but not side by side.
    assert codes("书想") == set()
    assert codes("鲸鱼") == set()


def test_tokens_are_characters_and_neighbouring_pairs():
    assert search_tokens("书包A1") == "1 a a1 书 书包 包 包a"
    assert search_tokens("HM2026-00012") == " ".join(
        sorted({*"hm2026", *"00012", "hm", "m2", "20", "02", "26", "00", "01", "12"})
    )
    assert query_tokens(["书"]) == ["书"]
    assert query_tokens(["书包", "a"]) == ["a", "书包"]
    assert query_tokens(["，"]) == []


# --- never a private word -------------------------------------------------------------------

# One marker per private field, 1, 2 and 3 characters long; none of them in the public text.
PRIVATE_MARKERS = {
    "child__real_name": "欧阳鑫",
    "child__class_name": "七(9)班",
    "child__address": "锦绣路9弄",
    "child__guardian_name": "欧阳淼",
    "child__guardian_phone": "13999887766",
    "child__hardship_note": "父亲病重",
    "child__private_words": "秘密小猫",
    "child_words": "我叫欧阳鑫想要望远镜",
}


def test_search_never_matches_a_private_field(client):
    wish = WishFactory(open=True, public_text="想要一个望远镜", **PRIVATE_MARKERS)
    stored = Wish.objects.get(pk=wish.pk).search_text

    for field, marker in PRIVATE_MARKERS.items():
        for query in {marker, marker[:1], marker[:2], marker[-2:]}:
            if query in wish.public_text or query.lower() in wish.code.lower():
                continue
            page = client.get(LIST, {"q": query}).context["page_obj"]
            assert [w.code for w in page] == [], (field, query)
    # The tokens themselves hold the code and public text only.
    assert stored == search_tokens(wish.code, "想要一个望远镜")
    # The code is a running number: it may hold the digits "13" of its own.
    beside_the_code = set(stored.split()) - set(search_tokens(wish.code, "").split())
    assert not {"鑫", "淼", "13"} & beside_the_code
    assert [w.code for w in client.get(LIST, {"q": "望远镜"}).context["page_obj"]] == [wish.code]


# --- kept in step ---------------------------------------------------------------------------


def _tokens_of(wish: Wish) -> str:
    return Wish.objects.values_list("search_text", flat=True).get(pk=wish.pk)


def test_every_way_of_writing_a_wish_keeps_its_tokens():
    wish = WishFactory()
    assert _tokens_of(wish) == search_tokens(wish.code, wish.public_text)
    assert wish.code in {w.code for w in search_public_text(Wish.objects.all(), wish.code)}

    wish.public_text = "想要一个足球"
    wish.save(update_fields=["public_text", "updated_at"])
    assert _tokens_of(wish) == search_tokens(wish.code, "想要一个足球")

    Wish.objects.filter(pk=wish.pk).update(public_text="想要一副羽毛球拍")
    assert _tokens_of(wish) == search_tokens(wish.code, "想要一副羽毛球拍")

    wish.public_text = "想要一个篮球"
    Wish.objects.bulk_update([wish], ["public_text"])
    assert _tokens_of(wish) == search_tokens(wish.code, "想要一个篮球")


def test_imported_wishes_get_their_tokens(school, staff):
    campaign = CampaignFactory(year=2026)
    rows = [good_row(real_name="刘同学", guardian_phone="13800000001")]
    batch = stored_batch(xlsx_bytes(rows), "one.xlsx", campaign, staff)
    importing.check_batch(batch_id=batch.pk)
    importing.begin_import(batch_id=batch.pk, by=staff)

    importing.import_batch(batch_id=batch.pk, by=staff)

    wish = Wish.objects.get()
    assert wish.code.startswith("HM2026-")
    assert wish.search_text == search_tokens(wish.code, wish.public_text)
    assert "hm" in wish.search_text.split()


def test_the_migration_fills_the_tokens_of_existing_wishes():
    migration = importlib.import_module("wishes.migrations.0020_search_text")
    wishes = [WishFactory(public_text=text) for text in TEXTS[:3]]
    Wish.objects.update(search_text="")

    migration.fill_tokens(apps, None)

    for wish in wishes:
        assert _tokens_of(wish) == search_tokens(wish.code, wish.public_text)
    # The migration's frozen copy of the rule is today's rule.
    for text in TEXTS:
        assert migration._tokens("HM2026-00001", text) == search_tokens("HM2026-00001", text)


# --- the index on PostgreSQL ----------------------------------------------------------------


def _plan(query: str) -> str:
    # Unordered, as the count the list runs: only the tokens can spare a scan of every wish.
    wishes = search_public_text(Wish.objects.order_by(), query).values("pk")
    sql, params = wishes.query.sql_with_params()
    with connection.cursor() as cursor:
        # The table is tiny, so any plan is cheap: forbid walking a whole table or B-tree,
        # which leaves the planner the tokens' index or a forced (hugely costed) scan.
        for kind in ["seqscan", "indexscan", "indexonlyscan"]:
            cursor.execute(f"SET LOCAL enable_{kind} = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@on_postgresql
@pytest.mark.parametrize("query", ["书", "书包", "鲸鱼", "lego 42"])
def test_postgresql_answers_a_search_from_the_index(query):
    _planted()

    assert "wish_search_text" in _plan(query)


@on_postgresql
def test_postgresql_has_the_index_over_the_tokens():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'wish_search_text'")
        (definition,) = cursor.fetchone()
    assert "gin" in definition and "to_tsvector('simple'" in definition


def test_the_rebuild_command_rewrites_stale_tokens_only():
    wishes = [WishFactory(public_text=text) for text in TEXTS[:2]]
    Wish.objects.filter(pk=wishes[0].pk).update(search_text="")
    out = io.StringIO()

    with translation.override("en"):
        call_command("rebuild_search_text", stdout=out)
        call_command("rebuild_search_text", stdout=out)

    assert _tokens_of(wishes[0]) == search_tokens(wishes[0].code, wishes[0].public_text)
    assert out.getvalue().split("\n")[:2] == [
        "1 wishes had their search tokens rewritten.",
        "0 wishes had their search tokens rewritten.",
    ]
