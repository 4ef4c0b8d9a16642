"""`manage.py run_scheduled`: the one scheduler entry point, called by a timer or cron."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from wishes.scheduling.jobs import JOBS, run_scheduled


class Command(BaseCommand):
    help = (
        "Run today's scheduled jobs: the claims' follow-up (reminders, hand-over reminders, "
        "overdue digest, consents to renew, old import files), the retention rule "
        "(anonymise_expired) and the pruning of old task results. Call it hourly from a "
        "systemd timer or cron on one or more machines: each job runs once a day, two runs "
        "at once never run a job twice, and a failed job is tried again at the next call."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--only",
            action="append",
            choices=sorted(JOBS),
            help="Run only this job (may be given more than once).",
        )

    def handle(self, *args, only: list[str] | None = None, **options) -> None:
        """Run the jobs due and print what each did; fail if any job failed."""
        outcomes = run_scheduled(only=only)
        labels = {
            "done": _("done"),
            "skipped": _("skipped: done today or running elsewhere"),
            "failed": _("failed (see the log)"),
        }
        for outcome in outcomes:
            self.stdout.write(f"{outcome.job}: {labels[outcome.outcome]}")
        failed = [outcome.job for outcome in outcomes if outcome.outcome == "failed"]
        if failed:
            raise CommandError(_("Scheduled jobs failed: %(jobs)s") % {"jobs": ", ".join(failed)})
