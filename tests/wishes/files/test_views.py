"""Private files: who may fetch a child's photo or letter, how it is sent, and the log."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from sponsors.models import Sponsor
from tests import image_corpus as corpus
from tests.factories import ClaimFactory, EventFactory
from wishes.models import (
    AccessAction,
    AccessLog,
    Child,
    Consent,
    Event,
    Fulfilment,
    FulfilmentPhoto,
    LetterStatus,
    ThankYouLetter,
)
from wishes.services import (
    add_fulfilment_photos,
    approve_letter,
    record_fulfilment,
    reject_letter,
    set_photo_publication,
    upload_letter,
    withdraw_consent,
    withdraw_photo,
)

ROLES = ("anonymous", "sponsor", "other_sponsor", "coordinator", "other_coordinator", "staff")

# Expected status per role, in the order of ROLES, for each situation and file URL.
MATRIX = {
    # Private photo: the guardian did not agree to share it, staff did not publish it.
    ("photo_private", "files:photo"): (404, 404, 404, 200, 404, 200),
    ("photo_private", "files:photo_thumbnail"): (404, 404, 404, 200, 404, 200),
    # Shared with the claim's sponsor by the guardian's consent.
    ("photo_shared", "files:photo"): (404, 200, 404, 200, 404, 200),
    ("photo_shared", "files:photo_thumbnail"): (404, 200, 404, 200, 404, 200),
    # Cleared by staff with consent to publish, at a public event: anyone.
    ("photo_public", "files:photo"): (200, 200, 200, 200, 200, 200),
    ("photo_public", "files:photo_thumbnail"): (200, 200, 200, 200, 200, 200),
    # The original scan never goes beyond staff and the child's school.
    ("letter_pending", "files:letter_scan"): (404, 404, 404, 200, 404, 200),
    ("letter_approved", "files:letter_scan"): (404, 404, 404, 200, 404, 200),
    # The watermarked copy is made at approval: before that there is nothing to send.
    ("letter_pending", "files:letter_preview"): (404, 404, 404, 404, 404, 404),
    ("letter_approved", "files:letter_preview"): (404, 200, 404, 200, 404, 200),
    # The draft of the sponsor's copy: staff alone, who decide what to cover.
    ("letter_pending", "files:letter_draft"): (404, 404, 404, 404, 404, 200),
    ("letter_approved", "files:letter_draft"): (404, 404, 404, 404, 404, 200),
}
CASES = [
    (situation, name, role, statuses[ROLES.index(role)])
    for (situation, name), statuses in MATRIX.items()
    for role in ROLES
]


def sponsor_of(user) -> Sponsor:
    return user.sponsor_member.sponsor


@pytest.fixture
def fulfilment(sponsor, school, staff) -> Fulfilment:
    """The sponsor's claim of a wish of a child at `school`, fulfilled at a public event
    with one photo; the guardian agreed to share photos with the sponsor, not to publish."""
    claim = ClaimFactory(sponsor=sponsor_of(sponsor), wish__child__school=school)
    return record_fulfilment(
        claim_id=claim.pk,
        by=staff,
        fulfilled_on=timezone.localdate(),
        event=EventFactory(school=school, is_public=True),
        photos=[corpus.clean("good_jpeg")],
    )


def consent_of(fulfilment: Fulfilment) -> Consent:
    return Consent.objects.get(child_id=fulfilment.claim.wish.child_id)


def child_of(fulfilment: Fulfilment) -> Child:
    return Child.objects.get(pk=fulfilment.claim.wish.child_id)


def photo_in(situation: str, fulfilment: Fulfilment, staff) -> FulfilmentPhoto:
    photo = fulfilment.photos.get()
    consent = consent_of(fulfilment)
    if situation == "photo_private":
        Consent.objects.filter(pk=consent.pk).update(share_photos_with_sponsor=False)
    elif situation == "photo_public":
        # Public, but not shared with the sponsor: what reaches the sponsor is the publication.
        Consent.objects.filter(pk=consent.pk).update(
            share_photos_with_sponsor=False, publish_photos=True
        )
        set_photo_publication(photo_id=photo.pk, by=staff, public=True)
    return photo


def letter_in(situation: str, fulfilment: Fulfilment, coordinator, staff) -> ThankYouLetter:
    letter = upload_letter(
        fulfilment_id=fulfilment.pk,
        by=coordinator,
        scan=corpus.clean("good_png"),
        transcription="谢谢叔叔阿姨！",
    )
    if situation == "letter_approved":
        letter = approve_letter(letter_id=letter.pk, by=staff)
    return letter


@pytest.fixture
def subject_in(fulfilment, coordinator, staff):
    """Put the fulfilment in a named situation; return its photo or letter."""

    def make(situation: str):
        if situation.startswith("photo"):
            return photo_in(situation, fulfilment, staff)
        return letter_in(situation, fulfilment, coordinator, staff)

    return make


def logs_of(subject) -> list[AccessLog]:
    return list(
        AccessLog.objects.filter(
            content_type=ContentType.objects.get_for_model(subject), object_id=subject.pk
        )
    )


@pytest.mark.parametrize("situation, name, role, status", CASES)
@pytest.mark.django_db
def test_file_access(situation, name, role, status, subject_in, client_for, request):
    subject = subject_in(situation)
    client = client_for(role)
    url = reverse(name, args=[subject.pk])
    AccessLog.objects.all().delete()

    response = client.get(url)

    assert response.status_code == status
    logs = logs_of(subject)
    if status == 200:
        assert len(logs) == 1
        user = None if role == "anonymous" else request.getfixturevalue(role)
        assert logs[0].user == user
        assert logs[0].path == url
        assert logs[0].action == (
            AccessAction.VIEW_PHOTO if situation.startswith("photo") else AccessAction.VIEW_LETTER
        )
    else:
        assert logs == []
    child = child_of(subject.fulfilment)
    for row in AccessLog.objects.values():
        for value in row.values():
            assert child.real_name not in str(value)
            assert child.guardian_name not in str(value)


@pytest.mark.parametrize(
    "name, attribute",
    [
        ("files:photo", "image"),
        ("files:photo_thumbnail", "thumbnail"),
    ],
)
@pytest.mark.django_db
def test_photo_is_sent_inline_uncached_with_a_server_made_name(
    name, attribute, subject_in, client_for
):
    photo = subject_in("photo_shared")
    response = client_for("sponsor").get(reverse(name, args=[photo.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline;")
    assert f'filename="photo-{photo.pk}' in disposition
    child = child_of(photo.fulfilment)
    assert child.real_name not in disposition
    assert child.alias not in disposition
    stored = getattr(photo, attribute)
    with stored.open("rb") as handle:
        assert b"".join(response.streaming_content) == handle.read()


@pytest.mark.parametrize(
    "sample, content_type", [("good_png", "image/png"), ("good_webp", "image/webp")]
)
@pytest.mark.django_db
def test_content_type_follows_the_stored_format(sample, content_type, fulfilment, staff, client):
    [photo] = add_fulfilment_photos(
        fulfilment_id=fulfilment.pk, by=staff, images=[corpus.clean(sample)]
    )
    client.force_login(staff)
    response = client.get(reverse("files:photo", args=[photo.pk]))
    assert response["Content-Type"] == content_type
    extension = content_type.split("/")[1]
    assert f'filename="photo-{photo.pk}.{extension}"' in response["Content-Disposition"]
    # The thumbnail is always a JPEG.
    response = client.get(reverse("files:photo_thumbnail", args=[photo.pk]))
    assert response["Content-Type"] == "image/jpeg"


@pytest.mark.django_db
def test_letter_files_are_sent_with_the_same_headers(subject_in, client_for):
    letter = subject_in("letter_approved")
    client = client_for("coordinator")

    scan = client.get(reverse("files:letter_scan", args=[letter.pk]))
    preview = client.get(reverse("files:letter_preview", args=[letter.pk]))

    assert scan["Content-Type"] == "image/png"
    assert preview["Content-Type"] == "image/jpeg"
    for response in (scan, preview):
        assert response["Cache-Control"] == "private, no-store"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("inline;")
    assert f'filename="letter-{letter.pk}.png"' in scan["Content-Disposition"]
    assert f'filename="letter-{letter.pk}-copy.jpg"' in preview["Content-Disposition"]
    assert b"".join(scan.streaming_content) != b"".join(preview.streaming_content)


@pytest.mark.django_db
def test_web_server_sends_the_file_when_redirect_is_configured(settings, subject_in, client_for):
    settings.HUAMU_PRIVATE_MEDIA_REDIRECT = "/protected-media/"
    photo = subject_in("photo_shared")
    response = client_for("sponsor").get(reverse("files:photo", args=[photo.pk]))

    assert response.status_code == 200
    assert response.content == b""
    assert response["X-Accel-Redirect"] == f"/protected-media/{photo.image.name}"
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == f'inline; filename="photo-{photo.pk}.jpg"'
    assert len(logs_of(photo)) == 1


@pytest.mark.django_db
def test_redirect_mode_still_refuses_those_who_may_not_see(settings, subject_in, client_for):
    settings.HUAMU_PRIVATE_MEDIA_REDIRECT = "/protected-media/"
    photo = subject_in("photo_private")
    response = client_for("sponsor").get(reverse("files:photo", args=[photo.pk]))
    assert response.status_code == 404
    assert "X-Accel-Redirect" not in response
    assert logs_of(photo) == []


@pytest.mark.django_db
def test_anonymous_view_of_a_public_photo_is_logged_without_a_user(subject_in, client):
    photo = subject_in("photo_public")
    client.get(reverse("files:photo", args=[photo.pk]), REMOTE_ADDR="203.0.113.9")
    [log] = logs_of(photo)
    assert log.user is None
    assert log.ip_address == "203.0.113.9"


@pytest.mark.django_db
def test_public_photo_of_a_private_event_stays_private(subject_in, client):
    photo = subject_in("photo_public")
    Event.objects.filter(pk=photo.fulfilment.event_id).update(is_public=False)
    assert client.get(reverse("files:photo", args=[photo.pk])).status_code == 404


@pytest.mark.parametrize(
    "role, status", [("staff", 200), ("coordinator", 404), ("sponsor", 404), ("anonymous", 404)]
)
@pytest.mark.django_db
def test_withdrawn_photo_is_seen_by_staff_only(role, status, subject_in, client_for, staff):
    photo = subject_in("photo_public")
    withdraw_photo(photo_id=photo.pk, by=staff, reason="家长要求")
    assert client_for(role).get(reverse("files:photo", args=[photo.pk])).status_code == status


@pytest.mark.django_db
def test_sponsor_loses_the_photo_when_consent_is_withdrawn(subject_in, client_for, staff):
    photo = subject_in("photo_shared")
    client = client_for("sponsor")
    url = reverse("files:photo_thumbnail", args=[photo.pk])
    assert client.get(url).status_code == 200

    withdraw_consent(consent_id=consent_of(photo.fulfilment).pk, by=staff)

    assert client.get(url).status_code == 404


@pytest.mark.parametrize("role, status", [("staff", 200), ("coordinator", 404), ("sponsor", 404)])
@pytest.mark.django_db
def test_withdrawn_childs_files_stay_with_staff(role, status, subject_in, client_for):
    photo = subject_in("photo_shared")
    Child.objects.filter(pk=photo.fulfilment.claim.wish.child_id).update(
        withdrawn_at=timezone.now()
    )
    assert client_for(role).get(reverse("files:photo", args=[photo.pk])).status_code == status


@pytest.mark.parametrize("role", ["plain_user", "unverified_sponsor", "superuser"])
@pytest.mark.django_db
def test_users_without_a_role_see_no_file_and_superusers_see_all(
    role, subject_in, client_for, staff
):
    photo = subject_in("photo_private")
    letter = letter_in("letter_approved", photo.fulfilment, staff, staff)
    expected = 200 if role == "superuser" else 404
    client = client_for(role)
    for name, pk in [
        ("files:photo", photo.pk),
        ("files:photo_thumbnail", photo.pk),
        ("files:letter_scan", letter.pk),
        ("files:letter_preview", letter.pk),
    ]:
        assert client.get(reverse(name, args=[pk])).status_code == expected, name


@pytest.mark.django_db
def test_a_letter_no_longer_approved_is_not_shown_to_the_sponsor(subject_in, client_for):
    letter = subject_in("letter_approved")
    ThankYouLetter.objects.filter(pk=letter.pk).update(status=LetterStatus.REJECTED)
    url = reverse("files:letter_preview", args=[letter.pk])
    assert client_for("sponsor").get(url).status_code == 404
    assert client_for("coordinator").get(url).status_code == 200


@pytest.mark.django_db
def test_rejected_letter_is_never_shown_to_the_sponsor(subject_in, client_for, staff):
    letter = subject_in("letter_pending")
    reject_letter(letter_id=letter.pk, by=staff, reason="信里写了孩子的全名")
    client = client_for("sponsor")
    for name in ("files:letter_scan", "files:letter_preview"):
        assert client.get(reverse(name, args=[letter.pk])).status_code == 404
    assert (
        client_for("coordinator").get(reverse("files:letter_scan", args=[letter.pk])).status_code
        == 200
    )


@pytest.mark.django_db
def test_a_letter_without_a_scan_has_no_file_to_send(fulfilment, client_for, staff):
    letter = upload_letter(
        fulfilment_id=fulfilment.pk, by=staff, scan=None, transcription="谢谢！"
    )
    approve_letter(letter_id=letter.pk, by=staff)
    for name in ("files:letter_scan", "files:letter_preview"):
        assert client_for("staff").get(reverse(name, args=[letter.pk])).status_code == 404
    assert logs_of(letter) == []


@pytest.mark.django_db
def test_a_missing_file_is_a_404_and_is_not_logged(subject_in, client_for):
    photo = subject_in("photo_shared")
    photo.image.storage.delete(photo.image.name)
    response = client_for("sponsor").get(reverse("files:photo", args=[photo.pk]))
    assert response.status_code == 404
    assert logs_of(photo) == []


@pytest.mark.parametrize(
    "name", ["files:photo", "files:photo_thumbnail", "files:letter_scan", "files:letter_preview"]
)
@pytest.mark.django_db
def test_unknown_file_is_a_404(name, client_for):
    assert client_for("staff").get(reverse(name, args=[999_999])).status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "delete"])
@pytest.mark.django_db
def test_file_urls_only_answer_get_and_head(method, subject_in, client_for):
    photo = subject_in("photo_shared")
    client = client_for("staff")
    url = reverse("files:photo", args=[photo.pk])
    assert getattr(client, method)(url).status_code == 405
    assert client.head(url).status_code == 200
