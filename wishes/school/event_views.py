"""An event's sign-ups for staff and the school's coordinator: the list, the printable
roster and sign-in sheet, and check-in at the door (one tap, or one POST without JavaScript,
per attendee; a tick can be undone)."""

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from huamu.errors import TransitionError
from huamu.roles import AuthenticatedRequest
from wishes.models import (
    AccessAction,
    Attendee,
    AttendeeStatus,
    Event,
    EventSignup,
    SignupStatus,
)
from wishes.privacy.access_log import log_access
from wishes.reports.pdf import PDF_CONTENT_TYPE, FontMissing
from wishes.reports.print_views import download
from wishes.reports.roster import roster_of, roster_pdf
from wishes.school.access import get_event_for_school_page, school_required
from wishes.services import check_in_attendee, undo_check_in


def _signups(event: Event) -> list[EventSignup]:
    """The event's active sign-ups with their attendees still on the list; two queries."""
    attendees = Attendee.objects.exclude(status=AttendeeStatus.REMOVED).order_by("name", "pk")
    return list(
        EventSignup.objects.filter(event=event, status=SignupStatus.ACTIVE)
        .select_related("sponsor")
        .prefetch_related(Prefetch("attendees", queryset=attendees, to_attr="listed"))
        .order_by("sponsor__name", "pk")
    )


@school_required
@require_safe
def signups(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Who signed up for the event: each sponsor, how many come, and their names."""
    event = get_event_for_school_page(request, pk)
    rows = _signups(event)
    context = {"event": event, "signups": rows, "headcount": sum(s.headcount for s in rows)}
    return render(request, "school/event_signups.html", context)


@school_required
@require_safe
def roster(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The event's roster and sign-in sheet as a PDF: wishes by alias, sponsors, attendees."""
    event = get_event_for_school_page(request, pk)
    content = roster_of(event)
    try:
        pdf = roster_pdf(content)
    except FontMissing as error:
        messages.error(request, str(error))
        return redirect("school:event_signups", pk=event.pk)
    log_access(
        request, action=AccessAction.PRINT_ROSTER, subject=event, children=content.child_ids
    )
    return download(pdf, PDF_CONTENT_TYPE, f"roster-{event.date:%Y%m%d}-{event.pk}.pdf")


@school_required
@require_safe
def check_in(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The door's page on a phone: every attendee with a big tick button."""
    event = get_event_for_school_page(request, pk)
    rows = _signups(event)
    attendees = [a for signup in rows for a in getattr(signup, "listed", [])]
    context = {
        "event": event,
        "signups": rows,
        "checked_in": sum(1 for a in attendees if a.is_checked_in),
        "listed": len(attendees),
    }
    return render(request, "school/event_check_in.html", context)


@school_required
@require_POST
def tick(request: AuthenticatedRequest, pk: int, attendee: int) -> HttpResponse:
    """Check one attendee in (`action=in`) or take the tick back (`action=undo`)."""
    event = get_event_for_school_page(request, pk)
    person = get_object_or_404(Attendee, pk=attendee, signup__event=event)
    undo = request.POST.get("action") == "undo"
    try:
        if undo:
            undo_check_in(attendee_id=person.pk, by=request.user)
        else:
            check_in_attendee(attendee_id=person.pk, by=request.user)
    except TransitionError as error:
        messages.error(request, str(error))
    else:
        done = _("The check-in of %(name)s is undone.") if undo else _("%(name)s is checked in.")
        messages.success(request, done % {"name": person.name})
    return redirect(f"{reverse('school:event_check_in', args=[event.pk])}#attendee-{person.pk}")
