"""/healthz: the database's state for load balancers and monitors, never cached."""

import datetime
import json

import django
import pytest
from django.conf import settings
from django.urls import reverse

from tests.test_faults import database_down

URL = "/healthz"


def test_healthz_has_its_short_address():
    assert reverse("healthz") == URL


@pytest.mark.django_db
def test_healthz_answers_ok_with_one_query_and_no_session(client, django_assert_num_queries):
    # Only `SELECT 1`: no session, no user, nothing else that could fail.
    with django_assert_num_queries(1):
        response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"status", "database", "time"}
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert datetime.datetime.fromisoformat(body["time"]).tzinfo is not None
    assert settings.SESSION_COOKIE_NAME not in response.cookies


@pytest.mark.django_db
def test_healthz_is_never_cached(client):
    response = client.get(URL)
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_tells_strangers_nothing_about_the_server(client):
    text = client.get(URL).text.lower()
    database = settings.DATABASES["default"]
    for secret in (
        django.get_version(),
        "postgres",
        "sqlite",
        "django",
        str(database["NAME"]).lower(),
        str(database.get("HOST") or "127.0.0.1"),
    ):
        assert secret.lower() not in text


@pytest.mark.django_db
def test_healthz_needs_no_login_and_answers_head(client_for):
    assert client_for("anonymous").head(URL).status_code == 200


@pytest.mark.django_db
def test_healthz_refuses_post(client):
    assert client.post(URL).status_code == 405


@pytest.mark.django_db(transaction=True)
def test_healthz_answers_503_while_the_database_is_down_and_ok_once_it_is_back(client, tmp_path):
    with database_down(tmp_path):
        response = client.get(URL)
    assert response.status_code == 503
    assert "no-store" in response["Cache-Control"]
    body = json.loads(response.content)
    assert body["status"] == "error"
    assert body["database"] == "unavailable"
    # Nothing of the driver's message (host, port, file) reaches the answer.
    assert set(body) == {"status", "database", "time"}
    assert client.get(URL).status_code == 200
