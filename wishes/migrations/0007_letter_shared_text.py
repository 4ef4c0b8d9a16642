from django.db import migrations, models


def share_what_sponsors_read(apps, schema_editor):
    # Until now sponsors read the transcription itself: that stays their text. A pending
    # letter gets the same draft, which the privacy guard checks when it is approved.
    letter_model = apps.get_model("wishes", "ThankYouLetter")
    letter_model.objects.exclude(transcription="").update(shared_text=models.F("transcription"))


class Migration(migrations.Migration):
    dependencies = [
        ("wishes", "0006_child_private_words"),
    ]

    operations = [
        migrations.AddField(
            model_name="thankyouletter",
            name="shared_text",
            field=models.TextField(
                blank=True,
                help_text=(
                    "Drafted from the transcription with whatever names the child replaced. "
                    "Check and edit it before approving: the sponsor reads this, never the "
                    "transcription."
                ),
                verbose_name="text for the sponsor",
            ),
        ),
        migrations.RunPython(share_what_sponsors_read, migrations.RunPython.noop),
    ]
