"""The big back-office lists cost the same queries for a few rows or a full page, and each
row is cheap to draw (the action box written directly, 50 rows a page)."""

import pytest
from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import override

from tests.factories import ChildFactory, ClaimFactory, SponsorFactory, WishFactory
from wishes.models import Wish

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _queries(client, url: str, params: dict) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


def _wishes(school, sponsor, count: int) -> None:
    WishFactory.create_batch(count, child__school=school)


def _claims(school, sponsor, count: int) -> None:
    ClaimFactory.create_batch(count, wish__child__school=school, sponsor=sponsor)


def _children(school, sponsor, count: int) -> None:
    ChildFactory.create_batch(count, school=school)


@pytest.mark.parametrize(
    "changelist, add, params",
    [
        ("admin:wishes_wish_changelist", _wishes, {}),
        # A search fetches the page's children, schools and campaigns after the page.
        ("admin:wishes_wish_changelist", _wishes, {"q": "科普书"}),
        ("admin:wishes_claim_changelist", _claims, {}),
        ("admin:wishes_claim_changelist", _claims, {"q": "科普"}),
        ("admin:wishes_child_changelist", _children, {}),
        ("admin:wishes_child_changelist", _children, {"q": "张小明"}),
    ],
)
def test_a_big_list_costs_the_same_queries_for_3_rows_or_12(
    changelist, add, params, client_for, school
):
    client = client_for("staff")
    sponsor = SponsorFactory(verified=True)
    url = reverse(changelist)
    add(school, sponsor, 3)
    # Content types and the session warm up on a first look.
    _queries(client, url, params)
    few = _queries(client, url, params)
    add(school, sponsor, 9)

    many = client.get(url, params)
    with CaptureQueriesContext(connection) as queries:
        many = client.get(url, params)

    assert len(many.context["cl"].result_list) == 12
    assert len(queries) == few


def test_the_action_box_of_a_row_is_the_markup_django_draws(client_for):
    wish = WishFactory()
    model_admin = admin.site.get_model_admin(Wish)
    widget = forms.CheckboxInput(
        {"class": "action-select", "aria-label": f"Select this object for an action - {wish}"},
        lambda value: False,
    )

    with override("en"):
        drawn = model_admin.action_checkbox(wish)

    assert drawn == widget.render(helpers.ACTION_CHECKBOX_NAME, str(wish.pk))
    page = client_for("staff").get(reverse("admin:wishes_wish_changelist"), **EN)
    assert drawn in page.text


def test_the_lists_show_50_rows_a_page(client_for, school):
    WishFactory.create_batch(51, child__school=school)

    response = client_for("staff").get(reverse("admin:wishes_wish_changelist"))

    assert len(response.context["cl"].result_list) == 50
    assert response.context["cl"].multi_page


def test_claims_are_filtered_by_the_day_claimed_without_a_date_hierarchy(client_for):
    ClaimFactory()

    response = client_for("staff").get(reverse("admin:wishes_claim_changelist"), **EN)

    assert response.context["cl"].date_hierarchy is None
    assert "Past 7 days" in response.text
