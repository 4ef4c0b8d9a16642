"""A sponsor's events: signing up (how many come, and who), changing or withdrawing the
sign-up before the event, and the volunteer hours its members earned there."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from huamu.errors import TransitionError
from huamu.roles import AuthenticatedRequest
from sponsors.access import administrator_required, sponsor_required
from sponsors.forms import EventSignupForm
from sponsors.models import Sponsor
from wishes.models import AttendeeStatus, Event, EventSignup, SignupStatus
from wishes.reports.hours import HoursPeriodForm, hours_between, hours_download
from wishes.services import events_concerning, sign_up_for_event, withdraw_signup


def _event_of(sponsor: Sponsor, pk: int) -> Event:
    """An event that concerns the sponsor's claims; any other is a 404."""
    return get_object_or_404(events_concerning(sponsor).select_related("school"), pk=pk)


def _initial(signup: EventSignup | None) -> dict:
    if signup is None or signup.status != SignupStatus.ACTIVE:
        return {}
    attendees = list(signup.attendees.exclude(status=AttendeeStatus.REMOVED))
    members = [a.user_id for a in attendees if a.user_id]
    lines = [f"{a.name} {a.phone}".strip() for a in attendees if not a.user_id]
    return {
        "headcount": signup.headcount,
        "members": signup.sponsor.members.filter(user_id__in=members),
        "others": "\n".join(lines),
    }


@require_http_methods(["GET", "POST"])
@sponsor_required
def signup(request: AuthenticatedRequest, pk: int, sponsor: Sponsor) -> HttpResponse:
    """Sign up for an event, or change the sign-up: the number of people and their names."""
    event = _event_of(sponsor, pk)
    current = EventSignup.objects.filter(event=event, sponsor=sponsor).first()
    data = request.POST if request.method == "POST" else None
    form = EventSignupForm(data, sponsor=sponsor, initial=_initial(current))
    if data is not None and form.is_valid():
        try:
            sign_up_for_event(
                event_id=event.pk,
                sponsor=sponsor,
                by=request.user,
                headcount=form.cleaned_data["headcount"],
                members=list(form.cleaned_data["members"]),
                names=form.cleaned_data["others"],
            )
        except TransitionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("You are signed up for %(event)s.") % {"event": event})
            return redirect("sponsors:dashboard")
    context = {
        "event": event,
        "form": form,
        "signup": current if current and current.status == SignupStatus.ACTIVE else None,
        "is_open": event.date >= timezone.localdate(),
    }
    return render(
        request, "sponsors/event_signup.html", context, status=400 if form.errors else 200
    )


@require_POST
@sponsor_required
def withdraw(request: AuthenticatedRequest, pk: int, sponsor: Sponsor) -> HttpResponse:
    """Withdraw the sponsor's sign-up for an event."""
    event = _event_of(sponsor, pk)
    current = get_object_or_404(EventSignup, event=event, sponsor=sponsor)
    try:
        withdraw_signup(signup_id=current.pk, by=request.user)
    except TransitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Your sign-up for %(event)s is withdrawn.") % {"event": event})
    return redirect("sponsors:dashboard")


@require_safe
@administrator_required
def hours(request: AuthenticatedRequest, sponsor: Sponsor) -> HttpResponse:
    """The unit administrator's export of the members' volunteer hours (CSV or .xlsx)."""
    form = HoursPeriodForm(request.GET)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors.values()))
        return redirect("sponsors:dashboard")
    rows = hours_between(
        form.cleaned_data["start"], form.cleaned_data["end"], sponsor_id=sponsor.pk
    )
    # Colleagues' own numbers stay masked; staff export them for the city's system.
    return hours_download(rows, form, full_phones=False)
