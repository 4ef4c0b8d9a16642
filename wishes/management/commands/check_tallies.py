"""`manage.py check_tallies`: recount the front and impact pages' running totals from the data
and replace them, reporting any that had drifted (wishes/reports/tallies.py). The scheduler
runs it every night; run it by hand after writing rows around the ORM (`loaddata`, raw SQL).
Idempotent: a second run finds nothing to correct."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from wishes.reports.tallies import rebuild


class Command(BaseCommand):
    help = "Recount the running totals of the front and impact pages and correct any drift."

    def handle(self, *args, **options) -> None:
        """Recount every running total; list the ones that were wrong."""
        drifts = rebuild()
        for drift in drifts:
            self.stdout.write(
                _("%(name)s %(key)s was %(stored)d, the recount says %(counted)d.")
                % {
                    "name": drift.name,
                    "key": drift.key or "-",
                    "stored": drift.stored,
                    "counted": drift.counted,
                }
            )
        self.stdout.write(
            _("Running totals recounted: %(count)d corrected.") % {"count": len(drifts)}
        )
