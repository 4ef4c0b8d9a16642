"""A wish's own transitions: publishing it to the pool and withdrawing it from the programme."""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huamu.errors import TransitionError
from wishes.audit import set_status
from wishes.models import LIVE_CLAIM_STATUSES, Claim, ClaimStatus, Consent, Wish, WishStatus
from wishes.privacy.guard import PUBLIC_TEXT, check_text
from wishes.services import locks
from wishes.services.notices import notify_claim_sponsor


def may_be_public(wish: Wish) -> bool:
    """Whether the guardian's consent to publish is in force and the record is kept."""
    return (
        wish.child.withdrawn_at is None
        and Consent.objects.in_force()
        .filter(child_id=wish.child_id, keep_record=True, publish_wish=True)
        .exists()
    )


@transaction.atomic
def publish_wish(*, wish_id: int, by: User) -> Wish:
    """Put a draft wish in the public pool; needs the guardian's consent to publish."""
    wish = locks.lock_wish(wish_id)
    if wish.status != WishStatus.DRAFT:
        raise TransitionError(
            _("Only a draft can be published; this wish is %(status)s.")
            % {"status": wish.get_status_display()}
        )
    if wish.child.withdrawn_at is not None:
        raise TransitionError(_("The child's record has been withdrawn."))
    if not may_be_public(wish):
        raise TransitionError(
            _("The guardian has not consented to publishing this wish; record the consent first.")
        )
    if not wish.public_text.strip():
        raise TransitionError(_("Write and check the public text before publishing."))
    check_text(wish.public_text, child=wish.child, what=PUBLIC_TEXT)
    wish.published_at = timezone.now()
    set_status(wish, WishStatus.OPEN, by=by, fields=["published_at"])
    return wish


@transaction.atomic
def withdraw_wish(*, wish_id: int, by: User | None, reason: str) -> Wish:
    """Take a wish out of the programme; an active claim is cancelled and its sponsor told."""
    reason = reason.strip()
    if not reason:
        raise TransitionError(_("Please give a reason for withdrawing the wish."))
    wish = locks.lock_wish(wish_id)
    if wish.status in (WishStatus.FULFILLED, WishStatus.WITHDRAWN):
        raise TransitionError(
            _("A wish that is %(status)s cannot be withdrawn.")
            % {"status": wish.get_status_display()}
        )
    # A gift already at the drop-off point does not keep a withdrawn wish claimed either.
    claim = (
        Claim.objects.select_for_update().filter(wish=wish, status__in=LIVE_CLAIM_STATUSES).first()
    )
    if claim is not None:
        claim.cancel_reason = reason
        set_status(claim, ClaimStatus.CANCELLED, by=by, note=reason, fields=["cancel_reason"])
        notify_claim_sponsor(claim, wish=wish, message="claim_cancelled_sponsor", reason=reason)
    set_status(wish, WishStatus.WITHDRAWN, by=by, note=reason)
    return wish
