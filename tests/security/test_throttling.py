"""Login throttling: django-axes counts failures in the database, per username and address."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOCKED = 429
HOME = "198.51.100.7"
ELSEWHERE = "203.0.113.9"


@pytest.fixture(autouse=True)
def throttling_on(settings):
    # Tests log in through the test client, so the settings switch axes off; switch it on.
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_RESET_ON_SUCCESS = True


def log_in(client, url: str, username: str, password: str, address: str = HOME, **extra):
    return client.post(
        url, {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )


def fail(client, url: str, username: str, times: int, address: str = HOME) -> list[int]:
    return [
        log_in(client, url, username, "wrong-password", address).status_code for _ in range(times)
    ]


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def lockout_text(language: str) -> str:
    with translation.override(language):
        return gettext("Too many failed logins")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_right_password_is_refused_after_five_wrong_ones(client, sponsor, language):
    url = reverse("login")

    statuses = fail(client, url, "sponsor", 5)
    response = log_in(client, url, "sponsor", PASSWORD, HTTP_ACCEPT_LANGUAGE=language)

    # The first four are ordinary refusals; the fifth failure reaches the limit.
    assert statuses == [200, 200, 200, 200, LOCKED]
    assert response.status_code == LOCKED
    assert lockout_text(language) in response.content.decode()
    assert not logged_in(client)


def test_the_lockout_page_is_the_sites_own_template(client, sponsor):
    fail(client, reverse("login"), "sponsor", 5)

    response = log_in(client, reverse("login"), "sponsor", PASSWORD, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == LOCKED
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    assert "Too many failed logins" in response.content.decode()
    assert reverse("password_reset") in response.content.decode()
    # The lockout page carries the same security headers as every other page.
    assert "Content-Security-Policy" in response.headers


def test_the_admin_login_is_throttled_the_same_way(client, staff):
    url = reverse("admin:login")

    statuses = fail(client, url, "staff", 5)
    response = log_in(client, url, "staff", PASSWORD, HTTP_ACCEPT_LANGUAGE="en")

    assert statuses[:4] == [200, 200, 200, 200]
    assert response.status_code == LOCKED
    assert "Too many failed logins" in response.content.decode()
    assert not logged_in(client)
    assert client.get(reverse("admin:index")).status_code == 302


def test_failures_on_the_site_and_the_admin_add_up(client, staff):
    fail(client, reverse("login"), "staff", 3)
    fail(client, reverse("admin:login"), "staff", 2)

    response = log_in(client, reverse("admin:login"), "staff", PASSWORD)

    assert response.status_code == LOCKED


def test_four_failures_do_not_lock_the_account(client, sponsor):
    fail(client, reverse("login"), "sponsor", 4)

    response = log_in(client, reverse("login"), "sponsor", PASSWORD)

    assert response.status_code == 302
    assert logged_in(client)


def test_failures_are_counted_in_the_database(client, sponsor):
    fail(client, reverse("login"), "sponsor", 3)

    attempt = AccessAttempt.objects.get(username="sponsor", ip_address=HOME)
    assert attempt.failures_since_start == 3


def test_a_lockout_recorded_by_another_server_applies_here(client, sponsor):
    # What another app server wrote to the shared database: this process never saw a failure.
    AccessAttempt.objects.create(
        username="sponsor",
        ip_address=HOME,
        user_agent="elsewhere",
        failures_since_start=5,
        get_data="",
        post_data="",
        http_accept="",
        path_info="/accounts/login/",
    )

    response = log_in(client, reverse("login"), "sponsor", PASSWORD)

    assert response.status_code == LOCKED
    assert not logged_in(client)


def test_a_new_client_without_cookies_is_still_locked_out(client, django_user_model, sponsor):
    # The counter is not in the session: throwing cookies away does not help an attacker.
    fail(client, reverse("login"), "sponsor", 5)
    client.cookies.clear()

    response = log_in(client, reverse("login"), "sponsor", PASSWORD)

    assert response.status_code == LOCKED


def test_the_same_account_from_another_address_is_not_locked_out(client, sponsor):
    fail(client, reverse("login"), "sponsor", 5, address=HOME)

    response = log_in(client, reverse("login"), "sponsor", PASSWORD, address=ELSEWHERE)

    assert response.status_code == 302
    assert logged_in(client)


def test_another_account_from_the_same_address_is_not_locked_out(client, sponsor, other_sponsor):
    fail(client, reverse("login"), "sponsor", 5)

    response = log_in(client, reverse("login"), "other_sponsor", PASSWORD)

    assert response.status_code == 302
    assert logged_in(client)


def test_a_forged_forwarded_for_header_does_not_escape_the_lockout(client, sponsor, settings):
    # Without our own proxy in front, X-Forwarded-For is the attacker's own words.
    settings.BEHIND_PROXY = False
    fail(client, reverse("login"), "sponsor", 5)

    response = log_in(
        client, reverse("login"), "sponsor", PASSWORD, HTTP_X_FORWARDED_FOR=ELSEWHERE
    )

    assert response.status_code == LOCKED


def test_a_successful_login_resets_the_count(client, sponsor):
    url = reverse("login")
    fail(client, url, "sponsor", 4)
    assert log_in(client, url, "sponsor", PASSWORD).status_code == 302
    client.post(reverse("logout"))

    statuses = fail(client, url, "sponsor", 4)
    response = log_in(client, url, "sponsor", PASSWORD)

    # Eight failures in all, but never five since the last success.
    assert statuses == [200, 200, 200, 200]
    assert response.status_code == 302
    assert logged_in(client)


def test_the_lockout_ends_after_the_cool_off(client, sponsor, settings):
    fail(client, reverse("login"), "sponsor", 5)
    assert log_in(client, reverse("login"), "sponsor", PASSWORD).status_code == LOCKED
    # As if the cool-off had passed: axes only counts failures newer than that.
    AccessAttempt.objects.update(attempt_time="2000-01-01T00:00:00Z")
    settings.AXES_COOLOFF_TIME = 1

    response = log_in(client, reverse("login"), "sponsor", PASSWORD)

    assert response.status_code == 302


def test_the_fourth_wrong_password_warns_and_the_lockout_says_for_how_long(
    client, sponsor, settings
):
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=30)
    url = reverse("login")
    third = None
    for _ in range(3):
        third = log_in(client, url, "sponsor", "wrong-password", HTTP_ACCEPT_LANGUAGE="en")
    assert third is not None
    assert "One more wrong password" not in third.content.decode()

    fourth = log_in(client, url, "sponsor", "wrong-password", HTTP_ACCEPT_LANGUAGE="en")
    assert fourth.status_code == 200
    assert "One more wrong password pauses logging in" in fourth.content.decode()
    assert "for 30 minutes" in fourth.content.decode()

    fail(client, url, "sponsor", 1)
    locked = log_in(client, url, "sponsor", PASSWORD, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert locked.status_code == LOCKED
    assert "30 分钟后再试" in locked.content.decode()
