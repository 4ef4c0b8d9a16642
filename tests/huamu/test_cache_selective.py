"""A change drops only the cached pages that show what it changed (huamu/cache.py).

Each test warms every public page, makes one change, then asks each page again: a page
served from the cache runs no query, a page rendered again runs its queries.
"""

import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import huamu.cache
from huamu.cache import bump_versions, cache_public_page, depends_on
from tests.factories import (
    ClaimFactory,
    EventFactory,
    FulfilmentFactory,
    SponsorFactory,
    WishFactory,
)
from tests.huamu.test_cache import REDIS_URL, _redis_answers
from wishes.models import Event, YearTotal
from wishes.services import cancel_claim, claim_wish, record_fulfilment

LOCMEM = "django.core.cache.backends.locmem.LocMemCache"


@pytest.fixture
def public_cache(settings, db):
    """Public page caching on, in an in-memory cache of this test's own."""
    settings.CACHES = {"default": {"BACKEND": LOCMEM, "LOCATION": f"test-{uuid.uuid4().hex}"}}
    settings.HUAMU_PUBLIC_CACHE = True


@pytest.fixture(params=["locmem", "redis"])
def any_cache(request, settings, db):
    """Public page caching on, in memory and in Redis (when it runs), under a prefix of its own."""
    prefix = f"test-{uuid.uuid4().hex}"
    if request.param == "locmem":
        settings.CACHES = {"default": {"BACKEND": LOCMEM, "LOCATION": prefix}}
    else:
        pytest.importorskip("redis")
        if not _redis_answers(REDIS_URL):
            pytest.skip(f"no Redis at {REDIS_URL}")
        settings.CACHES = {
            "default": {
                "BACKEND": "huamu.cache.RedisCache",
                "LOCATION": REDIS_URL,
                "KEY_PREFIX": prefix,
            }
        }
    settings.HUAMU_PUBLIC_CACHE = True
    yield
    if request.param == "redis":
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(match=f"{prefix}:*"):
            client.delete(key)


@pytest.fixture
def site(db):
    """Wishes of two categories and bands, an event with a fulfilment, a verified unit."""
    wish = WishFactory(open=True, category="books", child__grade=3)
    # Same category, other band: in `wish`'s "similar wishes".
    same_category = WishFactory(open=True, category="books", child__grade=7)
    # Another category and band: nothing in common with `wish`.
    unrelated = WishFactory(open=True, category="sports", child__grade=1)
    event = EventFactory(is_public=True)
    FulfilmentFactory(event=event)
    claimed = ClaimFactory()
    return {
        "wish": wish,
        "same_category": same_category,
        "unrelated": unrelated,
        "event": event,
        "claimed": claimed,
        "sponsor": SponsorFactory(verified=True),
        "urls": {
            "home": "/",
            "list": "/wishes/",
            "filtered": "/wishes/?category=sports",
            "wish": reverse("wishes:detail", args=[wish.pk]),
            "same category": reverse("wishes:detail", args=[same_category.pk]),
            "unrelated": reverse("wishes:detail", args=[unrelated.pk]),
            "events": "/events/",
            "event": reverse("events:detail", args=[event.pk]),
            "impact": "/impact/",
        },
    }


def _warm(client: Client, urls: dict[str, str]) -> None:
    for url in urls.values():
        assert client.get(url).status_code == 200
    # Every page now comes from the cache.
    assert _rendered(client, urls) == set()


def _rendered(client: Client, urls: dict[str, str]) -> set[str]:
    """The pages that ran queries, i.e. were rendered rather than served from the cache."""
    rendered = set()
    for name, url in urls.items():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        if queries:
            rendered.add(name)
    return rendered


def test_claim_re_renders_its_wish_the_lists_and_the_numbers_only(
    any_cache, site, django_capture_on_commit_callbacks
):
    client = Client()
    _warm(client, site["urls"])

    with django_capture_on_commit_callbacks(execute=True):
        claim_wish(wish_id=site["wish"].pk, sponsor=site["sponsor"], by=None)

    # The wish of the same category shows the claimed wish among its "similar wishes".
    assert _rendered(client, site["urls"]) == {
        "home",
        "list",
        "filtered",
        "wish",
        "same category",
        "impact",
    }
    # And what they show is the claim.
    assert reverse("wishes:detail", args=[site["wish"].pk]) not in client.get("/wishes/").text


def test_claim_made_on_the_spot_at_an_event_re_renders_the_events_too(
    public_cache, site, django_capture_on_commit_callbacks
):
    # The event page counts the claims made there (the 3·5 梦想现场认领).
    client = Client()
    _warm(client, site["urls"])

    with django_capture_on_commit_callbacks(execute=True):
        claim_wish(
            wish_id=site["unrelated"].pk, sponsor=site["sponsor"], by=None, event=site["event"]
        )

    assert {"events", "event", "unrelated"} <= _rendered(client, site["urls"])


def test_cancelled_claim_brings_the_wish_back_on_the_same_pages(
    public_cache, site, staff, django_capture_on_commit_callbacks
):
    claim = claim_wish(wish_id=site["unrelated"].pk, sponsor=site["sponsor"], by=None)
    client = Client()
    _warm(client, site["urls"])

    with django_capture_on_commit_callbacks(execute=True):
        cancel_claim(claim_id=claim.pk, by=staff, reason="换人")

    assert _rendered(client, site["urls"]) == {
        "home",
        "list",
        "filtered",
        "unrelated",
        "impact",
    }
    assert reverse("wishes:detail", args=[site["unrelated"].pk]) in client.get("/wishes/").text


def test_fulfilment_at_an_event_re_renders_the_events_and_leaves_other_wishes(
    public_cache, site, staff, django_capture_on_commit_callbacks
):
    claim = claim_wish(wish_id=site["unrelated"].pk, sponsor=site["sponsor"], by=None)
    client = Client()
    _warm(client, site["urls"])

    with django_capture_on_commit_callbacks(execute=True):
        record_fulfilment(
            claim_id=claim.pk, by=staff, fulfilled_on=timezone.localdate(), event=site["event"]
        )

    assert _rendered(client, site["urls"]) == {
        "home",
        "list",
        "filtered",
        "unrelated",
        "events",
        "event",
        "impact",
    }


def test_sponsor_added_to_an_event_re_renders_the_events_only(
    public_cache, site, django_capture_on_commit_callbacks
):
    client = Client()
    _warm(client, site["urls"])

    with django_capture_on_commit_callbacks(execute=True):
        Event.objects.get(pk=site["event"].pk).sponsors.add(site["sponsor"])

    assert _rendered(client, site["urls"]) == {"events", "event"}


def test_earlier_years_totals_re_render_the_numbers_only(
    public_cache, site, django_capture_on_commit_callbacks
):
    client = Client()
    _warm(client, site["urls"])

    with django_capture_on_commit_callbacks(execute=True):
        YearTotal.objects.create(year=2015, wishes_fulfilled=20)

    assert _rendered(client, site["urls"]) == {"home", "impact"}


def test_editing_an_event_re_renders_everything(
    public_cache, site, django_capture_on_commit_callbacks
):
    client = Client()
    _warm(client, site["urls"])

    with django_capture_on_commit_callbacks(execute=True):
        event = Event.objects.get(pk=site["event"].pk)
        event.title = "感恩专场"
        event.save()

    # A sponsor's claims show the event too: rare changes drop every page.
    assert _rendered(client, site["urls"]) == set(site["urls"])


def test_a_change_made_in_another_process_is_seen_without_its_hints(
    any_cache, site, django_capture_on_commit_callbacks
):
    client = Client()
    _warm(client, site["urls"])
    # As a second app server would be: it never rendered these pages.
    huamu.cache._hints.clear()

    with django_capture_on_commit_callbacks(execute=True):
        claim_wish(wish_id=site["wish"].pk, sponsor=site["sponsor"], by=None)

    assert "wish" in _rendered(client, site["urls"])
    assert "unrelated" not in _rendered(client, site["urls"])


def test_a_claim_of_another_sponsor_keeps_a_sponsors_cached_claims(
    public_cache, site, client_for, sponsor, django_capture_on_commit_callbacks
):
    mine = sponsor.sponsor_member.sponsor
    claim_wish(wish_id=site["same_category"].pk, sponsor=mine, by=sponsor)
    client = client_for("sponsor")
    dashboard = reverse("sponsors:dashboard")
    client.get(dashboard)
    with CaptureQueriesContext(connection) as cached:
        client.get(dashboard)

    with django_capture_on_commit_callbacks(execute=True):
        claim_wish(wish_id=site["wish"].pk, sponsor=site["sponsor"], by=None)
    with CaptureQueriesContext(connection) as after_other:
        client.get(dashboard)
    with django_capture_on_commit_callbacks(execute=True):
        claim_wish(wish_id=site["unrelated"].pk, sponsor=mine, by=sponsor)
    with CaptureQueriesContext(connection) as after_own:
        page = client.get(dashboard, HTTP_ACCEPT_LANGUAGE="en").text

    assert len(after_other) == len(cached)
    assert len(after_own) > len(cached)
    assert site["unrelated"].code in page


def _anonymous_get():
    request = RequestFactory().get("/selective/")
    request.user = AnonymousUser()
    return request


def test_page_rendered_while_its_data_changes_is_not_served(
    public_cache, django_capture_on_commit_callbacks
):
    renders = []

    @cache_public_page
    def racing(request):
        depends_on("wish:1")
        renders.append(request)
        if len(renders) == 1:
            # A claim on wish 1 commits after the version was read, before the page is done.
            with django_capture_on_commit_callbacks(execute=True):
                bump_versions("wish:1")
        return HttpResponse(f"render {len(renders)}")

    pages = [racing(_anonymous_get()).text for _ in range(3)]

    assert pages == ["render 1", "render 2", "render 2"]


def test_page_is_kept_when_other_data_changes_and_dropped_when_its_own_does(
    public_cache, django_capture_on_commit_callbacks
):
    renders = []

    @cache_public_page
    def page(request):
        depends_on("wish:1")
        renders.append(request)
        return HttpResponse(f"render {len(renders)}")

    page(_anonymous_get())
    with django_capture_on_commit_callbacks(execute=True):
        bump_versions("wish:2", "events")
    kept = page(_anonymous_get()).text
    with django_capture_on_commit_callbacks(execute=True):
        bump_versions("wish:1")
    dropped = page(_anonymous_get()).text

    assert (kept, dropped) == ("render 1", "render 2")


def test_page_that_declares_nothing_is_dropped_by_any_change(
    public_cache, django_capture_on_commit_callbacks
):
    renders = []

    @cache_public_page
    def undeclared(request):
        renders.append(request)
        return HttpResponse(f"render {len(renders)}")

    undeclared(_anonymous_get())
    assert undeclared(_anonymous_get()).text == "render 1"
    with django_capture_on_commit_callbacks(execute=True):
        bump_versions("wish:2")

    assert undeclared(_anonymous_get()).text == "render 2"
