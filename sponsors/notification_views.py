"""The "my notifications" page: how a sponsor's member wants to hear from us."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from huamu.errors import TransitionError
from huamu.phones import is_mobile
from huamu.roles import AuthenticatedRequest
from sponsors.access import sponsor_required
from sponsors.forms import NotificationPreferenceForm
from sponsors.models import NotificationChannel, NotificationPreference, Sponsor
from sponsors.services import set_notification_preference


def _initial(request: AuthenticatedRequest, sponsor: Sponsor) -> dict[str, str]:
    """What the form shows: the stored choice, else e-mail in the sponsor's language (and
    the sponsor's mobile for its contact person, whose address the sponsor's is)."""
    stored = NotificationPreference.objects.filter(user=request.user).first()
    if stored is not None:
        return {"channel": stored.channel, "language": stored.language, "mobile": stored.mobile}
    is_contact = bool(sponsor.email) and request.user.email.casefold() == sponsor.email.casefold()
    return {
        "channel": NotificationChannel.EMAIL,
        "language": sponsor.language,
        "mobile": sponsor.phone if is_contact and is_mobile(sponsor.phone) else "",
    }


@require_http_methods(["GET", "POST"])
@sponsor_required
def notifications(request: AuthenticatedRequest, sponsor: Sponsor) -> HttpResponse:
    """Choose e-mail, text messages or both, and the language of the messages."""
    initial = _initial(request, sponsor)
    form = NotificationPreferenceForm(
        request.POST if request.method == "POST" else None, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            set_notification_preference(user=request.user, by=request.user, **form.cleaned_data)
        except TransitionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Your notification settings are saved."))
            return redirect("sponsors:notifications")
    return render(request, "sponsors/notifications.html", {"form": form, "sponsor": sponsor})
