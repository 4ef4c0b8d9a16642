"""Public wish pages: the waiting-wishes list and one wish.

Templates get PublicWish objects from wishes.public.selectors only, never a Wish or Child.
"""

import hashlib

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from huamu.cache import cache_public_page
from huamu.roles import Visitor, sponsor_of
from wishes.public.filters import WishFilter
from wishes.public.selectors import open_public_wishes, public_wish, similar_open_wishes
from wishes.public.share import site_share_card, wish_share_card

WISHES_PER_PAGE = 24
SHARE_CARD_MAX_AGE = 60 * 60

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
        # The search box stands outside the panel: only the other filters open it.
        "show_filters": bool(used - {"q"}),
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


def _png(request: HttpRequest, picture: bytes) -> HttpResponse:
    """A share card, cached by browsers and by WeChat's fetcher for an hour; its ETag is
    its digest, so an unchanged card costs a 304."""
    etag = '"' + hashlib.sha256(picture).hexdigest()[:32] + '"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(picture, content_type="image/png")
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={SHARE_CARD_MAX_AGE}"
    return response


@require_safe
def wish_share_image(request: HttpRequest, pk: int) -> HttpResponse:
    """The picture beside a shared link to a published wish (og:image)."""
    wish = public_wish(pk)
    if wish is None:
        raise Http404
    url = request.build_absolute_uri(wish.get_absolute_url())
    return _png(request, wish_share_card(wish, url))


@require_safe
def site_share_image(request: HttpRequest) -> HttpResponse:
    """The programme's picture beside a shared link to any other public page."""
    return _png(request, site_share_card(request.build_absolute_uri(reverse("home"))))
