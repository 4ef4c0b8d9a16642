"""Buttons on change pages run the same admin actions on one record, without the menu."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import constants, get_messages
from django.urls import reverse

from tests.factories import (
    ConsentFactory,
    ThankYouLetterFactory,
    UserFactory,
    WishFactory,
)
from wishes.audit import history_of
from wishes.models import Consent, LetterStatus, WishStatus

pytestmark = pytest.mark.django_db


def button(model: str, obj, action: str) -> str:
    return reverse(f"admin:wishes_{model}_button", args=[obj.pk, action])


def change_page(model: str, obj) -> str:
    return reverse(f"admin:wishes_{model}_change", args=[obj.pk])


def notes(response, level: int) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if m.level == level]


@pytest.fixture
def staff_client(client_for):
    return client_for("staff")


def test_a_draft_wish_page_offers_publish_and_withdraw(staff_client):
    wish = WishFactory()

    html = staff_client.get(change_page("wish", wish)).content.decode()

    assert f'action="{button("wish", wish, "publish")}"' in html
    assert f'action="{button("wish", wish, "withdraw")}"' in html


def test_publish_button_publishes_and_comes_back(staff_client, staff):
    wish = WishFactory()
    ConsentFactory(child=wish.child)

    response = staff_client.post(button("wish", wish, "publish"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302
    assert response["Location"] == change_page("wish", wish)
    wish.refresh_from_db()
    assert wish.status == WishStatus.OPEN
    assert history_of(wish).get().by == staff
    assert notes(response, constants.SUCCESS) == [
        f"{wish.code} is published and waiting to be claimed."
    ]


def test_publish_refused_by_the_service_shows_the_refusal(staff_client):
    wish = WishFactory()  # no consent to publish

    response = staff_client.post(button("wish", wish, "publish"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302
    wish.refresh_from_db()
    assert wish.status == WishStatus.DRAFT
    assert len(notes(response, constants.ERROR)) == 1


def test_an_open_wish_offers_no_publish_button(staff_client):
    wish = WishFactory(open=True)

    html = staff_client.get(change_page("wish", wish)).content.decode()

    assert button("wish", wish, "publish") not in html
    assert button("wish", wish, "withdraw") in html


def test_withdraw_button_asks_the_reason_then_withdraws(staff_client):
    wish = WishFactory(open=True)
    url = button("wish", wish, "withdraw")

    asked = staff_client.post(url)
    done = staff_client.post(url, {"apply": "1", "action": "withdraw", "reason": "家长要求"})

    assert asked.status_code == 200
    assert 'name="reason"' in asked.content.decode()
    assert done.status_code == 302
    wish.refresh_from_db()
    assert wish.status == WishStatus.WITHDRAWN
    assert history_of(wish).last().note == "家长要求"


def test_going_back_from_the_reason_page_lands_on_the_record(staff_client):
    wish = WishFactory(open=True)

    response = staff_client.get(button("wish", wish, "withdraw"))

    assert response.status_code == 302
    assert response["Location"] == change_page("wish", wish)


def test_letter_buttons_approve_and_refuse(staff_client):
    letter = ThankYouLetterFactory()
    ConsentFactory(child=letter.fulfilment.claim.wish.child, share_letter_with_sponsor=True)
    other = ThankYouLetterFactory()

    html = staff_client.get(change_page("thankyouletter", letter)).content.decode()
    approved = staff_client.post(button("thankyouletter", letter, "approve"))
    refused = staff_client.post(
        button("thankyouletter", other, "reject"),
        {"apply": "1", "action": "reject", "reason": "看不清"},
    )

    assert button("thankyouletter", letter, "approve") in html
    assert (approved.status_code, refused.status_code) == (302, 302)
    letter.refresh_from_db()
    other.refresh_from_db()
    assert letter.status == LetterStatus.APPROVED
    assert other.status == LetterStatus.REJECTED


def test_consent_withdraw_button(staff_client):
    consent = ConsentFactory()

    response = staff_client.post(
        button("consent", consent, "withdraw"),
        {"apply": "1", "action": "withdraw", "note": "家长来电撤回"},
    )

    assert response.status_code == 302
    assert Consent.objects.get(pk=consent.pk).withdrawn_at is not None


def test_an_unknown_action_is_not_found(staff_client):
    wish = WishFactory()

    assert staff_client.post(button("wish", wish, "print_wish_cards")).status_code == 404


@pytest.fixture
def viewer(client):
    """Back-office staff who may only view wishes and letters."""
    user = UserFactory(username="viewer", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_wish", "view_thankyouletter"])
    )
    client.force_login(user)
    return client


def test_without_the_permission_no_button_shows_and_pressing_is_refused(viewer):
    wish = WishFactory()
    ConsentFactory(child=wish.child)
    letter = ThankYouLetterFactory()

    html = viewer.get(change_page("wish", wish)).content.decode()
    publish = viewer.post(button("wish", wish, "publish"))
    approve = viewer.post(button("thankyouletter", letter, "approve"))

    assert button("wish", wish, "publish") not in html
    assert (publish.status_code, approve.status_code) == (403, 403)
    wish.refresh_from_db()
    assert wish.status == WishStatus.DRAFT


@pytest.mark.parametrize(
    "role, status", [("anonymous", 302), ("sponsor", 302), ("bare_staff", 403)]
)
def test_buttons_are_refused_outside_the_office(client_for, role, status):
    wish = WishFactory()
    ConsentFactory(child=wish.child)

    response = client_for(role).post(button("wish", wish, "publish"))

    assert response.status_code == status
    wish.refresh_from_db()
    assert wish.status == WishStatus.DRAFT
