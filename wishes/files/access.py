"""Who may see which private file: a photo, a thank-you letter, a signed consent form or the
photo of a gift's parcel.

Each function returns the object or raises Http404; a file someone may not see is a 404,
never a 403, so its existence is not revealed.
"""

from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from huamu.roles import Visitor, coordinates, is_office_staff, sponsor_of
from wishes.models import Consent, FulfilmentPhoto, GiftReceipt, LetterStatus, ThankYouLetter
from wishes.public import selectors
from wishes.services.consents import letter_sharing_consented

# What the checks need to know of a file's child: the school, and whether the record is kept.
_CHILD = "fulfilment__claim__wish__child"


def _is_staff(user: Visitor, model: type[Model]) -> bool:
    # Association staff for this kind of file (superusers have every permission).
    opts = model._meta
    return is_office_staff(user, perm=f"{opts.app_label}.view_{opts.model_name}")


def _get(queryset: QuerySet, pk: int):
    try:
        return queryset.get(pk=pk)
    except queryset.model.DoesNotExist:
        raise Http404 from None


def _photo(pk: int) -> FulfilmentPhoto:
    return _get(
        FulfilmentPhoto.objects.select_related(_CHILD).only(
            "id",
            "image",
            "thumbnail",
            "withdrawn_at",
            "fulfilment__id",
            "fulfilment__claim__id",
            "fulfilment__claim__sponsor_id",
            "fulfilment__claim__wish__id",
            f"{_CHILD}__id",
            f"{_CHILD}__school_id",
            f"{_CHILD}__withdrawn_at",
        ),
        pk,
    )


def get_photo_for_viewer(request: HttpRequest, pk: int) -> FulfilmentPhoto:
    """A photo the visitor may see, else 404.

    Staff always (even once withdrawn); the coordinator of the child's school while the
    photo and the child's record are current; the claim's sponsor while the guardian agrees
    to share photos with it; anyone while the photo is public.
    """
    photo = _photo(pk)
    user = request.user
    if user.is_authenticated:
        if _is_staff(user, FulfilmentPhoto):
            return photo
        child = photo.fulfilment.claim.wish.child
        if (
            photo.withdrawn_at is None
            and child.withdrawn_at is None
            and coordinates(user, school_id=child.school_id)
        ):
            return photo
        sponsor = sponsor_of(user)
        if sponsor is not None and selectors.photos_shared_with(sponsor).filter(pk=pk).exists():
            return photo
    if selectors.public_photos().filter(pk=pk).exists():
        return photo
    raise Http404


def _letter(pk: int) -> ThankYouLetter:
    return _get(
        ThankYouLetter.objects.select_related(_CHILD).only(
            "id",
            "scan",
            "preview",
            "masks",
            "status",
            "fulfilment__id",
            "fulfilment__claim__id",
            "fulfilment__claim__sponsor_id",
            "fulfilment__claim__wish__id",
            "fulfilment__claim__wish__code",
            f"{_CHILD}__id",
            f"{_CHILD}__school_id",
            f"{_CHILD}__withdrawn_at",
        ),
        pk,
    )


def _staff_or_coordinator(user: Visitor, letter: ThankYouLetter) -> bool:
    if not user.is_authenticated:
        return False
    if _is_staff(user, ThankYouLetter):
        return True
    child = letter.fulfilment.claim.wish.child
    return child.withdrawn_at is None and coordinates(user, school_id=child.school_id)


def get_letter_scan_for_viewer(request: HttpRequest, pk: int) -> ThankYouLetter:
    """A letter whose original scan the visitor may see: staff and the child's school."""
    letter = _letter(pk)
    if _staff_or_coordinator(request.user, letter):
        return letter
    raise Http404


def get_letter_draft_for_viewer(request: HttpRequest, pk: int) -> ThankYouLetter:
    """A letter whose sponsor's copy, as it would be made now, the visitor may see before
    approval: office staff only (they decide what to cover), else 404."""
    letter = _letter(pk)
    if _is_staff(request.user, ThankYouLetter) and letter.scan:
        return letter
    raise Http404


def get_letter_preview_for_viewer(request: HttpRequest, pk: int) -> ThankYouLetter:
    """A letter whose watermarked copy the visitor may see, else 404.

    Staff and the child's school always; the claim's sponsor once the letter is approved,
    while the child's record is kept and a consent in force passes letters to the sponsor.
    """
    letter = _letter(pk)
    user = request.user
    if _staff_or_coordinator(user, letter):
        return letter
    if (
        user.is_authenticated
        and letter.status == LetterStatus.APPROVED
        and letter.fulfilment.claim.wish.child.withdrawn_at is None
    ):
        sponsor = sponsor_of(user)
        if (
            sponsor is not None
            and sponsor.pk == letter.fulfilment.claim.sponsor_id
            and letter_sharing_consented(letter.fulfilment.claim.wish.child_id)
        ):
            return letter
    raise Http404


def get_signed_form_for_viewer(request: HttpRequest, pk: int) -> Consent:
    """A consent whose signed paper form the visitor may see: office staff who may view
    consents, else 404. The form carries the guardian's name and signature: not even the
    child's school or the sponsor sees it."""
    consent = _get(Consent.objects.only("id", "child_id", "signed_form"), pk)
    if _is_staff(request.user, Consent):
        return consent
    raise Http404


def get_parcel_photo_for_viewer(request: HttpRequest, pk: int) -> GiftReceipt:
    """A gift receipt whose parcel photo the visitor may see, else 404: office staff who may
    view receipts, and the coordinator of the child's school (who receives the gifts there).
    The parcel may carry a name or an address label: the sponsor and the public never see it.
    """
    receipt = _get(
        GiftReceipt.objects.select_related("claim__wish__child").only(
            "id",
            "photo",
            "claim__id",
            "claim__wish__id",
            "claim__wish__child__id",
            "claim__wish__child__school_id",
            "claim__wish__child__withdrawn_at",
        ),
        pk,
    )
    user = request.user
    if _is_staff(user, GiftReceipt):
        return receipt
    child = receipt.claim.wish.child
    if child.withdrawn_at is None and coordinates(user, school_id=child.school_id):
        return receipt
    raise Http404
