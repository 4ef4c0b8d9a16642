"""Who may see what on the school pages: a coordinator sees their own school, nothing else.

A coordinator reaches the children of their own school whose record is kept, and
everything hanging off them (wishes, claims, fulfilments, letters, events at the school).
Staff reach every school. Whatever lies outside that reach is a 404, never a 403, so that
ids of other schools' children cannot even be probed.
"""

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from huamu.roles import coordinator_of, is_office_staff, school_of
from wishes.audit import HistoryEntry, histories_of
from wishes.models import (
    LIVE_CLAIM_STATUSES,
    Child,
    ChildQuerySet,
    Claim,
    ClaimStatus,
    Event,
    Fulfilment,
    FulfilmentPhoto,
    LetterStatus,
    School,
    ThankYouLetter,
    Wish,
    WishStatus,
)

SchoolView = Callable[..., HttpResponse]

# How many past events the overview lists; older ones are in the back office.
PAST_EVENTS_SHOWN = 10
# How many wishes each to-do of the overview names; the rest are behind its link.
TODO_ITEMS_SHOWN = 10


def _is_staff(request: HttpRequest) -> bool:
    return is_office_staff(request.user, perm="wishes.view_child")


def school_required(view: SchoolView) -> SchoolView:
    """Let only school coordinators and staff in.

    Anonymous users go to the login page; other logged-in users get a 403 page that says
    whom to ask.
    """

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not _is_staff(request) and coordinator_of(request.user) is None:
            return render(request, "school/not_a_coordinator.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _id_from_query(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    if not value:
        return None
    if not value.isdigit():
        raise Http404
    return int(value)


def get_school_for_page(request: HttpRequest) -> School | None:
    """The school a school-wide page is about.

    A coordinator always gets their own school (a `?school=` of theirs is ignored). Staff
    choose with `?school=<id>` (or `?event=<id>` of an event at a school); None means staff
    have not chosen yet and the page offers the list of schools.
    """
    if not _is_staff(request):
        # school_required let in staff or a coordinator: this is a coordinator.
        return school_of(request.user)
    school_id = _id_from_query(request, "school")
    if school_id is not None:
        return get_object_or_404(School, pk=school_id)
    event_id = _id_from_query(request, "event")
    if event_id is not None:
        event = get_object_or_404(
            Event.objects.select_related("school"), pk=event_id, school__isnull=False
        )
        return event.school
    coordinator = coordinator_of(request.user)
    return coordinator.school if coordinator is not None else None


def visible_children(request: HttpRequest) -> ChildQuerySet:
    """Children the user may see on school pages: kept records of their school (staff: all)."""
    children = Child.objects.active()
    if _is_staff(request):
        return children
    coordinator = coordinator_of(request.user)
    if coordinator is None:
        return children.none()
    return children.filter(school_id=coordinator.school_id)


def get_child_for_coordinator(request: HttpRequest, pk: int) -> Child:
    """A child of the user's school whose record is kept; any other child is a 404."""
    return get_object_or_404(visible_children(request).select_related("school"), pk=pk)


def get_fulfilment_for_coordinator(request: HttpRequest, pk: int) -> Fulfilment:
    """A fulfilment of a child of the user's school; any other is a 404."""
    fulfilments = Fulfilment.objects.select_related(
        "claim__wish__child__school", "claim__sponsor", "event"
    ).filter(claim__wish__child__in=visible_children(request))
    return get_object_or_404(fulfilments, pk=pk)


def get_event_for_coordinator(request: HttpRequest, pk: int, *, school: School) -> Event:
    """An event at the page's school (reached through get_school_for_page); else a 404."""
    return get_object_or_404(Event, pk=pk, school=school)


def get_preselected_event(request: HttpRequest, school: School) -> Event | None:
    """The event of `?event=<id>`, which must be at the page's school; None without one."""
    event_id = _id_from_query(request, "event")
    if event_id is None:
        return None
    return get_event_for_coordinator(request, event_id, school=school)


# Reads of the school pages. Coordinators hand gifts over, so unlike the public and sponsor
# pages these show the child's real name, grade and class.


def school_children(school: School) -> QuerySet[Child]:
    """The kept children of a school, by grade, class and name."""
    return (
        Child.objects.active()
        .filter(school=school)
        .order_by("grade", "class_name", "real_name", "pk")
    )


def school_claims(school: School) -> QuerySet[Claim]:
    """Every claim on a wish of the school's kept children, whatever its status."""
    return Claim.objects.filter(wish__child__school=school, wish__child__withdrawn_at__isnull=True)


def claims_to_fulfil(school: School) -> QuerySet[Claim]:
    """The live claims (active, or gift received) of the school's kept children: the rows of
    the fulfilment roster."""
    return (
        school_claims(school)
        .filter(status__in=LIVE_CLAIM_STATUSES, wish__status=WishStatus.CLAIMED)
        .select_related("wish__child", "sponsor")
        .order_by("wish__child__grade", "wish__child__class_name", "wish__child__real_name", "pk")
    )


class LetterState:
    """Where a fulfilled wish's thank-you letter stands, as the overview shows it."""

    MISSING = "missing"
    PENDING = "pending"
    DELIVERED = "delivered"
    REJECTED = "rejected"


def _letters(status: str) -> Exists:
    return Exists(
        ThankYouLetter.objects.filter(fulfilment__claim__wish_id=OuterRef("pk"), status=status)
    )


# The order of the school's wish lists: by the child's grade, class and name.
WISH_ORDER = ("child__grade", "child__class_name", "child__real_name", "pk")


def _kept_wishes(school: School) -> QuerySet[Wish]:
    # Read through the wish_child_status index: the child's wishes by status, with their ids.
    return Wish.objects.filter(child__school=school, child__withdrawn_at__isnull=True)


def school_wishes(school: School) -> QuerySet[Wish]:
    """The wishes of the school's kept children in list order, without the per-wish facts.

    Pick the wishes a page shows from these (their ids), then read them with
    `wishes_with_facts`: the facts are then worked out for those few wishes only.
    """
    return _kept_wishes(school).order_by(*WISH_ORDER)


def wishes_with_facts(ids: Collection[int]) -> list[Wish]:
    """The wishes of `ids` in list order, with their child; one query whatever the school.

    Each wish carries the sponsor and promised date of its live (active or fulfilled)
    claim, its fulfilment, and the state of its thank-you letter.
    """
    if not ids:
        return []
    live_claim = (
        Claim.objects.filter(wish_id=OuterRef("pk"))
        .exclude(status=ClaimStatus.CANCELLED)
        .order_by("-created_at", "-pk")
    )
    fulfilment = Fulfilment.objects.filter(
        claim__wish_id=OuterRef("pk"), claim__status=ClaimStatus.FULFILLED
    )
    return list(
        Wish.objects.filter(pk__in=ids)
        .select_related("child")
        .annotate(
            sponsor_name=Subquery(live_claim.values("sponsor__name")[:1]),
            promised_on=Subquery(live_claim.values("promised_on")[:1]),
            fulfilment_id=Subquery(fulfilment.values("pk")[:1]),
            fulfilled_on=Subquery(fulfilment.values("fulfilled_on")[:1]),
            letter_state=Case(
                When(_letters(LetterStatus.APPROVED), then=Value(LetterState.DELIVERED)),
                When(_letters(LetterStatus.PENDING), then=Value(LetterState.PENDING)),
                When(_letters(LetterStatus.REJECTED), then=Value(LetterState.REJECTED)),
                default=Value(LetterState.MISSING),
                output_field=CharField(),
            ),
        )
        .order_by(*WISH_ORDER)
    )


def wish_counts(school: School) -> dict[str, int]:
    """How many wishes of the school's kept children are in each status; one query."""
    counts = dict.fromkeys(WishStatus.values, 0)
    # COUNT(*), not of the id: the database counts from the index without the rows.
    rows = _kept_wishes(school).order_by().values_list("status").annotate(count=Count("*"))
    counts.update(dict(rows))
    return counts


def children_without_wish(school: School) -> QuerySet[Child]:
    """The school's kept children who have no wish yet, in the order of the children list."""
    return school_children(school).exclude(Exists(Wish.objects.filter(child_id=OuterRef("pk"))))


@dataclass
class ChildCounts:
    total: int
    without_wish: int


def child_counts(school: School) -> ChildCounts:
    """How many kept children the school has, and how many of them have no wish; one query."""
    has_wish = Exists(Wish.objects.filter(child_id=OuterRef("pk")))
    counts = school_children(school).aggregate(
        total=Count("pk"), without_wish=Count("pk", filter=~Q(has_wish))
    )
    return ChildCounts(total=counts["total"], without_wish=counts["without_wish"])


@dataclass
class ToDo:
    """One kind of work waiting for the coordinator: how much, and the first few wishes."""

    count: int
    wishes: list[Wish]


@dataclass
class SchoolToDos:
    """What the coordinator's page starts with: the next event, then what is still missing."""

    next_event: Event | None
    to_hand_over: ToDo
    photos_missing: ToDo
    letters_missing: ToDo

    @property
    def children(self) -> set[int]:
        """The children these to-dos name, for the access log."""
        todos = (self.to_hand_over, self.photos_missing, self.letters_missing)
        return {wish.child_id for todo in todos for wish in todo.wishes}

    @property
    def nothing_to_do(self) -> bool:
        todos = (self.to_hand_over, self.photos_missing, self.letters_missing)
        return not any(todo.count for todo in todos)


def _first_of(wishes: QuerySet[Wish]) -> tuple[int, list[int]]:
    """How many `wishes` there are and the ids of the first few in list order; one query."""
    rows = list(
        wishes.order_by(*WISH_ORDER)
        .annotate(total=Window(Count("pk")))
        .values_list("pk", "total")[:TODO_ITEMS_SHOWN]
    )
    return (rows[0][1] if rows else 0), [pk for pk, _ in rows]


def school_todos(school: School) -> SchoolToDos:
    """The coordinator's to-dos: gifts to hand over at the next event (or at all), the
    fulfilled wishes that still lack a photo, and those whose thank-you letter is missing
    or was sent back. Five queries whatever the school's size: the next event, each to-do's
    count with its first wishes, then those wishes with their per-wish facts."""
    wishes = _kept_wishes(school)
    next_event = (
        Event.objects.filter(school=school, date__gte=timezone.localdate())
        .order_by("date", "pk")
        .first()
    )
    claimed = wishes.filter(status=WishStatus.CLAIMED)
    if next_event is not None:
        claimed = claimed.filter(events=next_event)
    current_photo = FulfilmentPhoto.objects.current().filter(
        fulfilment__claim__wish_id=OuterRef("pk")
    )
    fulfilled = wishes.filter(status=WishStatus.FULFILLED)
    firsts = [
        _first_of(claimed),
        _first_of(fulfilled.exclude(Exists(current_photo))),
        # Missing or sent back: neither approved nor waiting for review (the letter_state
        # rule, as conditions the database checks only for the school's fulfilled wishes).
        _first_of(
            fulfilled.exclude(_letters(LetterStatus.APPROVED)).exclude(
                _letters(LetterStatus.PENDING)
            )
        ),
    ]
    read = {wish.pk: wish for wish in wishes_with_facts({pk for _, ids in firsts for pk in ids})}
    hand_over, photos, letters = (
        ToDo(count=count, wishes=[read[pk] for pk in ids]) for count, ids in firsts
    )
    return SchoolToDos(
        next_event=next_event,
        to_hand_over=hand_over,
        photos_missing=photos,
        letters_missing=letters,
    )


@dataclass
class SchoolEvents:
    upcoming: list[Event]
    past: list[Event]


def school_events(school: School) -> SchoolEvents:
    """Events at the school from today on (soonest first), and the latest past ones."""
    today = timezone.localdate()
    events = Event.objects.filter(school=school)
    return SchoolEvents(
        upcoming=list(events.filter(date__gte=today).order_by("date", "pk")),
        past=list(events.filter(date__lt=today).order_by("-date", "-pk")[:PAST_EVENTS_SHOWN]),
    )


@dataclass
class WishRecord:
    """One wish of a child (claims prefetched) and its history, oldest change first."""

    wish: Wish
    history: list[HistoryEntry] = field(default_factory=list)


def child_wish_records(child: Child) -> list[WishRecord]:
    """The child's wishes, claims, fulfilments, photos, letters and history; five queries."""
    wishes = list(
        child.wishes.select_related("campaign")
        .prefetch_related(
            Prefetch(
                "claims",
                queryset=Claim.objects.select_related("sponsor", "fulfilment__event").order_by(
                    "created_at", "pk"
                ),
            ),
            Prefetch(
                "claims__fulfilment__photos",
                queryset=FulfilmentPhoto.objects.current(),
                to_attr="current_photos",
            ),
            Prefetch(
                "claims__fulfilment__letters",
                queryset=ThankYouLetter.objects.order_by("-created_at", "-pk"),
            ),
        )
        .order_by("-created_at", "-pk")
    )
    if not wishes:
        return []
    history = histories_of(Wish, [wish.pk for wish in wishes])
    return [WishRecord(wish, history[wish.pk]) for wish in wishes]


def get_event_for_school_page(request: HttpRequest, pk: int) -> Event:
    """An event staff may open (any) or a coordinator (one at their school); else a 404."""
    events = Event.objects.select_related("school", "campaign")
    if _is_staff(request):
        return get_object_or_404(events, pk=pk)
    coordinator = coordinator_of(request.user)
    if coordinator is None:
        raise Http404
    return get_object_or_404(events, pk=pk, school_id=coordinator.school_id)
