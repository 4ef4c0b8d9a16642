"""The access log: who looked at which child's file, when and from where; staff read it."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from sponsors.models import Sponsor
from tests import image_corpus as corpus
from tests.factories import ChildFactory, ClaimFactory
from wishes.models import AccessAction, AccessLog, Child, FulfilmentPhoto, ThankYouLetter
from wishes.privacy.access_log import log_access
from wishes.services import record_fulfilment, upload_letter

ADMIN_CHANGELIST = "/admin/wishes/accesslog/"


def sponsor_of(user) -> Sponsor:
    return user.sponsor_member.sponsor


@pytest.fixture
def photo(sponsor, school, staff) -> FulfilmentPhoto:
    """A photo of the sponsor's fulfilled claim, shared with the sponsor by consent."""
    claim = ClaimFactory(sponsor=sponsor_of(sponsor), wish__child__school=school)
    fulfilment = record_fulfilment(
        claim_id=claim.pk,
        by=staff,
        fulfilled_on=timezone.localdate(),
        photos=[corpus.clean("good_jpeg")],
    )
    return fulfilment.photos.get()


@pytest.fixture
def letter(photo, coordinator) -> ThankYouLetter:
    """A letter waiting for approval, uploaded by the school's coordinator."""
    return upload_letter(
        fulfilment_id=photo.fulfilment_id, by=coordinator, scan=corpus.clean("good_png")
    )


@pytest.mark.django_db
def test_photo_view_is_logged_with_who_what_when_and_where(client, staff, photo):
    client.force_login(staff)
    url = reverse("files:photo", args=[photo.pk])
    before = timezone.now()

    client.get(url, REMOTE_ADDR="198.51.100.7")

    [log] = AccessLog.objects.all()
    assert log.user == staff
    assert log.action == AccessAction.VIEW_PHOTO
    assert log.content_type == ContentType.objects.get_for_model(FulfilmentPhoto)
    assert log.object_id == photo.pk
    assert log.ip_address == "198.51.100.7"
    assert log.path == url == f"/files/photos/{photo.pk}/"
    assert before <= log.at <= timezone.now()


@pytest.mark.django_db
def test_letter_views_are_logged_as_letters(client_for, coordinator, letter):
    client = client_for("coordinator")
    client.get(reverse("files:letter_scan", args=[letter.pk]))
    client.get(reverse("files:letter_scan", args=[letter.pk]))

    logs = list(AccessLog.objects.order_by("id"))
    assert len(logs) == 2  # Every view, not every viewer.
    for log in logs:
        assert log.user == coordinator
        assert log.action == AccessAction.VIEW_LETTER
        assert log.content_type == ContentType.objects.get_for_model(ThankYouLetter)
        assert log.object_id == letter.pk


@pytest.mark.django_db
def test_thumbnail_views_are_logged_with_their_own_path(client_for, photo):
    url = reverse("files:photo_thumbnail", args=[photo.pk])
    client_for("sponsor").get(url)
    [log] = AccessLog.objects.all()
    assert log.path == url
    assert log.action == AccessAction.VIEW_PHOTO


@pytest.mark.django_db
def test_refused_requests_leave_no_log(client_for, photo, letter):
    client = client_for("other_sponsor")
    client.get(reverse("files:photo", args=[photo.pk]))
    client.get(reverse("files:letter_scan", args=[letter.pk]))
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize("behind_proxy, expected", [(False, "10.0.0.2"), (True, "203.0.113.50")])
@pytest.mark.django_db
def test_forwarded_address_is_trusted_only_behind_our_proxy(
    behind_proxy, expected, settings, client, staff, photo
):
    settings.BEHIND_PROXY = behind_proxy
    client.force_login(staff)
    client.get(
        reverse("files:photo", args=[photo.pk]),
        REMOTE_ADDR="10.0.0.2",
        # The first entry is the client's own claim; our proxy appends the real address.
        HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.50",
    )
    assert AccessLog.objects.get().ip_address == expected


@pytest.mark.django_db
def test_child_record_view_is_logged_without_the_childs_name(staff):
    child = ChildFactory(real_name="王小花")
    request = RequestFactory().get(f"/school/children/{child.pk}/", REMOTE_ADDR="192.0.2.1")
    request.user = staff

    log_access(request, action=AccessAction.VIEW_CHILD, subject=child)

    log = AccessLog.objects.get()
    assert log.action == AccessAction.VIEW_CHILD
    assert log.content_type == ContentType.objects.get_for_model(Child)
    assert log.object_id == child.pk
    assert log.user == staff
    for value in AccessLog.objects.values().get().values():
        assert "王小花" not in str(value)
        assert child.alias not in str(value)


@pytest.mark.django_db
def test_anonymous_view_is_logged_without_a_user_and_long_paths_are_cut(photo):
    request = RequestFactory().get("/files/photos/" + "x" * 400)
    request.user = AnonymousUser()
    log_access(request, action=AccessAction.VIEW_PHOTO, subject=photo)
    log = AccessLog.objects.get()
    assert log.user is None
    assert len(log.path) == 300


def _skip_unless_registered() -> None:
    if not admin.site.is_registered(AccessLog):
        pytest.skip("AccessLog is not registered in the admin yet (the admin helper adds it)")


@pytest.mark.django_db
def test_staff_read_the_access_log_in_the_admin(client, staff, photo):
    _skip_unless_registered()
    client.force_login(staff)
    client.get(reverse("files:photo", args=[photo.pk]))

    response = client.get(ADMIN_CHANGELIST)

    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    assert f"/files/photos/{photo.pk}/" in response.content.decode()


@pytest.mark.parametrize("role", ["sponsor", "coordinator", "plain_user"])
@pytest.mark.django_db
def test_only_staff_reach_the_access_log(role, client_for):
    _skip_unless_registered()
    response = client_for(role).get(ADMIN_CHANGELIST)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_the_access_log_cannot_be_written_in_the_admin(client, staff):
    _skip_unless_registered()
    client.force_login(staff)
    assert client.get(ADMIN_CHANGELIST + "add/").status_code == 403
