"""Hostile input on every public and sponsor page: never a 500, never a row written.

Every form field and query parameter of the public and sponsor pages (from the URLconf and
the forms; listed below, keep the lists in step with new pages) gets, one at a time: a
1 MB string, NUL bytes, invalid UTF-8 (%ff%fe), huge and negative numbers, and the key
repeated where one value is expected. Path ids get numbers past every integer column.
Run on SQLite and on PostgreSQL (`make test-postgres`): PostgreSQL refuses NUL bytes and
out-of-range integers where SQLite stores or compares them.
"""

from dataclasses import dataclass

import pytest
from axes.models import AccessAttempt
from django.apps import apps
from django.contrib.auth import get_user_model
from django.test import Client

from huamu.forms import USERNAME_MAX_LENGTH
from tests.factories import PASSWORD, ClaimFactory, EventFactory, WishFactory
from wishes.models import ClaimStatus

pytestmark = pytest.mark.django_db

MEGABYTE = "x" * 1_000_000
SCALARS = {
    "1 MB string": MEGABYTE,
    "NUL bytes": "ab\x00cd",
    "huge number": "9" * 40,
    "past bigint": str(2**63),
    "negative number": "-1",
    "huge negative number": "-" + "9" * 40,
    "superscript digit": "²",
}
# Sent as they are, not encoded again: bytes that are no UTF-8 at all.
INVALID_UTF8 = "%ff%fe"
REPEATED = ["1", "2"]
HUGE_IDS = ["9" * 40, str(2**63), str(2**31)]
# Not ids at all: the URLconf's int converter turns them away.
NOT_IDS = ["-1", "%00", INVALID_UTF8, "²"]

WISH_FILTERS = ["q", "category", "grade", "region", "campaign", "value", "order", "page"]
REGISTRATION = [
    "kind",
    "name",
    "unit_category",
    "region",
    "contact_name",
    "phone",
    "email",
    "username",
    "password1",
    "password2",
    "next",
]


@dataclass(frozen=True)
class Target:
    """One page: how it is asked, and the parameters it reads."""

    method: str
    path: str
    params: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def public_targets(site: dict[str, str]) -> list[Target]:
    """What anyone may send (also sent logged in as a sponsor)."""
    return [
        Target("GET", "/", ("page",)),
        Target("GET", "/wishes/", tuple(WISH_FILTERS)),
        Target("GET", site["wish"], ()),
        Target("GET", "/events/", ("page",)),
        Target("GET", site["event"], ()),
        Target("GET", "/impact/", ()),
        Target("GET", "/feed/wishes.json", ("after", "limit")),
        Target("GET", "/sponsors/register/", ("next",)),
        Target("POST", "/sponsors/register/", tuple(REGISTRATION)),
        Target("GET", "/accounts/login/", ("next",)),
        Target("POST", "/accounts/login/", ("username", "password", "next")),
        Target("POST", "/admin/login/", ("username", "password", "next")),
        Target("POST", "/accounts/password_reset/", ("email",)),
        Target("POST", "/i18n/setlang/", ("language", "next")),
    ]


def sponsor_targets(site: dict[str, str]) -> list[Target]:
    """What a logged-in verified sponsor may send besides the public pages."""
    return [
        Target("GET", "/sponsor/", ("status", "page")),
        Target("GET", site["claim"], ()),
        # A cancelled claim: a reason that happens to be valid still changes nothing.
        Target("POST", site["cancel"], ("reason",)),
        Target("GET", site["claim_wish"], ()),
        Target("POST", site["claim_wish"], ("promised_on",)),
        Target("GET", "/wishes/batch-claim/", tuple(WISH_FILTERS)),
        Target("POST", "/wishes/batch-claim/", ("wishes", "promised_on")),
        Target(
            "POST",
            "/accounts/password_change/",
            ("old_password", "new_password1", "new_password2"),
        ),
    ]


ID_PATHS = [
    ("GET", "/wishes/{}/"),
    ("GET", "/wishes/{}/claim/"),
    ("POST", "/wishes/{}/claim/"),
    ("GET", "/events/{}/"),
    ("GET", "/sponsor/claims/{}/"),
    ("POST", "/sponsor/claims/{}/cancel/"),
    ("GET", "/files/photos/{}/"),
]


@pytest.fixture
def site(sponsor) -> dict[str, str]:
    """Pages with ids: an open wish, an event, and one cancelled claim of the sponsor."""
    wish = WishFactory(open=True)
    event = EventFactory()
    claim = ClaimFactory(
        sponsor=sponsor.sponsor_member.sponsor,
        status=ClaimStatus.CANCELLED,
        cancel_reason="单位预算调整",
    )
    return {
        "wish": f"/wishes/{wish.pk}/",
        "claim_wish": f"/wishes/{wish.pk}/claim/",
        "event": f"/events/{event.pk}/",
        "claim": f"/sponsor/claims/{claim.pk}/",
        "cancel": f"/sponsor/claims/{claim.pk}/cancel/",
    }


def row_counts() -> dict[str, int]:
    """Rows of every model of ours, and of the users and login attempts."""
    models = [
        *apps.get_app_config("wishes").get_models(),
        *apps.get_app_config("sponsors").get_models(),
        get_user_model(),
        AccessAttempt,
    ]
    return {model._meta.label: model._default_manager.count() for model in models}


def client_as(role: str) -> Client:
    # A 500 must show as a status here, not as the exception re-raised in the test.
    client = Client(raise_request_exception=False)
    if role == "sponsor":
        assert client.login(username="sponsor", password=PASSWORD)
    return client


def send(client: Client, method: str, path: str, params: dict | None, raw: str | None = None):
    if method == "GET":
        if raw is not None:
            return client.get(f"{path}?{raw}")
        return client.get(path, params)
    if raw is not None:
        return client.post(path, raw, content_type="application/x-www-form-urlencoded")
    return client.post(path, params)


def hostile_requests(target: Target):
    """(what was sent, how) for every parameter of the target and every hostile value."""
    for param in target.params:
        for name, value in SCALARS.items():
            yield f"{param}={name}", {param: value}, None
        yield f"{param} repeated", {param: REPEATED}, None
        yield f"{param}=invalid UTF-8", None, f"{param}={INVALID_UTF8}"


def failures_of(client: Client, target: Target) -> list[str]:
    failed = []
    for sent, params, raw in hostile_requests(target):
        response = send(client, target.method, target.path, params, raw)
        if response.status_code >= 500:
            failed.append(f"{target} {sent}: {response.status_code}")
    return failed


@pytest.mark.parametrize("role", ["anonymous", "sponsor"])
def test_public_pages_answer_hostile_input_without_a_500_or_a_row(role, site):
    client = client_as(role)
    before = row_counts()

    failed = [f for target in public_targets(site) for f in failures_of(client, target)]

    assert failed == []
    assert row_counts() == before


def test_sponsor_pages_answer_hostile_input_without_a_500_or_a_row(site):
    client = client_as("sponsor")
    before = row_counts()

    failed = [f for target in sponsor_targets(site) for f in failures_of(client, target)]

    assert failed == []
    assert row_counts() == before


@pytest.mark.parametrize("role", ["anonymous", "sponsor"])
def test_ids_past_every_integer_column_or_no_number_are_not_found(role, site):
    client = client_as(role)
    before = row_counts()

    answers = {
        f"{method} {pattern.format(number)}": send(
            client, method, pattern.format(number), {}
        ).status_code
        for method, pattern in ID_PATHS
        for number in [*HUGE_IDS, *NOT_IDS]
    }

    assert {sent: status for sent, status in answers.items() if status >= 500} == {}
    assert row_counts() == before


def test_every_parameter_of_the_lists_is_tried():
    # The lists above are the test: a form field added to these pages belongs in them.
    from sponsors.forms import SponsorRegistrationForm
    from wishes.public.filters import WishFilter

    assert set(WishFilter.base_filters) | {"page"} == set(WISH_FILTERS)
    assert set(SponsorRegistrationForm.base_fields) | {"next"} == set(REGISTRATION)


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
@pytest.mark.parametrize("length", [USERNAME_MAX_LENGTH + 1, 256, 1_000_000])
def test_overlong_username_is_refused_before_throttling(settings, url, length):
    # Throttling on, as in production: it wrote the username to a varchar(255).
    settings.AXES_ENABLED = True
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")

    response = client.post(url, {"username": "a" * length, "password": "wrong"})

    assert response.status_code == 200
    assert f"A username has at most {USERNAME_MAX_LENGTH} characters." in response.text
    assert not AccessAttempt.objects.exists()


def test_a_username_of_the_longest_length_is_still_throttled(settings):
    settings.AXES_ENABLED = True
    client = Client(raise_request_exception=False)

    response = client.post(
        "/accounts/login/", {"username": "a" * USERNAME_MAX_LENGTH, "password": "wrong"}
    )

    assert response.status_code == 200
    assert AccessAttempt.objects.get().username == "a" * USERNAME_MAX_LENGTH
