"""Services of fulfilment with photos, thank-you letters and consent withdrawal."""

import io
from pathlib import Path

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from PIL import Image

from huamu.errors import TransitionError
from huamu.images import clean_image
from tests.factories import ClaimFactory, ConsentFactory, EventFactory, FulfilmentFactory
from wishes.audit import history_of
from wishes.models import (
    ClaimStatus,
    Fulfilment,
    FulfilmentPhoto,
    LetterStatus,
    ThankYouLetter,
    WishStatus,
)
from wishes.public.selectors import photos_shared_with, public_photos
from wishes.services import (
    add_fulfilment_photos,
    approve_letter,
    record_fulfilments,
    reject_letter,
    set_photo_publication,
    upload_letter,
    withdraw_consent,
    withdraw_photo,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def tiny_jpeg(colour=(200, 80, 40), size=(64, 48)):
    """A clean image as the upload forms produce it."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return clean_image(SimpleUploadedFile("phone.jpg", buffer.getvalue(), "image/jpeg"))


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_record_fulfilments_fulfils_every_claim_with_its_photos(staff, settings):
    claims = [ClaimFactory() for _ in range(3)]
    event = EventFactory()

    fulfilments = record_fulfilments(
        claim_ids=[c.pk for c in claims],
        by=staff,
        fulfilled_on=timezone.localdate(),
        event=event,
        photos={claims[0].pk: [tiny_jpeg(), tiny_jpeg((0, 0, 255))]},
    )

    assert len(fulfilments) == 3
    for claim in claims:
        claim.refresh_from_db()
        assert claim.status == ClaimStatus.FULFILLED
        assert claim.wish.status == WishStatus.FULFILLED
        assert claim.fulfilment.event == event
    photos = FulfilmentPhoto.objects.filter(fulfilment__claim=claims[0])
    assert photos.count() == 2
    assert all(not p.is_public for p in photos)
    # Image and thumbnail of each photo, nothing else.
    assert len(stored_files(settings)) == 4
    assert photos[0].image.name.startswith("photos/")
    assert "phone" not in photos[0].image.name


def test_record_fulfilments_is_all_or_nothing_and_leaves_no_file(staff, settings):
    good = ClaimFactory()
    cancelled = ClaimFactory(status=ClaimStatus.CANCELLED, cancel_reason="x")

    with pytest.raises(TransitionError, match="Only an active claim"):
        record_fulfilments(
            claim_ids=[good.pk, cancelled.pk],
            by=staff,
            fulfilled_on=timezone.localdate(),
            photos={good.pk: [tiny_jpeg()]},
        )

    good.refresh_from_db()
    assert good.status == ClaimStatus.ACTIVE
    assert not Fulfilment.objects.exists()
    assert not FulfilmentPhoto.objects.exists()
    assert stored_files(settings) == []


def test_record_fulfilments_refuses_an_empty_roster(staff):
    with pytest.raises(TransitionError, match="at least one"):
        record_fulfilments(claim_ids=[], by=staff, fulfilled_on=timezone.localdate())


def test_photos_added_later_start_private(staff):
    fulfilment = FulfilmentFactory()

    [photo] = add_fulfilment_photos(fulfilment_id=fulfilment.pk, by=staff, images=[tiny_jpeg()])

    assert photo.uploaded_by == staff
    assert not photo.is_public
    assert photo.thumbnail.name


def test_clearing_a_photo_needs_the_publish_photos_consent(staff):
    fulfilment = FulfilmentFactory()
    ConsentFactory(child=fulfilment.claim.wish.child, publish_photos=False)
    [photo] = add_fulfilment_photos(fulfilment_id=fulfilment.pk, by=staff, images=[tiny_jpeg()])

    with pytest.raises(TransitionError, match="not consented to publishing photos"):
        set_photo_publication(photo_id=photo.pk, by=staff, public=True)

    photo.refresh_from_db()
    assert not photo.is_public
    # Only its upload: the refused clearing changed nothing.
    assert [(c.from_status, c.to_status) for c in history_of(photo)] == [("", "private")]


def test_a_cleared_photo_is_public_only_while_consent_holds(staff):
    fulfilment = FulfilmentFactory(event=EventFactory())
    consent = ConsentFactory(child=fulfilment.claim.wish.child, publish_photos=True)
    [photo] = add_fulfilment_photos(fulfilment_id=fulfilment.pk, by=staff, images=[tiny_jpeg()])

    set_photo_publication(photo_id=photo.pk, by=staff, public=True)
    assert list(public_photos()) == [photo]
    assert [(c.from_status, c.to_status) for c in history_of(photo)] == [
        ("", "private"),
        ("private", "public"),
    ]

    withdraw_consent(consent_id=consent.pk, by=staff, note="guardian called")

    photo.refresh_from_db()
    assert not photo.is_public
    assert list(public_photos()) == []
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    assert [(c.to_status, c.note) for c in history_of(consent)] == [
        ("withdrawn", "guardian called")
    ]


def test_withdrawing_consent_twice_is_refused(staff):
    consent = ConsentFactory(withdrawn_at=timezone.now())

    with pytest.raises(TransitionError, match="already been withdrawn"):
        withdraw_consent(consent_id=consent.pk, by=staff)


def test_photos_are_shared_with_the_sponsor_only_under_the_sharing_scope(staff):
    fulfilment = FulfilmentFactory()
    # The factory's published wish comes with a consent that shares photos with the sponsor.
    consent = fulfilment.claim.wish.child.consents.get(share_photos_with_sponsor=True)
    [photo] = add_fulfilment_photos(fulfilment_id=fulfilment.pk, by=staff, images=[tiny_jpeg()])
    sponsor = fulfilment.claim.sponsor

    assert list(photos_shared_with(sponsor)) == [photo]
    assert list(photos_shared_with(ClaimFactory().sponsor)) == []

    withdraw_consent(consent_id=consent.pk, by=staff)
    assert list(photos_shared_with(sponsor)) == []


def test_a_withdrawn_photo_is_nowhere_and_needs_a_reason(staff):
    fulfilment = FulfilmentFactory(event=EventFactory())
    ConsentFactory(child=fulfilment.claim.wish.child, publish_photos=True)
    [photo] = add_fulfilment_photos(fulfilment_id=fulfilment.pk, by=staff, images=[tiny_jpeg()])
    set_photo_publication(photo_id=photo.pk, by=staff, public=True)

    with pytest.raises(TransitionError, match="reason"):
        withdraw_photo(photo_id=photo.pk, by=staff, reason=" ")
    withdraw_photo(photo_id=photo.pk, by=staff, reason="a face is visible")

    assert list(public_photos()) == []
    with pytest.raises(TransitionError, match="withdrawn"):
        set_photo_publication(photo_id=photo.pk, by=staff, public=True)


def test_upload_letter_waits_for_approval_and_tells_staff(
    coordinator, settings, django_capture_on_commit_callbacks
):
    settings.STAFF_NOTIFY_EMAILS = ["office@huamu.example"]
    fulfilment = FulfilmentFactory()

    with django_capture_on_commit_callbacks(execute=True):
        letter = upload_letter(
            fulfilment_id=fulfilment.pk, by=coordinator, scan=tiny_jpeg(), transcription=" 谢谢 "
        )

    assert letter.status == LetterStatus.PENDING
    assert letter.transcription == "谢谢"
    assert letter.scan.name.startswith("letters/")
    assert [(c.from_status, c.to_status, c.by) for c in history_of(letter)] == [
        ("", LetterStatus.PENDING, coordinator)
    ]
    [message] = mail.outbox
    assert message.to == ["office@huamu.example"]


def test_upload_letter_needs_a_scan_or_a_text(coordinator):
    with pytest.raises(TransitionError, match="scan or photo"):
        upload_letter(fulfilment_id=FulfilmentFactory().pk, by=coordinator, scan=None)
    assert not ThankYouLetter.objects.exists()


def test_approving_a_letter_makes_a_watermarked_copy_and_tells_the_sponsor(
    coordinator, staff, django_capture_on_commit_callbacks
):
    fulfilment = FulfilmentFactory()
    letter = upload_letter(fulfilment_id=fulfilment.pk, by=coordinator, scan=tiny_jpeg())

    with django_capture_on_commit_callbacks(execute=True):
        approve_letter(letter_id=letter.pk, by=staff)

    letter.refresh_from_db()
    assert letter.status == LetterStatus.APPROVED
    assert (letter.reviewed_by, letter.reviewed_at is not None) == (staff, True)
    assert letter.preview.name and letter.preview.name != letter.scan.name
    with letter.preview.open("rb") as preview, letter.scan.open("rb") as scan:
        assert preview.read() != scan.read()
    [message] = [m for m in mail.outbox if fulfilment.claim.sponsor.email in m.to]
    assert fulfilment.claim.wish.code in message.subject


def test_a_letter_is_approved_or_refused_only_once(coordinator, staff):
    letter = upload_letter(
        fulfilment_id=FulfilmentFactory().pk, by=coordinator, scan=None, transcription="谢谢"
    )
    with pytest.raises(TransitionError, match="reason"):
        reject_letter(letter_id=letter.pk, by=staff, reason="")

    reject_letter(letter_id=letter.pk, by=staff, reason="the child's full name is on it")

    letter.refresh_from_db()
    assert (letter.status, letter.review_note) == (
        LetterStatus.REJECTED,
        "the child's full name is on it",
    )
    with pytest.raises(TransitionError, match="waiting for approval"):
        approve_letter(letter_id=letter.pk, by=staff)
