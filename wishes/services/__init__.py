"""Every state change of a wish or claim: lock, check, change, record, then mail."""

import datetime
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext as _

from huamu.errors import TransitionError
from huamu.images import CleanImage, watermarked_copy
from huamu.mail import notify_staff, send_after_commit
from sponsors.models import Sponsor, SponsorKind, VerificationStatus
from sponsors.services import sponsor_addresses
from wishes.audit import record_change
from wishes.models import (
    Claim,
    ClaimChannel,
    ClaimStatus,
    Consent,
    Event,
    Fulfilment,
    FulfilmentPhoto,
    LetterStatus,
    ThankYouLetter,
    Wish,
    WishStatus,
)

logger = logging.getLogger(__name__)


def _lock_wish(wish_id: int) -> Wish:
    try:
        return Wish.objects.select_for_update().get(pk=wish_id)
    except Wish.DoesNotExist:
        raise TransitionError(_("This wish does not exist.")) from None


def _lock_claim(claim_id: int) -> Claim:
    try:
        return Claim.objects.select_for_update().get(pk=claim_id)
    except Claim.DoesNotExist:
        raise TransitionError(_("This claim does not exist.")) from None


def _lock_wish_and_claim(claim_id: int) -> tuple[Wish, Claim]:
    """Lock a claim's wish, then the claim: the order withdraw_wish uses too."""
    # Taking the two locks in opposite orders in two services deadlocks on PostgreSQL when
    # staff withdraw a wish while its claim is being cancelled or fulfilled.
    wish_id = Claim.objects.filter(pk=claim_id).values_list("wish_id", flat=True).first()
    if wish_id is None:
        raise TransitionError(_("This claim does not exist."))
    wish = _lock_wish(wish_id)
    return wish, _lock_claim(claim_id)


def _set_wish_status(wish: Wish, to: str, *, by, note: str = "", fields=()) -> None:
    previous = wish.status
    wish.status = to
    wish.save(update_fields=["status", "updated_at", *fields])
    record_change(subject=wish, from_status=previous, to_status=to, by=by, note=note)


def _set_claim_status(claim: Claim, to: str, *, by, note: str = "", fields=()) -> None:
    previous = claim.status
    claim.status = to
    claim.save(update_fields=["status", "updated_at", *fields])
    record_change(subject=claim, from_status=previous, to_status=to, by=by, note=note)


def _may_be_public(wish: Wish) -> bool:
    """Whether the guardian's consent to publish is in force and the record is kept."""
    return (
        wish.child.withdrawn_at is None
        and Consent.objects.in_force()
        .filter(child_id=wish.child_id, keep_record=True, publish_wish=True)
        .exists()
    )


def active_claim_limit(sponsor: Sponsor) -> int:
    """How many active claims a sponsor may hold at once."""
    if sponsor.kind == SponsorKind.INDIVIDUAL:
        return settings.HUAMU_MAX_ACTIVE_CLAIMS_INDIVIDUAL
    return settings.HUAMU_MAX_ACTIVE_CLAIMS_UNIT


@transaction.atomic
def publish_wish(*, wish_id: int, by: AbstractBaseUser) -> Wish:
    """Put a draft wish in the public pool; needs the guardian's consent to publish."""
    wish = _lock_wish(wish_id)
    if wish.status != WishStatus.DRAFT:
        raise TransitionError(
            _("Only a draft can be published; this wish is %(status)s.")
            % {"status": wish.get_status_display()}
        )
    if wish.child.withdrawn_at is not None:
        raise TransitionError(_("The child's record has been withdrawn."))
    if not _may_be_public(wish):
        raise TransitionError(
            _("The guardian has not consented to publishing this wish; record the consent first.")
        )
    if not wish.public_text.strip():
        raise TransitionError(_("Write and check the public text before publishing."))
    wish.published_at = timezone.now()
    _set_wish_status(wish, WishStatus.OPEN, by=by, fields=["published_at"])
    return wish


@transaction.atomic
def withdraw_wish(*, wish_id: int, by: AbstractBaseUser, reason: str) -> Wish:
    """Take a wish out of the programme; an active claim is cancelled and its sponsor told."""
    reason = reason.strip()
    if not reason:
        raise TransitionError(_("Please give a reason for withdrawing the wish."))
    wish = _lock_wish(wish_id)
    if wish.status in (WishStatus.FULFILLED, WishStatus.WITHDRAWN):
        raise TransitionError(
            _("A wish that is %(status)s cannot be withdrawn.")
            % {"status": wish.get_status_display()}
        )
    claim = Claim.objects.select_for_update().filter(wish=wish, status=ClaimStatus.ACTIVE).first()
    if claim is not None:
        claim.cancel_reason = reason
        _set_claim_status(
            claim, ClaimStatus.CANCELLED, by=by, note=reason, fields=["cancel_reason"]
        )
        send_after_commit(
            to=sponsor_addresses(claim.sponsor),
            template="claim_cancelled_sponsor",
            context={"claim": claim, "wish": wish, "reason": reason},
            language=claim.sponsor.language,
        )
    _set_wish_status(wish, WishStatus.WITHDRAWN, by=by, note=reason)
    return wish


def _check_may_claim(sponsor: Sponsor, wanted: int) -> None:
    if sponsor.status != VerificationStatus.VERIFIED:
        raise TransitionError(_("Only verified sponsors can claim wishes."))
    held = Claim.objects.filter(sponsor=sponsor, status=ClaimStatus.ACTIVE).count()
    limit = active_claim_limit(sponsor)
    if held + wanted > limit:
        raise TransitionError(
            _(
                "You already hold %(held)d active claims; the limit is %(limit)d. "
                "Fulfil or cancel some before claiming more."
            )
            % {"held": held, "limit": limit}
        )


def _claim_locked(
    wish: Wish,
    sponsor: Sponsor,
    *,
    by,
    promised_on: datetime.date | None,
    channel: str,
    external_ref: str = "",
    claimant_name: str = "",
) -> Claim:
    if wish.status == WishStatus.CLAIMED:
        raise TransitionError(
            _("Wish %(code)s has just been claimed by someone else.") % {"code": wish.code}
        )
    if wish.status != WishStatus.OPEN:
        # A draft, fulfilled or withdrawn wish was not taken by anybody: say what it is.
        raise TransitionError(
            _("Wish %(code)s is not waiting to be claimed; it is %(status)s.")
            % {"code": wish.code, "status": wish.get_status_display()}
        )
    if not _may_be_public(wish):
        # The guardian withdrew consent (or the record) after publishing: the wish is hidden.
        raise TransitionError(
            _("Wish %(code)s is no longer published and cannot be claimed.") % {"code": wish.code}
        )
    try:
        # A savepoint, so that the constraint's refusal leaves the outer transaction usable.
        with transaction.atomic():
            claim = Claim.objects.create(
                wish=wish,
                sponsor=sponsor,
                channel=channel,
                external_ref=external_ref,
                claimant_name=claimant_name,
                promised_on=promised_on,
                claimed_by=by if by is not None and by.is_authenticated else None,
            )
    except IntegrityError:
        # The partial unique index is the last word: a second active claim never exists.
        raise TransitionError(
            _("Wish %(code)s has just been claimed by someone else.") % {"code": wish.code}
        ) from None
    record_change(subject=claim, from_status="", to_status=ClaimStatus.ACTIVE, by=by)
    _set_wish_status(wish, WishStatus.CLAIMED, by=by)
    return claim


@transaction.atomic
def claim_wish(
    *,
    wish_id: int,
    sponsor: Sponsor,
    by: AbstractBaseUser | None,
    promised_on: datetime.date | None = None,
    channel: str = ClaimChannel.ONLINE,
    external_ref: str = "",
    claimant_name: str = "",
) -> Claim:
    """Give an open wish to a verified sponsor; exactly one of two racing sponsors wins."""
    external_ref = external_ref.strip()
    # Checked here so that staff get a clear message rather than the constraint's refusal,
    # which _claim_locked can only report as "claimed by someone else".
    if channel == ClaimChannel.CITY_PLATFORM and not external_ref:
        raise TransitionError(_("A claim made on the city platform needs its reference number."))
    if external_ref and Claim.objects.filter(channel=channel, external_ref=external_ref).exists():
        raise TransitionError(
            _("Reference %(ref)s is already recorded on another claim.") % {"ref": external_ref}
        )
    # Lock the sponsor first so that its claim limit holds under concurrent claims.
    sponsor = Sponsor.objects.select_for_update().get(pk=sponsor.pk)
    _check_may_claim(sponsor, wanted=1)
    wish = _lock_wish(wish_id)
    claim = _claim_locked(
        wish,
        sponsor,
        by=by,
        promised_on=promised_on,
        channel=channel,
        external_ref=external_ref,
        claimant_name=claimant_name,
    )
    notify_staff(template="claim_new", context={"claims": [claim], "sponsor": sponsor})
    return claim


@transaction.atomic
def claim_wishes(
    *,
    wish_ids: list[int],
    sponsor: Sponsor,
    by: AbstractBaseUser,
    promised_on: datetime.date | None = None,
) -> list[Claim]:
    """Claim several open wishes at once, all or nothing; the error names every taken wish."""
    wish_ids = sorted(set(wish_ids))
    if not wish_ids:
        raise TransitionError(_("Choose at least one wish."))
    sponsor = Sponsor.objects.select_for_update().get(pk=sponsor.pk)
    _check_may_claim(sponsor, wanted=len(wish_ids))
    # Lock in id order so that two batch claims cannot deadlock each other.
    wishes = list(Wish.objects.select_for_update().filter(pk__in=wish_ids).order_by("pk"))
    taken = [w.code for w in wishes if w.status != WishStatus.OPEN]
    if len(wishes) != len(wish_ids) or taken:
        raise TransitionError(
            _("Nothing was claimed: these wishes are no longer open: %(codes)s.")
            % {"codes": ", ".join(taken) or "—"}
        )
    claims = [
        _claim_locked(w, sponsor, by=by, promised_on=promised_on, channel=ClaimChannel.ONLINE)
        for w in wishes
    ]
    notify_staff(template="claim_new", context={"claims": claims, "sponsor": sponsor})
    return claims


@transaction.atomic
def cancel_claim(*, claim_id: int, by: AbstractBaseUser, reason: str) -> Claim:
    """Cancel an active claim with a reason; the wish goes back to the open pool."""
    reason = reason.strip()
    if not reason:
        raise TransitionError(_("Please give a reason for the cancellation."))
    wish, claim = _lock_wish_and_claim(claim_id)
    if claim.status != ClaimStatus.ACTIVE:
        raise TransitionError(
            _("Only an active claim can be cancelled; this one is %(status)s.")
            % {"status": claim.get_status_display()}
        )
    claim.cancel_reason = reason
    _set_claim_status(claim, ClaimStatus.CANCELLED, by=by, note=reason, fields=["cancel_reason"])
    _set_wish_status(wish, WishStatus.OPEN, by=by, note=reason)
    notify_staff(template="claim_cancelled", context={"claim": claim, "reason": reason})
    return claim


@contextmanager
def files_removed_on_error() -> Iterator[list[FieldFile]]:
    """Collect the files saved inside the block; if the block fails, delete them again."""
    saved: list[FieldFile] = []
    try:
        yield saved
    except BaseException:
        for field_file in saved:
            field_file.storage.delete(field_file.name)
        raise


def store_file(
    field_file: FieldFile, filename: str, content: File, saved: list[FieldFile]
) -> None:
    """FieldFile.save(save=False), but a failed write (a full disk) leaves no file behind.

    Use it inside `files_removed_on_error`, whose list it takes: a failure later in the
    block then removes the file again. Raises TransitionError with a message for the user.
    """
    field, storage = field_file.field, field_file.storage
    # The name is chosen before writing: FileSystemStorage keeps whatever it wrote before the
    # disk filled up, and only this name finds that partial file again.
    name = storage.get_available_name(
        field.generate_filename(field_file.instance, filename), max_length=field.max_length
    )
    try:
        name = storage.save(name, content, max_length=field.max_length)
    except OSError as error:
        with suppress(OSError):
            storage.delete(name)
        logger.error("Could not store %s: %s", name, error)
        raise TransitionError(
            _(
                "The server could not store the file (the disk may be full). Nothing was "
                "saved; please try again later or tell the association."
            )
        ) from error
    setattr(field_file.instance, field.attname, name)
    saved.append(getattr(field_file.instance, field.attname))


def _store_photos(
    fulfilment: Fulfilment, images: Sequence[CleanImage], by, saved: list[FieldFile]
) -> list[FulfilmentPhoto]:
    photos = []
    for image in images:
        photo = FulfilmentPhoto(fulfilment=fulfilment, uploaded_by=by)
        store_file(photo.image, f"photo.{image.extension}", image.content, saved)
        store_file(photo.thumbnail, "thumbnail.jpg", image.thumbnail, saved)
        photo.save()
        photos.append(photo)
    return photos


def _fulfil_locked(
    claim_id: int,
    *,
    by,
    fulfilled_on: datetime.date,
    event: Event | None,
    note: str,
    photos: Sequence[CleanImage],
    saved: list[FieldFile],
) -> Fulfilment:
    wish, claim = _lock_wish_and_claim(claim_id)
    if claim.status != ClaimStatus.ACTIVE:
        raise TransitionError(
            _("Only an active claim can be fulfilled; this one is %(status)s.")
            % {"status": claim.get_status_display()}
        )
    if fulfilled_on > timezone.localdate():
        raise TransitionError(_("The fulfilment date cannot be in the future."))
    fulfilment = Fulfilment.objects.create(
        claim=claim, fulfilled_on=fulfilled_on, event=event, note=note, recorded_by=by
    )
    _store_photos(fulfilment, photos, by, saved)
    _set_claim_status(claim, ClaimStatus.FULFILLED, by=by)
    _set_wish_status(wish, WishStatus.FULFILLED, by=by)
    send_after_commit(
        to=sponsor_addresses(claim.sponsor),
        template="wish_fulfilled",
        context={"claim": claim, "wish": wish, "fulfilment": fulfilment},
        language=claim.sponsor.language,
    )
    return fulfilment


def record_fulfilment(
    *,
    claim_id: int,
    by: AbstractBaseUser,
    fulfilled_on: datetime.date,
    event: Event | None = None,
    note: str = "",
    photos: Sequence[CleanImage] = (),
) -> Fulfilment:
    """Record that a claimed wish came true; the claim and the wish become fulfilled."""
    with files_removed_on_error() as saved, transaction.atomic():
        return _fulfil_locked(
            claim_id,
            by=by,
            fulfilled_on=fulfilled_on,
            event=event,
            note=note,
            photos=photos,
            saved=saved,
        )


def record_fulfilments(
    *,
    claim_ids: Sequence[int],
    by: AbstractBaseUser,
    fulfilled_on: datetime.date,
    event: Event | None = None,
    note: str = "",
    photos: dict[int, Sequence[CleanImage]] | None = None,
) -> list[Fulfilment]:
    """Fulfil several claims at one event, all or nothing; photos are keyed by claim id."""
    claim_ids = sorted(set(claim_ids))
    if not claim_ids:
        raise TransitionError(_("Choose at least one wish."))
    photos = photos or {}
    # Every service locks a wish before its claim, and several wishes in wish id order (as
    # rejecting a sponsor does): two of them locking the same wishes cannot deadlock.
    wish_of = dict(Claim.objects.filter(pk__in=claim_ids).values_list("pk", "wish_id"))
    locking_order = sorted(claim_ids, key=lambda claim_id: (wish_of.get(claim_id, 0), claim_id))
    with files_removed_on_error() as saved, transaction.atomic():
        fulfilments = {
            claim_id: _fulfil_locked(
                claim_id,
                by=by,
                fulfilled_on=fulfilled_on,
                event=event,
                note=note,
                photos=photos.get(claim_id, ()),
                saved=saved,
            )
            for claim_id in locking_order
        }
    return [fulfilments[claim_id] for claim_id in claim_ids]


def add_fulfilment_photos(
    *, fulfilment_id: int, by: AbstractBaseUser, images: Sequence[CleanImage]
) -> list[FulfilmentPhoto]:
    """Add photos to a fulfilment recorded earlier; they start private."""
    with files_removed_on_error() as saved, transaction.atomic():
        fulfilment = Fulfilment.objects.select_for_update().get(pk=fulfilment_id)
        return _store_photos(fulfilment, images, by, saved)


def _publish_photos_consented(child_id: int) -> bool:
    return (
        Consent.objects.in_force()
        .filter(child_id=child_id, keep_record=True, publish_photos=True)
        .exists()
    )


@transaction.atomic
def set_photo_publication(*, photo_id: int, by: AbstractBaseUser, public: bool) -> FulfilmentPhoto:
    """Clear a photo for the public pages, or take it off them; clearing needs consent."""
    photo = (
        FulfilmentPhoto.objects.select_for_update()
        .select_related("fulfilment__claim__wish")
        .get(pk=photo_id)
    )
    if photo.withdrawn_at is not None:
        raise TransitionError(_("This photo has been withdrawn."))
    if public and not _publish_photos_consented(photo.fulfilment.claim.wish.child_id):
        raise TransitionError(
            _("The guardian has not consented to publishing photos of this child.")
        )
    if photo.is_public == public:
        return photo
    photo.is_public = public
    photo.save(update_fields=["is_public", "updated_at"])
    record_change(
        subject=photo,
        from_status="private" if public else "public",
        to_status="public" if public else "private",
        by=by,
    )
    return photo


@transaction.atomic
def withdraw_photo(*, photo_id: int, by: AbstractBaseUser, reason: str) -> FulfilmentPhoto:
    """Take a photo out of every page for good; the file stays for the record."""
    reason = reason.strip()
    if not reason:
        raise TransitionError(_("Please give a reason for withdrawing the photo."))
    photo = FulfilmentPhoto.objects.select_for_update().get(pk=photo_id)
    if photo.withdrawn_at is not None:
        raise TransitionError(_("This photo has already been withdrawn."))
    previous = "public" if photo.is_public else "private"
    photo.is_public = False
    photo.withdrawn_at = timezone.now()
    photo.save(update_fields=["is_public", "withdrawn_at", "updated_at"])
    record_change(subject=photo, from_status=previous, to_status="withdrawn", by=by, note=reason)
    return photo


@transaction.atomic
def withdraw_consent(*, consent_id: int, by: AbstractBaseUser, note: str = "") -> Consent:
    """Record that a guardian withdrew consent; the child's wish and photos leave public pages.

    Public pages show a wish or photo only while a consent is in force, so the wish goes in
    this same transaction; the photos are also un-cleared, so a later consent needs staff to
    clear them again.
    """
    consent = Consent.objects.select_for_update().get(pk=consent_id)
    if consent.withdrawn_at is not None:
        raise TransitionError(_("This consent has already been withdrawn."))
    consent.withdrawn_at = timezone.now()
    consent.save(update_fields=["withdrawn_at", "updated_at"])
    record_change(subject=consent, from_status="in_force", to_status="withdrawn", by=by, note=note)
    still_publishable = _publish_photos_consented(consent.child_id)
    if not still_publishable:
        photos = FulfilmentPhoto.objects.select_for_update().filter(
            fulfilment__claim__wish__child_id=consent.child_id, is_public=True
        )
        for photo in photos:
            photo.is_public = False
            photo.save(update_fields=["is_public", "updated_at"])
            record_change(
                subject=photo, from_status="public", to_status="private", by=by, note=note
            )
    return consent


def upload_letter(
    *,
    fulfilment_id: int,
    by: AbstractBaseUser,
    scan: CleanImage | None,
    transcription: str = "",
) -> ThankYouLetter:
    """Add a child's thank-you letter, waiting for staff approval."""
    transcription = transcription.strip()
    if scan is None and not transcription:
        raise TransitionError(_("Upload the letter's scan or photo, or type its text."))
    with files_removed_on_error() as saved, transaction.atomic():
        fulfilment = Fulfilment.objects.select_for_update().get(pk=fulfilment_id)
        letter = ThankYouLetter(fulfilment=fulfilment, transcription=transcription, uploaded_by=by)
        if scan is not None:
            store_file(letter.scan, f"letter.{scan.extension}", scan.content, saved)
        letter.save()
        record_change(subject=letter, from_status="", to_status=LetterStatus.PENDING, by=by)
        notify_staff(template="letter_uploaded", context={"letter": letter})
        return letter


# The watermark is drawn with Pillow's built-in Latin font, so it is not translated.
WATERMARK = "Huamu Dream Wishes · {code} · for the sponsor only"


def approve_letter(*, letter_id: int, by: AbstractBaseUser) -> ThankYouLetter:
    """Approve a letter: make the watermarked copy the sponsor sees and tell the sponsor."""
    with files_removed_on_error() as saved, transaction.atomic():
        letter = (
            ThankYouLetter.objects.select_for_update()
            .select_related("fulfilment__claim__wish", "fulfilment__claim__sponsor")
            .get(pk=letter_id)
        )
        if letter.status != LetterStatus.PENDING:
            raise TransitionError(
                _("Only a letter waiting for approval can be approved; this one is %(status)s.")
                % {"status": letter.get_status_display()}
            )
        claim = letter.fulfilment.claim
        if letter.scan:
            with letter.scan.open("rb") as source:
                preview = watermarked_copy(source, label=WATERMARK.format(code=claim.wish.code))
            store_file(letter.preview, "preview.jpg", preview, saved)
        letter.status = LetterStatus.APPROVED
        letter.reviewed_by = by
        letter.reviewed_at = timezone.now()
        letter.save(
            update_fields=["status", "reviewed_by", "reviewed_at", "preview", "updated_at"]
        )
        record_change(
            subject=letter, from_status=LetterStatus.PENDING, to_status=letter.status, by=by
        )
        send_after_commit(
            to=sponsor_addresses(claim.sponsor),
            template="letter_delivered",
            context={"claim": claim, "wish": claim.wish, "letter": letter},
            language=claim.sponsor.language,
        )
        return letter


@transaction.atomic
def reject_letter(*, letter_id: int, by: AbstractBaseUser, reason: str) -> ThankYouLetter:
    """Keep a letter from the sponsor (unreadable, or it names the child), with a reason."""
    reason = reason.strip()
    if not reason:
        raise TransitionError(_("Please give a reason for not approving the letter."))
    letter = ThankYouLetter.objects.select_for_update().get(pk=letter_id)
    if letter.status != LetterStatus.PENDING:
        raise TransitionError(
            _("Only a letter waiting for approval can be refused; this one is %(status)s.")
            % {"status": letter.get_status_display()}
        )
    letter.status = LetterStatus.REJECTED
    letter.reviewed_by = by
    letter.reviewed_at = timezone.now()
    letter.review_note = reason
    letter.save(
        update_fields=["status", "reviewed_by", "reviewed_at", "review_note", "updated_at"]
    )
    record_change(
        subject=letter,
        from_status=LetterStatus.PENDING,
        to_status=letter.status,
        by=by,
        note=reason,
    )
    return letter
