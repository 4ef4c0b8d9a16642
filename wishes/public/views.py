"""Public wish pages: the waiting-wishes list and one wish.

Templates get PublicWish objects from wishes.public.selectors only, never a Wish or Child.
"""

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from huamu.cache import cache_public_page
from huamu.roles import Visitor, sponsor_of
from wishes.public.filters import WishFilter
from wishes.public.selectors import open_public_wishes, public_wish, similar_open_wishes

WISHES_PER_PAGE = 24

# Query-string keys that narrow nothing: the list is not "filtered" by them.
_NOT_FILTERS = {"page", "order"}


# Outermost: a PUT, PATCH or DELETE gets its 405 before the public cache is looked at.
@require_safe
@cache_public_page
def wish_list(request: HttpRequest) -> HttpResponse:
    """Wishes waiting to be claimed, filtered and paged, longest-waiting first."""
    wish_filter = WishFilter(request.GET or None)
    paginator = Paginator(open_public_wishes(wish_filter.qs), WISHES_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    used = {key for key, value in request.GET.items() if value and key != "page"}
    # Only the form goes to the template: the FilterSet itself holds Wish querysets.
    context = {
        "page_obj": page,
        "filter_form": wish_filter.form,
        "filtering": bool(used - _NOT_FILTERS),
        "show_filters": bool(used),
    }
    return render(request, "wishes/wish_list.html", context)


def _is_verified_unit(user: Visitor) -> bool:
    sponsor = sponsor_of(user)
    return sponsor is not None and sponsor.is_unit and sponsor.is_verified


@require_safe
@cache_public_page
def wish_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One published wish, its status, and how to claim it while it is open."""
    wish = public_wish(pk)
    if wish is None:
        raise Http404
    context = {
        "wish": wish,
        "similar": similar_open_wishes(pk),
        "is_verified_unit": wish.is_open and _is_verified_unit(request.user),
    }
    return render(request, "wishes/wish_detail.html", context)
