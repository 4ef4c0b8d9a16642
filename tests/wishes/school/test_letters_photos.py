"""Thank-you letters and later photos of a fulfilment, uploaded by the coordinator."""

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.urls import reverse

from tests import image_corpus
from tests.wishes.school.conftest import stored_files
from wishes.models import FulfilmentPhoto, LetterStatus, StatusChange, ThankYouLetter
from wishes.services import reject_letter, upload_letter

pytestmark = pytest.mark.django_db


def letter_url(fulfilment) -> str:
    return reverse("school:letter", args=[fulfilment.pk])


def photos_url(fulfilment) -> str:
    return reverse("school:photos", args=[fulfilment.pk])


def test_a_scanned_letter_waits_for_staff_approval(
    client_for, coordinator, own_fulfilment, django_capture_on_commit_callbacks, settings
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("coordinator").post(
            letter_url(own_fulfilment),
            {"scan": image_corpus.uploaded("good_png"), "transcription": "谢谢叔叔阿姨！"},
        )
    assert response.status_code == 302
    assert response.url == letter_url(own_fulfilment)
    letter = ThankYouLetter.objects.get()
    assert letter.fulfilment == own_fulfilment
    assert letter.status == LetterStatus.PENDING
    assert letter.transcription == "谢谢叔叔阿姨！"
    assert letter.uploaded_by == coordinator
    assert default_storage.exists(letter.scan.name)
    with default_storage.open(letter.scan.name, "rb") as stored:
        assert image_corpus.PNG_TEXT_MARKER.encode() not in stored.read()
    assert StatusChange.objects.filter(to_status=LetterStatus.PENDING).count() == 1
    # Staff hear of it; the sponsor only once staff approve.
    assert [m.to for m in mail.outbox] == [settings.STAFF_NOTIFY_EMAILS]


def test_a_typed_letter_needs_no_scan(client_for, coordinator, own_fulfilment):
    response = client_for("coordinator").post(
        letter_url(own_fulfilment), {"transcription": "谢谢您送我的书"}
    )
    assert response.status_code == 302
    assert ThankYouLetter.objects.get().scan.name == ""


def test_a_letter_needs_a_scan_or_text(client_for, coordinator, own_fulfilment):
    response = client_for("coordinator").post(
        letter_url(own_fulfilment), {"transcription": "  "}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "Upload the letter&#x27;s scan or photo, or type its text." in response.text
    assert ThankYouLetter.objects.count() == 0


@pytest.mark.parametrize("bad", sorted(image_corpus.BAD))
def test_a_bad_scan_is_refused_with_a_message_and_leaves_nothing(
    bad, client_for, coordinator, own_fulfilment, settings
):
    settings.HUAMU_MAX_UPLOAD_BYTES = 1_000_000
    settings.HUAMU_MAX_IMAGE_PIXELS = 1_000_000
    # A transcription does not save a letter whose scan was refused.
    data = {"scan": image_corpus.uploaded(bad), "transcription": "谢谢"}
    response = client_for("coordinator").post(letter_url(own_fulfilment), data)
    assert response.status_code == 400
    assert f"{image_corpus.BAD[bad]()[0]}：" in response.text  # Chinese full-width colon
    assert 'class="invalid-feedback"' in response.text
    assert ThankYouLetter.objects.count() == 0
    assert StatusChange.objects.count() == 0
    assert stored_files() == []


def test_extra_files_in_a_letter_request_are_refused(
    client_for, coordinator, own_fulfilment, settings
):
    settings.HUAMU_MAX_UPLOAD_FILES = 2
    data = {
        "scan": image_corpus.uploaded_jpeg(),
        "other": [image_corpus.uploaded_jpeg(), image_corpus.uploaded_jpeg()],
    }
    response = client_for("coordinator").post(
        letter_url(own_fulfilment), data, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "Please upload at most 2 files at a time." in response.text
    assert ThankYouLetter.objects.count() == 0
    assert stored_files() == []


def test_the_letter_page_shows_each_letters_status(client_for, coordinator, staff, own_fulfilment):
    upload_letter(fulfilment_id=own_fulfilment.pk, by=coordinator, scan=None, transcription="一")
    refused = upload_letter(
        fulfilment_id=own_fulfilment.pk, by=coordinator, scan=None, transcription="二"
    )
    reject_letter(letter_id=refused.pk, by=staff, reason="字迹看不清")
    html = (
        client_for("coordinator").get(letter_url(own_fulfilment), HTTP_ACCEPT_LANGUAGE="en").text
    )
    assert "Waiting for approval" in html
    assert "Not approved" in html
    assert "字迹看不清" in html
    assert own_fulfilment.claim.wish.child.real_name in html


def test_photos_are_added_to_an_earlier_fulfilment(client_for, coordinator, own_fulfilment):
    data = {"images": [image_corpus.uploaded("good_jpeg"), image_corpus.uploaded("good_webp")]}
    response = client_for("coordinator").post(photos_url(own_fulfilment), data)
    assert response.status_code == 302
    photos = list(FulfilmentPhoto.objects.all())
    assert len(photos) == 2
    assert {p.fulfilment for p in photos} == {own_fulfilment}
    assert all(default_storage.exists(p.image.name) for p in photos)
    html = client_for("coordinator").get(photos_url(own_fulfilment)).text
    for photo in photos:
        assert reverse("files:photo_thumbnail", args=[photo.pk]) in html


def test_photos_page_needs_a_photo(client_for, coordinator, own_fulfilment):
    response = client_for("coordinator").post(
        photos_url(own_fulfilment), {}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "Choose at least one photo." in response.text


@pytest.mark.parametrize("bad", ["svg_as_png", "truncated_jpeg", "decompression_bomb_png"])
def test_one_bad_photo_refuses_them_all(bad, client_for, coordinator, own_fulfilment):
    data = {"images": [image_corpus.uploaded("good_jpeg"), image_corpus.uploaded(bad)]}
    response = client_for("coordinator").post(photos_url(own_fulfilment), data)
    assert response.status_code == 400
    assert f"{image_corpus.BAD[bad]()[0]}：" in response.text  # Chinese full-width colon
    assert FulfilmentPhoto.objects.count() == 0
    assert stored_files() == []


def test_too_many_photos_at_once_are_refused(client_for, coordinator, own_fulfilment, settings):
    settings.HUAMU_MAX_UPLOAD_FILES = 2
    data = {"images": [image_corpus.uploaded_jpeg() for _ in range(3)]}
    response = client_for("coordinator").post(
        photos_url(own_fulfilment), data, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "Please upload at most 2 files at a time." in response.text
    assert FulfilmentPhoto.objects.count() == 0
