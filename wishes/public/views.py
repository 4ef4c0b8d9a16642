"""Public wish pages: the waiting-wishes list and one wish.

Templates get PublicWish objects from wishes.public.selectors only, never a Wish or Child.
"""

import hashlib
from math import ceil

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from huamu.cache import cache_public_page
from huamu.errors import TransitionError
from huamu.roles import AuthenticatedRequest, Visitor, sees_private_data, sponsor_of
from wishes.models import LIVE_CLAIM_STATUSES, Campaign, Claim
from wishes.public.filters import WishFilter
from wishes.public.forms import GiftReceivedForm
from wishes.public.poster import campaign_poster_pdf, campaign_poster_png
from wishes.public.selectors import (
    PublicWishList,
    open_public_wishes,
    public_wish,
    similar_open_wishes,
)
from wishes.public.share import site_share_card, wish_share_card
from wishes.services import may_receive_gift, receive_gift

WISHES_PER_PAGE = 24
# Pages beyond this are not served: OFFSET grows with the page number, and nobody browses
# 2,400 wishes page by page; the filters and the search narrow the list instead.
MAX_PAGES = 100
SHARE_CARD_MAX_AGE = 60 * 60

# Query-string keys that narrow nothing: the list is not "filtered" by them.
_NOT_FILTERS = {"page", "order"}


# Outermost: a PUT, PATCH or DELETE gets its 405 before the public cache is looked at.
@require_safe
@cache_public_page
def wish_list(request: HttpRequest) -> HttpResponse:
    """Wishes waiting to be claimed, filtered and paged, longest-waiting first."""
    wish_filter = WishFilter(request.GET or None)
    paginator = CappedPaginator(open_public_wishes(wish_filter.qs), WISHES_PER_PAGE)
    number = _page_number(request.GET.get("page"))
    too_deep = number > MAX_PAGES
    # No rows are read for a page past the cap: the page says to narrow the list.
    page = Page([], number, paginator) if too_deep else paginator.get_page(number)
    used = {key for key, value in request.GET.items() if value and key != "page"}
    # Only the form goes to the template: the FilterSet itself holds Wish querysets.
    context = {
        "page_obj": page,
        "too_deep": too_deep,
        "max_pages": MAX_PAGES,
        "filter_form": wish_filter.form,
        "filtering": bool(used - _NOT_FILTERS),
        # The search box stands outside the panel: only the other filters open it.
        "show_filters": bool(used - {"q"}),
    }
    return render(request, "wishes/wish_list.html", context)


class CappedPaginator(Paginator):
    """A paginator that offers MAX_PAGES pages at most, however many wishes there are.

    It counts no further than one wish past the last page offered, so a list of 80,000
    wishes costs the count of 2,401; the page then says "more than 2,400".
    """

    object_list: PublicWishList

    @cached_property
    def count(self) -> int:
        return self.object_list.count(up_to=self.offered + 1)

    @property
    def offered(self) -> int:
        """The most wishes the pages show."""
        return MAX_PAGES * self.per_page

    @cached_property
    def num_pages(self) -> int:
        if self.count == 0 and not self.allow_empty_first_page:
            return 0
        hits = max(1, self.count - self.orphans)
        return min(ceil(hits / self.per_page), MAX_PAGES)

    @property
    def is_capped(self) -> bool:
        """Whether more wishes match than the pages offered show."""
        return self.count > self.offered


def _page_number(value: str | None) -> int:
    # Anything but a positive whole number is the first page, as Paginator.get_page does.
    try:
        number = int(value or 1)
    except ValueError:
        return 1
    return max(number, 1)


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
        "gift_claim": _gift_claim(request.user, pk) if wish.is_claimed else None,
        "gift_form": GiftReceivedForm(),
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


def _campaign_of(year: int) -> Campaign:
    campaign = Campaign.objects.filter(year=year).first()
    if campaign is None:
        raise Http404
    return campaign


def _poster_target(request: HttpRequest, campaign: Campaign) -> str:
    # The campaign's waiting wishes; the filter offers only campaigns with some waiting.
    return request.build_absolute_uri(reverse("wishes:list") + f"?campaign={campaign.pk}")


@require_safe
def campaign_poster_image(request: HttpRequest, year: int) -> HttpResponse:
    """The campaign's poster as a picture, to share in a WeChat group."""
    campaign = _campaign_of(year)
    return _png(request, campaign_poster_png(campaign, _poster_target(request, campaign)))


@require_safe
def campaign_poster_document(request: HttpRequest, year: int) -> HttpResponse:
    """The campaign's poster on an A4 page, to print for the notice board."""
    campaign = _campaign_of(year)
    response = HttpResponse(
        campaign_poster_pdf(campaign, _poster_target(request, campaign)),
        content_type="application/pdf",
    )
    response["Content-Disposition"] = f'inline; filename="huamu-poster-{campaign.year}.pdf"'
    response["Cache-Control"] = f"public, max-age={SHARE_CARD_MAX_AGE}"
    return response


@require_safe
def site_share_image(request: HttpRequest) -> HttpResponse:
    """The programme's picture beside a shared link to any other public page."""
    return _png(request, site_share_card(request.build_absolute_uri(reverse("home"))))


def _gift_claim(user: Visitor, wish_id: int) -> Claim | None:
    """The wish's live claim when the user may record its gift (staff, the school's
    coordinator), else None; the public and sponsors cost no query here."""
    if not sees_private_data(user):
        return None
    claim = (
        Claim.objects.filter(wish_id=wish_id, status__in=LIVE_CLAIM_STATUSES)
        .select_related("wish__child", "gift_receipt")
        .first()
    )
    if claim is None or not may_receive_gift(user, claim.wish):
        return None
    return claim


@login_required
@require_POST
def gift_received(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Record in one tap that the gift of a claimed wish arrived (the wish card's QR)."""
    claim = Claim.objects.filter(wish_id=pk, status__in=LIVE_CLAIM_STATUSES).first()
    if claim is None:
        raise Http404
    if not may_receive_gift(request.user, claim.wish):
        raise PermissionDenied
    form = GiftReceivedForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(str(error) for error in errors))
        return redirect("wishes:detail", pk)
    try:
        receive_gift(claim_id=claim.pk, by=request.user, **form.cleaned_data)
    except TransitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Gift received for wish %(code)s; the sponsor is told.") % {"code": claim.wish.code},
        )
    return redirect("wishes:detail", pk)
