"""The fulfilment roster: several claimed wishes handed over at once, photos per wish."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from tests import image_corpus
from tests.factories import ClaimFactory, EventFactory, SponsorFactory
from tests.wishes.school.conftest import sponsor_of, stored_files
from wishes.audit import history_of
from wishes.models import (
    Claim,
    ClaimStatus,
    Fulfilment,
    FulfilmentPhoto,
    School,
    StatusChange,
    WishStatus,
)
from wishes.services import record_fulfilment

pytestmark = pytest.mark.django_db

FULFIL = reverse("school:fulfil")
OVERVIEW = reverse("school:overview")
_EXIF_GPS_IFD = 0x8825


@pytest.fixture
def three_claims(school, sponsor):
    """Three claimed wishes at `school`, of three sponsors (one of them `sponsor`)."""
    return [
        ClaimFactory(wish__child__school=school, sponsor=sponsor_of(sponsor)),
        ClaimFactory(wish__child__school=school, sponsor=SponsorFactory(verified=True)),
        ClaimFactory(wish__child__school=school, sponsor=SponsorFactory(verified=True)),
    ]


def roster_post(claims, *, photos=None, **fields) -> dict:
    """The roster form as a browser posts it: ticked claims, date, event, note, files."""
    data = {
        "claims": [claim.pk for claim in claims],
        "fulfilled_on": timezone.localdate().isoformat(),
        "event": "",
        "note": "",
        **fields,
    }
    for claim, files in (photos or {}).items():
        data[f"photos-{claim.pk}"] = files
    return data


def nothing_written(claims) -> bool:
    """No fulfilment, photo or audit row, every claim still active, and no file stored."""
    return (
        Fulfilment.objects.count() == 0
        and FulfilmentPhoto.objects.count() == 0
        and StatusChange.objects.count() == 0
        and all(Claim.objects.get(pk=claim.pk).status == ClaimStatus.ACTIVE for claim in claims)
        and stored_files() == []
    )


def test_the_roster_lists_the_schools_claimed_wishes_only(
    client_for, coordinator, own_claim, other_claim, own_fulfilment
):
    response = client_for("coordinator").get(FULFIL)
    html = response.text
    assert response.status_code == 200
    assert f'name="claims" value="{own_claim.pk}"' in html
    assert own_claim.wish.child.real_name in html
    assert own_claim.sponsor.name in html
    assert f'value="{other_claim.pk}"' not in html
    assert f'value="{own_fulfilment.claim.pk}"' not in html
    # A phone offers its camera and its photo library for these inputs.
    assert f'name="photos-{own_claim.pk}"' in html
    assert 'multiple accept="image/jpeg,image/png,image/webp"' in html
    assert 'enctype="multipart/form-data"' in html


def test_roster_fulfils_three_wishes_at_once_with_a_photo_on_one(
    client_for,
    coordinator,
    three_claims,
    own_event,
    django_capture_on_commit_callbacks,
):
    first = three_claims[0]
    data = roster_post(
        three_claims,
        photos={first: [image_corpus.uploaded("good_jpeg")]},
        event=own_event.pk,
        note="在会议室交给孩子们",
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client_for("coordinator").post(FULFIL, data)
        # Sponsors hear of it only once the transaction has committed.
        assert mail.outbox == []
    assert response.status_code == 302
    assert response.url == f"{OVERVIEW}?school={own_event.school_id}"
    assert len(callbacks) == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        claim.sponsor.email for claim in three_claims
    )
    for claim in three_claims:
        claim.refresh_from_db()
        claim.wish.refresh_from_db()
        assert claim.status == ClaimStatus.FULFILLED
        assert claim.wish.status == WishStatus.FULFILLED
        fulfilment = claim.fulfilment
        assert fulfilment.event == own_event
        assert fulfilment.fulfilled_on == timezone.localdate()
        assert fulfilment.note == "在会议室交给孩子们"
        assert fulfilment.recorded_by == coordinator
        assert [(c.from_status, c.to_status, c.by) for c in history_of(claim)][-1] == (
            ClaimStatus.ACTIVE,
            ClaimStatus.FULFILLED,
            coordinator,
        )
        assert [(c.from_status, c.to_status) for c in history_of(claim.wish)] == [
            (WishStatus.CLAIMED, WishStatus.FULFILLED)
        ]
    photo = FulfilmentPhoto.objects.get()
    assert photo.fulfilment.claim == first
    assert photo.uploaded_by == coordinator
    assert not photo.is_public
    assert default_storage.exists(photo.image.name)
    assert default_storage.exists(photo.thumbnail.name)
    assert len(stored_files()) == 2


def test_success_message_names_how_many_wishes_were_fulfilled(
    client_for, coordinator, three_claims
):
    client = client_for("coordinator")
    response = client.post(
        FULFIL, roster_post(three_claims), follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "3 wishes are recorded as fulfilled" in response.text


@pytest.mark.parametrize("bad", sorted(image_corpus.BAD))
def test_a_bad_file_on_one_row_refuses_the_whole_roster(
    bad, client_for, coordinator, three_claims, settings
):
    # The two "bad only under a lowered limit" entries need these limits.
    settings.HUAMU_MAX_UPLOAD_BYTES = 1_000_000
    settings.HUAMU_MAX_IMAGE_PIXELS = 1_000_000
    good_row, bad_row = three_claims[0], three_claims[1]
    data = roster_post(
        three_claims,
        photos={
            good_row: [image_corpus.uploaded("good_jpeg")],
            bad_row: [image_corpus.uploaded(bad)],
        },
    )
    response = client_for("coordinator").post(FULFIL, data)
    assert response.status_code == 400
    html = response.text
    # The message stands next to the row of the bad file, and only there.
    assert f'id="photos-{bad_row.pk}-errors"' in html
    assert f'id="photos-{good_row.pk}-errors"' not in html
    filename = image_corpus.BAD[bad]()[0]
    # The message names the file (Chinese by default, hence the full-width colon).
    assert f"{filename}：" in html
    # The ticks survive, so the coordinator only has to choose the files again.
    assert f'value="{bad_row.pk}" id="claim-{bad_row.pk}" checked' in html
    assert nothing_written(three_claims)


def test_too_many_files_in_one_request_are_refused_before_decoding(
    client_for, coordinator, three_claims, settings
):
    settings.HUAMU_MAX_UPLOAD_FILES = 2
    data = roster_post(
        three_claims,
        photos={
            three_claims[0]: [image_corpus.uploaded_jpeg(), image_corpus.uploaded_jpeg()],
            three_claims[1]: [image_corpus.uploaded_jpeg()],
        },
    )
    response = client_for("coordinator").post(FULFIL, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "Please upload at most 2 files at a time." in response.text
    assert nothing_written(three_claims)


def test_a_photo_on_an_unticked_row_is_not_dropped_quietly(client_for, coordinator, three_claims):
    unticked = three_claims[2]
    data = roster_post(three_claims[:2], photos={unticked: [image_corpus.uploaded_jpeg()]})
    response = client_for("coordinator").post(FULFIL, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert f'id="photos-{unticked.pk}-errors"' in response.text
    assert "Tick this wish to record it, or leave out its photos." in response.text
    assert nothing_written(three_claims)


def test_a_claim_of_another_school_is_refused_and_nothing_is_written(
    client_for, coordinator, own_claim, other_claim
):
    data = roster_post([own_claim, other_claim])
    response = client_for("coordinator").post(FULFIL, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "One of the ticked wishes is not a wish of this school." in response.text
    assert nothing_written([own_claim, other_claim])


def test_an_event_of_another_school_is_refused(client_for, coordinator, own_claim, other_event):
    data = roster_post([own_claim], event=other_event.pk)
    response = client_for("coordinator").post(FULFIL, data)
    assert response.status_code == 400
    assert nothing_written([own_claim])


def test_a_date_in_the_future_is_refused(client_for, coordinator, own_claim):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    data = roster_post([own_claim], fulfilled_on=tomorrow.isoformat())
    response = client_for("coordinator").post(FULFIL, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "The date cannot be in the future." in response.text
    assert nothing_written([own_claim])


def test_ticking_nothing_is_refused(client_for, coordinator, own_claim):
    response = client_for("coordinator").post(FULFIL, roster_post([]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "Tick at least one wish that was handed over." in response.text


def test_a_wish_fulfilled_by_a_colleague_meanwhile_is_a_conflict(
    client_for, coordinator, staff, three_claims
):
    taken = three_claims[1]
    record_fulfilment(claim_id=taken.pk, by=staff, fulfilled_on=timezone.localdate())
    before = StatusChange.objects.count()
    response = client_for("coordinator").post(
        FULFIL, roster_post(three_claims), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 409
    assert "Only an active claim can be fulfilled" in response.text
    assert Fulfilment.objects.count() == 1
    assert StatusChange.objects.count() == before
    assert Claim.objects.get(pk=three_claims[0].pk).status == ClaimStatus.ACTIVE


def test_a_phone_photo_is_stored_without_its_gps_position(client_for, coordinator, own_claim):
    data = roster_post([own_claim], photos={own_claim: [image_corpus.uploaded("good_jpeg")]})
    assert client_for("coordinator").post(FULFIL, data).status_code == 302
    photo = FulfilmentPhoto.objects.get()
    for field in (photo.image, photo.thumbnail):
        with default_storage.open(field.name, "rb") as stored:
            content = stored.read()
        assert image_corpus.CAMERA_MAKE.encode() not in content
        assert image_corpus.XMP_MARKER not in content
        assert image_corpus.JPEG_COMMENT not in content
        with default_storage.open(field.name, "rb") as stored:
            exif = Image.open(stored).getexif()
        assert _EXIF_GPS_IFD not in exif
        assert not exif.get_ifd(_EXIF_GPS_IFD)
    # The server names the file; nothing of the phone's file name is kept.
    assert "IMG_20261205" not in photo.image.name


def test_an_event_preselects_itself_and_ticks_its_planned_wishes(
    client_for, coordinator, school, three_claims
):
    event = EventFactory(school=school)
    event.wishes.add(three_claims[0].wish)
    html = client_for("coordinator").get(f"{FULFIL}?event={event.pk}").text
    assert f'<option value="{event.pk}" selected>' in html
    first, second = three_claims[0].pk, three_claims[1].pk
    assert f'value="{first}" id="claim-{first}" checked' in html
    assert f'value="{second}" id="claim-{second}">' in html


def test_staff_record_fulfilment_for_any_school(client_for, staff, other_claim):
    school_id = other_claim.wish.child.school_id
    url = f"{FULFIL}?school={school_id}"
    assert other_claim.wish.child.real_name in client_for("staff").get(url).text
    response = client_for("staff").post(url, roster_post([other_claim]))
    assert response.status_code == 302
    assert response.url == f"{OVERVIEW}?school={school_id}"
    assert Fulfilment.objects.get().recorded_by == staff


def test_the_roster_costs_the_same_queries_for_many_wishes(
    client_for, coordinator, school, own_event, django_assert_num_queries
):
    client = client_for("coordinator")
    ClaimFactory.create_batch(3, wish__child__school=school)
    # Django caches content types per process; load School's now so both counts match.
    ContentType.objects.get_for_model(School)
    # session, user (with its roles, the coordinator and school among them), the event of
    # ?event=, the roster (claims with wish, child and sponsor), the event's planned
    # wishes, the access log row and its children (one insert for all), and the event
    # choices.
    with django_assert_num_queries(8):
        client.get(f"{FULFIL}?event={own_event.pk}")
    ClaimFactory.create_batch(20, wish__child__school=school)
    with django_assert_num_queries(8):
        client.get(f"{FULFIL}?event={own_event.pk}")


def test_a_flood_of_files_is_a_400_not_a_500(client_for, coordinator, own_claim, settings):
    # Beyond DATA_UPLOAD_MAX_NUMBER_FILES Django itself refuses to parse the request.
    files = [
        image_corpus.uploaded_jpeg(2, 2) for _ in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)
    ]
    data = roster_post([own_claim], photos={own_claim: files})
    response = client_for("coordinator").post(FULFIL, data)
    assert response.status_code == 400
    assert nothing_written([own_claim])
