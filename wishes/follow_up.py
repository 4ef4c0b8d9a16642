"""Claim follow-up: remind sponsors before their promised date, report overdue claims to staff.

A claim's due date is the delivery date its sponsor promised. A claim made without a date
would otherwise hold a child's wish for ever, so it falls due HUAMU_CLAIM_MAX_DAYS_WITHOUT_DATE
days (default 60; 0 turns this off) after the day it was made. Such claims are never
reminded (there is no date to remind of) but are reported and may be released once due.

A claim is overdue once its due date has passed (the due day itself is not overdue).
`follow_up_claims` runs daily (the `follow_up_claims` command or its task) and is idempotent:
a claim is reminded at most once and reported overdue at most once. Staff who change a
claim's promised date in the back office give it a new reminder and a new report.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from huamu.errors import TransitionError
from huamu.mail import notify_staff, send_after_commit
from sponsors.services import sponsor_addresses
from wishes.models import Claim, ClaimStatus

# The lock order of every claim service (the wish, then its claim): a release racing a
# fulfilment or a withdrawal must not deadlock.
from wishes.services import _lock_wish_and_claim, cancel_claim


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
    due_on: datetime.date
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
def release_overdue_claim(*, claim_id: int, by: AbstractBaseUser) -> Claim:
    """Cancel an overdue claim so that its wish waits to be claimed again; refuse any other."""
    wish, claim = _lock_wish_and_claim(claim_id)
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
    send_after_commit(
        to=sponsor_addresses(claim.sponsor),
        template="claim_released_sponsor",
        context={"claim": claim, "wish": wish, "reason": reason},
        language=claim.sponsor.language,
    )
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
                .select_related("wish", "sponsor")
                .order_by("promised_on", "wish__code")
            )
            sponsor = claims[0].sponsor
            send_after_commit(
                to=sponsor_addresses(sponsor),
                template="claim_reminder",
                context={"sponsor": sponsor, "claims": claims},
                language=sponsor.language,
            )
            reminded[sponsor_id] = claims
    return reminded


@transaction.atomic
def report_overdue(today: datetime.date) -> list[OverdueClaim]:
    """Send staff one digest of the claims that became overdue since the last report."""
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
    claims = Claim.objects.filter(pk__in=ids).select_related("wish", "sponsor")
    rows = sorted(
        (overdue_row(claim, today) for claim in claims),
        key=lambda row: (-row.days_overdue, row.claim.wish.code),
    )
    notify_staff(template="claims_overdue", context={"claims": [row.claim for row in rows]})
    return rows


@dataclass(frozen=True)
class FollowUpSummary:
    """What one follow-up run did: wish codes reminded per sponsor, wish codes reported."""

    reminded: list[tuple[str, list[str]]]
    reported_overdue: list[str]

    @property
    def reminded_claims(self) -> int:
        return sum(len(codes) for _sponsor, codes in self.reminded)

    def as_dict(self) -> dict:
        """A JSON-ready form: the task's result."""
        return {
            "reminded": [{"sponsor": name, "wishes": codes} for name, codes in self.reminded],
            "reported_overdue": self.reported_overdue,
        }


def follow_up_claims(today: datetime.date | None = None) -> FollowUpSummary:
    """The daily run: reminders first, then the overdue digest; safe to run again."""
    today = today or timezone.localdate()
    reminded = send_reminders(today)
    overdue = report_overdue(today)
    return FollowUpSummary(
        reminded=[
            (claims[0].sponsor.name, [claim.wish.code for claim in claims])
            for claims in reminded.values()
        ],
        reported_overdue=[row.claim.wish.code for row in overdue],
    )
