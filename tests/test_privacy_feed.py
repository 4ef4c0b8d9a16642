"""Children's privacy in the wishes feed and on the impact page.

The same marked children as tests/test_privacy.py: every private field holds a unique marker,
and neither the feed nor the impact page may show one, to any role, in any language. The
feed is JSON, so it is checked both as sent and as decoded (escapes could hide a marker).
"""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import test_privacy
from tests.test_privacy import LANGUAGES, MARKERS, PRIVATE_COLUMNS, ROLES, Cast
from wishes.city_platform import feed
from wishes.models import HardshipCategory

# The marked cast of tests/test_privacy.py: open, hidden, claimed and fulfilled wishes.
cast = test_privacy.cast

FEED = reverse("feed:wishes")
IMPACT = reverse("impact:index")


def _leaked(text: str) -> list[str]:
    return [marker for marker in MARKERS if marker in text]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", ROLES)
def test_feed_shows_no_private_field(cast: Cast, client_for, role, language):
    response = client_for(role).get(FEED, HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 200
    raw = response.content.decode("utf-8")
    decoded = json.dumps(json.loads(raw), ensure_ascii=False)
    assert _leaked(raw) == []
    assert _leaked(decoded) == []
    assert str(HardshipCategory.ILLNESS.label) not in raw


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", ROLES)
def test_impact_page_shows_no_private_field(cast: Cast, client_for, role, language):
    response = client_for(role).get(IMPACT, HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 200
    assert _leaked(response.text) == []


def test_feed_does_show_the_open_marked_wishes(cast: Cast, client):
    # Guards the tests above: the marked wishes really are in the feed that was checked.
    wishes = {wish["code"]: wish for wish in json.loads(client.get(FEED).content)["wishes"]}

    assert set(wishes) == {cast.wish.code, cast.hidden.code}
    assert wishes[cast.wish.code]["location"] == "花木街道"
    # Staff chose to show nothing of where the hidden child lives or studies.
    assert wishes[cast.hidden.code]["location"] == ""


def test_impact_never_reads_a_private_column(cast: Cast, client):
    with CaptureQueriesContext(connection) as queries:
        client.get(IMPACT)

    sql = "\n".join(query["sql"] for query in queries.captured_queries)
    assert "wishes_" in sql
    assert [column for column in PRIVATE_COLUMNS if f'"{column}"' in sql] == []


def test_the_feed_reads_private_columns_only_for_the_privacy_guard(
    cast: Cast, client, monkeypatch
):
    # The guard compares each text with what is recorded on its child, so it must read the
    # child; everything the document is built from reads the allowlist only.
    in_guard: list[bool] = []
    guard = feed.wishes_naming_their_child

    def watched_guard(texts):
        in_guard.append(True)
        try:
            return guard(texts)
        finally:
            in_guard.pop()

    outside_guard: list[str] = []

    def record(execute, sql, params, many, context):
        if not in_guard:
            outside_guard.append(sql)
        return execute(sql, params, many, context)

    monkeypatch.setattr(feed, "wishes_naming_their_child", watched_guard)
    with connection.execute_wrapper(record):
        assert client.get(FEED).status_code == 200

    sql = "\n".join(outside_guard)
    assert "wishes_" in sql
    assert [column for column in PRIVATE_COLUMNS if f'"{column}"' in sql] == []
