"""An index for the back office's list of claims, newest first (its default order), so that
a page reads the top of the index instead of joining and sorting every claim."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("wishes", "0025_public_speed"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(fields=["created_at", "id"], name="claim_created"),
        ),
    ]
