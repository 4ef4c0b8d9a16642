"""Sponsors clicking "claim" at the same moment, through the pages: one winner, clear losers.

Each thread has its own test client and database connection, like two browsers. On
PostgreSQL `select_for_update()` makes the losers wait and then see the wish claimed; on
SQLite the IMMEDIATE transactions of the settings serialise the writers.
"""

import datetime
import threading
from collections.abc import Callable

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import SponsorFactory, SponsorMemberFactory, WishFactory
from wishes.models import Claim, StatusChange, Wish, WishStatus

pytestmark = pytest.mark.django_db(transaction=True)

PROMISED_ON = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()


@pytest.fixture(autouse=True)
def _needs_a_database_threads_can_share():
    # An in-memory SQLite test database lives in SQLite's shared cache, whose table locks
    # fail at once ("database table is locked") instead of waiting: the race would test
    # SQLite's test mode, not our code. A file-based test database serialises as in
    # production; PostgreSQL always runs these tests.
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("needs PostgreSQL or a file-based SQLite test database (TEST NAME)")


def sponsor_clients(count: int) -> list[Client]:
    """English-speaking clients, each logged in for a different verified unit."""
    clients = []
    for _ in range(count):
        member = SponsorMemberFactory(sponsor=SponsorFactory(verified=True))
        client = Client()
        client.force_login(member.user)
        client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
        clients.append(client)
    return clients


def run_at_once(calls: list[Callable[[], HttpResponse]]) -> list[HttpResponse | Exception]:
    """Start every request in its own thread at the same moment; return the responses."""
    barrier = threading.Barrier(len(calls))
    results: list[HttpResponse | Exception | None] = [None] * len(calls)

    def worker(index: int, call: Callable[[], HttpResponse]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - the test inspects every outcome
            results[index] = error
        finally:
            # Each thread opened its own connection; leave none behind for teardown.
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    return results


def test_five_sponsors_posting_one_claim_at_once_give_one_winner():
    wish = WishFactory(open=True)
    url = reverse("wishes:claim", args=[wish.pk])
    clients = sponsor_clients(5)

    responses = run_at_once(
        [lambda c=c: c.post(url, {"promised_on": PROMISED_ON}) for c in clients]
    )

    assert all(isinstance(r, HttpResponse) for r in responses), responses
    codes = sorted(r.status_code for r in responses)
    assert codes == [302, 409, 409, 409, 409], responses
    lost = [r for r in responses if r.status_code == 409]
    assert all(f"Wish {wish.code} has just been claimed by someone else." in r.text for r in lost)
    assert Claim.objects.filter(wish=wish).count() == 1
    wish.refresh_from_db()
    assert wish.status == WishStatus.CLAIMED
    # The winner's claim and wish rows only: the losers left no trace.
    assert StatusChange.objects.count() == 2


def test_two_overlapping_batch_posts_claim_one_batch_and_nothing_of_the_other():
    first, shared, last = (WishFactory(open=True) for _ in range(3))
    a, b = sponsor_clients(2)
    url = reverse("wishes:batch_claim")

    responses = run_at_once(
        [
            lambda: a.post(url, {"wishes": [first.pk, shared.pk], "promised_on": PROMISED_ON}),
            lambda: b.post(url, {"wishes": [shared.pk, last.pk], "promised_on": PROMISED_ON}),
        ]
    )

    assert all(isinstance(r, HttpResponse) for r in responses), responses
    assert sorted(r.status_code for r in responses) == [302, 409], responses
    loser = next(r for r in responses if r.status_code == 409)
    assert shared.code in loser.text
    won = {first.pk, shared.pk} if responses[0].status_code == 302 else {shared.pk, last.pk}
    assert set(Claim.objects.values_list("wish_id", flat=True)) == won
    assert Claim.objects.values("sponsor").distinct().count() == 1
    statuses = dict(Wish.objects.values_list("pk", "status"))
    for pk in (first.pk, shared.pk, last.pk):
        assert statuses[pk] == (WishStatus.CLAIMED if pk in won else WishStatus.OPEN)
    # The loser's page ticks its wish that is still open, ready for another try.
    still_open = ({first.pk, last.pk} - won).pop()
    assert f'value="{still_open}" id="wish-{still_open}" checked' in loser.text
