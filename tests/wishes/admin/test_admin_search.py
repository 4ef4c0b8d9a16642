"""The back office's searches: on indexed fields, said in a help text, without a full count."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from tests.factories import ClaimFactory, SponsorFactory, WishFactory
from wishes.models import Claim

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
WISHES = reverse("admin:wishes_wish_changelist")
CLAIMS = reverse("admin:wishes_claim_changelist")


def _shown(response) -> list:
    return list(response.context["cl"].result_list)


def test_staff_find_wishes_by_a_word_of_one_or_two_characters_or_by_code(client_for):
    books = WishFactory(public_text="想要一个书包")
    shoes = WishFactory(public_text="想要一双跑鞋")
    client = client_for("staff")

    assert _shown(client.get(WISHES, {"q": "书"})) == [books]
    assert _shown(client.get(WISHES, {"q": "跑鞋"})) == [shoes]
    assert _shown(client.get(WISHES, {"q": shoes.code.lower()})) == [shoes]
    assert _shown(client.get(WISHES, {"q": "鲸鱼"})) == []


def test_the_wish_search_says_what_it_searches_and_counts_no_full_list(client_for):
    WishFactory(public_text="想要一个书包")

    response = client_for("staff").get(WISHES, {"q": "书"}, **EN)

    assert "Finds wishes by their code" in response.text
    assert response.context["cl"].show_full_result_count is False
    # Django's "(N total)" link appears only with the full count.
    assert "total)" not in response.text


def test_staff_find_claims_by_wish_sponsor_or_platform_reference(client_for):
    telescope = ClaimFactory(
        wish__public_text="想要一个望远镜",
        sponsor=SponsorFactory(verified=True, name="上海科技馆"),
        external_ref="SH-2026-0042",
    )
    other = ClaimFactory(wish__public_text="想要一双跑鞋")
    client = client_for("staff")

    assert _shown(client.get(CLAIMS, {"q": "望远"})) == [telescope]
    assert _shown(client.get(CLAIMS, {"q": "科技馆"})) == [telescope]
    assert _shown(client.get(CLAIMS, {"q": "SH-2026-0042"})) == [telescope]
    assert _shown(client.get(CLAIMS, {"q": other.wish.code})) == [other]
    assert _shown(client.get(CLAIMS, {"q": "鲸鱼"})) == []
    assert Claim.objects.count() == 2


@pytest.mark.parametrize(
    "model, text",
    [
        ("wish", "Finds wishes by their code"),
        ("claim", "Finds claims by the wish's code"),
        ("child", "Finds children by alias"),
        ("thankyouletter", "Finds letters by the wish's code"),
    ],
)
def test_each_big_list_says_what_its_search_finds_and_skips_the_full_count(
    client_for, model, text
):
    response = client_for("staff").get(
        reverse(f"admin:wishes_{model}_changelist"), {"q": "x"}, **EN
    )

    assert response.status_code == 200
    assert escape(text) in response.text
    assert response.context["cl"].show_full_result_count is False
