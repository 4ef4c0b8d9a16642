"""Consents that expire, a scope for passing the letter to the sponsor, the signed form.

Existing consents:
- `share_letter_with_sponsor` is set where the guardian agreed to share photos with the
  sponsor: letters were passed to sponsors under that consent until now, and a guardian who
  let the sponsor see the child's photos has accepted the sponsor seeing what the child made
  for it. Where photos were not shared, it stays off (the safe default of every new consent).
- `valid_until` is the end of the school year the consent was given in, as for a new one,
  but never earlier than the end of the school year this migration runs in: consents had no
  end until now, and staff get this school year to renew the old ones (they appear in the
  renewal list) instead of every older wish leaving the public pages on the day of the update.
"""

import datetime

from django.db import migrations, models
from django.utils import timezone

import wishes.models.files


def _school_year_end(day: datetime.date) -> datetime.date:
    # Kept here, not imported: a migration must not change when the app's rule does.
    year = day.year if day.month <= 8 else day.year + 1
    return datetime.date(year, 8, 31)


def fill_existing(apps, schema_editor) -> None:
    Consent = apps.get_model("wishes", "Consent")
    if schema_editor is not None and schema_editor.connection.vendor == "postgresql":
        # Check the foreign keys of the updated rows now, not at commit: PostgreSQL refuses
        # to alter a table with checks still pending, as the next operation does.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    Consent.objects.filter(share_photos_with_sponsor=True).update(share_letter_with_sponsor=True)
    earliest = _school_year_end(timezone.localdate())
    for consent in Consent.objects.only("id", "given_on").iterator():
        valid_until = max(_school_year_end(consent.given_on), earliest)
        Consent.objects.filter(pk=consent.pk).update(valid_until=valid_until)
    if schema_editor is not None and schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


class Migration(migrations.Migration):
    dependencies = [
        ("wishes", "0011_child_anonymised_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="consent",
            name="share_letter_with_sponsor",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "Without it the sponsor only learns that the child wrote a letter, never "
                    "its words or its scan."
                ),
                verbose_name="pass the child's thank-you letter to the sponsor",
            ),
        ),
        migrations.AddField(
            model_name="consent",
            name="valid_until",
            field=models.DateField(null=True, blank=True, verbose_name="valid until"),
        ),
        migrations.AddField(
            model_name="consent",
            name="signed_form",
            field=models.FileField(
                blank=True,
                editable=False,
                help_text="A scan or photo of the form the guardian signed; staff only.",
                upload_to=wishes.models.files.consent_form_path,
                verbose_name="signed paper form",
            ),
        ),
        migrations.AddField(
            model_name="consent",
            name="renewal_reported_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(fill_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="consent",
            name="valid_until",
            field=models.DateField(
                blank=True,
                help_text=(
                    "After this day none of the scopes applies any more. Left empty, it is "
                    "the end of the school year the consent was given in (31 August)."
                ),
                verbose_name="valid until",
            ),
        ),
        migrations.AddConstraint(
            model_name="consent",
            constraint=models.CheckConstraint(
                condition=models.Q(("valid_until__gte", models.F("given_on"))),
                name="consent_valid_after_given",
            ),
        ),
        # Reading a signed form is logged as its own kind of access.
        migrations.RemoveConstraint(model_name="accesslog", name="accesslog_action_valid"),
        migrations.AlterField(
            model_name="accesslog",
            name="action",
            field=models.CharField(
                choices=[
                    ("view_child", "Viewed a child's record"),
                    ("view_photo", "Viewed a photo"),
                    ("view_letter", "Viewed a thank-you letter"),
                    ("list_children", "Listed children"),
                    ("view_consent", "Viewed a consent"),
                    ("list_consents", "Listed consents"),
                    ("view_signed_form", "Viewed a signed consent form"),
                    ("view_wish", "Viewed a wish"),
                    ("list_wishes", "Listed wishes"),
                    ("view_fulfilment", "Viewed a fulfilment"),
                    ("export_campaign", "Exported a campaign"),
                    ("print_cards", "Printed wish cards"),
                    ("preview_import", "Viewed a spreadsheet import"),
                    ("import_file", "Downloaded an imported spreadsheet"),
                ],
                max_length=16,
                verbose_name="action",
            ),
        ),
        migrations.AddConstraint(
            model_name="accesslog",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "action__in",
                        [
                            "view_child",
                            "view_photo",
                            "view_letter",
                            "list_children",
                            "view_consent",
                            "list_consents",
                            "view_signed_form",
                            "view_wish",
                            "list_wishes",
                            "view_fulfilment",
                            "export_campaign",
                            "print_cards",
                            "preview_import",
                            "import_file",
                        ],
                    )
                ),
                name="accesslog_action_valid",
            ),
        ),
    ]
