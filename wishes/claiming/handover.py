"""Hand-over reads and reminders: where and by when each claim's gift is brought, which
gifts are still missing after the deadline, and the reminder before it.

A wish's drop-off deadline is the earliest deadline of the events it is planned for, else
its campaign's. Its drop-off points are the campaign's points in use that serve every
school or the child's school, and every event or one of the wish's events.

The daily follow-up reminds each sponsor once, HUAMU_HANDOVER_REMINDER_DAYS days (default
3) before a deadline, of its active claims due then; a reminder row per claim and deadline
(unique for the daily run) makes a second run send nothing. Staff may remind again from
the list of missing gifts.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from sponsors.notifications import notify_sponsor
from wishes.models import (
    Claim,
    ClaimStatus,
    DropOffPoint,
    Event,
    HandoverReminder,
    Wish,
)
from wishes.privacy.guard import is_clean, screen_for

if TYPE_CHECKING:  # only for the type checker: claims as claims_with_deadline annotates them
    from django_stubs_ext import WithAnnotations


class _Deadline(TypedDict):
    gift_deadline: datetime.date


if TYPE_CHECKING:
    ClaimWithDeadline = WithAnnotations[Claim, _Deadline]
else:
    ClaimWithDeadline = Claim


def handover_reminder_days() -> int:
    """How many days before the drop-off deadline a sponsor is reminded."""
    return int(getattr(settings, "HUAMU_HANDOVER_REMINDER_DAYS", 3))


def deadline_expression(wish: str = "pk", campaign: str = "campaign") -> Coalesce:
    """For a query of wishes (or, with `wish="wish_id", campaign="wish__campaign"`, of
    claims): each row's drop-off deadline, the one rule of the module docstring."""
    earliest_event = (
        Event.objects.filter(wishes=OuterRef(wish), drop_off_deadline__isnull=False)
        .order_by("drop_off_deadline")
        .values("drop_off_deadline")[:1]
    )
    return Coalesce(Subquery(earliest_event), F(f"{campaign}__drop_off_deadline"))


def claims_with_deadline(claims: QuerySet[Claim]) -> "QuerySet[ClaimWithDeadline]":
    """The claims, each annotated with `gift_deadline`."""
    return claims.annotate(
        gift_deadline=deadline_expression(wish="wish_id", campaign="wish__campaign")
    )


def missing_gifts(today: datetime.date | None = None) -> "QuerySet[ClaimWithDeadline]":
    """Active claims whose gift has not arrived by the deadline (the deadline day itself is
    not late), with `gift_deadline`."""
    return claims_with_deadline(Claim.objects.filter(status=ClaimStatus.ACTIVE)).filter(
        gift_deadline__lt=today or timezone.localdate()
    )


@dataclass(frozen=True)
class Handover:
    """Where and by when the gift of one wish is brought."""

    deadline: datetime.date | None
    points: list[DropOffPoint]

    def __bool__(self) -> bool:
        return self.deadline is not None or bool(self.points)


def handovers_for(wish_ids: Iterable[int]) -> dict[int, Handover]:
    """The hand-over of each wish, in three queries (wishes without any: an empty one)."""
    wish_ids = sorted(set(wish_ids))
    if not wish_ids:
        return {}
    rows = list(
        Wish.objects.filter(pk__in=wish_ids)
        .annotate(deadline=deadline_expression())
        .values("pk", "campaign_id", "child__school_id", "deadline")
    )
    events: dict[int, set[int]] = defaultdict(set)
    for wish_id, event_id in Event.wishes.through.objects.filter(wish_id__in=wish_ids).values_list(
        "wish_id", "event_id"
    ):
        events[wish_id].add(event_id)
    points = list(
        DropOffPoint.objects.filter(
            campaign_id__in={row["campaign_id"] for row in rows}, is_active=True
        ).order_by("name", "pk")
    )
    found = {}
    for row in rows:
        found[row["pk"]] = Handover(
            deadline=row["deadline"],
            points=[
                point
                for point in points
                if point.campaign_id == row["campaign_id"]
                and point.school_id in (None, row["child__school_id"])
                and (point.event_id is None or point.event_id in events[row["pk"]])
            ],
        )
    return found


def handover_for(wish_id: int) -> Handover:
    """The hand-over of one wish."""
    return handovers_for([wish_id]).get(wish_id, Handover(deadline=None, points=[]))


def point_passages(points: Iterable[DropOffPoint]) -> list[str]:
    """What a message says of drop-off points, for `screen_for(ours=...)`."""
    return [
        text
        for point in points
        for text in (point.name, point.address, point.opening_hours, point.contact_phone)
    ]


@dataclass(frozen=True)
class HandoverLine:
    code: str
    text: str
    deadline: datetime.date | None
    points: list[DropOffPoint]


def handover_lines(claims: Sequence[Claim]) -> list[HandoverLine]:
    """Where and by when each claim's gift goes, for a message to its sponsor (claims with
    `wish__child` loaded). As the claim reminder: a wish text that has come to name its
    child is left out."""
    handovers = handovers_for(claim.wish_id for claim in claims)
    lines = []
    for claim in claims:
        wish = claim.wish
        text = wish.public_text if is_clean(wish.public_text, child=wish.child) else ""
        handover = handovers[wish.pk]
        lines.append(
            HandoverLine(
                code=wish.code, text=text, deadline=handover.deadline, points=handover.points
            )
        )
    return lines


def _send_handover_reminder(claims: Sequence[Claim], *, late: bool) -> None:
    """One mail to the claims' sponsor: where and by when to bring each gift."""
    lines = handover_lines(claims)
    sponsor = claims[0].sponsor
    # The drop-off points are the association's own words: an office may stand on a
    # child's road.
    ours = point_passages(point for line in lines for point in line.points)
    deadlines = sorted(line.deadline for line in lines if line.deadline is not None)
    notify_sponsor(
        sponsor,
        message="handover_reminder",
        context={"sponsor": sponsor, "handover_lines": lines, "late": late},
        sms_params={
            "count": len(lines),
            "date": deadlines[0].isoformat() if deadlines else "",
        },
        screen=screen_for([claim.wish.child for claim in claims], ours=ours),
    )


def _due_for_reminder(today: datetime.date) -> "QuerySet[ClaimWithDeadline]":
    horizon = today + datetime.timedelta(days=handover_reminder_days())
    already = HandoverReminder.objects.filter(
        claim=OuterRef("pk"), deadline=OuterRef("gift_deadline"), sent_by__isnull=True
    )
    # A run missed for a day or two still reminds: anything due within the window counts.
    return (
        claims_with_deadline(Claim.objects.filter(status=ClaimStatus.ACTIVE))
        .filter(gift_deadline__gte=today, gift_deadline__lte=horizon)
        .exclude(Exists(already))
    )


def send_handover_reminders(
    today: datetime.date | None = None,
) -> "dict[int, list[ClaimWithDeadline]]":
    """Remind each sponsor once of its gifts due at a drop-off point soon; return the
    claims reminded by sponsor id."""
    today = today or timezone.localdate()
    sponsor_ids = sorted(set(_due_for_reminder(today).values_list("sponsor_id", flat=True)))
    reminded: dict[int, list[ClaimWithDeadline]] = {}
    for sponsor_id in sponsor_ids:
        # One transaction per sponsor: the rows and the mail go together, or not at all.
        with transaction.atomic():
            ids = list(
                Claim.objects.select_for_update()
                .filter(pk__in=_due_for_reminder(today).filter(sponsor_id=sponsor_id).values("pk"))
                .values_list("pk", flat=True)
            )
            claims = list(
                _due_for_reminder(today)
                .filter(pk__in=ids)
                .select_related("wish__child__school", "sponsor")
                .order_by("gift_deadline", "wish__code")
            )
            if not claims:
                # Another run reminded them between our read and our lock.
                continue
            HandoverReminder.objects.bulk_create(
                HandoverReminder(claim=claim, deadline=claim.gift_deadline) for claim in claims
            )
            _send_handover_reminder(claims, late=False)
            reminded[sponsor_id] = claims
    return reminded


def remind_missing_gifts(*, claim_ids: Iterable[int], by: User) -> "list[ClaimWithDeadline]":
    """Staff chase gifts missing after the deadline: one mail per sponsor, recorded with who
    sent it; claims that are not missing are left out."""
    claims = list(
        missing_gifts()
        .filter(pk__in=list(claim_ids))
        .select_related("wish__child__school", "sponsor")
        .order_by("sponsor_id", "gift_deadline", "wish__code")
    )
    by_sponsor: dict[int, list[ClaimWithDeadline]] = defaultdict(list)
    for claim in claims:
        by_sponsor[claim.sponsor_id].append(claim)
    for group in by_sponsor.values():
        with transaction.atomic():
            HandoverReminder.objects.bulk_create(
                HandoverReminder(claim=claim, deadline=claim.gift_deadline, sent_by=by)
                for claim in group
            )
            _send_handover_reminder(group, late=True)
    return claims
