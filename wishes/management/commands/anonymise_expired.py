"""`manage.py anonymise_expired`: the daily retention run, and erasures again after a restore."""

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from wishes.services import anonymise_expired, reapply_erasures
from wishes.services.lifecycle import erasure_log, retention_months


class Command(BaseCommand):
    help = (
        "Anonymise the children whose last wish closed, or who were withdrawn, more than "
        "CHILD_DATA_MONTHS months ago; the programme's numbers stay. Run it daily; a child is "
        "anonymised once, and two runs at once share the work. With --reapply-erasures, "
        "after a restore: erase again every child erased at a guardian's request (audit "
        "trail and erasure log) whose data the restored backup brought back."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only count the children that would be anonymised; change nothing.",
        )
        parser.add_argument(
            "--reapply-erasures",
            action="store_true",
            help="Also erase again the children erased before (run it after every restore).",
        )

    def handle(self, *args, dry_run: bool = False, reapply_erasures: bool = False, **options):
        """Anonymise the children due (or count them) and print how many."""
        if reapply_erasures:
            self._reapply(dry_run=dry_run)
        run = anonymise_expired(dry_run=dry_run)
        months = retention_months()
        if dry_run:
            self.stdout.write(
                _("Children due for anonymisation (kept %(months)d months): %(count)d.")
                % {"months": months, "count": run.due}
            )
            return
        self.stdout.write(
            _("Children anonymised (kept %(months)d months): %(count)d.")
            % {"months": months, "count": run.anonymised}
        )
        if run.skipped:
            self.stdout.write(
                _("Children left to another run at the same time: %(count)d.")
                % {"count": run.skipped}
            )

    def _reapply(self, *, dry_run: bool) -> None:
        ids = reapply_erasures(dry_run=dry_run)
        label = (
            _("Erasures to apply again: %(count)d.")
            if dry_run
            else _("Erasures applied again: %(count)d.")
        )
        self.stdout.write(label % {"count": len(ids)})
        if ids:
            self.stdout.write("  " + ", ".join(f"#{pk}" for pk in ids))
        if not erasure_log().exists():
            self.stdout.write(
                _("No erasure log at %(path)s: only the audit trail was read.")
                % {"path": erasure_log()}
            )
