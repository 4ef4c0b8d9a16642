"""A logged-in sponsor's member adds (or changes) the login phone of a password account:
the number, a code by text message with the login codes' limits, then the number logs in."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sponsors.models import PhoneCode, VerifiedPhone
from tests.factories import PASSWORD, SponsorMemberFactory
from wishes.models import StatusChange

pytestmark = pytest.mark.django_db

ADD_URL = reverse("sponsors:add_phone")
CODE_URL = reverse("sponsors:add_phone_code")
NUMBER = "13612345670"
OTHER = "13987654321"


def last_code(outbox) -> str:
    assert outbox, "no text message was sent"
    return outbox[-1].params["code"]


def ask(client: Client, phone: str = NUMBER):
    return client.post(ADD_URL, {"phone": phone}, HTTP_ACCEPT_LANGUAGE="en")


def enter(client: Client, code: str):
    return client.post(CODE_URL, {"code": code}, HTTP_ACCEPT_LANGUAGE="en", follow=True)


def phone_changes(user) -> list[StatusChange]:
    verified = VerifiedPhone.objects.filter(user=user).first()
    if verified is None:
        return []
    return list(
        StatusChange.objects.filter(
            content_type=ContentType.objects.get_for_model(VerifiedPhone), object_id=verified.pk
        ).order_by("pk")
    )


@pytest.mark.parametrize("page", ["sponsors:dashboard", "sponsors:notifications"])
def test_a_password_user_without_a_login_phone_is_offered_one(client_for, page):
    html = client_for("sponsor").get(reverse(page)).text

    assert "添加登录手机号" in html
    assert f'href="{ADD_URL}"' in html


@pytest.mark.parametrize("page", ["sponsors:dashboard", "sponsors:notifications"])
def test_the_current_login_phone_is_shown_masked_with_a_way_to_change_it(
    client_for, sponsor, page
):
    VerifiedPhone.objects.create(user=sponsor, phone=NUMBER)

    html = client_for("sponsor").get(reverse(page)).text

    assert "136****5670" in html
    assert NUMBER not in html
    assert "更换登录手机号" in html
    assert "添加登录手机号" not in html


def test_adding_a_login_phone_end_to_end(client_for, sponsor, sms_outbox):
    client = client_for("sponsor")
    response = ask(client, "136 1234 5670")
    assert response.status_code == 302 and response.url == CODE_URL
    [text] = sms_outbox
    assert text.phone == NUMBER and text.template == "login_code"
    assert "136****5670" in client.get(CODE_URL).text

    response = enter(client, last_code(sms_outbox))

    assert VerifiedPhone.objects.get(user=sponsor).phone == NUMBER
    assert "136****5670 is now your login phone" in response.text
    [change] = phone_changes(sponsor)
    assert (change.from_status, change.to_status, change.by) == ("", "set", sponsor)
    assert change.note == "— → 136****5670"
    assert NUMBER not in change.note
    # The number now logs in by itself (a minute later, as codes go).
    PhoneCode.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=2))
    other_client = Client()
    other_client.post(reverse("phone_login"), {"phone": NUMBER})
    other_client.post(reverse("phone_login_code"), {"code": last_code(sms_outbox)})
    assert other_client.get(reverse("sponsors:dashboard")).context["user"] == sponsor


def test_changing_the_login_phone_replaces_the_old_one(client_for, sponsor, sms_outbox):
    VerifiedPhone.objects.create(user=sponsor, phone=OTHER)
    client = client_for("sponsor")
    assert "139****4321" in client.get(ADD_URL).text

    ask(client)
    enter(client, last_code(sms_outbox))

    assert VerifiedPhone.objects.get(user=sponsor).phone == NUMBER
    [change] = phone_changes(sponsor)
    assert (change.from_status, change.to_status) == ("set", "set")
    assert change.note == "139****4321 → 136****5670"


def test_the_same_number_again_is_said_and_no_code_is_sent(client_for, sponsor, sms_outbox):
    VerifiedPhone.objects.create(user=sponsor, phone=NUMBER)

    response = ask(client_for("sponsor"))

    assert response.status_code == 400
    assert "This is already your login phone." in response.text
    assert sms_outbox == []


def test_a_wrong_code_is_refused_and_nothing_changes(client_for, sponsor, sms_outbox):
    client = client_for("sponsor")
    ask(client)
    right = last_code(sms_outbox)
    wrong = "000000" if right != "000000" else "111111"

    response = client.post(CODE_URL, {"code": wrong}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert "The code is not right; 4 tries left." in response.text
    assert not VerifiedPhone.objects.filter(user=sponsor).exists()


def test_the_sixth_try_is_refused_even_when_right(client_for, sponsor, sms_outbox):
    client = client_for("sponsor")
    ask(client)
    right = last_code(sms_outbox)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        client.post(CODE_URL, {"code": wrong})

    response = client.post(CODE_URL, {"code": right}, HTTP_ACCEPT_LANGUAGE="en")

    assert "Too many wrong codes; ask for a new one." in response.text
    assert not VerifiedPhone.objects.filter(user=sponsor).exists()


def test_one_code_a_minute_as_for_the_login(client_for, sponsor, sms_outbox):
    client = client_for("sponsor")
    ask(client)

    response = ask(client)

    assert response.status_code == 400
    assert "less than a minute ago" in response.text
    assert len(sms_outbox) == 1


def test_a_number_of_another_account_is_refused_and_nothing_changes(
    client_for, sponsor, sms_outbox
):
    owner = SponsorMemberFactory().user
    VerifiedPhone.objects.create(user=owner, phone=NUMBER)
    VerifiedPhone.objects.create(user=sponsor, phone=OTHER)
    client = client_for("sponsor")
    # Before the code, the answer is the same as for any number: nobody learns of an account.
    assert ask(client).status_code == 302

    response = enter(client, last_code(sms_outbox))

    assert "This number already logs in to another account." in response.text
    assert response.redirect_chain[-1][0] == ADD_URL
    assert VerifiedPhone.objects.get(user=sponsor).phone == OTHER
    assert VerifiedPhone.objects.get(user=owner).phone == NUMBER
    assert phone_changes(sponsor) == []
    # Still logged in as themselves, not as the number's owner.
    assert client.get(reverse("sponsors:dashboard")).context["user"] == sponsor


def test_the_code_page_without_a_number_goes_back_to_step_one(client_for):
    response = client_for("sponsor").get(CODE_URL)
    assert response.status_code == 302 and response.url == ADD_URL


def test_a_bad_number_is_refused_with_a_message(client_for, sms_outbox):
    response = ask(client_for("sponsor"), "021-5888 1234")

    assert response.status_code == 400
    assert sms_outbox == []


@pytest.mark.parametrize(
    "role, url, status",
    [
        ("anonymous", ADD_URL, 302),
        ("anonymous", CODE_URL, 302),
        ("plain_user", ADD_URL, 403),
        ("plain_user", CODE_URL, 403),
        ("coordinator", ADD_URL, 403),
        ("staff", ADD_URL, 403),
        ("sponsor", ADD_URL, 200),
        ("unverified_sponsor", ADD_URL, 200),
    ],
)
def test_access(role, url, status, client_for):
    assert client_for(role).get(url).status_code == status


def test_a_member_logged_in_with_password_keeps_the_password(client_for, sponsor, sms_outbox):
    client = client_for("sponsor")
    ask(client)
    enter(client, last_code(sms_outbox))

    assert Client().login(username=sponsor.username, password=PASSWORD)
