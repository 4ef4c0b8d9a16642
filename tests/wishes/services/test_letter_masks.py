"""Covering areas of a letter's scan: checked, recorded, and used by every sponsor's copy."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from huamu.errors import TransitionError
from huamu.images import SPONSOR_COPY_LONG_SIDE, clean_image
from tests.factories import FulfilmentFactory
from tests.huamu.test_sponsor_copy import SIGNATURE, green_pixels, letter_scan
from wishes.audit import history_of
from wishes.models import LetterStatus, StatusChange, ThankYouLetter
from wishes.services import (
    approve_letter,
    cover_letter_areas,
    reject_letter,
    sponsor_copy_of,
    upload_letter,
)

pytestmark = pytest.mark.django_db

ELSEWHERE = {"x": 0.1, "y": 0.1, "w": 0.2, "h": 0.05}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def scanned_letter(coordinator, width: int = 1000, height: int = 1800) -> ThankYouLetter:
    """A letter uploaded as the school does it, whose scan has a green signature."""
    upload = SimpleUploadedFile("letter.png", letter_scan(width, height).read(), "image/png")
    return upload_letter(
        fulfilment_id=FulfilmentFactory().pk, by=coordinator, scan=clean_image(upload)
    )


def stored_image(field_file) -> Image.Image:
    with field_file.open("rb") as handle:
        return Image.open(io.BytesIO(handle.read())).convert("RGB")


def test_covering_areas_saves_them_and_records_who(coordinator, staff):
    letter = scanned_letter(coordinator)

    cover_letter_areas(letter_id=letter.pk, masks=[SIGNATURE, ELSEWHERE], by=staff)

    letter.refresh_from_db()
    assert letter.masks == [SIGNATURE, ELSEWHERE]
    assert letter.status == LetterStatus.PENDING
    assert not letter.preview
    last = list(history_of(letter))[-1]
    assert last.by == staff
    assert (last.from_status, last.to_status) == ("pending", "pending")
    assert last.note == "Covered areas of the scan changed: 2 areas are covered."


def test_saving_the_same_areas_again_records_nothing(coordinator, staff):
    letter = scanned_letter(coordinator)
    cover_letter_areas(letter_id=letter.pk, masks=[SIGNATURE], by=staff)
    rows = StatusChange.objects.count()

    cover_letter_areas(letter_id=letter.pk, masks=[dict(SIGNATURE)], by=staff)

    assert StatusChange.objects.count() == rows


@pytest.mark.parametrize(
    "masks, message",
    [
        ([{"x": 1.5, "y": 0, "w": 0.1, "h": 0.1}], "Area 1 lies outside the scan"),
        ([SIGNATURE] * 51, "Please cover at most 50 areas"),
        (["not an area"], "Area 1 is not a rectangle"),
    ],
)
def test_bad_areas_are_refused_and_nothing_is_saved(coordinator, staff, masks, message):
    letter = scanned_letter(coordinator)
    cover_letter_areas(letter_id=letter.pk, masks=[ELSEWHERE], by=staff)
    rows = StatusChange.objects.count()

    with pytest.raises(ValidationError) as caught:
        cover_letter_areas(letter_id=letter.pk, masks=masks, by=staff)

    assert caught.value.messages[0].startswith(message)
    letter.refresh_from_db()
    assert letter.masks == [ELSEWHERE]
    assert StatusChange.objects.count() == rows


def test_a_letter_without_a_scan_or_refused_cannot_be_covered(coordinator, staff):
    typed = upload_letter(
        fulfilment_id=FulfilmentFactory().pk, by=coordinator, scan=None, transcription="谢谢"
    )
    with pytest.raises(TransitionError, match="no scan"):
        cover_letter_areas(letter_id=typed.pk, masks=[SIGNATURE], by=staff)

    refused = scanned_letter(coordinator)
    reject_letter(letter_id=refused.pk, by=staff, reason="unreadable")
    with pytest.raises(TransitionError, match="not approved"):
        cover_letter_areas(letter_id=refused.pk, masks=[SIGNATURE], by=staff)
    refused.refresh_from_db()
    assert refused.masks == []


def test_approval_makes_the_covered_downscaled_watermarked_copy(coordinator, staff):
    letter = scanned_letter(coordinator)
    assert green_pixels(stored_image(letter.scan)) > 1000
    cover_letter_areas(letter_id=letter.pk, masks=[SIGNATURE], by=staff)

    approve_letter(letter_id=letter.pk, by=staff)

    letter.refresh_from_db()
    copy = stored_image(letter.preview)
    assert green_pixels(copy) == 0
    assert max(copy.size) == SPONSOR_COPY_LONG_SIDE
    # The scan itself stays as it came, for staff and the school.
    assert green_pixels(stored_image(letter.scan)) > 1000


def test_changing_the_areas_after_approval_makes_the_copy_again(
    coordinator, staff, django_capture_on_commit_callbacks
):
    letter = scanned_letter(coordinator)
    cover_letter_areas(letter_id=letter.pk, masks=[ELSEWHERE], by=staff)
    approve_letter(letter_id=letter.pk, by=staff)
    letter.refresh_from_db()
    first = letter.preview.name
    # The signature was forgotten: the sponsor's copy shows it.
    assert green_pixels(stored_image(letter.preview)) > 100

    with django_capture_on_commit_callbacks(execute=True):
        cover_letter_areas(letter_id=letter.pk, masks=[ELSEWHERE, SIGNATURE], by=staff)

    letter.refresh_from_db()
    assert letter.status == LetterStatus.APPROVED
    assert letter.preview.name != first
    assert green_pixels(stored_image(letter.preview)) == 0
    # The copy the sponsor could open before is gone.
    assert not letter.preview.storage.exists(first)


def test_a_refused_approval_keeps_no_copy(coordinator, staff, monkeypatch):
    letter = scanned_letter(coordinator)
    monkeypatch.setattr("wishes.services.letters.letter_sharing_consented", lambda child_id: False)
    with pytest.raises(TransitionError):
        approve_letter(letter_id=letter.pk, by=staff)
    letter.refresh_from_db()
    assert not letter.preview


def test_the_draft_copy_follows_the_areas_as_saved(coordinator, staff):
    letter = scanned_letter(coordinator, 600, 800)
    before = Image.open(sponsor_copy_of(letter)).convert("RGB")
    assert green_pixels(before) > 100

    cover_letter_areas(letter_id=letter.pk, masks=[SIGNATURE], by=staff)
    letter.refresh_from_db()

    after = Image.open(sponsor_copy_of(letter)).convert("RGB")
    assert green_pixels(after) == 0
    assert after.size == (600, 800)
