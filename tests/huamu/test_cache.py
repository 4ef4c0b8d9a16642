"""Public pages from the cache: served without queries, and never stale after a change."""

import datetime
import os
import re
import socket
import subprocess
import uuid
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import constants as message_levels
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.management import call_command
from django.db import connection
from django.http import HttpResponse
from django.middleware.csp import ContentSecurityPolicyMiddleware
from django.template import engines
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from huamu.cache import bump_public_version, cache_public_page
from tests.factories import (
    EventFactory,
    FulfilmentFactory,
    SponsorFactory,
    WishFactory,
)
from tests.new_python import run_with_settings
from wishes.models import Consent
from wishes.services import claim_wish, withdraw_consent

PROJECT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
LOCMEM = "django.core.cache.backends.locmem.LocMemCache"


def _redis_answers(url: str) -> bool:
    host, port = re.match(r"rediss?://([^:/]+):?(\d*)", url).groups()
    try:
        with socket.create_connection((host, int(port or 6379)), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def public_cache(settings, db):
    """Public page caching on, in an in-memory cache of this test's own."""
    settings.CACHES = {"default": {"BACKEND": LOCMEM, "LOCATION": f"test-{uuid.uuid4().hex}"}}
    settings.HUAMU_PUBLIC_CACHE = True


def _use_cache(settings, kind: str) -> str:
    """Turn public page caching on in a fresh cache of the kind; return its key prefix."""
    prefix = f"test-{uuid.uuid4().hex}"
    if kind == "locmem":
        config = {"BACKEND": LOCMEM, "LOCATION": prefix}
    elif kind == "database":
        config = {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": prefix}
    else:
        pytest.importorskip("redis")
        if not _redis_answers(REDIS_URL):
            pytest.skip(f"no Redis at {REDIS_URL}")
        config = {
            "BACKEND": "huamu.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    settings.CACHES = {"default": config}
    settings.HUAMU_PUBLIC_CACHE = True
    if kind == "database":
        # The table goes with the test's transaction.
        call_command("createcachetable", verbosity=0)
    return prefix


@pytest.fixture(params=["locmem", "database", "redis"])
def shared_cache(request, settings, db):
    """Public page caching on, in each backend the settings offer (Redis when it runs)."""
    prefix = _use_cache(settings, request.param)
    yield request.param
    if request.param == "redis":
        import redis

        # Only this test's keys: other work may share the Redis database.
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(match=f"{prefix}:*"):
            client.delete(key)


@pytest.fixture
def database_cache(settings, db):
    """Public page caching on, in a cache table of the test database (the default)."""
    _use_cache(settings, "database")


@pytest.fixture
def claimant(db):
    """A verified caring unit that claims wishes through the service."""
    return SponsorFactory(verified=True, name="上海新国际博览中心")


def detail_url(wish) -> str:
    return reverse("wishes:detail", args=[wish.pk])


def test_claimed_wish_is_gone_from_the_cached_list_on_the_next_request(
    shared_cache,
    claimant,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    wish = WishFactory(open=True)
    client = Client()
    assert detail_url(wish) in client.get("/wishes/").text
    # The second visit comes from the cache: no query, or the one that reads the
    # database cache.
    with django_assert_max_num_queries(1):
        cached = client.get("/wishes/")
    assert detail_url(wish) in cached.text

    with django_capture_on_commit_callbacks(execute=True):
        claim_wish(wish_id=wish.pk, sponsor=claimant, by=None)

    assert detail_url(wish) not in client.get("/wishes/").text


def test_claim_drops_cached_pages_when_it_commits(
    public_cache, claimant, django_capture_on_commit_callbacks
):
    wish = WishFactory(open=True)
    client = Client()
    client.get("/wishes/")

    with django_capture_on_commit_callbacks(execute=False) as commit:
        claim_wish(wish_id=wish.pk, sponsor=claimant, by=None)
        # Not committed yet: the bump waits, so a slow cache never holds the row locks.
        with CaptureQueriesContext(connection) as queries:
            assert detail_url(wish) in client.get("/wishes/").text
        assert len(queries) == 0
    for callback in commit:
        callback()

    assert detail_url(wish) not in client.get("/wishes/").text


def test_cached_wish_page_says_claimed_right_after_the_claim(
    public_cache, claimant, django_capture_on_commit_callbacks
):
    wish = WishFactory(open=True)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.get(detail_url(wish))
    before = client.get(detail_url(wish)).text
    assert "Make this wish come true" in before

    with django_capture_on_commit_callbacks(execute=True):
        claim_wish(wish_id=wish.pk, sponsor=claimant, by=None)

    after = client.get(detail_url(wish)).text
    assert "Claimed — thank you!" in after
    assert "Make this wish come true" not in after


def test_consent_withdrawal_takes_the_wish_off_every_cached_page_at_once(
    public_cache, staff, django_capture_on_commit_callbacks
):
    wish = WishFactory(open=True)
    client = Client()
    for url in ("/", "/wishes/", detail_url(wish)):
        client.get(url)
        assert detail_url(wish) in client.get(url).text

    with django_capture_on_commit_callbacks(execute=True):
        withdraw_consent(consent_id=Consent.objects.get(child=wish.child).pk, by=staff)

    assert detail_url(wish) not in client.get("/").text
    assert detail_url(wish) not in client.get("/wishes/").text
    assert client.get(detail_url(wish)).status_code == 404


def test_newly_published_wish_appears_on_the_cached_list(
    public_cache, django_capture_on_commit_callbacks
):
    client = Client()
    client.get("/wishes/")
    assert "/wishes/" in client.get("/wishes/").text

    with django_capture_on_commit_callbacks(execute=True):
        wish = WishFactory(open=True)

    assert detail_url(wish) in client.get("/wishes/").text


def _public_urls() -> dict[str, str]:
    wish = WishFactory(open=True)
    WishFactory(open=True, category="sports", child__grade=5)
    event = EventFactory()
    FulfilmentFactory(event=event)
    return {
        "home": "/",
        "list": "/wishes/",
        "filtered list": "/wishes/?category=books&grade=middle",
        "second page": "/wishes/?page=2",
        "wish": detail_url(wish),
        "events": "/events/",
        "event": reverse("events:detail", args=[event.pk]),
    }


@pytest.mark.parametrize(
    "page_name", ["home", "list", "filtered list", "second page", "wish", "events", "event"]
)
def test_second_anonymous_visit_runs_no_query(public_cache, page_name, django_assert_num_queries):
    url = _public_urls()[page_name]
    client = Client()
    first = client.get(url)
    assert first.status_code == 200

    with django_assert_num_queries(0):
        second = client.get(url)

    assert second.status_code == 200
    # The same page but for the CSRF token: one field per form, tokens differ.
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert strip.sub("", second.text) == strip.sub("", first.text)


def test_database_cache_serves_a_page_in_one_query(database_cache, django_assert_num_queries):
    WishFactory(open=True)
    client = Client()
    client.get("/wishes/")

    # Reads the version and the page in one SELECT.
    with django_assert_num_queries(1):
        client.get("/wishes/")


def _csrf_token_in(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_cached_page_carries_the_visitors_own_working_csrf_token(
    public_cache, open_wish, django_assert_num_queries
):
    first_visitor = Client(enforce_csrf_checks=True)
    first_token = _csrf_token_in(first_visitor.get("/wishes/").text)
    second_visitor = Client(enforce_csrf_checks=True)

    with django_assert_num_queries(0):
        page = second_visitor.get("/wishes/")

    token = _csrf_token_in(page.text)
    assert "csrftoken" in page.cookies
    switch = {"language": "en", "next": "/wishes/"}
    # The token the page was rendered with belongs to the first visitor only.
    stale = second_visitor.post(
        reverse("set_language"), {**switch, "csrfmiddlewaretoken": first_token}
    )
    assert stale.status_code == 403
    fresh = second_visitor.post(reverse("set_language"), {**switch, "csrfmiddlewaretoken": token})
    assert fresh.status_code == 302


def _anonymous_get(path: str = "/nonce/"):
    request = RequestFactory().get(path)
    request.user = AnonymousUser()
    return request


def test_cached_page_gets_a_fresh_csp_nonce_that_matches_its_header(public_cache):
    calls = []
    template = engines["django"].from_string(
        '<script nonce="{{ csp_nonce }}">1</script><form>{% csrf_token %}</form>'
    )

    @cache_public_page
    def scripted(request):
        calls.append(request)
        return HttpResponse(template.render({}, request))

    with_csp = ContentSecurityPolicyMiddleware(scripted)
    pages = [with_csp(_anonymous_get()) for _ in range(2)]

    assert len(calls) == 1
    nonces = [re.search(r'nonce="([^"]+)"', page.text).group(1) for page in pages]
    assert nonces[0] != nonces[1]
    for page, nonce in zip(pages, nonces, strict=True):
        assert f"'nonce-{nonce}'" in page["Content-Security-Policy"]


def test_page_rendered_while_public_data_changes_is_not_served(
    public_cache, django_capture_on_commit_callbacks
):
    renders = []

    @cache_public_page
    def racing(request):
        renders.append(request)
        if len(renders) == 1:
            # A claim commits while this page is being rendered from the data before it.
            with django_capture_on_commit_callbacks(execute=True):
                bump_public_version()
        return HttpResponse(f"render {len(renders)}")

    first = racing(_anonymous_get()).text
    second = racing(_anonymous_get()).text
    third = racing(_anonymous_get()).text

    assert (first, second, third) == ("render 1", "render 2", "render 2")


def test_visitor_with_a_pending_message_gets_a_fresh_page(public_cache):
    renders = []

    @cache_public_page
    def page(request):
        renders.append(request)
        return HttpResponse("page")

    page(_anonymous_get())
    # The previous response left a message in the visitor's cookie, as after signing up.
    earlier = _anonymous_get()
    storage = CookieStorage(earlier)
    storage.add(message_levels.SUCCESS, "Thank you for signing up")
    left = HttpResponse()
    storage.update(left)
    with_message = _anonymous_get()
    with_message.COOKIES[CookieStorage.cookie_name] = left.cookies[CookieStorage.cookie_name].value
    with_message._messages = CookieStorage(with_message)
    page(with_message)

    assert len(renders) == 2


def test_logged_in_sponsor_never_sees_the_anonymous_page_nor_leaves_one(
    public_cache, client_for, open_wish
):
    anonymous = client_for("anonymous")
    anonymous.get("/wishes/")

    own = client_for("sponsor").get("/wishes/").text

    assert "sponsor" in own and reverse("logout") in own
    assert reverse("logout") not in anonymous.get("/wishes/").text


def test_languages_are_cached_apart(public_cache, open_wish):
    Client(HTTP_ACCEPT_LANGUAGE="en").get("/wishes/")

    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get("/wishes/").text
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get("/wishes/").text

    assert 'lang="zh-hans"' in chinese
    assert 'lang="en"' in english


def test_public_pages_tell_browsers_and_proxies_not_to_keep_them(public_cache, open_wish):
    client = Client()
    for response in (client.get("/wishes/"), client.get("/wishes/")):
        assert "private" in response["Cache-Control"]
        assert "no-cache" in response["Cache-Control"]
        assert "Accept-Language" in response["Vary"]
        assert "Cookie" in response["Vary"]


def test_pages_render_every_time_when_caching_is_off(settings, open_wish):
    settings.HUAMU_PUBLIC_CACHE = False
    client = Client()
    client.get("/wishes/")

    with CaptureQueriesContext(connection) as second:
        client.get("/wishes/")

    assert len(second) > 0


def test_site_and_claims_keep_working_while_the_cache_is_down(settings, claimant):
    pytest.importorskip("redis")
    # Nothing listens on port 1: every cache call fails at once.
    settings.CACHES = {
        "default": {
            "BACKEND": "huamu.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    settings.HUAMU_PUBLIC_CACHE = True
    wish = WishFactory(open=True)
    client = Client()
    assert detail_url(wish) in client.get("/wishes/").text

    claim_wish(wish_id=wish.pk, sponsor=claimant, by=None)

    assert detail_url(wish) not in client.get("/wishes/").text


def test_events_pages_count_a_new_fulfilment_at_once(
    public_cache, django_capture_on_commit_callbacks
):
    # A past event: one still to come says nothing of wishes fulfilled.
    event = EventFactory(date=timezone.localdate() - datetime.timedelta(days=1))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert "0 wishes fulfilled" in client.get("/events/").text

    with django_capture_on_commit_callbacks(execute=True):
        FulfilmentFactory(event=event)

    assert "1 wish fulfilled" in client.get("/events/").text


def start_django(**env: str) -> subprocess.CompletedProcess:
    """Read the settings in a new Python, as a server would, and print the cache backend."""
    return run_with_settings(
        "from django.conf import settings; c = settings.CACHES['default']; "
        "print(c['BACKEND'], c['LOCATION'], settings.HUAMU_PUBLIC_CACHE)",
        without={"CACHE_URL", "PUBLIC_CACHE"},
        DEBUG="true",
        **env,
    )


@pytest.mark.parametrize(
    "url, expected",
    [
        (None, "django.core.cache.backends.db.DatabaseCache huamu_cache True"),
        (
            "redis://127.0.0.1:6379/1",
            "huamu.cache.RedisCache redis://127.0.0.1:6379/1 True",
        ),
        ("db://page_cache", "django.core.cache.backends.db.DatabaseCache page_cache True"),
    ],
)
def test_servers_share_the_cache_named_by_cache_url(url, expected):
    result = start_django(**({"CACHE_URL": url} if url else {}))

    assert result.stdout.strip() == expected, result.stderr


def test_unknown_cache_url_stops_start_up():
    result = start_django(CACHE_URL="memcached://127.0.0.1:11211")

    assert result.returncode != 0
    assert "CACHE_URL" in result.stderr
