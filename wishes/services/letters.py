"""Thank-you letters: a coordinator uploads one, staff cover areas of its scan (a signature,
a name) and approve it (the sponsor then sees the covered, watermarked copy) or refuse it
with a reason."""

from collections.abc import Sequence

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from huamu.errors import TransitionError
from huamu.images import CleanImage, clean_masks, sponsor_copy
from huamu.mail import notify_staff
from huamu.storage import files_removed_on_error, store_file
from wishes.audit import record_change, set_status
from wishes.models import Fulfilment, LetterStatus, ThankYouLetter
from wishes.privacy.guard import LETTER_TEXT, check_text
from wishes.privacy.redaction import redact_for_child
from wishes.services.consents import letter_sharing_consented
from wishes.services.notices import notify_claim_sponsor

# The watermark says both languages on every copy, whoever reads it, so it is not passed
# through gettext: the programme's own name in Chinese, and the same in English.
WATERMARK = ("花木圆梦 · 仅供认领方 {code}", "Huamu Dream Wishes · for the sponsor only")


def upload_letter(
    *,
    fulfilment_id: int,
    by: User,
    scan: CleanImage | None,
    transcription: str = "",
) -> ThankYouLetter:
    """Add a child's thank-you letter, waiting for staff approval."""
    transcription = transcription.strip()
    if scan is None and not transcription:
        raise TransitionError(_("Upload the letter's scan or photo, or type its text."))
    with files_removed_on_error() as saved, transaction.atomic():
        fulfilment = (
            Fulfilment.objects.select_for_update()
            .select_related("claim__wish__child__school")
            .get(pk=fulfilment_id)
        )
        letter = ThankYouLetter(
            fulfilment=fulfilment,
            transcription=transcription,
            # What the sponsor will read: a draft staff check before approving.
            shared_text=redact_for_child(transcription, fulfilment.claim.wish.child),
            uploaded_by=by,
        )
        if scan is not None:
            store_file(letter.scan, f"letter.{scan.extension}", scan.content, saved)
        letter.save()
        record_change(subject=letter, from_status="", to_status=LetterStatus.PENDING, by=by)
        notify_staff(template="letter_uploaded", context={"letter": letter})
        return letter


def sponsor_copy_of(letter: ThankYouLetter) -> ContentFile:
    """The copy of a letter's scan the sponsor sees, made from the scan and its covered
    areas as they are now (approval stores it; staff see it as a draft before)."""
    lines = [line.format(code=letter.fulfilment.claim.wish.code) for line in WATERMARK]
    with letter.scan.open("rb") as source:
        return sponsor_copy(source, masks=letter.masks, lines=lines)


def cover_letter_areas(*, letter_id: int, masks: Sequence[object], by: User) -> ThankYouLetter:
    """Set the areas of a letter's scan the sponsor's copy covers (all of them, replacing
    those before); once approved, the sponsor's copy is made again at once.

    Bad areas raise ValidationError, a letter without a scan or not approved TransitionError;
    either way nothing changes.
    """
    cleaned = clean_masks(list(masks))
    with files_removed_on_error() as saved, transaction.atomic():
        letter = (
            ThankYouLetter.objects.select_for_update()
            .select_related("fulfilment__claim__wish")
            .get(pk=letter_id)
        )
        if not letter.scan:
            raise TransitionError(_("This letter has no scan whose areas could be covered."))
        if letter.status == LetterStatus.REJECTED:
            raise TransitionError(
                _("This letter was not approved: the sponsor never sees its scan.")
            )
        if cleaned == letter.masks:
            return letter
        letter.masks = cleaned
        fields = ["masks", "updated_at"]
        replaced = ""
        if letter.status == LetterStatus.APPROVED:
            # What the sponsor already can open is replaced by the newly covered copy.
            replaced = letter.preview.name or ""
            store_file(letter.preview, "preview.jpg", sponsor_copy_of(letter), saved)
            fields.append("preview")
        letter.save(update_fields=fields)
        note = ngettext(
            "Covered areas of the scan changed: %(count)d area is covered.",
            "Covered areas of the scan changed: %(count)d areas are covered.",
            len(cleaned),
        ) % {"count": len(cleaned)}
        record_change(
            subject=letter, from_status=letter.status, to_status=letter.status, by=by, note=note
        )
        if replaced:
            storage = letter.preview.storage
            transaction.on_commit(lambda: storage.delete(replaced), robust=True)
        return letter


def _lock_pending(letter_id: int, *, refusing: bool) -> ThankYouLetter:
    letter = (
        ThankYouLetter.objects.select_for_update()
        .select_related("fulfilment__claim__wish__child__school", "fulfilment__claim__sponsor")
        .get(pk=letter_id)
    )
    if letter.status != LetterStatus.PENDING:
        if refusing:
            message = _(
                "Only a letter waiting for approval can be refused; this one is %(status)s."
            )
        else:
            message = _(
                "Only a letter waiting for approval can be approved; this one is %(status)s."
            )
        raise TransitionError(message % {"status": letter.get_status_display()})
    return letter


def approve_letter(*, letter_id: int, by: User) -> ThankYouLetter:
    """Approve a letter: make the watermarked copy the sponsor sees and tell the sponsor.

    Refused unless a consent in force passes the child's letters to the sponsor.
    """
    with files_removed_on_error() as saved, transaction.atomic():
        letter = _lock_pending(letter_id, refusing=False)
        claim = letter.fulfilment.claim
        if not letter_sharing_consented(claim.wish.child_id):
            raise TransitionError(
                _(
                    "The guardian's consent in force does not pass the letter to the sponsor "
                    "(it was not given, has been withdrawn or has expired). Record a renewed "
                    "consent that includes it, or keep the letter from the sponsor."
                )
            )
        # The sponsor reads the shared text: it must name nobody.
        check_text(letter.shared_text, child=claim.wish.child, what=LETTER_TEXT)
        if letter.scan:
            store_file(letter.preview, "preview.jpg", sponsor_copy_of(letter), saved)
        letter.reviewed_by = by
        letter.reviewed_at = timezone.now()
        set_status(
            letter, LetterStatus.APPROVED, by=by, fields=["reviewed_by", "reviewed_at", "preview"]
        )
        notify_claim_sponsor(claim, wish=claim.wish, message="letter_delivered", letter=letter)
        return letter


@transaction.atomic
def reject_letter(*, letter_id: int, by: User, reason: str) -> ThankYouLetter:
    """Keep a letter from the sponsor (unreadable, or it names the child), with a reason."""
    reason = reason.strip()
    if not reason:
        raise TransitionError(_("Please give a reason for not approving the letter."))
    letter = _lock_pending(letter_id, refusing=True)
    letter.reviewed_by = by
    letter.reviewed_at = timezone.now()
    letter.review_note = reason
    set_status(
        letter,
        LetterStatus.REJECTED,
        by=by,
        note=reason,
        fields=["reviewed_by", "reviewed_at", "review_note"],
    )
    return letter
