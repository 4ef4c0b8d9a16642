"""Shorter sessions for staff and coordinators, who see children's private data."""

import datetime

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

OFFICE_ROLES = ["staff", "superuser", "coordinator", "other_coordinator"]
OTHER_ROLES = ["sponsor", "unverified_sponsor", "plain_user"]


def log_in(client, user, url: str = "") -> None:
    response = client.post(
        url or reverse("login"), {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def cookie_max_age(client) -> int:
    return int(client.cookies[settings.SESSION_COOKIE_NAME]["max-age"])


def test_office_sessions_are_much_shorter_than_the_default():
    # Otherwise the rest of this file would prove nothing.
    assert settings.HUAMU_OFFICE_SESSION_SECONDS < settings.SESSION_COOKIE_AGE
    assert settings.HUAMU_OFFICE_SESSION_SECONDS <= 8 * 3600


@pytest.mark.parametrize("role", OFFICE_ROLES)
def test_staff_and_coordinators_get_the_short_office_session(role, client, request):
    user = request.getfixturevalue(role)

    log_in(client, user)

    assert client.session.get_expiry_age() == settings.HUAMU_OFFICE_SESSION_SECONDS
    assert cookie_max_age(client) == settings.HUAMU_OFFICE_SESSION_SECONDS


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_sponsors_and_others_keep_the_default_session(role, client, request):
    user = request.getfixturevalue(role)

    log_in(client, user)

    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
    assert cookie_max_age(client) == settings.SESSION_COOKIE_AGE


def test_staff_logging_in_to_the_admin_get_the_short_session(client, staff):
    log_in(client, staff, reverse("admin:login"))

    assert client.session.get_expiry_age() == settings.HUAMU_OFFICE_SESSION_SECONDS


def test_the_stored_session_expires_with_the_office_session(client, staff):
    before = timezone.now()

    log_in(client, staff)

    # The database row decides, whatever the browser does with its cookie.
    stored = Session.objects.get(session_key=client.session.session_key)
    expected = before + datetime.timedelta(seconds=settings.HUAMU_OFFICE_SESSION_SECONDS)
    assert abs(stored.expire_date - expected) < datetime.timedelta(seconds=30)


def test_the_office_session_length_comes_from_the_settings(client, coordinator, settings):
    settings.HUAMU_OFFICE_SESSION_SECONDS = 900

    log_in(client, coordinator)

    assert client.session.get_expiry_age() == 900


def test_an_expired_office_session_is_logged_out(client, staff):
    log_in(client, staff)
    assert client.get(reverse("admin:index")).status_code == 200
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_session_cookies_are_hidden_from_scripts(client, sponsor):
    log_in(client, sponsor)

    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
