"""Sponsor sign-up: one form, one transaction, a pending sponsor and a mail to staff."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.urls import reverse

from huamu.errors import TransitionError
from huamu.phones import normalise_phone
from sponsors.models import Sponsor, SponsorKind, SponsorMember, UnitCategory, VerificationStatus
from sponsors.registration import register_sponsor
from tests.factories import RegionFactory
from wishes.models import StatusChange

URL = reverse("sponsors:register")
GOOD_PASSWORD = "Plum-blossom-2026"


@pytest.fixture
def region(db):
    return RegionFactory(name="花木街道")


def unit_data(region_of_unit, **overrides) -> dict:
    data = {
        "kind": SponsorKind.UNIT,
        "name": "上海新国际博览中心",
        "unit_category": UnitCategory.ENTERPRISE,
        "region": region_of_unit.pk,
        "contact_name": "王老师",
        "phone": "021-58881234",
        "email": "expo@example.org",
        "username": "expo",
        "password1": GOOD_PASSWORD,
        "password2": GOOD_PASSWORD,
    }
    data.update(overrides)
    return data


def individual_data(**overrides) -> dict:
    data = {
        "kind": SponsorKind.INDIVIDUAL,
        "name": "陈爱心",
        "unit_category": "",
        "region": "",
        "contact_name": "陈爱心",
        "phone": "138 1234 5678",
        "email": "chen@example.org",
        "username": "chen",
        "password1": GOOD_PASSWORD,
        "password2": GOOD_PASSWORD,
    }
    data.update(overrides)
    return data


def counts() -> tuple[int, int, int, int]:
    return (
        get_user_model().objects.count(),
        Sponsor.objects.count(),
        SponsorMember.objects.count(),
        StatusChange.objects.count(),
    )


@pytest.mark.django_db
def test_unit_signs_up_pending_logged_in_and_staff_told_after_commit(
    client, region, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(URL, unit_data(region), HTTP_ACCEPT_LANGUAGE="en")
        # Nothing is mailed before the transaction has committed.
        assert mail.outbox == []

    assert response.status_code == 302
    assert response["Location"] == reverse("sponsors:dashboard")
    user = get_user_model().objects.get(username="expo")
    assert user.check_password(GOOD_PASSWORD)
    assert user.email == "expo@example.org"
    sponsor = user.sponsor_member.sponsor
    assert sponsor.status == VerificationStatus.PENDING
    assert sponsor.kind == SponsorKind.UNIT
    assert sponsor.unit_category == UnitCategory.ENTERPRISE
    assert sponsor.region == region
    assert sponsor.phone == "021-58881234"
    assert sponsor.language == "en"
    change = StatusChange.objects.get(
        content_type=ContentType.objects.get_for_model(Sponsor), object_id=sponsor.pk
    )
    assert (change.from_status, change.to_status, change.by) == ("", "pending", user)

    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == settings.STAFF_NOTIFY_EMAILS
    assert "上海新国际博览中心" in mail.outbox[0].subject
    assert f"/admin/sponsors/sponsor/{sponsor.pk}/change/" in mail.outbox[0].body

    dashboard = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert dashboard.wsgi_request.user == user
    assert "Your account is pending verification." in dashboard.content.decode()


@pytest.mark.django_db
def test_individual_signs_up_without_category_or_region(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, individual_data())

    assert response.status_code == 302
    sponsor = Sponsor.objects.get()
    assert sponsor.kind == SponsorKind.INDIVIDUAL
    assert sponsor.unit_category == ""
    assert sponsor.region is None
    # Spaces typed inside the number are dropped before validation and storage.
    assert sponsor.phone == "13812345678"
    # No Accept-Language: the site's default language, Simplified Chinese.
    assert sponsor.language == "zh-hans"
    assert SponsorMember.objects.get().user.username == "chen"
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    "data, field, message",
    [
        (
            {"phone": "12345"},
            "phone",
            "Enter a mainland China phone number",
        ),
        (
            {"unit_category": ""},
            "unit_category",
            "Choose what kind of unit you are signing up.",
        ),
        (
            {"region": ""},
            "region",
            "Choose the sub-district or town of the unit.",
        ),
        (
            {"kind": SponsorKind.INDIVIDUAL},
            "unit_category",
            "An individual has no unit category; leave this field empty.",
        ),
        (
            {"username": "PLAIN"},
            "username",
            "This username is already taken; choose another one.",
        ),
        (
            {"password2": "Another-password-2026"},
            "password2",
            "The two passwords do not match.",
        ),
        (
            {"password1": "password", "password2": "password"},
            "password2",
            "This password is too common.",
        ),
        (
            {"email": "not-an-address"},
            "email",
            "Enter a valid email address.",
        ),
    ],
)
@pytest.mark.django_db
def test_bad_sign_up_shows_the_message_and_creates_nothing(
    client, region, plain_user, data, field, message, django_capture_on_commit_callbacks
):
    before = counts()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, unit_data(region, **data), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    assert message in response.content.decode()
    assert counts() == before
    assert mail.outbox == []
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_service_refuses_a_taken_username_and_leaves_no_sponsor(plain_user, region):
    before = counts()
    with pytest.raises(TransitionError):
        register_sponsor(
            kind=SponsorKind.UNIT,
            name="上海科技馆",
            unit_category=UnitCategory.PUBLIC_INSTITUTION,
            region=region,
            contact_name="李老师",
            phone="13900001111",
            email="museum@example.org",
            username=plain_user.username,
            password=GOOD_PASSWORD,
            language="zh-hans",
        )
    assert counts() == before


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("021 5888 1234", "021-58881234"),
        ("(021) 58881234", "021-58881234"),
        ("0571-8888 7777", "0571-88887777"),
        ("5888 1234", "58881234"),
    ],
)
def test_phone_numbers_are_normalised(typed, stored):
    assert normalise_phone(typed) == stored


@pytest.mark.django_db
def test_sign_up_page_renders_in_english(client):
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    html = response.content.decode()
    assert "Sign up as a sponsor" in html
    assert 'name="password2"' in html
    assert 'value="individual"' in html


@pytest.mark.django_db
def test_a_sponsor_member_is_sent_to_the_dashboard_instead_of_signing_up(client_for):
    response = client_for("sponsor").get(URL)
    assert response.status_code == 302
    assert response["Location"] == reverse("sponsors:dashboard")
