"""Several app servers on one database, as behind nginx in production (docs/deploy.md).

Two gunicorn processes, started with the project's gunicorn.conf.py and production settings
(PRODUCTION=true, DEBUG off, whitenoise, Argon2, django-axes), listen on two loopback ports
and share the PostgreSQL test database. Requests carry the headers nginx adds. The tests
show that what must be shared is shared: sessions, login-failure counters, the public page
cache, and the one-winner rule of a contested claim.

The uploaded files are shared through a folder or S3-compatible storage; the S3 tests at
the end run in-process against a mocked bucket, on any database.
"""

import datetime
import http.client
import os
import re
import runpy
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from tests import image_corpus as corpus
from tests.factories import (
    PASSWORD,
    ClaimFactory,
    SponsorFactory,
    SponsorMemberFactory,
    WishFactory,
)
from wishes.models import Claim, ClaimStatus, Fulfilment, StatusChange, Wish, WishStatus
from wishes.services import approve_letter, record_fulfilment, upload_letter

PROJECT = Path(__file__).resolve().parents[2]
ON_POSTGRESQL = django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
needs_shared_postgresql = pytest.mark.skipif(
    not ON_POSTGRESQL, reason="needs a shared PostgreSQL database; runs in CI's PostgreSQL pass"
)

# Both servers sign sessions with the same key, as every app server of one site must.
SERVER_SECRET_KEY = secrets.token_urlsafe(64)
# The visitor's address as nginx reports it in X-Forwarded-For (a documentation range).
VISITOR_ADDRESS = "198.51.100.7"
LOCKED = 429
FAILURE_LIMIT = 5
REQUEST_TIMEOUT = 20
START_TIMEOUT = 30
PROMISED_ON = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
_CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- Two app servers --------------------------------------------------------------------


@dataclass
class Server:
    name: str
    port: int
    log: Path
    process: subprocess.Popen | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url_for_servers() -> str:
    """DATABASE_URL of the test database pytest-django created, for the servers."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    location = quote(db["HOST"] or "", safe="") + (f":{db['PORT']}" if db["PORT"] else "")
    return f"postgres://{credentials}@{location}/{quote(db['NAME'], safe='')}"


def server_environment(folder: Path) -> dict[str, str]:
    """What an operator sets for production (docs/deploy.md), and nothing from this shell."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(folder),
        "LANG": "C.UTF-8",
        "PRODUCTION": "true",
        "DEBUG": "false",
        "SECRET_KEY": SERVER_SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "BEHIND_PROXY": "true",
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
        "DATABASE_URL": database_url_for_servers(),
        # Shared by every server: the table `createcachetable` makes in the same database.
        "CACHE_URL": "db://huamu_cache",
        "STATIC_ROOT": str(folder / "static"),
        "MEDIA_ROOT": str(folder / "media"),
        # A claim mails staff; mail stays in the worker's memory, no server is reachable here.
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOGIN_FAILURE_LIMIT": str(FAILURE_LIMIT),
        "WEB_CONCURRENCY": "2",
        "LOG_LEVEL": "WARNING",
    }


def prepare(env: dict[str, str]) -> None:
    """The deployment steps before a server starts: static files and the cache table."""
    steps = [["collectstatic", "--no-input", "-v", "0"], ["createcachetable"]]
    runs = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, "manage.py", *step],
            cwd=PROJECT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for step in steps
    ]
    for step, run in zip(steps, runs, strict=True):
        output, _ = run.communicate(timeout=120)
        assert run.returncode == 0, f"manage.py {step[0]} failed:\n{output}"


def start(server: Server, env: dict[str, str]) -> None:
    """Start gunicorn with the project's gunicorn.conf.py, in its own process group."""
    with server.log.open("wb") as log:
        server.process = subprocess.Popen(  # noqa: S603 - our own interpreter and gunicorn
            [sys.executable, "-m", "gunicorn", "--config", str(PROJECT / "gunicorn.conf.py")],
            cwd=PROJECT,
            env={**env, "BIND": server.host},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_until_healthy(server: Server) -> None:
    """Poll /healthz until the server says the database answers."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert server.process.poll() is None, f"{server.name} stopped:\n{server.log_text()}"
        try:
            if Visitor().get(server, reverse("healthz")).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    pytest.fail(f"{server.name} did not answer /healthz in time:\n{server.log_text()}")


def stop(server: Server) -> None:
    """SIGTERM to the whole process group (master and workers), SIGKILL if it lingers."""
    if server.process is None or server.process.poll() is not None:
        return
    os.killpg(server.process.pid, signal.SIGTERM)
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=5)


def wait_for_disconnects(database: str) -> None:
    """Wait until the servers' connections are gone, so the test database can be dropped."""
    deadline = time.monotonic() + 10
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [database],
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.1)


@pytest.fixture(scope="module")
def server_environment_ready(django_db_setup, tmp_path_factory) -> dict:
    """Static files and the cache table the servers need, made once for the module."""
    if not ON_POSTGRESQL:
        pytest.skip("needs a shared PostgreSQL database; runs in CI's PostgreSQL pass")
    env = server_environment(tmp_path_factory.mktemp("app_servers"))
    prepare(env)
    return env


@pytest.fixture
def app_servers(server_environment_ready, django_db_blocker, tmp_path) -> Iterator[list[Server]]:
    """Servers A and B: two gunicorn masters with two sync workers each, one database.

    Started afresh for each test: a transactional test ends by flushing the database, which
    re-creates the content types under new ids that a long-lived server would still have
    cached (and its next audit row would then point at a content type that is gone).
    """
    env = server_environment_ready
    servers = [Server(name, free_port(), tmp_path / f"gunicorn-{name}.log") for name in "AB"]
    try:
        for server in servers:
            start(server, env)
        for server in servers:
            wait_until_healthy(server)
        yield servers
    finally:
        for server in servers:
            stop(server)
        with django_db_blocker.unblock():
            wait_for_disconnects(connection.settings_dict["NAME"])


# --- A browser behind nginx -------------------------------------------------------------


@dataclass
class Page:
    status: int
    headers: http.client.HTTPMessage
    text: str

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


@dataclass
class Visitor:
    """One browser: its own cookies, sent to whichever server nginx picks."""

    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, server: Server, method: str, path: str, form: dict | None = None) -> Page:
        headers = {
            "Host": server.host,
            # What nginx adds in front of every app server (docs/deploy.md).
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": VISITOR_ADDRESS,
            "Accept-Language": "en",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            # Browsers name the page's origin on a form post; Django's CSRF check reads it.
            headers["Origin"] = f"https://{server.host}"
        http_connection = http.client.HTTPConnection(
            "127.0.0.1", server.port, timeout=REQUEST_TIMEOUT
        )
        try:
            http_connection.request(method, path, body=body, headers=headers)
            response = http_connection.getresponse()
            page = Page(response.status, response.headers, response.read().decode())
        finally:
            http_connection.close()
        for set_cookie in page.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(set_cookie)
            for name, morsel in jar.items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return page

    def get(self, server: Server, path: str) -> Page:
        return self.request(server, "GET", path)

    def post(self, server: Server, path: str, form: dict) -> Page:
        return self.request(server, "POST", path, form)

    def csrf_token(self, server: Server, path: str) -> str:
        """Open a page with a form and return the form's CSRF token."""
        page = self.get(server, path)
        assert page.status == 200, page.text
        found = _CSRF_FIELD.search(page.text)
        assert found, f"no form on {path}"
        return found.group(1)

    def log_in(self, server: Server, username: str, password: str) -> Page:
        token = self.csrf_token(server, reverse("login"))
        return self.post(
            server,
            reverse("login"),
            {"csrfmiddlewaretoken": token, "username": username, "password": password},
        )


def at_once(calls: list[Callable[[], Page]]) -> list[Page]:
    """Send every request from its own thread at the same instant; return the pages."""
    barrier = threading.Barrier(len(calls))
    results: list[Page | Exception | None] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=REQUEST_TIMEOUT)
            results[index] = calls[index]()
        except Exception as error:  # reported below with the others
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT * 2)
    assert all(isinstance(result, Page) for result in results), results
    return results


def use_a_password_the_servers_know(user) -> None:
    """Give the user PASSWORD in a hash the servers accept (tests hash with MD5)."""
    # PBKDF2 is among the servers' hashers; few rounds keep the failed logins fast.
    encoded = PBKDF2PasswordHasher().encode(PASSWORD, "app-servers", iterations=1_000)
    type(user).objects.filter(pk=user.pk).update(password=encoded)


def session_for(user) -> str:
    """A logged-in session for the user, written straight into the shared session table."""
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "huamu.auth.RoleAwareBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


@pytest.fixture
def servers_secret_key(settings):
    # Sessions written here must verify on the servers: sign them with the servers' key.
    settings.SECRET_KEY = SERVER_SECRET_KEY


# --- Shared sessions and login throttling -----------------------------------------------


@needs_shared_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_session_started_on_one_server_is_valid_on_the_other(app_servers, sponsor):
    server_a, server_b = app_servers
    use_a_password_the_servers_know(sponsor)
    visitor = Visitor()

    login = visitor.log_in(server_a, "sponsor", PASSWORD)
    dashboard = visitor.get(server_b, reverse("sponsors:dashboard"))
    stranger = Visitor().get(server_b, reverse("sponsors:dashboard"))

    assert login.status == 302, login.text
    assert dashboard.status == 200
    assert "上海科技馆" in dashboard.text
    # The cookie is what B recognised: without it B sends the visitor to the login page.
    assert stranger.status == 302
    assert stranger.location.startswith(reverse("login"))


@needs_shared_postgresql
@pytest.mark.django_db(transaction=True)
def test_logging_out_on_one_server_ends_the_session_on_the_other(app_servers, sponsor):
    server_a, server_b = app_servers
    use_a_password_the_servers_know(sponsor)
    visitor = Visitor()
    assert visitor.log_in(server_a, "sponsor", PASSWORD).status == 302
    session_key = visitor.cookies["sessionid"]
    # Someone who copied the session cookie before the logout.
    copied = Visitor(cookies=dict(visitor.cookies))

    token = visitor.csrf_token(server_b, reverse("sponsors:dashboard"))
    logout = visitor.post(server_b, reverse("logout"), {"csrfmiddlewaretoken": token})
    replayed = copied.get(server_a, reverse("sponsors:dashboard"))

    assert logout.status == 302
    assert not Session.objects.filter(session_key=session_key).exists()
    assert replayed.status == 302
    assert replayed.location.startswith(reverse("login"))


@needs_shared_postgresql
@pytest.mark.django_db(transaction=True)
def test_failed_logins_are_counted_across_both_servers(app_servers, sponsor):
    server_a, server_b = app_servers
    use_a_password_the_servers_know(sponsor)
    visitor = Visitor()
    token = visitor.csrf_token(server_a, reverse("login"))

    def attempt(server: Server, password: str) -> Page:
        form = {"csrfmiddlewaretoken": token, "username": "sponsor", "password": password}
        return visitor.post(server, reverse("login"), form)

    on_a = [attempt(server_a, "wrong-password").status for _ in range(3)]
    on_b = [attempt(server_b, "wrong-password").status for _ in range(3)]
    right_on_a = attempt(server_a, PASSWORD)
    right_on_b = attempt(server_b, PASSWORD)

    # Neither server saw five failures by itself; together they did, at B's second one.
    assert on_a == [200, 200, 200]
    assert on_b == [200, LOCKED, LOCKED]
    assert right_on_a.status == LOCKED
    assert right_on_b.status == LOCKED
    assert "Too many failed logins" in right_on_b.text
    assert "sessionid" not in visitor.cookies


# --- The contested claim and the shared cache -------------------------------------------


@needs_shared_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_claim_contested_across_both_servers_has_one_winner(app_servers, servers_secret_key):
    wish = WishFactory(open=True)
    url = reverse("wishes:claim", args=[wish.pk])
    members = [SponsorMemberFactory(sponsor=SponsorFactory(verified=True)) for _ in range(6)]
    visitors = [Visitor(cookies={"sessionid": session_for(m.user)}) for m in members]
    # Every second sponsor's requests go to the other server, as nginx spreads them.
    servers = [app_servers[i % 2] for i in range(len(visitors))]
    # Each sponsor opens the confirmation page on its server, then all click at once.
    tokens = [v.csrf_token(s, url) for v, s in zip(visitors, servers, strict=True)]

    pages = at_once(
        [
            lambda v=v, s=s, t=t: v.post(
                s, url, {"csrfmiddlewaretoken": t, "promised_on": PROMISED_ON}
            )
            for v, s, t in zip(visitors, servers, tokens, strict=True)
        ]
    )

    statuses = [page.status for page in pages]
    assert sorted(statuses) == [302, 409, 409, 409, 409, 409], [p.text[:300] for p in pages]
    winner = statuses.index(302)
    claims = Claim.objects.filter(wish=wish)
    # The winner lands on its claim's page, which says what happens next.
    assert pages[winner].location == reverse("sponsors:claim", args=[claims.get().pk])
    for loser in (page for page in pages if page.status == 409):
        assert f"Wish {wish.code} has just been claimed by someone else." in loser.text
    # Losers came through both servers: the database, not a process, picked the winner.
    assert {servers[i].name for i, s in enumerate(statuses) if s == 409} == {"A", "B"}
    claims = Claim.objects.filter(wish=wish)
    assert [(c.status, c.sponsor_id) for c in claims] == [
        (ClaimStatus.ACTIVE, members[winner].sponsor_id)
    ]
    assert Wish.objects.get(pk=wish.pk).status == WishStatus.CLAIMED
    assert StatusChange.objects.filter(to_status=WishStatus.CLAIMED).count() == 1


@needs_shared_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_wish_claimed_through_one_server_leaves_the_other_servers_public_list(
    app_servers, servers_secret_key
):
    server_a, _ = app_servers
    wish = WishFactory(open=True)
    member = SponsorMemberFactory(sponsor=SponsorFactory(verified=True))
    sponsor = Visitor(cookies={"sessionid": session_for(member.user)})
    wishes_url = reverse("wishes:list")
    # Both servers cache the public list with the wish on it (twice: the second is a hit).
    before = [Visitor().get(server, wishes_url) for server in app_servers for _ in range(2)]

    url = reverse("wishes:claim", args=[wish.pk])
    token = sponsor.csrf_token(server_a, url)
    claimed = sponsor.post(
        server_a, url, {"csrfmiddlewaretoken": token, "promised_on": PROMISED_ON}
    )
    after = [Visitor().get(server, wishes_url) for server in app_servers for _ in range(2)]

    assert all(page.status == 200 and wish.code in page.text for page in before)
    assert claimed.status == 302, server_a.log_text()[-3000:]
    assert all(page.status == 200 and wish.code not in page.text for page in after)


@needs_shared_postgresql
def test_the_access_log_keeps_no_query_strings_or_reset_tokens(app_servers):
    server_a, _ = app_servers
    visitor = Visitor()

    visitor.get(server_a, reverse("wishes:list") + "?q=SECRET-NAME&region=1")
    visitor.get(server_a, "/accounts/reset/MTIz/SECRET-TOKEN/")

    # gunicorn writes a line when the response is finished; give it a moment.
    deadline = time.monotonic() + 5
    while "/accounts/reset/" not in server_a.log_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    log = server_a.log_text()
    assert '"GET /wishes/ HTTP/1.1" 200' in log
    assert '"GET /accounts/reset/*/*/ HTTP/1.1"' in log
    assert "SECRET" not in log
    assert VISITOR_ADDRESS not in log


# --- Uploaded files on S3-compatible storage ------------------------------------------

BUCKET = "huamu-media-test"
S3_ENVIRONMENT = {
    "MEDIA_STORAGE": "s3",
    "S3_BUCKET": BUCKET,
    "S3_REGION": "us-east-1",
    "S3_ACCESS_KEY_ID": "test-key",
    "S3_SECRET_ACCESS_KEY": "test-secret",
    "HUAMU_PRIVATE_MEDIA_REDIRECT": "",
}


def settings_with(monkeypatch, variables: dict[str, str]) -> dict:
    """Run huamu/settings.py afresh with these variables; return its names."""
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    # A separate namespace: the settings this test run uses stay as they are.
    return runpy.run_path(str(PROJECT / "huamu" / "settings.py"))


def test_media_storage_s3_keeps_the_files_in_a_private_bucket(monkeypatch):
    storage = settings_with(monkeypatch, S3_ENVIRONMENT)["STORAGES"]["default"]

    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"] == {
        "bucket_name": BUCKET,
        "endpoint_url": None,
        "access_key": "test-key",
        "secret_key": "test-secret",
        "region_name": "us-east-1",
        "default_acl": "private",
        "querystring_auth": True,
        "file_overwrite": False,
    }


def test_files_stay_on_disk_unless_s3_is_asked_for(monkeypatch):
    monkeypatch.delenv("MEDIA_STORAGE", raising=False)

    storage = settings_with(monkeypatch, {})["STORAGES"]["default"]

    assert storage == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


@pytest.mark.parametrize(
    "change, message",
    [
        ({"S3_BUCKET": ""}, "needs S3_BUCKET"),
        ({"HUAMU_PRIVATE_MEDIA_REDIRECT": "/protected-media/"}, "leave it empty"),
        ({"MEDIA_STORAGE": "nfs"}, "must be filesystem or s3"),
    ],
)
def test_a_media_storage_setting_that_cannot_work_stops_the_start(monkeypatch, change, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        settings_with(monkeypatch, {**S3_ENVIRONMENT, **change})


@pytest.fixture
def s3_bucket(settings, monkeypatch):
    """A mocked S3 bucket as the default storage, configured as MEDIA_STORAGE=s3 does."""
    pytest.importorskip("storages", reason="MEDIA_STORAGE=s3 needs the 's3' extra")
    moto = pytest.importorskip("moto", reason="the S3 tests mock the bucket with moto")
    import boto3

    storage = settings_with(monkeypatch, S3_ENVIRONMENT)["STORAGES"]["default"]
    with moto.mock_aws():
        client = boto3.client(
            "s3",
            region_name="us-east-1",
            aws_access_key_id="test-key",
            aws_secret_access_key="test-secret",  # noqa: S106 - moto's throwaway bucket
        )
        client.create_bucket(Bucket=BUCKET)
        settings.STORAGES = {**settings.STORAGES, "default": storage}
        yield client


def bucket_keys(client) -> list[str]:
    return [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def is_public(client, key: str) -> bool:
    grants = client.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
    return any("AllUsers" in grant["Grantee"].get("URI", "") for grant in grants)


@pytest.fixture
def fulfilled_with_photo(sponsor, school, staff) -> Fulfilment:
    """The sponsor's claim of a wish of a child at `school`, fulfilled with one photo."""
    claim = ClaimFactory(sponsor=sponsor.sponsor_member.sponsor, wish__child__school=school)
    return record_fulfilment(
        claim_id=claim.pk,
        by=staff,
        fulfilled_on=timezone.localdate(),
        photos=[corpus.clean("good_jpeg")],
    )


@pytest.mark.django_db
def test_photos_on_s3_are_private_objects_sent_only_through_the_checks(
    s3_bucket, fulfilled_with_photo, client_for, settings
):
    photo = fulfilled_with_photo.photos.get()

    allowed = client_for("coordinator").get(reverse("files:photo", args=[photo.pk]))
    refused = client_for("other_coordinator").get(reverse("files:photo", args=[photo.pk]))

    keys = bucket_keys(s3_bucket)
    assert sorted(keys) == sorted([photo.image.name, photo.thumbnail.name])
    assert not any(is_public(s3_bucket, key) for key in keys)
    stored = s3_bucket.get_object(Bucket=BUCKET, Key=photo.image.name)["Body"].read()
    assert allowed.status_code == 200
    assert b"".join(allowed.streaming_content) == stored
    assert allowed["Cache-Control"] == "private, no-store"
    assert refused.status_code == 404
    # Nothing went to the local folder: another app server would not have found it there.
    assert not [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


@pytest.mark.django_db
def test_a_letter_on_s3_is_watermarked_from_the_bucket_and_reaches_its_sponsor(
    s3_bucket, fulfilled_with_photo, coordinator, staff, client_for
):
    letter = upload_letter(
        fulfilment_id=fulfilled_with_photo.pk,
        by=coordinator,
        scan=corpus.clean("good_png"),
        transcription="谢谢叔叔阿姨！",
    )
    # Approval reads the scan back from the bucket to make the watermarked copy.
    letter = approve_letter(letter_id=letter.pk, by=staff)

    copy = client_for("sponsor").get(reverse("files:letter_preview", args=[letter.pk]))
    scan = client_for("sponsor").get(reverse("files:letter_scan", args=[letter.pk]))

    assert letter.preview.name in bucket_keys(s3_bucket)
    assert not is_public(s3_bucket, letter.preview.name)
    assert copy.status_code == 200
    assert copy["Content-Type"] == "image/jpeg"
    assert (
        b"".join(copy.streaming_content)
        == s3_bucket.get_object(Bucket=BUCKET, Key=letter.preview.name)["Body"].read()
    )
    # The original scan stays with staff and the school, on S3 as on disk.
    assert scan.status_code == 404
