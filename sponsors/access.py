"""Who may see what on the sponsor pages: a sponsor sees its own claims and nobody else's."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from huamu.roles import sponsor_member_of
from sponsors.models import JoinRequest, Sponsor, SponsorMember, TeamInvite
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


def team_required(view: SponsorView) -> SponsorView:
    """Members of a caring unit only (an individual has no team: a 404); the view gets
    `sponsor=` and the user's own `member=`."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        member = get_sponsor_member(request)
        if member is None:
            return render(request, "sponsors/not_a_sponsor.html", status=403)
        if not member.sponsor.is_unit:
            raise Http404
        return view(request, *args, sponsor=member.sponsor, member=member, **kwargs)

    return wrapper


def administrator_required(view: SponsorView) -> SponsorView:
    """A sponsor's administrators only: another member gets a 403; `sponsor=` as above."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        member = get_sponsor_member(request)
        if member is None:
            return render(request, "sponsors/not_a_sponsor.html", status=403)
        if not member.is_administrator:
            raise PermissionDenied
        return view(request, *args, sponsor=member.sponsor, **kwargs)

    return wrapper


def get_invite_for_sponsor(sponsor: Sponsor, pk: int) -> TeamInvite:
    """One of the unit's invitations; another unit's is a 404."""
    return get_object_or_404(TeamInvite, pk=pk, sponsor=sponsor)


def get_join_request_for_sponsor(sponsor: Sponsor, pk: int) -> JoinRequest:
    """A request to join this unit; one to another unit is a 404."""
    return get_object_or_404(JoinRequest.objects.select_related("user"), pk=pk, sponsor=sponsor)


def get_member_of_sponsor(sponsor: Sponsor, pk: int) -> SponsorMember:
    """A current member of this unit's team; anyone else is a 404."""
    return get_object_or_404(
        SponsorMember.objects.current().select_related("user"), pk=pk, sponsor=sponsor
    )
