"""Who may see what on the sponsor pages: a sponsor sees its own claims and nobody else's."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from huamu.roles import sponsor_member_of
from sponsors.models import Sponsor, SponsorMember
from wishes.models import Claim

SponsorView = Callable[..., HttpResponse]


def get_sponsor_member(request: HttpRequest) -> SponsorMember | None:
    """The membership of the logged-in user, with its sponsor, or None."""
    return sponsor_member_of(request.user)


def sponsor_required(view: SponsorView) -> SponsorView:
    """Let only members of a sponsor in; the view gets the sponsor as `sponsor=`.

    Anonymous users go to the login page; logged-in users without a sponsor get a 403
    page that explains how to sign up.
    """

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        member = get_sponsor_member(request)
        if member is None:
            return render(request, "sponsors/not_a_sponsor.html", status=403)
        return view(request, *args, sponsor=member.sponsor, **kwargs)

    return wrapper


def get_claim_for_sponsor(sponsor: Sponsor, pk: int) -> Claim:
    """One of the sponsor's own claims; another sponsor's claim is a 404."""
    return get_object_or_404(
        Claim.objects.select_related("wish__campaign"), pk=pk, sponsor=sponsor
    )
