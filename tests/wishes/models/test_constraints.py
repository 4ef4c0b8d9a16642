"""Rules the database itself enforces, whatever code writes the rows.

Each bad write runs in its own `transaction.atomic()` so that, on PostgreSQL, the refused
statement rolls back to a savepoint and the test can keep querying.
"""

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from huamu.errors import TransitionError
from sponsors.models import Sponsor
from tests.factories import (
    ChildFactory,
    ClaimFactory,
    FulfilmentFactory,
    SponsorFactory,
    SponsorMemberFactory,
    WishFactory,
)
from wishes.models import (
    Child,
    Claim,
    ClaimChannel,
    ClaimStatus,
    StatusChange,
    ThankYouLetter,
    Wish,
    WishStatus,
)
from wishes.services import claim_wish, claim_wishes

pytestmark = pytest.mark.django_db


def refused_by_database(write) -> None:
    """Assert that the write raises IntegrityError, inside a savepoint."""
    with pytest.raises(IntegrityError), transaction.atomic():
        write()


# --- one active claim per wish --------------------------------------------------------------


def test_a_second_active_claim_on_a_wish_is_refused_by_the_database():
    claim = ClaimFactory()
    other = SponsorFactory(verified=True)

    refused_by_database(lambda: Claim.objects.create(wish=claim.wish, sponsor=other))

    assert list(Claim.objects.filter(wish=claim.wish)) == [claim]


def test_reactivating_a_cancelled_claim_beside_an_active_one_is_refused():
    claim = ClaimFactory()
    old = Claim.objects.create(
        wish=claim.wish,
        sponsor=SponsorFactory(verified=True),
        status=ClaimStatus.CANCELLED,
        cancel_reason="预算取消",
    )

    refused_by_database(lambda: Claim.objects.filter(pk=old.pk).update(status=ClaimStatus.ACTIVE))


def test_cancelled_and_fulfilled_claims_may_sit_beside_the_active_one():
    claim = ClaimFactory()

    for status in (ClaimStatus.CANCELLED, ClaimStatus.FULFILLED):
        Claim.objects.create(
            wish=claim.wish,
            sponsor=SponsorFactory(verified=True),
            status=status,
            cancel_reason="预算取消",
        )

    assert Claim.objects.filter(wish=claim.wish).count() == 3


# --- status values --------------------------------------------------------------------------


def _wish():
    return WishFactory()


def _claim():
    return ClaimFactory()


def _sponsor():
    return SponsorFactory()


def _letter():
    return ThankYouLetter.objects.create(fulfilment=FulfilmentFactory(), transcription="谢谢您")


@pytest.mark.parametrize("make", [_wish, _claim, _sponsor, _letter])
def test_an_unknown_status_is_refused_by_the_database(make):
    row = make()
    model = type(row)

    refused_by_database(lambda: model.objects.filter(pk=row.pk).update(status="lost"))

    row.refresh_from_db()
    assert row.status != "lost"


@pytest.mark.parametrize(
    "model, field, value",
    [
        (Claim, "channel", "wechat"),
        (Sponsor, "kind", "robot"),
        (Child, "gender", "x"),
        (Child, "grade", 10),
        (Wish, "category", "money"),
        (Wish, "estimated_value", -1),
    ],
)
def test_other_values_outside_their_choices_are_refused_by_the_database(model, field, value):
    row = {Claim: _claim, Sponsor: _sponsor, Child: ChildFactory, Wish: _wish}[model]()

    refused_by_database(lambda: model.objects.filter(pk=row.pk).update(**{field: value}))


def test_an_individual_with_a_unit_category_is_refused_by_the_database():
    person = SponsorFactory(individual=True)

    refused_by_database(
        lambda: Sponsor.objects.filter(pk=person.pk).update(unit_category="enterprise")
    )


# --- claim details --------------------------------------------------------------------------


def test_a_city_platform_claim_without_reference_is_refused_by_the_database():
    wish = WishFactory(open=True)

    refused_by_database(
        lambda: Claim.objects.create(
            wish=wish, sponsor=SponsorFactory(verified=True), channel=ClaimChannel.CITY_PLATFORM
        )
    )


def test_a_platform_reference_is_unique_within_its_channel():
    ClaimFactory(channel=ClaimChannel.CITY_PLATFORM, external_ref="SH-7")

    refused_by_database(
        lambda: ClaimFactory(channel=ClaimChannel.CITY_PLATFORM, external_ref="SH-7")
    )
    # The same number on another channel, and empty references, are no clash.
    ClaimFactory(channel=ClaimChannel.OFFLINE, external_ref="SH-7")
    ClaimFactory.create_batch(2, external_ref="")


def test_a_cancelled_claim_without_reason_is_refused_by_the_database():
    claim = ClaimFactory()

    refused_by_database(
        lambda: Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.CANCELLED)
    )

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.ACTIVE


# --- published wishes ----------------------------------------------------------------------


@pytest.mark.parametrize("status", [WishStatus.OPEN, WishStatus.CLAIMED, WishStatus.FULFILLED])
def test_a_published_wish_without_public_text_is_refused_by_the_database(status):
    refused_by_database(lambda: WishFactory(status=status, public_text="", published_at=None))
    refused_by_database(
        lambda: WishFactory(status=status, public_text="", published_at=timezone.now())
    )
    refused_by_database(lambda: WishFactory(status=status, published_at=None))


@pytest.mark.parametrize("status", [WishStatus.DRAFT, WishStatus.WITHDRAWN])
def test_an_unpublished_wish_may_have_no_public_text_yet(status):
    wish = WishFactory(status=status, public_text="")

    assert wish.pk is not None


# --- nothing is deleted ---------------------------------------------------------------------


def test_deleting_a_child_with_wishes_is_refused():
    wish = WishFactory()

    with pytest.raises(ProtectedError):
        wish.child.delete()

    assert Child.objects.filter(pk=wish.child_id).exists()


def test_deleting_a_claimed_wish_or_its_sponsor_is_refused():
    claim = ClaimFactory()

    with pytest.raises(ProtectedError):
        claim.wish.delete()
    with pytest.raises(ProtectedError):
        claim.sponsor.delete()

    assert Claim.objects.filter(pk=claim.pk).exists()


# --- the constraint as the last word in claim_wish -----------------------------------------


def make_wish_with_hidden_claim() -> Wish:
    """An open-looking wish that already has an active claim, as if a racer won just now.

    The service's status check passes, so only the partial unique index stops a second
    claim: this is the IntegrityError path of claim_wish.
    """
    return ClaimFactory(wish__status=WishStatus.OPEN).wish


def test_claim_wish_turns_the_constraint_refusal_into_a_transition_error(
    django_capture_on_commit_callbacks,
):
    wish = make_wish_with_hidden_claim()
    member = SponsorMemberFactory(sponsor=SponsorFactory(verified=True))
    changes = StatusChange.objects.count()

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(TransitionError) as refusal,
    ):
        claim_wish(wish_id=wish.pk, sponsor=member.sponsor, by=member.user)

    assert wish.code in str(refusal.value)
    # Nothing half written: no claim, no audit row, no state change, no mail.
    assert not member.sponsor.claims.exists()
    assert Claim.objects.filter(wish=wish).count() == 1
    assert StatusChange.objects.count() == changes
    wish.refresh_from_db()
    assert wish.status == WishStatus.OPEN
    assert callbacks == []


def test_claim_wishes_rolls_back_claims_already_made_when_the_constraint_refuses_one():
    # The free wish has the lower id, so its claim is written before the refused one.
    free = WishFactory(open=True)
    wish = make_wish_with_hidden_claim()
    member = SponsorMemberFactory(sponsor=SponsorFactory(verified=True))
    changes = StatusChange.objects.count()

    with pytest.raises(TransitionError, match=wish.code):
        claim_wishes(wish_ids=[wish.pk, free.pk], sponsor=member.sponsor, by=member.user)

    assert not member.sponsor.claims.exists()
    assert StatusChange.objects.count() == changes
    free.refresh_from_db()
    assert free.status == WishStatus.OPEN
