"""The home page's numbers and the similar wishes: what they return and how many queries."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    ClaimFactory,
    ConsentFactory,
    FulfilmentFactory,
    WishFactory,
    save_each,
)
from wishes.models import Wish, WishCategory, WishStatus
from wishes.public.selectors import impact_numbers, similar_open_wishes

LIST = reverse("wishes:list")

pytestmark = pytest.mark.django_db


def _open(**kwargs) -> Wish:
    return WishFactory(open=True, **kwargs)


def _listed(client) -> int:
    """How many wishes the public waiting-wishes list says are waiting."""
    return client.get(LIST).context["page_obj"].paginator.count


# --- waiting and fulfilled numbers ------------------------------------------------------------


def _consent_withdrawn() -> None:
    wish = _open()
    save_each(wish.child.consents.all(), withdrawn_at=timezone.now())


def _consent_not_to_publish() -> None:
    wish = _open()
    save_each(wish.child.consents.all(), publish_wish=False)


def _record_not_kept() -> None:
    wish = _open()
    save_each(wish.child.consents.all(), keep_record=False)


def _child_withdrawn() -> None:
    _open(child__withdrawn_at=timezone.now())


def _two_consents_one_withdrawn() -> None:
    wish = _open()
    save_each(wish.child.consents.all(), withdrawn_at=timezone.now())
    ConsentFactory(child=wish.child)


def _two_wishes_of_one_child() -> None:
    wish = _open()
    _open(child=wish.child)


def _claimed() -> None:
    ClaimFactory()


def _fulfilled() -> None:
    FulfilmentFactory()


def _fulfilled_then_consent_withdrawn() -> None:
    fulfilment = FulfilmentFactory()
    save_each(fulfilment.claim.wish.child.consents.all(), withdrawn_at=timezone.now())


def _draft() -> None:
    WishFactory()


def _withdrawn() -> None:
    WishFactory(status=WishStatus.WITHDRAWN, published_at=timezone.now())


@pytest.mark.parametrize(
    "make, waiting, fulfilled",
    [
        (_open, 1, 0),
        (_consent_withdrawn, 0, 0),
        (_consent_not_to_publish, 0, 0),
        (_record_not_kept, 0, 0),
        (_child_withdrawn, 0, 0),
        # Counted once, however many consents the child has had.
        (_two_consents_one_withdrawn, 1, 0),
        (_two_wishes_of_one_child, 2, 0),
        (_claimed, 0, 0),
        (_fulfilled, 0, 1),
        # A programme total, not a public list: a wish that came true stays counted.
        (_fulfilled_then_consent_withdrawn, 0, 1),
        (_draft, 0, 0),
        (_withdrawn, 0, 0),
    ],
)
def test_waiting_number_is_the_public_lists_count(client, make, waiting, fulfilled):
    make()

    numbers = impact_numbers()

    assert numbers.waiting == _listed(client) == waiting
    assert numbers.fulfilled == fulfilled


def test_waiting_number_agrees_with_the_list_when_every_case_is_mixed(client):
    for make in [
        _open,
        _open,
        _consent_withdrawn,
        _consent_not_to_publish,
        _child_withdrawn,
        _two_consents_one_withdrawn,
        _two_wishes_of_one_child,
        _claimed,
        _fulfilled,
        _fulfilled_then_consent_withdrawn,
        _draft,
        _withdrawn,
    ]:
        make()

    numbers = impact_numbers()

    assert numbers.waiting == _listed(client) == 5
    assert numbers.fulfilled == 2


def test_numbers_take_one_query_whatever_the_data(django_assert_num_queries):
    # The running totals: fulfilled, waiting, units and individuals at once.
    with django_assert_num_queries(1):
        impact_numbers()
    for make in [_open, _consent_withdrawn, _claimed, _fulfilled, _draft]:
        make()
    with django_assert_num_queries(1):
        impact_numbers()


# --- similar wishes ---------------------------------------------------------------------------


NOW = timezone.now()


def _similar(source: Wish, limit: int = 10) -> list[str]:
    return [wish.code for wish in similar_open_wishes(source.pk, limit=limit)]


def _waiting(days: int, category: str, grade: int, **kwargs) -> Wish:
    """An open wish published `days` ago."""
    return _open(
        category=category,
        child__grade=grade,
        published_at=NOW - datetime.timedelta(days=days),
        **kwargs,
    )


@pytest.fixture
def ranked():
    """A grade-5 sports wish and the open wishes like it, best matches first."""
    source = _waiting(1, WishCategory.SPORTS, 5)
    # Grade 5 alone is its band; 4 and 6 are the neighbouring bands.
    expected = [
        _waiting(30, WishCategory.SPORTS, 5),
        _waiting(2, WishCategory.SPORTS, 5),
        _waiting(40, WishCategory.SPORTS, 4),
        _waiting(3, WishCategory.SPORTS, 6),
        _waiting(50, WishCategory.BOOKS, 5),
        _waiting(4, WishCategory.ARTS, 5),
    ]
    # Neither the category nor the band.
    _waiting(60, WishCategory.BOOKS, 4)
    return source, [wish.code for wish in expected]


def test_similar_wishes_come_by_match_then_longest_waiting(ranked):
    source, expected = ranked

    assert _similar(source) == expected


@pytest.mark.parametrize("limit", [0, 1, 2, 3, 4, 5, 6])
def test_similar_wishes_stop_at_the_limit_across_kinds_of_match(ranked, limit):
    source, expected = ranked

    assert _similar(source, limit) == expected[:limit]


def test_similar_wishes_published_together_come_in_creation_order():
    source = _waiting(1, WishCategory.SPORTS, 5)
    first = _waiting(10, WishCategory.SPORTS, 5)
    second = _waiting(10, WishCategory.SPORTS, 5)

    assert _similar(source) == [first.code, second.code]


def test_similar_wishes_leave_out_the_wish_and_what_the_public_may_not_see():
    source = _waiting(1, WishCategory.SPORTS, 5)
    shown = _waiting(5, WishCategory.SPORTS, 5)
    hidden = [
        _waiting(10, WishCategory.SPORTS, 5, child__withdrawn_at=NOW),
        _waiting(11, WishCategory.SPORTS, 5),
        _waiting(12, WishCategory.SPORTS, 5),
    ]
    save_each(hidden[1].child.consents.all(), withdrawn_at=NOW)
    save_each(hidden[2].child.consents.all(), publish_wish=False)
    ClaimFactory(wish__category=WishCategory.SPORTS, wish__child__grade=5)
    FulfilmentFactory(claim__wish__category=WishCategory.SPORTS, claim__wish__child__grade=5)
    WishFactory(category=WishCategory.SPORTS, child__grade=5)
    WishFactory(
        category=WishCategory.SPORTS,
        child__grade=5,
        status=WishStatus.WITHDRAWN,
        published_at=NOW,
    )

    assert _similar(source) == [shown.code]


def test_a_claimed_wish_gets_open_ones_like_it():
    source = ClaimFactory(wish__category=WishCategory.SPORTS, wish__child__grade=5).wish
    same_band = _waiting(5, WishCategory.BOOKS, 5)
    same_category = _waiting(6, WishCategory.SPORTS, 8)

    assert _similar(source) == [same_category.code, same_band.code]


def test_no_similar_wishes_for_an_unknown_wish(django_assert_num_queries):
    with django_assert_num_queries(1):
        assert similar_open_wishes(987654) == []


def test_similar_wishes_take_two_queries_when_the_best_matches_fill_the_list(
    django_assert_num_queries,
):
    source = _waiting(1, WishCategory.SPORTS, 5)
    for days in range(2, 7):
        _waiting(days, WishCategory.SPORTS, 5)
        _waiting(days, WishCategory.BOOKS, 5)

    # 1 the wish's category and grade, 2 wishes of both.
    with django_assert_num_queries(2):
        similar = similar_open_wishes(source.pk)

    assert len(similar) == 3


def test_similar_wishes_take_at_most_four_queries(django_assert_num_queries):
    source = _waiting(1, WishCategory.SPORTS, 5)
    _waiting(2, WishCategory.SPORTS, 5)
    for days in range(3, 9):
        _waiting(days, WishCategory.BOOKS, 5)

    # 1 the wish's category and grade, 2 wishes of both, 3 of its category only, 4 of its
    # band only.
    with django_assert_num_queries(4):
        similar = similar_open_wishes(source.pk, limit=5)

    assert len(similar) == 5
