"""Faults: the database down, a full disk, a crash inside a claim, a killed connection.

This module is also a URLconf (for `pytest.mark.urls`): the site's URLs plus three views that
fail on purpose, with `huamu.middleware.server_error` as handler500.
"""

import datetime
import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.cache import caches
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection, connections
from django.db.utils import OperationalError
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.urls import path, reverse
from django.utils import timezone, translation

import huamu.urls
from huamu.errors import TransitionError
from huamu.middleware import DatabaseOutageMiddleware, database_unavailable
from tests import image_corpus
from tests.factories import CampaignFactory, ClaimFactory, FulfilmentFactory
from tests.wishes.importing.files import good_row, xlsx_bytes
from tests.wishes.school.conftest import sponsor_of, stored_files
from wishes import audit, services
from wishes.models import (
    Claim,
    ClaimStatus,
    Fulfilment,
    FulfilmentPhoto,
    ImportBatch,
    LetterStatus,
    StatusChange,
    ThankYouLetter,
    Wish,
    WishStatus,
)
from wishes.services import claims

OUTAGE_MIDDLEWARE = "huamu.middleware.DatabaseOutageMiddleware"
ON_POSTGRES = django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
requires_postgres = pytest.mark.skipif(
    not ON_POSTGRES, reason="kills a PostgreSQL backend; SQLite has no server connection"
)
DISK_FULL_MESSAGE = "The server could not store the file (the disk may be full)."
OUTAGE_HEADING = "Temporarily unavailable"
ERROR_HEADING = "Something went wrong"


def _writes_the_session(request: HttpRequest) -> HttpResponse:
    # Touches no table itself: the database is first needed when the session is saved.
    request.session["seen"] = True
    return HttpResponse("saved later")


def _crashes(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("simulated crash with a secret detail")


def _forbids(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("internal reason")


urlpatterns = [
    path("faults/session/", _writes_the_session),
    path("faults/crash/", _crashes),
    path("faults/forbidden/", _forbids),
    *huamu.urls.urlpatterns,
]
handler500 = "huamu.middleware.server_error"


@pytest.fixture
def outage_middleware(settings):
    """The outage middleware in place, right after WhiteNoise, until settings list it."""
    if OUTAGE_MIDDLEWARE not in settings.MIDDLEWARE:
        middleware = list(settings.MIDDLEWARE)
        after = middleware.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1
        middleware.insert(after, OUTAGE_MIDDLEWARE)
        settings.MIDDLEWARE = middleware


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def database_down(tmp_path: Path) -> Iterator[None]:
    """Point the default connection at a database that cannot be reached, then restore it.

    The driver itself fails to connect (a refused port for PostgreSQL, a missing folder for
    SQLite), so the errors are the real ones. Needs `django_db(transaction=True)`: the
    connection is closed, which a test wrapped in a transaction cannot do.
    """
    settings_dict = connection.settings_dict
    saved = {key: settings_dict[key] for key in ("NAME", "HOST", "PORT")}
    connection.close()
    if connection.vendor == "sqlite":
        settings_dict["NAME"] = str(tmp_path / "no-such-folder" / "db.sqlite3")
    else:
        settings_dict.update(HOST="127.0.0.1", PORT=str(_closed_port()))
    try:
        yield
    finally:
        connection.close()
        settings_dict.update(saved)


# The database is down: a friendly 503 page, no traceback.


@pytest.mark.django_db(transaction=True)
def test_a_public_page_answers_503_with_retry_after_when_the_database_is_down(
    client, outage_middleware, tmp_path, caplog
):
    # A page cached by an earlier test would be served without the database.
    for cache in caches.all(initialized_only=True):
        cache.clear()
    with database_down(tmp_path):
        response = client.get("/wishes/", HTTP_ACCEPT_LANGUAGE="en")
        in_chinese = client.get("/")
    html = response.text
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "no-store" in response["Cache-Control"]
    assert OUTAGE_HEADING in html
    assert "nothing was saved" in html
    for leak in ("Traceback", "OperationalError", "unable to open", "refused", "no-such-folder"):
        assert leak not in html
    outage_logs = [r for r in caplog.records if r.name == "huamu.middleware"]
    assert outage_logs
    assert outage_logs[0].levelname == "ERROR"
    assert outage_logs[0].exc_info is not None
    # Without a preference the page is in the site's default language.
    assert in_chinese.status_code == 503
    assert '<html lang="zh-hans">' in in_chinese.text
    assert "花木圆梦" in in_chinese.text


@pytest.mark.django_db(transaction=True)
def test_logged_in_pages_and_posts_answer_503_when_the_session_cannot_be_loaded(
    client_for, outage_middleware, tmp_path
):
    # The session and the user load on first use, inside the views' login checks.
    sponsor = client_for("sponsor")
    requests = [
        (sponsor, "get", reverse("sponsors:dashboard"), {}),
        (sponsor, "get", reverse("school:overview"), {}),
        (sponsor, "post", reverse("sponsors:cancel_claim", args=[1]), {"reason": "x"}),
        (client_for("anonymous"), "post", reverse("login"), {"username": "a", "password": "b"}),
    ]
    with database_down(tmp_path):
        answers = [
            getattr(client, method)(url, data, HTTP_ACCEPT_LANGUAGE="en")
            for client, method, url, data in requests
        ]
    for (_, method, url, _), response in zip(requests, answers, strict=True):
        assert (method, url, response.status_code) == (method, url, 503)
        assert OUTAGE_HEADING in response.text
        assert "Traceback" not in response.text


@pytest.mark.django_db(transaction=True)
@pytest.mark.urls(__name__)
def test_a_session_that_cannot_be_saved_answers_503_through_handler500(
    client, outage_middleware, tmp_path
):
    # The session middleware fails after the view; Django makes that a response at once,
    # so only handler500 can tell an outage from a bug.
    client.raise_request_exception = False
    with database_down(tmp_path):
        response = client.get("/faults/session/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert OUTAGE_HEADING in response.text
    assert "saved later" not in response.text


SECURITY_HEADERS = (
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "Content-Security-Policy",
)


def _security_headers(response: HttpResponse) -> dict[str, str | None]:
    headers = {name: response.get(name) for name in SECURITY_HEADERS}
    # A page with a nonced script allows its own nonce; the policy is otherwise the same.
    if headers["Content-Security-Policy"]:
        policy = re.sub(r" 'nonce-[^']+'", "", headers["Content-Security-Policy"])
        headers["Content-Security-Policy"] = policy
    return headers


@pytest.mark.django_db(transaction=True)
@pytest.mark.urls(__name__)
def test_the_503_page_sends_the_same_security_headers_as_any_page(
    client_for, outage_middleware, tmp_path
):
    anonymous, sponsor = client_for("anonymous"), client_for("sponsor")
    normal = _security_headers(anonymous.get("/wishes/"))
    # Served from the cache, the page would not need the database.
    for cache in caches.all(initialized_only=True):
        cache.clear()
    anonymous.raise_request_exception = False
    # The outage found by a view, by a login check, and by the session middleware after the
    # view (the handler500 path, which only the middlewares above the session one see).
    requests = [
        (anonymous, "/wishes/"),
        (sponsor, reverse("school:overview")),
        (anonymous, "/faults/session/"),
    ]
    with database_down(tmp_path):
        answers = [client.get(url) for client, url in requests]

    assert normal["X-Frame-Options"] == "DENY"
    assert normal["X-Content-Type-Options"] == "nosniff"
    assert normal["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in normal["Content-Security-Policy"]
    for (_, url), response in zip(requests, answers, strict=True):
        assert (url, response.status_code) == (url, 503)
        assert (url, _security_headers(response)) == (url, normal)


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_any_other_error_shows_the_friendly_500_page_without_details(client):
    client.raise_request_exception = False
    response = client.get("/faults/crash/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 500
    assert ERROR_HEADING in response.text
    assert "secret detail" not in response.text
    assert "Traceback" not in response.text


def test_the_503_page_is_rendered_without_any_query(rf):
    # No django_db mark: pytest-django makes any database access here raise.
    response = database_unavailable(rf.get("/"), OperationalError("server closed"))
    assert response.status_code == 503
    assert "server closed" not in response.text


def test_the_middleware_leaves_other_errors_to_django(rf: RequestFactory):
    middleware = DatabaseOutageMiddleware(lambda request: HttpResponse())
    assert middleware.process_exception(rf.get("/"), ValueError("a bug")) is None
    answer = middleware.process_exception(rf.get("/"), OperationalError("down"))
    assert answer is not None
    assert answer.status_code == 503


@pytest.mark.django_db
def test_a_missing_page_is_a_friendly_404_within_the_site(client_for):
    response = client_for("plain_user").get("/wishes/999999/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert reverse("wishes:list") in response.text
    # The site's own layout, with the logged-in user's menu.
    assert "plain" in response.text


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_refusal_is_a_friendly_403_without_the_internal_reason(client):
    response = client.get("/faults/forbidden/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "Not allowed" in response.text
    assert reverse("login") in response.text
    assert "internal reason" not in response.text


# A full disk during an upload: a clear message, no row, no file.


@pytest.fixture
def school_claim(school, sponsor):
    """An active claim on a wish of a child of the coordinator's school."""
    return ClaimFactory(wish__child__school=school, sponsor=sponsor_of(sponsor))


@pytest.fixture
def school_fulfilment(school):
    """A fulfilled wish of a child of the coordinator's school, with no letter yet."""
    return FulfilmentFactory(claim__wish__child__school=school)


@pytest.mark.django_db
def test_a_full_disk_during_the_roster_upload_shows_a_message_and_keeps_nothing(
    client_for, coordinator, school_claim, fill_disk
):
    # The photo itself is stored; its thumbnail hits the full disk.
    partial_files = fill_disk(after=1)
    data = {
        "claims": [school_claim.pk],
        "fulfilled_on": timezone.localdate().isoformat(),
        "event": "",
        "note": "",
        f"photos-{school_claim.pk}": [image_corpus.uploaded_jpeg()],
    }
    response = client_for("coordinator").post(
        reverse("school:fulfil"), data, HTTP_ACCEPT_LANGUAGE="en"
    )
    # The roster page answers every refusal of the service with 409 and the form again.
    assert response.status_code == 409
    assert DISK_FULL_MESSAGE in response.text
    assert "No space left" not in response.text
    assert len(partial_files) == 1
    assert Fulfilment.objects.count() == 0
    assert FulfilmentPhoto.objects.count() == 0
    assert StatusChange.objects.count() == 0
    assert Claim.objects.get(pk=school_claim.pk).status == ClaimStatus.ACTIVE
    assert stored_files() == []


@pytest.mark.django_db
def test_a_full_disk_during_a_letter_upload_shows_a_message_and_keeps_nothing(
    client_for, coordinator, school_fulfilment, fill_disk, django_capture_on_commit_callbacks
):
    partial_files = fill_disk(after=0)
    url = reverse("school:letter", args=[school_fulfilment.pk])
    data = {"scan": image_corpus.uploaded_jpeg(), "transcription": "谢谢叔叔阿姨"}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client_for("coordinator").post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert DISK_FULL_MESSAGE in response.text
    assert len(partial_files) == 1
    assert ThankYouLetter.objects.count() == 0
    assert StatusChange.objects.count() == 0
    assert callbacks == []
    assert mail.outbox == []
    assert stored_files() == []


@pytest.mark.django_db
def test_a_full_disk_during_a_spreadsheet_upload_shows_a_message_and_keeps_nothing(
    client_for, fill_disk, django_capture_on_commit_callbacks
):
    campaign = CampaignFactory(year=2026)
    partial_files = fill_disk(after=0)
    upload = SimpleUploadedFile("名单.xlsx", xlsx_bytes([good_row()]))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client_for("staff").post(
            reverse("admin:wishes_importbatch_upload"),
            {"campaign": campaign.pk, "file": upload},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 200
    assert DISK_FULL_MESSAGE in response.text
    assert "No space left" not in response.text
    assert len(partial_files) == 1
    assert ImportBatch.objects.count() == 0
    assert StatusChange.objects.count() == 0
    assert callbacks == []
    assert stored_files() == []


@pytest.mark.django_db
def test_a_full_disk_while_adding_photos_shows_a_message(
    client_for, coordinator, school_fulfilment, fill_disk
):
    fill_disk(after=0)
    url = reverse("school:photos", args=[school_fulfilment.pk])
    client = client_for("coordinator")
    client.raise_request_exception = False
    response = client.post(
        url, {"images": [image_corpus.uploaded_jpeg()]}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code != 500
    assert DISK_FULL_MESSAGE in response.text
    assert FulfilmentPhoto.objects.count() == 0
    assert stored_files() == []


@pytest.mark.django_db
def test_a_full_disk_while_adding_photos_refuses_cleanly_in_the_service(
    coordinator, school_fulfilment, fill_disk
):
    # The first photo and its thumbnail are stored; the second photo hits the full disk.
    partial_files = fill_disk(after=2)
    images = [image_corpus.clean("good_jpeg"), image_corpus.clean("good_png")]
    with translation.override("en"), pytest.raises(TransitionError, match="disk may be full"):
        services.add_fulfilment_photos(
            fulfilment_id=school_fulfilment.pk, by=coordinator, images=images
        )
    assert len(partial_files) == 1
    assert FulfilmentPhoto.objects.count() == 0
    assert stored_files() == []


@pytest.mark.django_db
def test_a_full_disk_while_approving_a_letter_keeps_it_pending_and_its_scan_only(
    coordinator, staff, school_fulfilment, fill_disk, django_capture_on_commit_callbacks
):
    letter = services.upload_letter(
        fulfilment_id=school_fulfilment.pk, by=coordinator, scan=image_corpus.clean()
    )
    scan = Path(letter.scan.path)
    history = StatusChange.objects.count()
    partial_files = fill_disk(after=0)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        translation.override("en"),
        pytest.raises(TransitionError, match="disk may be full"),
    ):
        services.approve_letter(letter_id=letter.pk, by=staff)
    letter.refresh_from_db()
    assert letter.status == LetterStatus.PENDING
    assert not letter.preview
    assert StatusChange.objects.count() == history
    assert callbacks == []
    assert len(partial_files) == 1
    assert stored_files() == [scan]


# An error in the middle of a claim leaves nothing half written.


def _fail_on_the_wish_step(monkeypatch, error: Exception) -> None:
    """Fail once the Claim row, its audit row and the wish's new status are written."""
    real_record_change = audit.record_change

    def record_change(*, subject, **kwargs):
        if isinstance(subject, Wish):
            raise error
        return real_record_change(subject=subject, **kwargs)

    monkeypatch.setattr(audit, "record_change", record_change)


def _fail_after_the_mail_is_queued(monkeypatch, error: Exception) -> list[str]:
    """Fail right after the staff mail was handed to on_commit, the claim's last step."""
    real_notify_staff = claims.notify_staff
    queued = []

    def notify_staff(*, template, context):
        real_notify_staff(template=template, context=context)
        queued.append(template)
        raise error

    monkeypatch.setattr(claims, "notify_staff", notify_staff)
    return queued


def _nothing_written(wish: Wish) -> bool:
    wish.refresh_from_db()
    return (
        Claim.objects.count() == 0
        and StatusChange.objects.count() == 0
        and wish.status == WishStatus.OPEN
        and mail.outbox == []
    )


def _claim(open_wish: Wish, user) -> Claim:
    return services.claim_wish(wish_id=open_wish.pk, sponsor=sponsor_of(user), by=user)


def _promised() -> str:
    return (timezone.localdate() + datetime.timedelta(days=10)).isoformat()


# Each test runs in a transaction, so the service's own transaction is a savepoint: rolling
# it back discards its rows and the mail it handed to on_commit, exactly as a real rollback.


@pytest.mark.django_db
def test_a_claim_without_a_failure_writes_everything_and_mails_staff(
    open_wish, sponsor, django_capture_on_commit_callbacks
):
    # The control: the same call, without the failure, does write and does send.
    with django_capture_on_commit_callbacks(execute=True):
        _claim(open_wish, sponsor)
    open_wish.refresh_from_db()
    assert open_wish.status == WishStatus.CLAIMED
    assert Claim.objects.count() == 1
    assert StatusChange.objects.count() == 2
    # Staff, and the sponsor with what happens next.
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_a_crash_after_the_claim_row_leaves_nothing_half_written(
    open_wish, sponsor, monkeypatch, django_capture_on_commit_callbacks
):
    _fail_on_the_wish_step(monkeypatch, RuntimeError("simulated crash"))
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        _claim(open_wish, sponsor)
    assert _nothing_written(open_wish)


@pytest.mark.django_db
def test_a_crash_after_the_mail_was_queued_sends_no_mail(
    open_wish, sponsor, monkeypatch, django_capture_on_commit_callbacks
):
    queued = _fail_after_the_mail_is_queued(monkeypatch, RuntimeError("simulated crash"))
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        _claim(open_wish, sponsor)
    assert queued == ["claim_new"]
    assert callbacks == []
    assert _nothing_written(open_wish)


@pytest.mark.django_db
def test_a_crash_in_a_claim_through_the_site_shows_the_500_page_and_writes_nothing(
    client_for, open_wish, monkeypatch, django_capture_on_commit_callbacks
):
    client = client_for("sponsor")
    client.raise_request_exception = False
    _fail_on_the_wish_step(monkeypatch, RuntimeError("simulated crash with a secret detail"))
    url = reverse("wishes:claim", args=[open_wish.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"promised_on": _promised()}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 500
    assert ERROR_HEADING in response.text
    assert "secret detail" not in response.text
    assert "Traceback" not in response.text
    assert _nothing_written(open_wish)


@pytest.mark.django_db
def test_the_database_dropping_in_the_middle_of_a_claim_shows_the_503_page(
    client_for, open_wish, monkeypatch, outage_middleware, django_capture_on_commit_callbacks
):
    client = client_for("sponsor")
    _fail_on_the_wish_step(monkeypatch, OperationalError("server closed the connection"))
    url = reverse("wishes:claim", args=[open_wish.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"promised_on": _promised()}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 503
    assert OUTAGE_HEADING in response.text
    assert "server closed" not in response.text
    assert _nothing_written(open_wish)


# Kept-open connections survive a PostgreSQL restart.


def _serve(handler: WSGIHandler, url: str) -> int:
    """One request as a WSGI server runs it: request_started and request_finished fire with
    Django's own receivers (the test client switches those off), so connections are kept,
    checked and closed exactly as in production."""
    environ: dict = {}
    setup_testing_defaults(environ)
    environ.update(PATH_INFO=url, REQUEST_METHOD="GET", HTTP_HOST="testserver")
    statuses = []
    response = handler(environ, lambda status, headers, exc_info=None: statuses.append(status))
    b"".join(response)
    response.close()
    return int(statuses[0].split()[0])


def _terminate_backend(pid: int) -> None:
    """Kill one server process from a second connection, as a restart of the server would."""
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            # The backend exits asynchronously; wait until the server no longer lists it.
            for _ in range(100):
                cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
                if cursor.fetchone() is None:
                    return
                time.sleep(0.05)
        raise AssertionError(f"backend {pid} is still running")
    finally:
        other.close()


def _backend_pid() -> int:
    return connection.connection.info.backend_pid


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_kept_open_connection_survives_its_server_process_being_killed():
    assert connection.settings_dict["CONN_MAX_AGE"] > 0
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    handler = WSGIHandler()
    connection.close()
    assert _serve(handler, "/healthz") == 200
    # Kept open after the request: the next request reuses it.
    assert connection.connection is not None
    killed = _backend_pid()
    assert _serve(handler, "/healthz") == 200
    assert _backend_pid() == killed

    _terminate_backend(killed)
    assert _serve(handler, "/healthz") == 200
    assert _serve(handler, "/wishes/") == 200
    assert _backend_pid() != killed


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_without_health_checks_the_first_request_after_the_kill_fails():
    # The control for the test above: the health check is what saves that request.
    handler = WSGIHandler()
    connection.close()
    connection.settings_dict["CONN_HEALTH_CHECKS"] = False
    try:
        assert _serve(handler, "/healthz") == 200
        _terminate_backend(_backend_pid())
        assert _serve(handler, "/healthz") == 503
        # Django drops a connection that raised errors at the end of the request.
        assert _serve(handler, "/healthz") == 200
    finally:
        connection.settings_dict["CONN_HEALTH_CHECKS"] = True
        connection.close()
