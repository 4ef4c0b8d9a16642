"""Logging in and out, resetting a password, and the navbar each role sees."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD


@pytest.mark.parametrize(
    "name, text",
    [
        ("login", "Forgotten your password?"),
        ("password_reset", "Reset your password"),
        ("password_reset_done", "Check your e-mail"),
        ("password_reset_complete", "Your password has been changed"),
    ],
)
@pytest.mark.django_db
def test_account_pages_render_in_english_on_the_site_layout(client, name, text):
    response = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    html = response.content.decode()
    assert text in html
    # The site's own layout, not the admin's.
    assert "vendor/bootstrap/bootstrap.min.css" in html


@pytest.mark.django_db
def test_sponsor_logs_in_and_is_sent_on_to_the_page_asked_for(client, sponsor):
    dashboard = reverse("sponsors:dashboard")
    response = client.post(
        reverse("login"), {"username": "sponsor", "password": PASSWORD, "next": dashboard}
    )
    assert response.status_code == 302
    assert response["Location"] == dashboard
    assert client.session["_auth_user_id"] == str(sponsor.pk)


@pytest.mark.django_db
def test_wrong_password_is_refused_with_a_message(client, sponsor):
    response = client.post(
        reverse("login"),
        {"username": "sponsor", "password": "wrong"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_logout_needs_post(client_for):
    client = client_for("sponsor")
    assert client.get(reverse("logout")).status_code == 405
    assert "_auth_user_id" in client.session

    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_password_reset_mails_a_link_that_sets_a_new_password(client, sponsor):
    response = client.post(
        reverse("password_reset"), {"email": sponsor.email}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [sponsor.email]
    assert message.subject == "Choose a new password for Huamu Dream Wishes"
    assert "Your username is sponsor." in message.body

    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.body).group(1)
    # Django swaps the token for a session marker, then shows the form.
    form_url = client.get(link)["Location"]
    new_password = "Magnolia-evening-2026"
    response = client.post(
        form_url, {"new_password1": new_password, "new_password2": new_password}
    )
    assert response["Location"] == reverse("password_reset_complete")
    sponsor.refresh_from_db()
    assert sponsor.check_password(new_password)


@pytest.mark.django_db
def test_password_reset_for_an_unknown_address_sends_nothing(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    # Same answer as for a known address, so that accounts cannot be discovered.
    assert response.status_code == 302
    assert mail.outbox == []


LINKS = {
    "waiting": 'href="/wishes/"',
    "login": f'href="{reverse("login")}"',
    "register": f'href="{reverse("sponsors:register")}"',
    "dashboard": f'href="{reverse("sponsors:dashboard")}"',
    "admin": 'href="/admin/"',
    "school": f'href="{reverse("school:overview")}"',
    "logout": f'action="{reverse("logout")}" method="post"',
}


@pytest.mark.parametrize(
    "role, shown",
    [
        ("anonymous", {"waiting", "login", "register"}),
        ("sponsor", {"waiting", "dashboard", "logout"}),
        ("unverified_sponsor", {"waiting", "dashboard", "logout"}),
        ("plain_user", {"waiting", "logout"}),
        ("coordinator", {"waiting", "school", "logout"}),
        ("staff", {"waiting", "school", "admin", "logout"}),
    ],
)
@pytest.mark.django_db
def test_navbar_links_depend_on_the_role(client_for, role, shown):
    html = client_for(role).get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    navbar = html[html.index("<nav") : html.index("</nav>")]
    assert {key for key, snippet in LINKS.items() if snippet in navbar} == shown
    # The language switcher stays.
    assert reverse("set_language") in navbar


@pytest.mark.django_db
def test_a_coordinators_school_stands_in_the_bar_not_only_in_the_menu(client_for):
    html = client_for("coordinator").get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").text
    bar = html[html.index("<nav") : html.index('<details class="site-menu">')]
    assert f'href="{reverse("school:overview")}">My school</a>' in bar


@pytest.mark.django_db
def test_navbar_needs_no_javascript(client_for):
    html = client_for("sponsor").get(reverse("home")).content.decode()
    navbar = html[html.index("<nav") : html.index("</nav>")]
    assert "<script" not in navbar
    assert "data-bs-toggle" not in navbar
    assert "<details" in navbar


@pytest.mark.django_db
def test_logged_in_user_changes_password_on_the_site_layout(client_for, sponsor):
    client = client_for("sponsor")
    page = client.get(reverse("password_change"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Change your password" in page.content.decode()
    new_password = "Osmanthus-autumn-2026"
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )
    assert response["Location"] == reverse("password_change_done")
    sponsor.refresh_from_db()
    assert sponsor.check_password(new_password)
