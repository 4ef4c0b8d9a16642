"""Row locks every service takes, always in one order: sponsor, then wishes by id, then claims.

Taking the same locks in opposite orders in two services deadlocks on PostgreSQL (staff
withdraw a wish while its claim is being cancelled), so every service locks through these.
"""

from django.utils.translation import gettext as _

from huamu.errors import TransitionError
from wishes.models import Claim, Wish


def lock_wish(wish_id: int) -> Wish:
    """The wish, locked for the rest of the transaction."""
    try:
        return Wish.objects.select_for_update().get(pk=wish_id)
    except Wish.DoesNotExist:
        raise TransitionError(_("This wish does not exist.")) from None


def lock_claim(claim_id: int) -> Claim:
    """The claim, locked for the rest of the transaction."""
    try:
        return Claim.objects.select_for_update().get(pk=claim_id)
    except Claim.DoesNotExist:
        raise TransitionError(_("This claim does not exist.")) from None


def lock_wish_and_claim(claim_id: int) -> tuple[Wish, Claim]:
    """Lock a claim's wish, then the claim: the order withdraw_wish uses too."""
    wish_id = Claim.objects.filter(pk=claim_id).values_list("wish_id", flat=True).first()
    if wish_id is None:
        raise TransitionError(_("This claim does not exist."))
    wish = lock_wish(wish_id)
    return wish, lock_claim(claim_id)
