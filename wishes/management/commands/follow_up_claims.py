"""`manage.py follow_up_claims`: the daily follow-up (reminders, overdue digest, old imports)."""

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from wishes.claiming.follow_up import follow_up_claims, import_file_days, reminder_days
from wishes.claiming.handover import handover_reminder_days
from wishes.claiming.tasks import follow_up_claims_task


class Command(BaseCommand):
    help = (
        "Remind sponsors of claims due within HUAMU_REMINDER_DAYS days and of gifts due at a "
        "drop-off point within HUAMU_HANDOVER_REMINDER_DAYS days, and send staff one "
        "digest of newly overdue claims and one line on the consents to renew; remove the "
        "uploaded files of imports finished more than HUAMU_IMPORT_FILE_DAYS days ago. Run it "
        "daily; each claim is reminded and reported at most once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Hand the run to the task backend (TASKS) instead of running it here.",
        )

    def handle(self, *args, enqueue: bool = False, **options) -> None:
        """Run the follow-up (or enqueue it) and print what it did."""
        if enqueue:
            result = follow_up_claims_task.enqueue()
            self.stdout.write(
                _("Follow-up task %(id)s enqueued on %(backend)s: %(status)s.")
                % {"id": result.id, "backend": result.backend, "status": result.status}
            )
            return
        summary = follow_up_claims()
        self.stdout.write(
            _("Reminder mails sent: %(mails)d, for %(claims)d claims due within %(days)d days.")
            % {
                "mails": len(summary.reminded),
                "claims": summary.reminded_claims,
                "days": reminder_days(),
            }
        )
        for sponsor, codes in summary.reminded:
            self.stdout.write(f"  {sponsor}: {', '.join(codes)}")
        self.stdout.write(
            _("Drop-off reminder mails sent: %(mails)d, for gifts due within %(days)d days.")
            % {"mails": len(summary.handover_reminded), "days": handover_reminder_days()}
        )
        for sponsor, codes in summary.handover_reminded:
            self.stdout.write(f"  {sponsor}: {', '.join(codes)}")
        self.stdout.write(
            _("Overdue claims reported to staff: %(count)d.")
            % {"count": len(summary.reported_overdue)}
        )
        if summary.reported_overdue:
            self.stdout.write(f"  {', '.join(summary.reported_overdue)}")
        self.stdout.write(
            _("Consents newly due for renewal, reported to staff: %(count)d.")
            % {"count": summary.consents_to_renew}
        )
        days = import_file_days()
        if days > 0:
            self.stdout.write(
                _("Import files removed (kept %(days)d days after the import): %(count)d.")
                % {"days": days, "count": summary.import_files_removed}
            )
        else:
            self.stdout.write(_("Import files removed: none, they are kept for ever."))
        if summary.import_files_failed:
            self.stderr.write(
                _("Import files that could not be removed (see the log): %(count)d.")
                % {"count": summary.import_files_failed}
            )
