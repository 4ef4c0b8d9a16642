"""Real concurrency: the sponsor cancels while the coordinator records the gift's arrival."""

import pytest

from huamu.errors import TransitionError
from tests.factories import ClaimFactory, SchoolCoordinatorFactory, SponsorMemberFactory
from tests.wishes.services.test_race import pytestmark as race_marks
from tests.wishes.services.test_race import run_at_once
from wishes.models import Claim, ClaimStatus, GiftReceipt, WishStatus
from wishes.services import cancel_claim, receive_gift

pytestmark = race_marks


@pytest.mark.parametrize("attempt", range(3))
def test_received_and_cancelled_at_once_give_one_outcome(attempt):
    claim = ClaimFactory()
    member = SponsorMemberFactory(sponsor=claim.sponsor).user
    coordinator = SchoolCoordinatorFactory(school=claim.wish.child.school).user

    results = run_at_once(
        [
            lambda: receive_gift(claim_id=claim.pk, by=coordinator),
            lambda: cancel_claim(claim_id=claim.pk, by=member, reason="Cannot buy it"),
        ]
    )

    received, cancelled = results
    claim.refresh_from_db()
    claim.wish.refresh_from_db()
    if isinstance(received, GiftReceipt):
        assert isinstance(cancelled, TransitionError), results
        # The site speaks Chinese in these threads: "the gift has already arrived".
        assert "礼物已经送达" in str(cancelled), [str(r) for r in results]
        assert claim.status == ClaimStatus.GIFT_RECEIVED
        assert claim.wish.status == WishStatus.CLAIMED
    else:
        assert isinstance(received, TransitionError), results
        assert isinstance(cancelled, Claim), results
        assert claim.status == ClaimStatus.CANCELLED
        assert claim.wish.status == WishStatus.OPEN
        assert not GiftReceipt.objects.exists()
