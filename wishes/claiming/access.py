"""Who may do what with wishes: each function returns the object or refuses."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _

from huamu.roles import sponsor_of
from sponsors.models import Sponsor, VerificationStatus


class ClaimRefused(PermissionDenied):
    """A logged-in user may not claim; `reason` picks what the 403 page offers next."""

    NO_SPONSOR = "no_sponsor"
    PENDING = "pending"
    REJECTED = "rejected"
    NOT_A_UNIT = "not_a_unit"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _sponsor_of(request: HttpRequest) -> Sponsor:
    sponsor = sponsor_of(request.user)
    if sponsor is None:
        raise ClaimRefused(
            ClaimRefused.NO_SPONSOR,
            _(
                "Only registered sponsors can claim wishes. "
                "Sign up as a caring unit or a caring individual first."
            ),
        )
    return sponsor


def get_sponsor_for_claiming(request: HttpRequest) -> Sponsor:
    """Return the verified sponsor the logged-in user acts for; raise ClaimRefused otherwise."""
    sponsor = _sponsor_of(request)
    if sponsor.status == VerificationStatus.PENDING:
        raise ClaimRefused(
            ClaimRefused.PENDING,
            _(
                "Your registration as %(name)s is awaiting verification by the association. "
                "You can claim wishes once it has been verified."
            )
            % {"name": sponsor.name},
        )
    if sponsor.status != VerificationStatus.VERIFIED:
        raise ClaimRefused(
            ClaimRefused.REJECTED,
            _(
                "Your registration as %(name)s was not accepted, so you cannot claim wishes. "
                "Please contact the association."
            )
            % {"name": sponsor.name},
        )
    return sponsor


def get_unit_for_batch_claiming(request: HttpRequest) -> Sponsor:
    """Return the verified caring unit of the logged-in user; individuals are refused."""
    sponsor = get_sponsor_for_claiming(request)
    if not sponsor.is_unit:
        raise ClaimRefused(
            ClaimRefused.NOT_A_UNIT,
            _(
                "Claiming several wishes at once is for caring units. "
                "As a caring individual, please claim wishes one at a time."
            ),
        )
    return sponsor
