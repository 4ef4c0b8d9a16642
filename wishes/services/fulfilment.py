"""Fulfilment: a claimed wish came true, recorded with its photos, one or several at an event.

Photos start private; staff clear them for the public pages only while the guardian's
consent to publish photos is in force, and may withdraw them for good.
"""

import datetime
from collections.abc import Sequence

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext as _

from huamu.errors import TransitionError
from huamu.images import CleanImage
from huamu.mail import send_after_commit
from huamu.storage import files_removed_on_error, store_file
from wishes.audit import record_change, record_changes, set_status
from wishes.models import (
    LIVE_CLAIM_STATUSES,
    Claim,
    ClaimStatus,
    Event,
    Fulfilment,
    FulfilmentPhoto,
    PhotoState,
    SchoolCoordinator,
    Wish,
    WishStatus,
)
from wishes.privacy.guard import screen_for
from wishes.services import locks
from wishes.services.consents import publish_photos_consented
from wishes.services.notices import notify_claim_sponsor


def _store_photos(
    fulfilment: Fulfilment,
    images: Sequence[CleanImage],
    by: User | None,
    saved: list[FieldFile],
) -> list[FulfilmentPhoto]:
    photos = []
    for image in images:
        photo = FulfilmentPhoto(fulfilment=fulfilment, uploaded_by=by)
        store_file(photo.image, f"photo.{image.extension}", image.content, saved)
        store_file(photo.thumbnail, "thumbnail.jpg", image.thumbnail, saved)
        photo.save()
        photos.append(photo)
    # Each photo's first state, private, in the audit trail with who uploaded it.
    record_changes(subjects=photos, from_status="", to_status=PhotoState.PRIVATE, by=by)
    return photos


def _ask_coordinators_for_feedback(*, wish: Wish, fulfilment: Fulfilment, by: User) -> None:
    """Ask the coordinators of the child's school by e-mail, once (a wish is fulfilled once),
    for their feedback; one who recorded the fulfilment is asked on their page already."""
    addresses = sorted(
        SchoolCoordinator.objects.filter(school_id=wish.child.school_id, user__is_active=True)
        .exclude(user=by)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    if addresses:
        send_after_commit(
            to=addresses,
            template="feedback_requested",
            context={"wish": wish, "fulfilment": fulfilment},
            screen=screen_for([wish.child]),
        )


def _fulfil_locked(
    claim_id: int,
    *,
    by: User,
    fulfilled_on: datetime.date,
    event: Event | None,
    note: str,
    photos: Sequence[CleanImage],
    saved: list[FieldFile],
) -> Fulfilment:
    wish, claim = locks.lock_wish_and_claim(claim_id)
    # Fulfilled straight from active (the gift came to the event) or once it was received.
    if claim.status not in LIVE_CLAIM_STATUSES:
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
    set_status(claim, ClaimStatus.FULFILLED, by=by)
    set_status(wish, WishStatus.FULFILLED, by=by)
    notify_claim_sponsor(claim, wish=wish, message="wish_fulfilled", fulfilment=fulfilment)
    _ask_coordinators_for_feedback(wish=wish, fulfilment=fulfilment, by=by)
    return fulfilment


def record_fulfilment(
    *,
    claim_id: int,
    by: User,
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
    by: User,
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
    *, fulfilment_id: int, by: User, images: Sequence[CleanImage]
) -> list[FulfilmentPhoto]:
    """Add photos to a fulfilment recorded earlier; they start private."""
    with files_removed_on_error() as saved, transaction.atomic():
        fulfilment = Fulfilment.objects.select_for_update().get(pk=fulfilment_id)
        return _store_photos(fulfilment, images, by, saved)


@transaction.atomic
def set_photo_publication(*, photo_id: int, by: User, public: bool) -> FulfilmentPhoto:
    """Clear a photo for the public pages, or take it off them; clearing needs consent."""
    photo = (
        FulfilmentPhoto.objects.select_for_update()
        .select_related("fulfilment__claim__wish")
        .get(pk=photo_id)
    )
    if photo.withdrawn_at is not None:
        raise TransitionError(_("This photo has been withdrawn."))
    if public and not publish_photos_consented(photo.fulfilment.claim.wish.child_id):
        raise TransitionError(
            _("The guardian has not consented to publishing photos of this child.")
        )
    if photo.is_public == public:
        return photo
    previous = photo.state
    photo.is_public = public
    photo.save(update_fields=["is_public", "updated_at"])
    record_change(subject=photo, from_status=previous, to_status=photo.state, by=by)
    return photo


@transaction.atomic
def withdraw_photo(*, photo_id: int, by: User, reason: str) -> FulfilmentPhoto:
    """Take a photo out of every page for good; the file stays for the record."""
    reason = reason.strip()
    if not reason:
        raise TransitionError(_("Please give a reason for withdrawing the photo."))
    photo = FulfilmentPhoto.objects.select_for_update().get(pk=photo_id)
    if photo.withdrawn_at is not None:
        raise TransitionError(_("This photo has already been withdrawn."))
    previous = photo.state
    photo.is_public = False
    photo.withdrawn_at = timezone.now()
    photo.save(update_fields=["is_public", "withdrawn_at", "updated_at"])
    record_change(
        subject=photo, from_status=previous, to_status=PhotoState.WITHDRAWN, by=by, note=reason
    )
    return photo
