"""Site-wide pages."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from huamu.cache import cache_public_page
from huamu.roles import coordinator_of, sponsor_member_of
from wishes.public.selectors import current_campaign, front_page_numbers, open_public_wishes

# How many of the longest-waiting wishes the front page shows.
HOME_WISHES = 3


@require_safe
@cache_public_page
def home(request: HttpRequest) -> HttpResponse:
    """What the programme is, its impact so far, the current campaign and wishes waiting."""
    campaign = current_campaign()
    impact, progress = front_page_numbers(campaign)
    context = {
        "impact": impact,
        "campaign": campaign,
        "progress": progress,
        "waiting_wishes": open_public_wishes()[:HOME_WISHES],
    }
    return render(request, "home.html", context)


@require_safe
@login_required
def landing(request: HttpRequest) -> HttpResponse:
    """Where a login without a `next` page lands: each role on the page of its work
    (a sponsor on "my claims", a coordinator on the school's page, staff in the back
    office), anyone else on the front page."""
    if sponsor_member_of(request.user) is not None:
        return redirect("sponsors:dashboard")
    if coordinator_of(request.user) is not None:
        return redirect("school:overview")
    if request.user.is_staff:
        return redirect("admin:index")
    return redirect("home")
