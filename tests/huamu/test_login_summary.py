"""The login forms (password and text-message code) start, after a failed submit, with the
same error summary as the sign-up form: one link per problem, to the field it is about."""

import re

import pytest
from django.urls import reverse

from tests.sponsors.test_phone_login import KNOWN, ask_code, phone_sponsor  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def summary_links(html: str) -> list[str]:
    """The targets of the summary's links, each checked to be an element of the page."""
    match = re.search(
        r'<div class="alert alert-danger"[^>]*id="error-summary".*?</div>', html, re.S
    )
    assert match, "no error summary"
    assert html.index('id="error-summary"') < html.index('<form method="post"')
    links = re.findall(r'<a class="alert-link" href="#([^"]+)">', match.group(0))
    for anchor in links:
        assert f'id="{anchor}"' in html
    return links


def test_an_empty_login_links_to_both_fields(client):
    response = client.post(reverse("login"), {"username": "", "password": ""}, **EN)

    assert response.status_code == 200
    assert summary_links(response.text) == ["id_username", "id_password"]
    assert "js/error-summary.js" in response.text


def test_a_wrong_password_links_to_the_username(client, sponsor):
    response = client.post(
        reverse("login"), {"username": sponsor.username, "password": "wrong-one"}, **EN
    )

    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    assert summary_links(response.text) == ["id_username"]
    assert "Please enter a correct" in response.text


def test_the_first_visit_to_the_login_shows_no_summary(client):
    html = client.get(reverse("login"), **EN).text

    assert 'id="error-summary"' not in html


def test_a_bad_mobile_number_links_to_its_field(client):
    response = client.post(reverse("phone_login"), {"phone": "12"}, **EN)

    assert response.status_code == 200
    assert summary_links(response.text) == ["id_phone"]


def test_a_wrong_code_links_to_the_code(client, phone_sponsor, sms_outbox):  # noqa: F811
    ask_code(client, KNOWN)
    sent = sms_outbox[-1].params["code"]
    wrong = "000000" if sent != "000000" else "111111"

    response = client.post(reverse("phone_login_code"), {"code": wrong}, **EN)

    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    assert summary_links(response.text) == ["id_code"]


def test_a_wrong_code_for_a_new_login_phone_links_to_the_code(client_for, sms_outbox):
    """Adding a login phone asks for its code on the same page as the phone login."""
    client = client_for("sponsor")
    client.post(reverse("sponsors:add_phone"), {"phone": "13612345670"}, **EN)
    sent = sms_outbox[-1].params["code"]
    wrong = "000000" if sent != "000000" else "111111"

    response = client.post(reverse("sponsors:add_phone_code"), {"code": wrong}, **EN)

    assert response.status_code == 400
    assert summary_links(response.text) == ["id_code"]
    assert f'action="{reverse("sponsors:add_phone_code")}"' in response.text
    assert f'<a href="{reverse("sponsors:add_phone")}">Ask for a new code</a>' in response.text


def test_a_new_login_code_keeps_where_the_visitor_was_going(client, phone_sponsor):  # noqa: F811
    ask_code(client, KNOWN, next_url="/wishes/")

    html = client.get(reverse("phone_login_code"), **EN).text

    assert f'action="{reverse("phone_login_code")}"' in html
    assert f'<a href="{reverse("phone_login")}?next=%2Fwishes%2F">Ask for a new code</a>' in html
