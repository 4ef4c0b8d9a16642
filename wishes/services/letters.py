"""Thank-you letters: a coordinator uploads one, staff approve it (the sponsor then sees a
watermarked copy) or refuse it with a reason."""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huamu.errors import TransitionError
from huamu.images import CleanImage, watermarked_copy
from huamu.mail import notify_staff, send_after_commit
from huamu.storage import files_removed_on_error, store_file
from wishes.audit import record_change, set_status
from wishes.models import Fulfilment, LetterStatus, ThankYouLetter
from wishes.privacy.guard import LETTER_TEXT, check_text, screen_for
from wishes.privacy.redaction import redact_for_child
from wishes.services.consents import letter_sharing_consented

# The watermark is drawn with Pillow's built-in Latin font, so it is not translated.
WATERMARK = "Huamu Dream Wishes · {code} · for the sponsor only"


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
            with letter.scan.open("rb") as source:
                preview = watermarked_copy(source, label=WATERMARK.format(code=claim.wish.code))
            store_file(letter.preview, "preview.jpg", preview, saved)
        letter.reviewed_by = by
        letter.reviewed_at = timezone.now()
        set_status(
            letter, LetterStatus.APPROVED, by=by, fields=["reviewed_by", "reviewed_at", "preview"]
        )
        send_after_commit(
            to=claim.sponsor.addresses(),
            template="letter_delivered",
            context={"claim": claim, "wish": claim.wish, "letter": letter},
            language=claim.sponsor.language,
            screen=screen_for([claim.wish.child]),
        )
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
