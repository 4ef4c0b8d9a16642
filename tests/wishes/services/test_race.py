"""Real concurrency: sponsors clicking "claim" at the same moment get exactly one winner.

Each thread has its own database connection. On PostgreSQL `select_for_update()` makes
the losers wait for the winner and then see the wish claimed; on SQLite the IMMEDIATE
transactions of the settings serialise the writers. Run this file on both.
"""

import threading
import time
from collections.abc import Callable

import pytest
from django.db import DatabaseError, connection, connections

from huamu.errors import TransitionError
from tests.factories import (
    ClaimFactory,
    SponsorFactory,
    SponsorMemberFactory,
    UserFactory,
    WishFactory,
)
from wishes.audit import history_of
from wishes.models import Claim, ClaimStatus, StatusChange, Wish, WishStatus
from wishes.services import cancel_claim, claim_wish, claim_wishes, locks, withdraw_wish

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # Threads share an in-memory SQLite database through its shared cache, whose table
    # locks fail at once ("database table is locked") instead of waiting like a real file.
    pytest.mark.skipif(
        connection.vendor == "sqlite"
        and connection.settings_dict.get("TEST", {}).get("NAME") in (None, "", ":memory:"),
        reason="needs a file-based SQLite test database (settings DATABASES TEST NAME)",
    ),
]


def run_at_once(calls: list[Callable[[], object]]) -> list[object]:
    """Start every call in its own thread at the same moment; return results or errors."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def worker(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:
            # Kept, not raised: the test looks at every outcome.
            results[index] = error
        finally:
            # Each thread opened its own connection; leave none behind for teardown.
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a claim never finished"
    return results


def test_six_sponsors_racing_for_one_wish_give_exactly_one_claim():
    wish = WishFactory(open=True)
    members = [SponsorMemberFactory(sponsor=SponsorFactory(verified=True)) for _ in range(6)]

    results = run_at_once(
        [lambda m=m: claim_wish(wish_id=wish.pk, sponsor=m.sponsor, by=m.user) for m in members]
    )

    claims = [r for r in results if isinstance(r, Claim)]
    errors = [r for r in results if isinstance(r, TransitionError)]
    assert len(claims) == 1, results
    assert len(errors) == 5, results
    assert all(wish.code in str(e) for e in errors)
    winner = claims[0]
    assert Claim.objects.filter(wish=wish).count() == 1
    assert Claim.objects.get(wish=wish, status=ClaimStatus.ACTIVE).pk == winner.pk
    wish.refresh_from_db()
    assert wish.status == WishStatus.CLAIMED
    assert [(c.from_status, c.to_status) for c in history_of(wish)] == [
        (WishStatus.OPEN, WishStatus.CLAIMED)
    ]
    claim_history = history_of(winner)
    assert [(c.from_status, c.to_status, c.by_id) for c in claim_history] == [
        ("", ClaimStatus.ACTIVE, winner.claimed_by_id)
    ]
    # Only the winner's two rows exist: the losers left no trace.
    assert StatusChange.objects.count() == 2


def test_two_overlapping_batch_claims_one_wins_completely_the_other_claims_nothing():
    first, shared, last = (WishFactory(open=True) for _ in range(3))
    a = SponsorMemberFactory(sponsor=SponsorFactory(verified=True))
    b = SponsorMemberFactory(sponsor=SponsorFactory(verified=True))
    batches = {a.sponsor.pk: {first.pk, shared.pk}, b.sponsor.pk: {shared.pk, last.pk}}

    results = run_at_once(
        [
            lambda: claim_wishes(wish_ids=[first.pk, shared.pk], sponsor=a.sponsor, by=a.user),
            lambda: claim_wishes(wish_ids=[last.pk, shared.pk], sponsor=b.sponsor, by=b.user),
        ]
    )

    won = [r for r in results if isinstance(r, list)]
    lost = [r for r in results if isinstance(r, TransitionError)]
    assert len(won) == 1, results
    assert len(lost) == 1, results
    assert shared.code in str(lost[0])
    winner = won[0][0].sponsor
    claimed = set(Claim.objects.values_list("wish_id", flat=True))
    assert claimed == batches[winner.pk]
    assert set(Claim.objects.values_list("sponsor_id", flat=True)) == {winner.pk}
    statuses = dict(Wish.objects.values_list("pk", "status"))
    for pk in {first.pk, shared.pk, last.pk}:
        expected = WishStatus.CLAIMED if pk in batches[winner.pk] else WishStatus.OPEN
        assert statuses[pk] == expected


def test_cancelling_and_withdrawing_the_same_claim_at_once_do_not_deadlock(monkeypatch):
    claim = ClaimFactory()
    staff = UserFactory(is_staff=True)

    def held_a_while(lock):
        # Keep the first row lock a moment so that the other transaction takes its first
        # lock too: two services locking wish and claim in opposite orders deadlock here.
        def lock_and_wait(pk: int):
            row = lock(pk)
            time.sleep(0.3)
            return row

        return lock_and_wait

    monkeypatch.setattr(locks, "lock_claim", held_a_while(locks.lock_claim))
    monkeypatch.setattr(locks, "lock_wish", held_a_while(locks.lock_wish))

    results = run_at_once(
        [
            lambda: cancel_claim(claim_id=claim.pk, by=staff, reason="联系不上"),
            lambda: withdraw_wish(wish_id=claim.wish_id, by=staff, reason="家长撤回同意"),
        ]
    )

    assert not [r for r in results if isinstance(r, DatabaseError)], results
    claim.refresh_from_db()
    claim.wish.refresh_from_db()
    assert claim.status == ClaimStatus.CANCELLED
    assert claim.wish.status == WishStatus.WITHDRAWN
