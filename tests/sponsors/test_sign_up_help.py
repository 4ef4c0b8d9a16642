"""Sign-up that helps: an error summary linking to each field, 您 throughout, how long
verification takes (a setting)."""

import re

import pytest
from django.urls import reverse

from sponsors.models import Sponsor
from tests.sponsors.test_register import URL, region, unit_data  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def summary_of(html: str) -> str:
    match = re.search(
        r'<div class="alert alert-danger"[^>]*id="error-summary".*?</div>', html, re.S
    )
    assert match, "no error summary"
    return match.group(0)


def test_a_failed_sign_up_starts_with_a_summary_linking_to_each_field(client):
    response = client.post(URL, {"kind": "", "email": "not-an-address"}, **EN)

    html = response.text
    summary = summary_of(html)
    # Above the form, so it is the first thing under the heading.
    assert html.index('id="error-summary"') < html.index('<form method="post"')
    assert "Please correct" in summary
    form = response.context["form"]
    links = re.findall(r'<a class="alert-link" href="#([^"]+)">', summary)
    assert len(links) == sum(len(errors) for errors in form.errors.values())
    # The radio group links to its first choice; every target is an element of the page.
    assert "id_kind_0" in links
    assert "id_email" in links
    for anchor in links:
        assert f'id="{anchor}"' in html
    assert Sponsor.objects.count() == 0


def test_a_mismatched_password_is_in_the_summary_with_its_field(client, region):  # noqa: F811
    response = client.post(URL, unit_data(region, password2="Plum-blossom-2027"), **EN)

    summary = summary_of(response.text)
    assert '<a class="alert-link" href="#id_password2">' in summary
    assert Sponsor.objects.count() == 0


def test_the_first_visit_shows_no_summary(client):
    html = client.get(URL, **EN).text

    assert 'id="error-summary"' not in html
    assert "js/error-summary.js" in html


@pytest.mark.parametrize(
    "days, text", [(3, "审核通常在 3 个工作日内完成。"), (5, "审核通常在 5 个工作日内完成。")]
)
def test_sign_up_and_the_pending_dashboard_say_how_long_verification_takes(
    days, text, client, client_for, settings
):
    settings.HUAMU_VERIFY_WORKING_DAYS = days

    assert text in client.get(URL).text
    assert text in client_for("unverified_sponsor").get(reverse("sponsors:dashboard")).text
    # A verified sponsor has nothing to wait for.
    assert "工作日内完成" not in client_for("sponsor").get(reverse("sponsors:dashboard")).text


def test_verification_time_in_english(client, settings):
    settings.HUAMU_VERIFY_WORKING_DAYS = 1

    assert "Verification usually takes up to 1 working day." in client.get(URL, **EN).text


@pytest.mark.parametrize(
    "role, path, data",
    [
        ("anonymous", "sponsors:register", None),
        ("anonymous", "sponsors:register", {"password1": "123", "password2": "123"}),
        ("anonymous", "login", {"username": "nobody", "password": "wrong"}),
        ("anonymous", "password_reset", None),
        ("unverified_sponsor", "sponsors:dashboard", None),
        ("sponsor", "sponsors:dashboard", None),
        ("sponsor", "password_change", None),
        (
            "sponsor",
            "password_change",
            {"old_password": "wrong", "new_password1": "12345678", "new_password2": "12345678"},
        ),
    ],
)
def test_chinese_pages_of_sponsors_address_them_politely(role, path, data, client_for):
    client = client_for(role)
    url = reverse(path)
    response = client.get(url) if data is None else client.post(url, data)

    assert response.status_code == 200
    # Django's own messages (password rules, a wrong old password) included.
    assert "你" not in response.text
