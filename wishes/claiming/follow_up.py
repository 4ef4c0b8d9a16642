"""Claim follow-up: remind sponsors before their promised date, report overdue claims to staff.

A claim's due date is the delivery date its sponsor promised. A claim made without a date
would otherwise hold a child's wish for ever, so it falls due HUAMU_CLAIM_MAX_DAYS_WITHOUT_DATE
days (default 60; 0 turns this off) after the day it was made. Such claims are never
reminded (there is no date to remind of) but are reported and may be released once due.

A claim is overdue once its due date has passed (the due day itself is not overdue).
`follow_up_claims` runs daily (the `follow_up_claims` command or its task) and is idempotent:
a claim is reminded at most once and reported overdue at most once. Staff who change a
claim's promised date in the back office give it a new reminder and a new report.

The same run reminds sponsors of gifts due at a drop-off point soon (wishes/claiming/
handover.py), once per claim and deadline.

The same run tells staff, in one short mail, how many guardians' consents need renewing
(expired, or expiring within RENEWAL_DAYS days, and not renewed): once a consent is due, it
is counted in one such mail, and the mail links to the list of all consents to renew.

The same run removes the uploaded spreadsheets of finished imports (imported or failed) once
they finished more than HUAMU_IMPORT_FILE_DAYS days ago (default 30; 0 keeps them for ever):
they hold children's names, guardians, phones and addresses. The batch, its report and its
history stay; the batch records when its file was removed.
"""

import datetime
import logging
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from huamu.errors import TransitionError
from huamu.mail import notify_staff
from sponsors.notifications import notify_sponsor
from wishes.audit import last_entered, record_change
from wishes.claiming.handover import send_handover_reminders
from wishes.models import (
    RENEWAL_DAYS,
    Claim,
    ClaimStatus,
    Consent,
    ImportBatch,
    ImportStatus,
)
from wishes.privacy.guard import is_clean, screen_for

# The lock order of every claim service (the wish, then its claim): a release racing a
# fulfilment or a withdrawal must not deadlock.
from wishes.services import cancel_claim, lock_wish_and_claim
from wishes.services.notices import notify_claim_sponsor

logger = logging.getLogger(__name__)

# Imported and failed batches are done with their file; an uploaded or checked one may still
# be checked or imported from it.
FINISHED_IMPORTS = (ImportStatus.IMPORTED, ImportStatus.FAILED)


def reminder_days() -> int:
    """How many days before the promised date a sponsor is reminded."""
    return int(getattr(settings, "HUAMU_REMINDER_DAYS", 3))


def max_days_without_date() -> int:
    """After how many days a claim made without a promised date is overdue; 0: never."""
    return int(getattr(settings, "HUAMU_CLAIM_MAX_DAYS_WITHOUT_DATE", 60))


def _start_of_day(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(
        day, datetime.time.min, tzinfo=timezone.get_current_timezone()
    )


def overdue_condition(today: datetime.date) -> Q:
    """The filter for active claims whose due date passed before `today`."""
    passed = Q(promised_on__lt=today)
    limit = max_days_without_date()
    if limit > 0:
        # Claimed on day D without a date: due on D + limit, overdue from the day after.
        passed |= Q(
            promised_on__isnull=True,
            created_at__lt=_start_of_day(today - datetime.timedelta(days=limit)),
        )
    return Q(status=ClaimStatus.ACTIVE) & passed


def overdue_claims(today: datetime.date | None = None) -> QuerySet[Claim]:
    """Active claims past their due date."""
    return Claim.objects.filter(overdue_condition(today or timezone.localdate()))


def due_on(claim: Claim) -> datetime.date | None:
    """The day a claim should be fulfilled by: the promised date, or the no-date limit."""
    if claim.promised_on is not None:
        return claim.promised_on
    limit = max_days_without_date()
    if limit <= 0:
        return None
    return timezone.localdate(claim.created_at) + datetime.timedelta(days=limit)


def days_overdue(claim: Claim, today: datetime.date | None = None) -> int:
    """Whole days since the due date passed; 0 when the claim is not overdue."""
    due = due_on(claim)
    if due is None:
        return 0
    return max(((today or timezone.localdate()) - due).days, 0)


def is_overdue(claim: Claim, today: datetime.date | None = None) -> bool:
    """Whether an active claim is past its due date; the same rule as `overdue_condition`."""
    return claim.status == ClaimStatus.ACTIVE and days_overdue(claim, today) > 0


@dataclass(frozen=True)
class OverdueClaim:
    """One overdue claim as staff see it in the digest and on the dashboard."""

    claim: Claim
    due_on: datetime.date | None
    days_overdue: int

    @property
    def admin_path(self) -> str:
        return reverse("admin:wishes_claim_change", args=[self.claim.pk])


def overdue_row(claim: Claim, today: datetime.date) -> OverdueClaim:
    return OverdueClaim(claim=claim, due_on=due_on(claim), days_overdue=days_overdue(claim, today))


def overdue_list_path() -> str:
    """The back office's list of overdue claims."""
    return reverse("admin:wishes_claim_changelist") + "?overdue=yes"


@transaction.atomic
def release_overdue_claim(*, claim_id: int, by: User) -> Claim:
    """Cancel an overdue claim so that its wish waits to be claimed again; refuse any other."""
    wish, claim = lock_wish_and_claim(claim_id)
    if claim.status != ClaimStatus.ACTIVE:
        raise TransitionError(
            _("Only an active claim can be released; this one is %(status)s.")
            % {"status": claim.get_status_display()}
        )
    today = timezone.localdate()
    if not is_overdue(claim, today):
        if claim.promised_on is not None:
            raise TransitionError(
                _("The claim on %(code)s is not overdue: it is promised for %(date)s.")
                % {"code": wish.code, "date": claim.promised_on.isoformat()}
            )
        raise TransitionError(
            _(
                "The claim on %(code)s is not overdue: it has no promised date and was made "
                "less than %(days)d days ago."
            )
            % {"code": wish.code, "days": max_days_without_date()}
        )
    if claim.promised_on is not None:
        reason = _("Released by staff: the promised date %(date)s passed.") % {
            "date": claim.promised_on.isoformat()
        }
    else:
        reason = _(
            "Released by staff: no date was promised and the wish was not fulfilled "
            "within %(days)d days."
        ) % {"days": max_days_without_date()}
    claim = cancel_claim(claim_id=claim.pk, by=by, reason=reason)
    notify_claim_sponsor(claim, wish=wish, message="claim_released_sponsor", reason=reason)
    return claim


def _due_for_reminder(today: datetime.date) -> QuerySet[Claim]:
    horizon = today + datetime.timedelta(days=reminder_days())
    # A run missed for a day or two still reminds: anything due within the window counts.
    return Claim.objects.filter(
        status=ClaimStatus.ACTIVE,
        reminder_sent_at__isnull=True,
        promised_on__gte=today,
        promised_on__lte=horizon,
    )


@dataclass(frozen=True)
class ReminderLine:
    code: str
    text: str
    promised_on: datetime.date | None


def reminder_lines(claims: list[Claim]) -> list[ReminderLine]:
    # A reminder is sent by a job nobody watches, so a wish text that has come to name its
    # child (say the child's record changed since) is left out rather than holding the
    # reminder back; the code still says which wish it is.
    lines = []
    for claim in claims:
        wish = claim.wish
        text = wish.public_text if is_clean(wish.public_text, child=wish.child) else ""
        lines.append(ReminderLine(code=wish.code, text=text, promised_on=claim.promised_on))
    return lines


def send_reminders(today: datetime.date) -> dict[int, list[Claim]]:
    """Remind each sponsor once of its claims due soon; return the claims by sponsor id."""
    sponsor_ids = sorted(set(_due_for_reminder(today).values_list("sponsor_id", flat=True)))
    reminded: dict[int, list[Claim]] = {}
    for sponsor_id in sponsor_ids:
        # One transaction per sponsor: the mark and the mail go together, or not at all.
        with transaction.atomic():
            ids = list(
                _due_for_reminder(today)
                .filter(sponsor_id=sponsor_id)
                .select_for_update()
                .values_list("pk", flat=True)
            )
            if not ids:
                # Another run reminded them between our read and our lock.
                continue
            now = timezone.now()
            Claim.objects.filter(pk__in=ids).update(reminder_sent_at=now, updated_at=now)
            claims = list(
                Claim.objects.filter(pk__in=ids)
                .select_related("wish__child__school", "sponsor")
                .order_by("promised_on", "wish__code")
            )
            sponsor = claims[0].sponsor
            children = [claim.wish.child for claim in claims]
            dates = sorted(c.promised_on for c in claims if c.promised_on is not None)
            notify_sponsor(
                sponsor,
                message="claim_reminder",
                context={"sponsor": sponsor, "lines": reminder_lines(claims)},
                sms_params={
                    "count": len(claims),
                    "date": dates[0].isoformat() if dates else "",
                },
                screen=screen_for(children),
            )
            reminded[sponsor_id] = claims
    return reminded


# The digest names at most this many claims, the longest overdue; the rest are counted.
DIGEST_LONGEST = 10
# And at most this many sponsors' regions, the others counted together.
DIGEST_REGIONS = 10
# How late the claims are, in days: up to a week, a month, a quarter, and later.
LATENESS_BOUNDS = (7, 30, 90)


def _lateness_label(index: int) -> str:
    if index == 0:
        return _("1 to 7 days")
    if index == 1:
        return _("8 to 30 days")
    if index == 2:
        return _("31 to 90 days")
    return _("more than 90 days")


def _lateness_index(days: int) -> int:
    return next(
        (index for index, bound in enumerate(LATENESS_BOUNDS) if days <= bound),
        len(LATENESS_BOUNDS),
    )


def overdue_digest_context(rows: list[OverdueClaim]) -> dict:
    """The digest's short summary: counts by sponsor kind, region and lateness, the longest
    overdue claims (at most DIGEST_LONGEST) and the link to the full list."""
    kinds = Counter(str(row.claim.sponsor.get_kind_display()) for row in rows)
    regions = Counter(
        row.claim.sponsor.region.name if row.claim.sponsor.region else _("No region")
        for row in rows
    )
    lateness = Counter(_lateness_index(row.days_overdue) for row in rows)
    by_region = regions.most_common(DIGEST_REGIONS)
    others = len(rows) - sum(count for _name, count in by_region)
    if others:
        by_region.append((_("Other regions"), others))
    return {
        "total": len(rows),
        "by_kind": kinds.most_common(),
        "by_region": by_region,
        "by_lateness": [
            (_lateness_label(index), lateness[index])
            for index in range(len(LATENESS_BOUNDS) + 1)
            if lateness[index]
        ],
        "longest": [row.claim for row in rows[:DIGEST_LONGEST]],
        "path": overdue_list_path(),
    }


@transaction.atomic
def report_overdue(today: datetime.date) -> list[OverdueClaim]:
    """Send staff one short digest of the claims that became overdue since the last report."""
    ids = list(
        overdue_claims(today)
        .filter(overdue_reported_at__isnull=True)
        .select_for_update()
        .values_list("pk", flat=True)
    )
    if not ids:
        return []
    now = timezone.now()
    Claim.objects.filter(pk__in=ids).update(overdue_reported_at=now, updated_at=now)
    claims = Claim.objects.filter(pk__in=ids).select_related("wish", "sponsor", "sponsor__region")
    rows = sorted(
        (overdue_row(claim, today) for claim in claims),
        key=lambda row: (-row.days_overdue, row.claim.wish.code),
    )
    # A summary whatever the number: thousands of overdue claims are read in the list.
    notify_staff(template="claims_overdue", context=overdue_digest_context(rows))
    return rows


def consents_to_renew_path() -> str:
    """The back office's list of consents to renew."""
    return reverse("admin:wishes_consent_changelist") + "?renewal=due"


@transaction.atomic
def report_consents_to_renew(today: datetime.date) -> int:
    """Tell staff how many consents need renewing, when some became due since the last
    report; return how many became due (0: no mail)."""
    ids = list(
        Consent.objects.to_renew(today)
        .filter(renewal_reported_at__isnull=True)
        .select_for_update()
        .values_list("pk", flat=True)
    )
    if not ids:
        return 0
    Consent.objects.filter(pk__in=ids).update(renewal_reported_at=timezone.now())
    notify_staff(
        template="consents_to_renew",
        context={
            "new": len(ids),
            "total": Consent.objects.to_renew(today).count(),
            "days": RENEWAL_DAYS,
            "path": consents_to_renew_path(),
        },
    )
    return len(ids)


def import_file_days() -> int:
    """How many days a finished import keeps its uploaded file; 0: for ever."""
    return int(getattr(settings, "HUAMU_IMPORT_FILE_DAYS", 30))


def expired_import_files(now: datetime.datetime | None = None) -> QuerySet[ImportBatch]:
    """Finished batches still holding their file, finished more than import_file_days() ago.

    A batch finished when it last became imported or failed (its audit trail); a batch
    without such a row counts from its upload.
    """
    days = import_file_days()
    if days <= 0:
        return ImportBatch.objects.none()
    return (
        ImportBatch.objects.filter(status__in=FINISHED_IMPORTS, file_removed_at__isnull=True)
        .annotate(finished_at=Coalesce(last_entered(ImportBatch, FINISHED_IMPORTS), "created_at"))
        .filter(finished_at__lt=(now or timezone.now()) - datetime.timedelta(days=days))
    )


def _remove_import_file(batch_id: int, days: int) -> bool | None:
    """Delete one finished batch's file and mark the batch.

    True when removed, False when the storage refused, None when there was nothing to do.
    """
    with transaction.atomic():
        batch = (
            ImportBatch.objects.select_for_update()
            .filter(pk=batch_id, status__in=FINISHED_IMPORTS, file_removed_at__isnull=True)
            .first()
        )
        if batch is None:
            # Another run removed it between our read and our lock.
            return None
        try:
            batch.file.delete(save=False)
        except FileNotFoundError:
            # Already gone (removed by hand, or by a run that stopped before marking it).
            batch.file = ""
        except Exception:
            # Any storage (disk, S3) may refuse; the row stays unmarked, the next run retries.
            logger.exception("Could not remove the uploaded file of import batch %s", batch_id)
            return False
        batch.file_removed_at = timezone.now()
        batch.save(update_fields=["file", "file_removed_at", "updated_at"])
        # The status stays; the history says what happened to the file.
        record_change(
            subject=batch,
            from_status=batch.status,
            to_status=batch.status,
            by=None,
            note=ngettext(
                "Uploaded file removed: finished imports keep their file %(days)d day.",
                "Uploaded file removed: finished imports keep their file %(days)d days.",
                days,
            )
            % {"days": days},
        )
    logger.info("Removed the uploaded file of import batch %s", batch_id)
    return True


@dataclass(frozen=True)
class ImportFileRemoval:
    """What one removal of old import files did: batch ids done, batch ids the storage refused."""

    removed: list[int]
    failed: list[int]


def remove_expired_import_files(now: datetime.datetime | None = None) -> ImportFileRemoval:
    """Delete the files of finished imports past their keeping time; one failure stops none."""
    days = import_file_days()
    ids = list(expired_import_files(now).order_by("pk").values_list("pk", flat=True))
    removed: list[int] = []
    failed: list[int] = []
    for batch_id in ids:
        done = _remove_import_file(batch_id, days)
        if done is not None:
            (removed if done else failed).append(batch_id)
    return ImportFileRemoval(removed=removed, failed=failed)


@dataclass(frozen=True)
class FollowUpSummary:
    """What one follow-up run did: wish codes reminded per sponsor, wish codes reported.

    It also counts the consents newly reported to renew, the import files removed and those
    the storage refused to remove.
    """

    reminded: list[tuple[str, list[str]]]
    reported_overdue: list[str]
    consents_to_renew: int = 0
    import_files_removed: int = 0
    import_files_failed: int = 0
    # Wish codes reminded of their drop-off deadline, per sponsor.
    handover_reminded: list[tuple[str, list[str]]] = field(default_factory=list)

    @property
    def reminded_claims(self) -> int:
        return sum(len(codes) for _sponsor, codes in self.reminded)

    def as_dict(self) -> dict:
        """A JSON-ready form: the task's result."""
        return {
            "reminded": [{"sponsor": name, "wishes": codes} for name, codes in self.reminded],
            "reported_overdue": self.reported_overdue,
            "consents_to_renew": self.consents_to_renew,
            "import_files_removed": self.import_files_removed,
            "import_files_failed": self.import_files_failed,
            "handover_reminded": [
                {"sponsor": name, "wishes": codes} for name, codes in self.handover_reminded
            ],
        }


def follow_up_claims(today: datetime.date | None = None) -> FollowUpSummary:
    """The daily run: reminders, the overdue digest, consents to renew, old import files;
    safe to run again."""
    today = today or timezone.localdate()
    reminded = send_reminders(today)
    handover = send_handover_reminders(today)
    overdue = report_overdue(today)
    consents = report_consents_to_renew(today)
    files = remove_expired_import_files()
    return FollowUpSummary(
        reminded=[
            (claims[0].sponsor.name, [claim.wish.code for claim in claims])
            for claims in reminded.values()
        ],
        reported_overdue=[row.claim.wish.code for row in overdue],
        consents_to_renew=consents,
        import_files_removed=len(files.removed),
        import_files_failed=len(files.failed),
        handover_reminded=[
            (claims[0].sponsor.name, [claim.wish.code for claim in claims])
            for claims in handover.values()
        ],
    )
