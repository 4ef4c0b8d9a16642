"""Reads for the staff dashboard on the back office's front page.

A fixed handful of queries whatever the data: each panel is one query (counts one each),
and a panel is left out when the user may not view its records.
"""

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sponsors.models import Sponsor, VerificationStatus
from wishes.claiming.follow_up import OverdueClaim, overdue_claims, overdue_list_path, overdue_row
from wishes.models import (
    RENEWAL_DAYS,
    Claim,
    Consent,
    Event,
    FulfilmentPhoto,
    LetterStatus,
    ThankYouLetter,
    Wish,
    WishStatus,
)

WAITING_WISHES = 10
OVERDUE_CLAIMS = 10
UPCOMING_EVENTS = 5

if TYPE_CHECKING:  # only for the type checker: a str or a lazy translation
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class WaitingWish:
    wish: Wish
    days_waiting: int

    @property
    def admin_path(self) -> str:
        return reverse("admin:wishes_wish_change", args=[self.wish.pk])


@dataclass(frozen=True)
class StaffTask:
    """A count of records waiting for staff, linking to the filtered list of them."""

    label: "StrOrPromise"
    count: int
    url: str


@dataclass
class StaffDashboard:
    waiting_wishes: list[WaitingWish] | None = None
    open_wishes: int = 0
    open_wishes_url: str = ""
    overdue_claims: list[OverdueClaim] | None = None
    overdue_total: int = 0
    overdue_url: str = ""
    may_release: bool = False
    upcoming_events: list[Event] | None = None
    events_url: str = ""
    staff_tasks: list[StaffTask] = field(default_factory=list)


def _changelist(model, **filters: str) -> str:
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def _may_view(user: User, model) -> bool:
    opts = model._meta
    return user.has_perm(f"{opts.app_label}.view_{opts.model_name}") or user.has_perm(
        f"{opts.app_label}.change_{opts.model_name}"
    )


def photos_waiting_for_decision():
    """Current private photos whose child's guardian consents to publishing photos."""
    consent = Consent.objects.in_force().filter(
        child_id=OuterRef("fulfilment__claim__wish__child_id"),
        keep_record=True,
        publish_photos=True,
    )
    return FulfilmentPhoto.objects.current().filter(Exists(consent), is_public=False)


def _waiting_wishes(today: datetime.date) -> list[WaitingWish]:
    wishes = (
        Wish.objects.open()
        .select_related("child__school")
        .order_by("published_at", "pk")[:WAITING_WISHES]
    )
    return [
        WaitingWish(wish=wish, days_waiting=(today - timezone.localdate(wish.published_at)).days)
        for wish in wishes
    ]


def _overdue(today: datetime.date) -> list[OverdueClaim]:
    # The oldest promises first; claims without a date are at least weeks old, so first too.
    claims = (
        overdue_claims(today)
        .select_related("wish", "sponsor")
        .order_by("promised_on", "created_at", "pk")[:OVERDUE_CLAIMS]
    )
    return [overdue_row(claim, today) for claim in claims]


def _staff_tasks(user: User) -> list[StaffTask]:
    tasks = []
    if _may_view(user, Sponsor):
        tasks.append(
            StaffTask(
                _("Sponsors waiting for verification"),
                Sponsor.objects.filter(status=VerificationStatus.PENDING).count(),
                _changelist(Sponsor, status__exact=VerificationStatus.PENDING),
            )
        )
    if _may_view(user, ThankYouLetter):
        tasks.append(
            StaffTask(
                _("Thank-you letters waiting for approval"),
                ThankYouLetter.objects.filter(status=LetterStatus.PENDING).count(),
                _changelist(ThankYouLetter, status__exact=LetterStatus.PENDING),
            )
        )
    if _may_view(user, FulfilmentPhoto):
        tasks.append(
            StaffTask(
                _("Photos that may be published, still private"),
                photos_waiting_for_decision().count(),
                # The photo list's own filters, so the count and the list agree.
                _changelist(
                    FulfilmentPhoto,
                    is_public__exact="0",
                    publish_consent="yes",
                    withdrawn_at__isempty="1",
                ),
            )
        )
    if _may_view(user, Consent):
        tasks.append(
            StaffTask(
                _("Guardians' consents to renew (expired or expiring within %(days)d days)")
                % {"days": RENEWAL_DAYS},
                Consent.objects.to_renew().count(),
                # The consent list's own filter, so the count and the list agree.
                _changelist(Consent, renewal="due"),
            )
        )
    if _may_view(user, Wish):
        tasks.append(
            StaffTask(
                _("Draft wishes to review and publish"),
                Wish.objects.filter(status=WishStatus.DRAFT).count(),
                _changelist(Wish, status__exact=WishStatus.DRAFT),
            )
        )
    return tasks


def staff_dashboard(user: User, today: datetime.date | None = None) -> StaffDashboard:
    """Everything the front page of the back office shows `user`."""
    today = today or timezone.localdate()
    board = StaffDashboard(staff_tasks=_staff_tasks(user))
    if _may_view(user, Wish):
        board.waiting_wishes = _waiting_wishes(today)
        board.open_wishes = Wish.objects.open().count()
        board.open_wishes_url = _changelist(Wish, status__exact=WishStatus.OPEN)
    if _may_view(user, Claim):
        board.overdue_claims = _overdue(today)
        board.overdue_total = overdue_claims(today).count()
        board.overdue_url = overdue_list_path()
        board.may_release = user.has_perm("wishes.change_claim")
    if _may_view(user, Event):
        board.upcoming_events = list(
            Event.objects.filter(date__gte=today)
            .select_related("school")
            .order_by("date", "pk")[:UPCOMING_EVENTS]
        )
        board.events_url = _changelist(Event)
    return board
