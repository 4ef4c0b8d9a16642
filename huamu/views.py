"""Site-wide pages."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from huamu.cache import cache_public_page
from wishes.public.selectors import current_campaign, impact_numbers, open_public_wishes

# How many of the longest-waiting wishes the front page shows.
HOME_WISHES = 3


@require_safe
@cache_public_page
def home(request: HttpRequest) -> HttpResponse:
    """What the programme is, its impact so far, the current campaign and wishes waiting."""
    context = {
        "impact": impact_numbers(),
        "campaign": current_campaign(),
        "waiting_wishes": open_public_wishes()[:HOME_WISHES],
    }
    return render(request, "home.html", context)
