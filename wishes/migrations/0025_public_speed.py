"""Indexes the public pages count from at any size: the wishes' publication by id (the
impact page's waiting times) and the wishes by status, campaign and child (the front
page's counts)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("wishes", "0023_feedback_guard"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="wish",
            index=models.Index(fields=["id", "published_at"], name="wish_published_by_id"),
        ),
        migrations.AddIndex(
            model_name="wish",
            index=models.Index(
                fields=["status", "campaign", "child"], name="wish_status_campaign_child"
            ),
        ),
    ]
