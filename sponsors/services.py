"""State changes of sponsors: verification and rejection."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huamu.errors import TransitionError
from huamu.mail import notify_staff, send_after_commit
from sponsors.models import Sponsor, VerificationStatus
from wishes.audit import record_change
from wishes.models import Claim, ClaimStatus, Wish, WishStatus


def sponsor_addresses(sponsor: Sponsor) -> list[str]:
    """Every address that should hear about a sponsor: its own and its members'."""
    member_mail = [m.user.email for m in sponsor.members.select_related("user")]
    return sorted({sponsor.email, *member_mail} - {""})


def _lock_sponsor(sponsor_id: int) -> Sponsor:
    try:
        return Sponsor.objects.select_for_update().get(pk=sponsor_id)
    except Sponsor.DoesNotExist:
        raise TransitionError(_("This sponsor does not exist.")) from None


@transaction.atomic
def verify_sponsor(*, sponsor_id: int, by: AbstractBaseUser) -> Sponsor:
    """Let a pending (or earlier rejected) sponsor claim wishes, and tell them."""
    sponsor = _lock_sponsor(sponsor_id)
    if sponsor.status == VerificationStatus.VERIFIED:
        raise TransitionError(_("%(name)s is already verified.") % {"name": sponsor.name})
    previous = sponsor.status
    sponsor.status = VerificationStatus.VERIFIED
    sponsor.decided_by = by
    sponsor.decided_at = timezone.now()
    sponsor.rejection_reason = ""
    sponsor.save(
        update_fields=["status", "decided_by", "decided_at", "rejection_reason", "updated_at"]
    )
    record_change(subject=sponsor, from_status=previous, to_status=sponsor.status, by=by)
    send_after_commit(
        to=sponsor_addresses(sponsor),
        template="sponsor_verified",
        context={"sponsor": sponsor},
        language=sponsor.language,
    )
    return sponsor


def _release_claims(sponsor: Sponsor, *, by: AbstractBaseUser, note: str) -> list[Claim]:
    """Cancel every active claim of a locked sponsor; its wishes wait to be claimed again."""
    # wishes.services imports this module (sponsor_addresses): import it when called.
    from wishes.services import _set_claim_status, _set_wish_status

    held = Claim.objects.filter(sponsor=sponsor, status=ClaimStatus.ACTIVE)
    wish_ids = sorted(held.values_list("wish_id", flat=True))
    if not wish_ids:
        return []
    # The sponsor is locked first (claim_wish's order: nobody can add a claim meanwhile),
    # then its wishes in id order, then their claims: every service locks a wish before its
    # claim, so neither a single cancellation nor a fulfilment can deadlock with this.
    wishes = {
        wish.pk: wish
        for wish in Wish.objects.select_for_update().filter(pk__in=wish_ids).order_by("pk")
    }
    # Re-read under the locks: a claim cancelled or fulfilled meanwhile is no longer active.
    claims = list(held.select_for_update().filter(wish_id__in=wish_ids).order_by("wish_id", "pk"))
    for claim in claims:
        claim.wish = wishes[claim.wish_id]
        claim.sponsor = sponsor
        claim.cancel_reason = note
        try:
            _set_claim_status(
                claim, ClaimStatus.CANCELLED, by=by, note=note, fields=["cancel_reason"]
            )
            _set_wish_status(claim.wish, WishStatus.OPEN, by=by, note=note)
        except (TransitionError, IntegrityError) as error:
            # Leaving the transaction with an error undoes the rejection and every claim.
            raise TransitionError(
                _(
                    "Nothing was changed: the claim on wish %(code)s could not be "
                    "cancelled (%(error)s)."
                )
                % {"code": claim.wish.code, "error": error}
            ) from error
    return claims


def _given_back(claims: list[Claim]) -> list[dict[str, str]]:
    """The code and public alias of each released wish: all the sponsor's mail may say."""
    if not claims:
        return []
    aliases = dict(
        Wish.objects.filter(pk__in=[c.wish_id for c in claims]).values_list("pk", "child__alias")
    )
    return [{"code": c.wish.code, "alias": aliases[c.wish_id]} for c in claims]


@transaction.atomic
def reject_sponsor(
    *, sponsor_id: int, by: AbstractBaseUser, reason: str, release_claims: bool = False
) -> Sponsor:
    """Refuse a pending sponsor (or withdraw a verification) with a reason, and tell them.

    With `release_claims`, every active claim of the sponsor is cancelled in the same
    transaction and its wish is open again; the cancelled claims are left in
    `sponsor.released_claims` (empty otherwise). Either all of it happens, or nothing.
    """
    reason = reason.strip()
    if not reason:
        raise TransitionError(_("Please give a reason for the rejection."))
    sponsor = _lock_sponsor(sponsor_id)
    if sponsor.status == VerificationStatus.REJECTED:
        raise TransitionError(_("%(name)s is already rejected.") % {"name": sponsor.name})
    previous = sponsor.status
    sponsor.status = VerificationStatus.REJECTED
    sponsor.decided_by = by
    sponsor.decided_at = timezone.now()
    sponsor.rejection_reason = reason
    sponsor.save(
        update_fields=["status", "decided_by", "decided_at", "rejection_reason", "updated_at"]
    )
    record_change(
        subject=sponsor, from_status=previous, to_status=sponsor.status, by=by, note=reason
    )
    released: list[Claim] = []
    if release_claims:
        note = _("Sponsor's verification withdrawn: %(reason)s") % {"reason": reason}
        released = _release_claims(sponsor, by=by, note=note)
    sponsor.released_claims = released
    send_after_commit(
        to=sponsor_addresses(sponsor),
        template="sponsor_rejected",
        context={
            "sponsor": sponsor,
            "reason": reason,
            "released": _given_back(released),
            "was_verified": previous == VerificationStatus.VERIFIED,
        },
        language=sponsor.language,
    )
    if released:
        # One message for the whole batch, not one claim_cancelled mail per claim.
        notify_staff(
            template="sponsor_rejected_staff",
            context={"sponsor": sponsor, "claims": released, "reason": reason},
        )
    return sponsor
