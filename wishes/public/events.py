"""Public event pages: what happened at dream meetings and school sessions.

Like the wish pages, templates get small dataclasses built from `.values()` queries, never a
model instance: an event page shows no child at all, only how many wishes came true there
and the photos that wishes.public.selectors.public_photos() allows.
"""

import datetime
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.views.decorators.http import require_safe

from huamu.cache import cache_public_page, depends_on
from sponsors.models import Sponsor, SponsorKind
from wishes.models import Claim, ClaimStatus, Event, EventKind, Fulfilment
from wishes.privacy.redaction import mask_contact_details
from wishes.public.selectors import public_photos

EVENTS_PER_PAGE = 20

# The only columns an events page reads.
EVENT_COLUMNS = ("id", "kind", "title", "date", "venue", "description")


@dataclass(frozen=True, slots=True)
class PublicEvent:
    """Everything the public may know about an event."""

    id: int
    kind: str | Promise
    title: str
    date: datetime.date
    venue: str
    school: str
    campaign: str
    fulfilled: int
    description: str
    # Wishes claimed on the spot at the event (the 3·5 梦想现场认领), not cancelled since.
    claimed_here: int = 0

    def get_absolute_url(self) -> str:
        return reverse("events:detail", args=[self.id])

    @property
    def is_today(self) -> bool:
        return self.date == timezone.localdate()

    @property
    def is_upcoming(self) -> bool:
        """Still to come after today; today's event is `is_today` instead."""
        return self.date > timezone.localdate()


@dataclass(frozen=True, slots=True)
class EventSponsors:
    """Units by name; caring individuals only counted, since their names are personal data."""

    units: list[str]
    individuals: int


def _shown_events() -> QuerySet[Event]:
    return Event.objects.filter(is_public=True)


def _public_events() -> QuerySet:
    depends_on("events")
    claimed_here = (
        Claim.objects.filter(event=OuterRef("pk"))
        .exclude(status=ClaimStatus.CANCELLED)
        .order_by()
        .values("event")
        .annotate(count=Count("pk"))
        .values("count")
    )
    # Counted per event by subqueries, not by grouping a join: the database then counts
    # only the events of the page, not every fulfilment of every event first.
    fulfilled = (
        Fulfilment.objects.filter(event=OuterRef("pk"))
        .order_by()
        .values("event")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        _shown_events()
        .annotate(
            fulfilled=Coalesce(Subquery(fulfilled, output_field=IntegerField()), 0),
            claimed_here=Coalesce(Subquery(claimed_here, output_field=IntegerField()), 0),
        )
        .values(
            *EVENT_COLUMNS,
            "fulfilled",
            "claimed_here",
            school_name=F("school__name"),
            campaign_name=F("campaign__name"),
        )
    )


def _to_public(row: dict) -> PublicEvent:
    return PublicEvent(
        id=row["id"],
        kind=EventKind(row["kind"]).label,
        title=row["title"],
        date=row["date"],
        venue=row["venue"],
        school=row["school_name"] or "",
        campaign=row["campaign_name"],
        fulfilled=row["fulfilled"],
        claimed_here=row["claimed_here"],
        # Staff write the text; a phone number that slipped in is still never shown.
        description=mask_contact_details(row["description"]),
    )


def _upcoming_then_past(events: QuerySet) -> QuerySet:
    today = timezone.localdate()
    # Today's and upcoming events soonest first (past ones have no key here, so they sort
    # last), then past events latest first.
    upcoming_date = Case(When(date__gte=today, then=F("date")), default=None)
    return events.order_by(upcoming_date.asc(nulls_last=True), F("date").desc(), "id")


def _sponsors_of(event_id: int) -> EventSponsors:
    # Sponsors listed for the event and those whose wishes came true there. An individual's
    # name is replaced in SQL, so it never leaves the database.
    rows = list(
        # Two IN lists rather than one OR over two joins, which made distinct rows of every
        # claim of every sponsor first.
        Sponsor.objects.filter(
            Q(pk__in=Event.sponsors.through.objects.filter(event=event_id).values("sponsor"))
            | Q(pk__in=Claim.objects.filter(fulfilment__event=event_id).values("sponsor"))
        )
        .values(
            "pk",
            "kind",
            unit_name=Case(
                When(kind=SponsorKind.UNIT, then=F("name")),
                default=Value(""),
                output_field=CharField(),
            ),
        )
        .order_by()
        .distinct()
    )
    units = sorted(row["unit_name"] for row in rows if row["kind"] == SponsorKind.UNIT)
    individuals = sum(1 for row in rows if row["kind"] != SponsorKind.UNIT)
    return EventSponsors(units=units, individuals=individuals)


@require_safe
@cache_public_page
def event_list(request: HttpRequest) -> HttpResponse:
    """Public events, upcoming first, then past ones, 20 a page."""
    paginator = Paginator(_upcoming_then_past(_public_events()), EVENTS_PER_PAGE)
    # The same events counted without the per-event numbers.
    paginator.count = _shown_events().count()
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = [_to_public(row) for row in page.object_list]
    return render(request, "events/event_list.html", {"page_obj": page})


@require_safe
@cache_public_page
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One public event: its write-up, sponsors, number of wishes and public photos."""
    row = _public_events().filter(pk=pk).first()
    if row is None:
        raise Http404
    photo_ids = list(
        public_photos()
        .filter(fulfilment__event_id=pk)
        .order_by("created_at", "id")
        .values_list("id", flat=True)
    )
    context = {
        "event": _to_public(row),
        "sponsors": _sponsors_of(pk),
        "photo_ids": photo_ids,
    }
    return render(request, "events/event_detail.html", context)
