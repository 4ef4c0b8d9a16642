"""Gift hand-over: a gift reaches a drop-off point (礼物已送达), or never comes and its
claim is released."""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huamu.errors import TransitionError
from huamu.images import CleanImage
from huamu.roles import Visitor, coordinates, is_office_staff
from huamu.storage import files_removed_on_error, store_file
from wishes.audit import set_status
from wishes.claiming.handover import missing_gifts
from wishes.models import Claim, ClaimStatus, GiftReceipt, Wish
from wishes.privacy.guard import check_text
from wishes.services import locks
from wishes.services.claims import cancel_claim
from wishes.services.notices import notify_claim_sponsor

NOTE_TEXT = gettext_lazy("The note on the gift")


def may_receive_gift(user: Visitor, wish: Wish) -> bool:
    """Staff and the coordinator of the wish's child's school record that a gift arrived."""
    return is_office_staff(user, perm="wishes.change_claim") or coordinates(
        user, school_id=wish.child.school_id
    )


def receive_gift(
    *, claim_id: int, by: User, note: str = "", photo: CleanImage | None = None
) -> GiftReceipt:
    """Record that an active claim's gift arrived, with an optional note and parcel photo;
    the claim becomes "gift received" and the sponsor is told."""
    note = note.strip()
    with files_removed_on_error() as saved, transaction.atomic():
        wish, claim = locks.lock_wish_and_claim(claim_id)
        if not may_receive_gift(by, wish):
            raise TransitionError(
                _(
                    "Only the association's staff or the coordinator of the child's school "
                    "can record that a gift arrived."
                )
            )
        if claim.status == ClaimStatus.GIFT_RECEIVED:
            raise TransitionError(
                _("The gift for wish %(code)s is already recorded as received.")
                % {"code": wish.code}
            )
        if claim.status != ClaimStatus.ACTIVE:
            raise TransitionError(
                _("Only the gift of an active claim can be received; this claim is %(status)s.")
                % {"status": claim.get_status_display()}
            )
        # The sponsor reads the note in the mail and in the claim's history.
        check_text(note, child=wish.child, what=NOTE_TEXT, contacts=False)
        receipt = GiftReceipt(claim=claim, received_by=by, note=note)
        if photo is not None:
            store_file(receipt.photo, f"parcel.{photo.extension}", photo.content, saved)
        receipt.save()
        set_status(claim, ClaimStatus.GIFT_RECEIVED, by=by, note=note)
        notify_claim_sponsor(claim, wish=wish, message="gift_received", receipt=receipt)
        return receipt


def release_missing_gift(*, claim_id: int, by: User) -> Claim:
    """Cancel an active claim whose gift did not arrive by the deadline; the wish is open
    again and the sponsor is told."""
    with transaction.atomic():
        wish, claim = locks.lock_wish_and_claim(claim_id)
        missing = missing_gifts().filter(pk=claim.pk).first()
        if missing is None:
            raise TransitionError(
                _("The gift for wish %(code)s is not missing after its drop-off deadline.")
                % {"code": wish.code}
            )
        reason = _(
            "Released by staff: the gift did not arrive by the drop-off deadline %(date)s."
        ) % {"date": missing.gift_deadline.isoformat()}
        claim = cancel_claim(claim_id=claim.pk, by=by, reason=reason)
        notify_claim_sponsor(
            claim, wish=wish, message="claim_released_sponsor", reason=reason, gift_missing=True
        )
        return claim
