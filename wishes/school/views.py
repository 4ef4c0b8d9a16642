"""The school coordinator's pages: the school's children and wishes, fulfilment, letters.

They show real names, classes and the children's own words, so each page that does is in
the access log, naming the children it showed.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_safe

from huamu.errors import TransitionError
from huamu.roles import AuthenticatedRequest, coordinator_of
from wishes.claiming.feedback import feedback_page, without_feedback
from wishes.models import (
    AccessAction,
    Claim,
    Event,
    FeedbackRole,
    Fulfilment,
    School,
    WishStatus,
)
from wishes.privacy.access_log import log_access
from wishes.school.access import (
    child_counts,
    child_wish_records,
    children_without_wish,
    claims_to_fulfil,
    get_child_for_coordinator,
    get_fulfilment_for_coordinator,
    get_preselected_event,
    get_school_for_page,
    school_claims,
    school_events,
    school_required,
    school_todos,
    school_wishes,
    wish_counts,
    wishes_with_facts,
)
from wishes.school.forms import IMAGE_ACCEPT, FulfilmentRosterForm, LetterForm, PhotoUploadForm
from wishes.services import add_fulfilment_photos, record_fulfilments, upload_letter

# A refused form or upload; a state that changed under the form (a colleague was quicker).
BAD_REQUEST = 400
CONFLICT = 409

# The overview's lists, a page at a time; the to-dos above them name at most a few each.
PER_PAGE = 50
WITHOUT_WISH = "without-wish"

STATUS_ORDER = [
    WishStatus.DRAFT,
    WishStatus.OPEN,
    WishStatus.CLAIMED,
    WishStatus.FULFILLED,
    WishStatus.WITHDRAWN,
]
# The list the overview opens on: the first that has anything, the coordinator's work first.
DEFAULT_ORDER = [
    WishStatus.CLAIMED,
    WishStatus.OPEN,
    WishStatus.DRAFT,
    WishStatus.FULFILLED,
    WITHOUT_WISH,
    WishStatus.WITHDRAWN,
]


def _pick_school(request: AuthenticatedRequest) -> HttpResponse:
    """Staff choose which school's page to open."""
    schools = School.objects.select_related("region").order_by("name")
    return render(request, "school/pick_school.html", {"schools": schools})


def _overview_url(school: School) -> str:
    # The school id keeps staff on the same school; a coordinator's own id is harmless.
    return f"{reverse('school:overview')}?school={school.pk}"


@school_required
@require_safe
def overview(request: AuthenticatedRequest) -> HttpResponse:
    """The school's to-dos first, then its wishes by status (a page at a time), then events.

    `?show=` picks the list (a wish status, or the children without a wish; claimed wishes
    by default, the coordinator's work) and `?page=` its page, 50 a page.
    """
    school = get_school_for_page(request)
    if school is None:
        return _pick_school(request)
    counts = wish_counts(school)
    children = child_counts(school)
    counts[WITHOUT_WISH] = children.without_wish
    show = request.GET.get("show", "")
    if show not in counts:
        show = next((s for s in DEFAULT_ORDER if counts[s]), WishStatus.CLAIMED)
    page: Page[Any]
    if show == WITHOUT_WISH:
        page = _page(request, children_without_wish(school), counts[show])
        shown = {child.pk for child in page}
    else:
        ids = school_wishes(school).filter(status=show).values_list("pk", flat=True)
        page = _page(request, ids, counts[show])
        # The per-wish facts for the page's wishes only.
        page.object_list = wishes_with_facts(list(page.object_list))
        shown = {wish.child_id for wish in page}
    todos = school_todos(school)
    log_access(
        request,
        action=AccessAction.LIST_CHILDREN,
        subject=school,
        children=shown | todos.children,
    )
    tabs: list[tuple[str, str, int]] = [(s.value, str(s.label), counts[s]) for s in STATUS_ORDER]
    tabs.append((WITHOUT_WISH, gettext("Children without a wish yet"), counts[WITHOUT_WISH]))
    context = {
        "school": school,
        "children_count": children.total,
        "todos": todos,
        "tabs": tabs,
        "show": show,
        "show_label": next(label for value, label, _ in tabs if value == show),
        "page_obj": page,
        "events": school_events(school),
        "feedback_wanted": _feedback_wanted(request, school),
    }
    return render(request, "school/overview.html", context)


def _page(request: AuthenticatedRequest, rows: QuerySet, count: int) -> Page[Any]:
    """The `?page=` of `rows`, whose number the status tabs have just counted."""
    paginator = Paginator(rows, PER_PAGE)
    # Told, not counted again: the count is what the tab shows, read a moment ago.
    paginator.count = count
    return paginator.get_page(request.GET.get("page"))


# The newest fulfilled wishes waiting for the coordinator's feedback that the overview names.
FEEDBACK_PROMPTS = 10


def _feedback_wanted(request: AuthenticatedRequest, school: School) -> list:
    """The school's fulfilled claims its coordinator has not rated yet (none for staff)."""
    coordinator = coordinator_of(request.user)
    if coordinator is None or coordinator.school_id != school.pk:
        return []
    # A fulfilled claim's wish is fulfilled for good (record_fulfilments sets both, and a
    # fulfilled wish is closed): saying so lets the database start from the school's
    # fulfilled wishes (wish_child_status) instead of every claim of the city.
    claims = without_feedback(
        school_claims(school).filter(wish__status=WishStatus.FULFILLED), FeedbackRole.COORDINATOR
    )
    order = ("-fulfilment__fulfilled_on", "-pk")
    # The newest few are chosen by id (from indexes, without reading every wish's row),
    # then read with their wish and fulfilment; one query.
    newest = claims.order_by(*order).values("pk")[:FEEDBACK_PROMPTS]
    return list(
        Claim.objects.filter(pk__in=newest).select_related("wish", "fulfilment").order_by(*order)
    )


@school_required
@require_GET
def child_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A child's record for the coordinator; every look is written to the access log."""
    child = get_child_for_coordinator(request, pk)
    log_access(request, action=AccessAction.VIEW_CHILD, subject=child)
    context = {
        "child": child,
        "records": child_wish_records(child),
        "overview_url": _overview_url(child.school),
    }
    return render(request, "school/child_detail.html", context)


@school_required
@require_http_methods(["GET", "POST"])
def fulfil(request: AuthenticatedRequest) -> HttpResponse:
    """The roster of claimed wishes: tick those handed over, add photos, record them all."""
    school = get_school_for_page(request)
    if school is None:
        return _pick_school(request)
    event = get_preselected_event(request, school)
    roster = list(claims_to_fulfil(school))
    status = 200
    if request.method == "POST":
        form = FulfilmentRosterForm(request.POST, request.FILES, school=school)
        status = BAD_REQUEST
        if form.is_valid():
            refused = _record(request, form)
            if refused is None:
                return redirect(_overview_url(school))
            status = refused
    else:
        form = FulfilmentRosterForm(school=school, initial=_roster_initial(event, roster))
    log_access(
        request,
        action=AccessAction.LIST_WISHES,
        subject=school,
        children=[claim.wish.child_id for claim in roster],
    )
    context = {
        "school": school,
        "event": event,
        "form": form,
        "rows": form.rows(roster),
        "image_accept": IMAGE_ACCEPT,
    }
    return render(request, "school/fulfil.html", context, status=status)


def _roster_initial(event: Event | None, roster: list) -> dict:
    # Wishes planned for the event come ticked; the coordinator unticks absent children.
    planned = set(event.wishes.values_list("pk", flat=True)) if event else set()
    return {"event": event, "claims": [c.pk for c in roster if c.wish_id in planned]}


def _record(request: AuthenticatedRequest, form: FulfilmentRosterForm) -> int | None:
    """Call the service; None on success, else the status to show the form again with."""
    data = form.cleaned_data
    try:
        fulfilments = record_fulfilments(
            claim_ids=[claim.pk for claim in data["claims"]],
            by=request.user,
            fulfilled_on=data["fulfilled_on"],
            event=data["event"],
            note=data["note"],
            photos=form.photos,
        )
    except TransitionError as error:
        form.add_error(None, str(error))
        return CONFLICT
    count = len(fulfilments)
    messages.success(
        request,
        ngettext(
            "%(count)d wish is recorded as fulfilled; its sponsor will get an e-mail.",
            "%(count)d wishes are recorded as fulfilled; their sponsors will get an e-mail.",
            count,
        )
        % {"count": count},
    )
    return None


def _log_fulfilment(request: AuthenticatedRequest, fulfilment: Fulfilment) -> None:
    # The photos and letter pages head with the child's name, class and words.
    log_access(
        request,
        action=AccessAction.VIEW_FULFILMENT,
        subject=fulfilment,
        children=[fulfilment.claim.wish.child_id],
    )


@school_required
@require_http_methods(["GET", "POST"])
def photos(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Add photos to a fulfilment recorded earlier; they stay private until staff clear them."""
    fulfilment = get_fulfilment_for_coordinator(request, pk)
    posted = request.method == "POST"
    form = PhotoUploadForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        try:
            added = add_fulfilment_photos(
                fulfilment_id=fulfilment.pk, by=request.user, images=form.cleaned_data["images"]
            )
        except TransitionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                ngettext("%(count)d photo added.", "%(count)d photos added.", len(added))
                % {"count": len(added)},
            )
            return redirect("school:photos", pk=fulfilment.pk)
    _log_fulfilment(request, fulfilment)
    context = {
        "fulfilment": fulfilment,
        "form": form,
        "photos": list(fulfilment.photos.current()),
        "overview_url": _overview_url(fulfilment.claim.wish.child.school),
    }
    return render(request, "school/photos.html", context, status=BAD_REQUEST if posted else 200)


@school_required
@require_http_methods(["GET", "POST"])
def letter(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Upload a child's thank-you letter; it waits for staff approval before the sponsor."""
    fulfilment = get_fulfilment_for_coordinator(request, pk)
    posted = request.method == "POST"
    form = LetterForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        try:
            upload_letter(
                fulfilment_id=fulfilment.pk,
                by=request.user,
                scan=form.cleaned_data["scan"],
                transcription=form.cleaned_data["transcription"],
            )
        except TransitionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                gettext("Thank you! The letter will reach the sponsor once staff approve it."),
            )
            return redirect("school:letter", pk=fulfilment.pk)
    _log_fulfilment(request, fulfilment)
    context = {
        "fulfilment": fulfilment,
        "form": form,
        "letters": list(fulfilment.letters.select_related("uploaded_by")),
        "overview_url": _overview_url(fulfilment.claim.wish.child.school),
    }
    return render(request, "school/letter.html", context, status=BAD_REQUEST if posted else 200)


@school_required
@require_http_methods(["GET", "POST"])
def feedback(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The coordinator of the child's school rates a fulfilment (1–5) with a comment, once."""
    # Staff are let into the school pages, but the feedback is the coordinator's own.
    if coordinator_of(request.user) is None:
        raise PermissionDenied
    fulfilment = get_fulfilment_for_coordinator(request, pk)
    return feedback_page(
        request,
        fulfilment.claim,
        role=FeedbackRole.COORDINATOR,
        back=_overview_url(fulfilment.claim.wish.child.school),
    )
