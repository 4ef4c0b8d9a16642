"""Who reaches the school pages: coordinators their own school, staff every school."""

import pytest
from django.urls import reverse

from tests.factories import EventFactory
from wishes.models import ThankYouLetter

pytestmark = pytest.mark.django_db


def _url(request, target: str) -> str:
    """Build the URL of a target such as "child:own" from the objects of the fixtures."""
    page, _, whose = target.partition(":")
    if page == "overview":
        return reverse("school:overview")
    if page == "fulfil":
        return reverse("school:fulfil")
    if page == "fulfil_event":
        event = request.getfixturevalue(f"{whose}_event")
        return f"{reverse('school:fulfil')}?event={event.pk}"
    if page == "child":
        return reverse("school:child", args=[request.getfixturevalue(f"{whose}_child").pk])
    fulfilment = request.getfixturevalue(f"{whose}_fulfilment")
    return reverse(f"school:{page}", args=[fulfilment.pk])


PAGES = ["overview", "fulfil"]
OBJECT_PAGES = ["child", "fulfil_event", "photos", "letter"]

# Expected status per role: (school-wide pages, objects of `school`, objects of `other_school`).
EXPECTED = {
    "anonymous": (302, 302, 302),
    "plain_user": (403, 403, 403),
    "sponsor": (403, 403, 403),
    "other_sponsor": (403, 403, 403),
    "coordinator": (200, 200, 404),
    "other_coordinator": (200, 404, 200),
    # Staff reach every school; an event picks its own school.
    "staff": (200, 200, 200),
}

MATRIX = [(role, page, expected[0]) for role, expected in EXPECTED.items() for page in PAGES] + [
    (role, f"{page}:{whose}", expected[1 if whose == "own" else 2])
    for role, expected in EXPECTED.items()
    for page in OBJECT_PAGES
    for whose in ("own", "other")
]


@pytest.mark.parametrize("role, target, status", MATRIX)
def test_school_page_access(role, target, status, client_for, request):
    url = _url(request, target)
    response = client_for(role).get(url)
    assert response.status_code == status
    if status == 302:
        assert response.url.startswith(reverse("login"))


def test_a_user_without_a_school_gets_a_page_saying_whom_to_ask(client_for):
    response = client_for("sponsor").get(reverse("school:overview"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "This page is for school coordinators" in response.text
    assert "staff to link your account to the school" in response.text


def test_a_withdrawn_childs_record_is_not_found(client_for, withdrawn_child, coordinator):
    url = reverse("school:child", args=[withdrawn_child.pk])
    assert client_for("coordinator").get(url).status_code == 404


def test_a_coordinator_cannot_switch_school_with_the_query(
    client_for, coordinator, other_school, other_child, own_child
):
    url = f"{reverse('school:overview')}?school={other_school.pk}"
    html = client_for("coordinator").get(url).text
    assert own_child.real_name in html
    assert other_child.real_name not in html
    assert other_school.name not in html


def test_staff_choose_a_school_first(client_for, school, other_school):
    html = client_for("staff").get(reverse("school:overview")).text
    assert f'href="?school={school.pk}"' in html
    assert f'href="?school={other_school.pk}"' in html


def test_staff_open_any_school_with_the_query(client_for, other_school, other_child):
    url = f"{reverse('school:overview')}?school={other_school.pk}"
    html = client_for("staff").get(url).text
    assert other_child.real_name in html


@pytest.mark.parametrize("query", ["?school=999999", "?school=abc", "?event=999999"])
def test_staff_asking_for_an_unknown_school_get_a_404(client_for, staff, query):
    assert client_for("staff").get(reverse("school:overview") + query).status_code == 404


@pytest.mark.parametrize("query", ["?event=abc", "?event=-1", "?event=999999"])
def test_a_coordinator_asking_for_an_unknown_event_gets_a_404(client_for, coordinator, query):
    assert client_for("coordinator").get(reverse("school:fulfil") + query).status_code == 404


def test_an_event_without_a_school_is_not_a_school_roster(client_for, coordinator):
    event = EventFactory(school=None)
    url = f"{reverse('school:fulfil')}?event={event.pk}"
    assert client_for("coordinator").get(url).status_code == 404
    assert client_for("staff").get(url).status_code == 404


def test_posting_to_another_schools_fulfilment_writes_nothing(
    client_for, coordinator, other_fulfilment
):
    url = reverse("school:letter", args=[other_fulfilment.pk])
    response = client_for("coordinator").post(url, {"transcription": "谢谢叔叔阿姨"})
    assert response.status_code == 404
    assert ThankYouLetter.objects.count() == 0
