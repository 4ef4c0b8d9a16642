"""Pages that only read answer GET and HEAD; any other method is a 405 that changes nothing.

test_post_only.py holds the other half: the state-changing views take POST only, with a CSRF
token. Here, the test client sends no CSRF check, so a POST reaches the view and is refused
by the view itself.
"""

import re
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.security.test_post_only import (
    OUR_MODULES,
    all_routes,
    assert_unchanged,
    snapshot,
    url_for,
)

pytestmark = pytest.mark.django_db

# (role, url name, the world's object whose id the URL takes)
READ_ONLY_PAGES = [
    ("anonymous", "home", None),
    ("anonymous", "wishes:list", None),
    ("anonymous", "wishes:detail", "open_wish"),
    ("anonymous", "events:list", None),
    ("anonymous", "events:detail", "event"),
    ("anonymous", "impact:index", None),
    ("anonymous", "feed:wishes", None),
    ("anonymous", "healthz", None),
    ("anonymous", "metrics", None),
    # Logged in, the public pages skip the cache: the view itself must refuse.
    ("sponsor", "wishes:list", None),
    ("sponsor", "wishes:detail", "open_wish"),
    ("sponsor", "events:detail", "event"),
    ("coordinator", "school:overview", None),
    ("staff", "school:overview", None),
]
OTHER_METHODS = ["post", "put", "patch", "delete"]


def page_url(name: str, key: str | None, world: dict) -> str:
    return reverse(name, args=[world[key].pk] if key else [])


@pytest.mark.parametrize("role, name, key", READ_ONLY_PAGES)
def test_read_only_page_refuses_every_other_method(role, name, key, world, client_for):
    url = page_url(name, key, world)
    client = client_for(role)
    before = snapshot()

    answers = {method: getattr(client, method)(url) for method in OTHER_METHODS}

    assert {m: r.status_code for m, r in answers.items()} == dict.fromkeys(OTHER_METHODS, 405)
    for response in answers.values():
        assert response["Allow"] == "GET, HEAD"
    assert_unchanged(before, snapshot(), f"{'/'.join(OTHER_METHODS)} {name} as {role}")


@pytest.mark.parametrize("role, name, key", READ_ONLY_PAGES)
def test_read_only_page_still_answers_get_and_head(role, name, key, world, client_for):
    url = page_url(name, key, world)
    client = client_for(role)

    got = client.get(url)
    head = client.head(url)

    assert got.status_code == 200
    assert got.content
    assert head.status_code == 200
    assert head.content == b""
    assert head["Content-Type"] == got["Content-Type"]


def walk_readable_pages(client: Client, world: dict) -> tuple[list[str], list[str]]:
    """Every route of ours the client reads with a 200, and those answering PUT, PATCH or
    DELETE with anything but 405."""
    client.raise_request_exception = False
    readable, answering = [], []
    for route in all_routes():
        url = url_for(route, world)
        if not route.module.startswith(OUR_MODULES) or client.get(url).status_code != 200:
            continue
        readable.append(route.name)
        answering += [
            f"{method.upper()} {url}: {status}"
            for method in ("put", "patch", "delete")
            if (status := getattr(client, method)(url).status_code) != 405
        ]
    return readable, answering


def test_every_page_a_stranger_can_read_refuses_put_patch_and_delete(world):
    # Walks the URLconf: a public page routed tomorrow is covered without a new row above.
    before = snapshot()
    public, answering = walk_readable_pages(Client(), world)

    assert {"home", "wishes:list", "events:detail", "impact:index", "healthz"} <= set(public)
    assert answering == []
    assert_unchanged(before, snapshot(), "PUT/PATCH/DELETE on the public pages")


@pytest.fixture
def public_cache(settings):
    """Public page caching on, in an in-memory cache of this test's own."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"safe-methods-{uuid.uuid4().hex}",
        }
    }
    settings.HUAMU_PUBLIC_CACHE = True


@pytest.mark.parametrize(
    "name, key", [("home", None), ("wishes:detail", "open_wish"), ("events:list", None)]
)
def test_refused_methods_are_never_cached_and_the_cache_still_serves(
    name, key, world, public_cache
):
    url = page_url(name, key, world)
    client = Client()

    refused_first = client.put(url)
    with CaptureQueriesContext(connection) as rendering:
        first = client.get(url)
    # Counted at once: the next request empties the connection's query log.
    rendered = len(rendering)
    with CaptureQueriesContext(connection) as serving:
        second = client.get(url)
        head = client.head(url)
    served = len(serving)
    refused_later = client.delete(url)

    # The 405 before any GET was not stored as the page, nor served from it afterwards.
    assert (refused_first.status_code, refused_later.status_code) == (405, 405)
    assert refused_first.content == refused_later.content == b""
    assert first.status_code == second.status_code == head.status_code == 200
    # The page was rendered once, then came from the cache without a query, HEAD too.
    assert rendered > 0
    assert served == 0
    title = re.search(rb"<title>.*?</title>", first.content, re.DOTALL).group()
    assert title in second.content
    assert head.content == b""


def test_every_page_of_ours_staff_can_read_refuses_put_patch_and_delete(world, client_for):
    # The back office's own pages (imports, print-outs, the city platform upload) included;
    # Django's admin views are Django's and left as they are.
    client = client_for("superuser")
    before = snapshot()
    readable, answering = walk_readable_pages(client, world)

    assert {"admin:wishes_claim_import_platform", "school:overview"} <= set(readable)
    assert answering == []
    assert_unchanged(before, snapshot(), "PUT/PATCH/DELETE on the back office's pages")
