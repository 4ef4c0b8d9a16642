"""Claiming wishes online: one at a time or, for caring units, several at once."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_http_methods

from huamu.errors import TransitionError
from huamu.forms import parse_ids
from huamu.roles import AuthenticatedRequest
from sponsors.models import Sponsor
from wishes.claiming.access import (
    ClaimRefused,
    get_sponsor_for_claiming,
    get_unit_for_batch_claiming,
)
from wishes.claiming.forms import BatchClaimForm, ClaimForm
from wishes.claiming.selectors import (
    BATCH_LIST_SIZE,
    active_claim_count,
    batch_candidates,
    no_longer_open,
)
from wishes.public.filters import WishFilter
from wishes.public.selectors import PublicWish, open_wishes, public_wish, similar_open_wishes
from wishes.services import active_claim_limit, claim_wish, claim_wishes

# 409: the request was fine, but the wish (or the sponsor's quota) changed under it.
CONFLICT = 409


def _forbidden(request: HttpRequest, refusal: ClaimRefused) -> HttpResponse:
    """A 403 page saying why this user may not claim and what to do about it."""
    return render(request, "wishes/claim_forbidden.html", {"refusal": refusal}, status=403)


def _not_claimed(
    request: HttpRequest, wish: PublicWish, message: str, *, status: int
) -> HttpResponse:
    """Say why the wish was not claimed and offer similar wishes that are still open."""
    context = {"wish": wish, "message": message, "similar": similar_open_wishes(wish.id)}
    return render(request, "wishes/claim_lost.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def claim(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Confirm the claim of one open wish with a promised date, then claim it."""
    try:
        sponsor = get_sponsor_for_claiming(request)
    except ClaimRefused as refusal:
        return _forbidden(request, refusal)
    wish = public_wish(pk)
    if wish is None:
        raise Http404
    if request.method == "GET" and not wish.is_open:
        message = gettext("Wish %(code)s has already been claimed.") % {"code": wish.code}
        return _not_claimed(request, wish, message, status=200)
    # A posted claim always reaches the service: it alone decides who wins.
    form = ClaimForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        promised_on = form.cleaned_data["promised_on"]
        try:
            made = claim_wish(
                wish_id=pk, sponsor=sponsor, by=request.user, promised_on=promised_on
            )
        except TransitionError as error:
            return _not_claimed(request, wish, str(error), status=CONFLICT)
        messages.success(
            request,
            gettext("Thank you! You have claimed wish %(code)s; please deliver it by %(date)s.")
            % {"code": wish.code, "date": date_format(promised_on)},
        )
        # The claim's own page says what happens next.
        return redirect("sponsors:claim", made.pk)
    context = {"wish": wish, "form": form, "sponsor": sponsor}
    return render(request, "wishes/claim_confirm.html", context)


def _posted_ids(request: AuthenticatedRequest) -> list[int]:
    """The wish ids ticked in the posted form, ignoring anything that is not a number."""
    return parse_ids(request.POST.getlist("wishes"))


def _thanks_for(count: int) -> str:
    return ngettext(
        "Thank you! You have claimed %(count)d wish.",
        "Thank you! You have claimed %(count)d wishes.",
        count,
    ) % {"count": count}


@login_required
@require_http_methods(["GET", "POST"])
def batch_claim(request: AuthenticatedRequest) -> HttpResponse:
    """Let a caring unit tick several open wishes and claim them all, or none."""
    try:
        sponsor = get_unit_for_batch_claiming(request)
    except ClaimRefused as refusal:
        return _forbidden(request, refusal)
    filters = WishFilter(request.GET or None, queryset=open_wishes())
    form = BatchClaimForm(request.POST if request.method == "POST" else None)
    error, taken = "", []
    if form.is_valid():
        wish_ids = [wish.pk for wish in form.cleaned_data["wishes"]]
        promised_on = form.cleaned_data["promised_on"]
        try:
            claims = claim_wishes(
                wish_ids=wish_ids, sponsor=sponsor, by=request.user, promised_on=promised_on
            )
        except TransitionError as refusal:
            error, taken = str(refusal), no_longer_open(wish_ids)
        else:
            messages.success(request, _thanks_for(len(claims)))
            return redirect("sponsors:dashboard")
    return _batch_page(request, sponsor, filters, form, error=error, taken=taken)


def _batch_page(
    request: AuthenticatedRequest,
    sponsor: Sponsor,
    filters: WishFilter,
    form: BatchClaimForm,
    *,
    error: str,
    taken: list[PublicWish],
) -> HttpResponse:
    """The list of open wishes with the sponsor's earlier choice still ticked."""
    chosen = set(_posted_ids(request)) - {wish.id for wish in taken}
    wishes = batch_candidates(filters.qs, keep=chosen)
    context = {
        "sponsor": sponsor,
        # Only the form: the FilterSet itself holds Wish querysets.
        "filter_form": filters.form,
        "form": form,
        "wishes": wishes,
        "list_size": BATCH_LIST_SIZE,
        "chosen": chosen,
        "error": error,
        "taken": taken,
        "held": active_claim_count(sponsor),
        "limit": active_claim_limit(sponsor),
    }
    return render(request, "wishes/batch_claim.html", context, status=CONFLICT if error else 200)
