import pytest

from tests.factories import ClaimFactory, FulfilmentFactory, WishFactory
from wishes.models import ClaimStatus, WishStatus


@pytest.mark.django_db
def test_factories_build_consistent_states():
    assert WishFactory().status == WishStatus.DRAFT
    wish = WishFactory(open=True)
    assert wish.status == WishStatus.OPEN
    assert wish.child.consents.get().publish_wish
    assert wish.code.startswith("HM2026-")
    assert ClaimFactory().wish.status == WishStatus.CLAIMED
    fulfilment = FulfilmentFactory()
    assert fulfilment.claim.status == ClaimStatus.FULFILLED
    assert fulfilment.claim.wish.status == WishStatus.FULFILLED


@pytest.mark.django_db
def test_home_page_answers_in_chinese(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
