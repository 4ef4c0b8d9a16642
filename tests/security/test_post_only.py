"""Every state change is POST-only and CSRF-protected; no GET anywhere changes a row.

The walks go through the whole URLconf (django.urls.get_resolver), the admin's URLs too, so a
new page is covered the day it is routed; a new page with an id in its address needs a row
in OBJECT_OF_URL.
"""

import datetime
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from sponsors.models import Sponsor, VerificationStatus
from tests.factories import PASSWORD
from tests.security.conftest import admin_form_data, jpeg_upload
from wishes.models import AccessLog, Claim, ClaimStatus, Region, WishStatus

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "sponsor", "coordinator", "staff", "superuser"]
# The apps whose data a stray GET could change; the access log is written by reading on purpose.
WATCHED_APPS = ["wishes", "sponsors", "auth", "admin"]
OUR_MODULES = ("wishes.", "sponsors.", "huamu.")

# Our own pages with an object id in the address: which of the world's objects they show.
OBJECT_OF_URL = {
    "wishes:detail": "open_wish",
    "wishes:share_image": "open_wish",
    "wishes:claim": "open_wish",
    "wishes:gift_received": "open_wish",
    "events:detail": "event",
    "school:event_signups": "event",
    "school:event_roster": "event",
    "school:event_check_in": "event",
    "school:event_tick": "event",
    "sponsors:event_signup": "event",
    "sponsors:withdraw_signup": "event",
    "school:child": "child",
    "school:photos": "fulfilment",
    "school:letter": "fulfilment",
    "school:feedback": "fulfilment",
    "files:photo": "photo",
    "files:photo_thumbnail": "photo",
    "files:letter_scan": "letter",
    "files:letter_preview": "letter",
    "files:letter_draft": "letter",
    "sponsors:claim": "claim",
    "files:signed_form": "consent",
    "sponsors:cancel_claim": "claim",
    "sponsors:feedback": "fulfilled_claim",
    "sponsors:reassign_claim": "claim",
    "sponsors:invite": "invite",
    "sponsors:revoke_invite": "invite",
    "sponsors:answer_request": "join_request",
    "sponsors:change_member": "team_member",
}
# The world's object to use on the admin pages of a model (else its first row).
OBJECT_OF_MODEL = {
    "wishes.wish": "open_wish",
    "wishes.claim": "claim",
    "wishes.fulfilment": "fulfilment",
    "wishes.event": "event",
    "wishes.child": "child",
    "wishes.fulfilmentphoto": "photo",
    "wishes.thankyouletter": "letter",
    "sponsors.sponsor": "pending_sponsor",
}
MISSING_ID = 987654


# --- walking the URLconf ---------------------------------------------------------------------


@dataclass
class Route:
    """One URL pattern with its full route, name and view."""

    route: str
    name: str | None
    module: str
    view_name: str
    csrf_exempt: bool
    params: list[str] = field(default_factory=list)


# <int:pk> in a path() route, (?P<app_label>…) in a re_path() one.
PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>")


def walk(patterns, prefix: str = "", namespace: str | None = None) -> Iterator[Route]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            continue
        assert isinstance(pattern, URLPattern)
        name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else pattern.name)
        callback = pattern.callback
        route = prefix + str(pattern.pattern)
        yield Route(
            route=route,
            name=name,
            module=getattr(callback, "__module__", ""),
            view_name=getattr(callback, "__qualname__", repr(callback)),
            csrf_exempt=getattr(callback, "csrf_exempt", False),
            params=[a or b for a, b in PARAM.findall(route)],
        )


def all_routes() -> list[Route]:
    return list(walk(get_resolver().url_patterns))


def admin_model(route: Route):
    """The model whose admin page this is, from the route admin/<app>/<model>/…."""
    parts = route.route.split("/")
    if len(parts) < 3 or parts[0] != "admin":
        return None
    try:
        return apps.get_model(parts[1], parts[2])
    except (LookupError, ValueError):
        return None


def object_id_for(route: Route, world: dict) -> int:
    if route.name == "files:parcel_photo":
        # The world has no gift receipt: the file view answers 404 and changes nothing.
        return MISSING_ID
    if route.name in OBJECT_OF_URL:
        return world[OBJECT_OF_URL[route.name]].pk
    model = admin_model(route)
    assert model is not None, (
        f"{route.route} ({route.name}) takes an object id: add it to OBJECT_OF_URL"
    )
    key = OBJECT_OF_MODEL.get(model._meta.label_lower)
    if key:
        return world[key].pk
    first = model._base_manager.order_by("pk").first()
    return first.pk if first else MISSING_ID


def url_for(route: Route, world: dict) -> str:
    """A real address for the pattern, with every parameter filled in from the world."""
    values = {}
    for param in route.params:
        if route.name == "admin:view_on_site" and param == "object_id":
            values[param] = world["open_wish"].pk
        elif param in ("pk", "object_id", "id"):
            values[param] = object_id_for(route, world)
        elif param == "content_type_id":
            values[param] = ContentType.objects.get_for_model(world["open_wish"]).pk
        elif param == "app_label":
            values[param] = "wishes"
        elif param == "uidb64":
            values[param] = "MQ"
        elif param == "token":
            values[param] = "set-password"
        elif param == "url":
            values[param] = "no-such-page/"
        elif param == "answer":
            values[param] = "approve"
        elif param == "change":
            values[param] = "remove"
        elif param == "attendee":
            # The door's tick of one attendee: nobody signed up in the world, so a 404.
            values[param] = MISSING_ID
        elif param == "key":
            # A table of the impact page's downloads (wishes/reports/impact_data.py).
            values[param] = "years"
        elif param == "year":
            # The campaign poster (wishes/public/poster.py): the world's campaign, if any.
            campaign = world.get("open_wish").campaign if world.get("open_wish") else None
            values[param] = campaign.year if campaign else 2026
        elif param == "action":
            # A change page's button (wishes/admin/buttons.py): the wish's publish.
            values[param] = "publish"
        else:
            raise AssertionError(f"{route.route}: no value for the parameter {param!r}")
    if route.name:
        return reverse(route.name, kwargs=values)
    # Unnamed patterns (the admin's redirects and catch-all): fill the route in by hand.
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values[m[1]]), route.route)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m[1]]), path)
    path = path.replace("^", "").replace("$", "")
    assert "<" not in path and "(" not in path, path
    return "/" + path


def test_the_walk_finds_the_pages_of_every_part_of_the_site():
    names = {route.name for route in all_routes()}

    assert {
        "home",
        "wishes:claim",
        "wishes:batch_claim",
        "sponsors:register",
        "sponsors:cancel_claim",
        "school:fulfil",
        "school:letter",
        "logout",
        "set_language",
        "admin:wishes_wish_changelist",
        "admin:sponsors_sponsor_change",
    } <= names


# --- what a state change would leave behind --------------------------------------------------


def watched_models() -> list:
    return [
        model
        for app in WATCHED_APPS
        for model in apps.get_app_config(app).get_models()
        if model is not AccessLog
    ]


def snapshot() -> dict:
    """Every row of every watched model, all columns; the access log's rows as they were."""
    state = {
        model._meta.label: list(model._base_manager.order_by("pk").values_list())
        for model in watched_models()
    }
    state["access log"] = list(AccessLog.objects.order_by("pk").values_list())
    state["files"] = stored_files()
    state["mail"] = len(mail.outbox)
    return state


def stored_files() -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def assert_unchanged(before: dict, after: dict, what: str) -> None:
    log_before, log_after = before.pop("access log"), after.pop("access log")
    # Reading a child's record, photo or letter adds an access log row; nothing else may.
    assert log_after[: len(log_before)] == log_before, f"{what} changed the access log"
    for key in before:
        assert before[key] == after[key], f"{what} changed {key}"


def logged_in_client(role: str, request, **kwargs) -> Client:
    client = Client(**kwargs)
    if role != "anonymous":
        user = request.getfixturevalue(role)
        assert client.login(username=user.username, password=PASSWORD)
    return client


# --- every GET, every role -------------------------------------------------------------------


# A write statement; the access log and the session table are the only ones a GET may touch.
WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
ALLOWED_WRITES = re.compile(r'(INTO|UPDATE|FROM)\s+"?(wishes_accesslog|django_session)"?', re.I)


def routes_seen_by(role: str) -> list[Route]:
    routes = all_routes()
    if role == "superuser":
        # Staff walk every other page already; only the technical administrator sees these.
        return [r for r in routes if r.route.startswith(("admin/auth/", "admin/axes/"))]
    return routes


@pytest.mark.parametrize("role", ROLES)
def test_no_get_request_anywhere_changes_any_row(role, world, request):
    client = logged_in_client(role, request)
    # A server error is a finding too, but this test is about writes: report, don't stop.
    client.raise_request_exception = False
    errors, writes = [], []
    before = snapshot()
    for route in routes_seen_by(role):
        url = url_for(route, world)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        if response.status_code >= 500:
            errors.append(f"{url}: {response.status_code}")
        writes += [
            f"{url}: {q['sql'][:120]}"
            for q in queries.captured_queries
            if WRITE.match(q["sql"]) and not ALLOWED_WRITES.search(q["sql"])
        ]
        # Still the same user: no GET logs anyone in or out.
        assert ("_auth_user_id" in client.session) == (role != "anonymous"), url

    assert writes == []
    assert errors == []
    # Belt and braces: every row of every watched table is as it was.
    assert_unchanged(before, snapshot(), f"the GET walk as {role}")


def test_the_write_detector_sees_a_write():
    # Guards the walk above: a write statement is recognised, an access log row allowed.
    assert WRITE.match('UPDATE "wishes_wish" SET "status" = %s')
    assert WRITE.match('INSERT INTO "wishes_claim" ("wish_id") VALUES (%s)')
    assert not WRITE.match('SELECT "wishes_wish"."id" FROM "wishes_wish"')
    assert ALLOWED_WRITES.search('INSERT INTO "wishes_accesslog" ("user_id") VALUES (%s)')
    assert not ALLOWED_WRITES.search('INSERT INTO "wishes_claim" ("wish_id") VALUES (%s)')


def test_every_view_of_ours_is_reached_by_the_get_walk(world):
    # Guards the walk: each of our views has a real address, not just the admin's.
    ours = [r for r in all_routes() if r.module.startswith(OUR_MODULES)]
    urls = [url_for(route, world) for route in ours]

    assert len(ours) >= 20
    assert all(url.startswith("/") for url in urls)


# --- the state-changing requests --------------------------------------------------------------


@dataclass
class Change:
    """A state-changing POST: who sends it, where, with what, and how to see it happened."""

    role: str
    url: Callable[[dict], str]
    data: Callable[[dict], dict]
    happened: Callable[[dict, Client], bool]
    files: Callable[[], dict] = dict


def change_page_data(user, url: str) -> dict:
    """The admin form of `url` as the user's browser would post it back unchanged."""
    client = Client()
    client.force_login(user)
    return admin_form_data(client.get(url))


def in_a_week() -> str:
    return (timezone.localdate() + datetime.timedelta(days=7)).isoformat()


def status_of(obj) -> str:
    obj.refresh_from_db()
    return obj.status


CHANGES = {
    "claim": Change(
        "sponsor",
        lambda w: reverse("wishes:claim", args=[w["open_wish"].pk]),
        lambda w: {"promised_on": in_a_week()},
        lambda w, c: status_of(w["open_wish"]) == WishStatus.CLAIMED,
    ),
    "batch claim": Change(
        "sponsor",
        lambda w: reverse("wishes:batch_claim"),
        lambda w: {"wishes": [w["open_wish"].pk], "promised_on": in_a_week()},
        lambda w, c: status_of(w["open_wish"]) == WishStatus.CLAIMED,
    ),
    "cancel claim": Change(
        "sponsor",
        lambda w: reverse("sponsors:cancel_claim", args=[w["claim"].pk]),
        lambda w: {"reason": "计划有变"},
        lambda w, c: status_of(w["claim"]) == ClaimStatus.CANCELLED,
    ),
    "sign up": Change(
        "anonymous",
        lambda w: reverse("sponsors:register"),
        lambda w: {
            "kind": "unit",
            "name": "上海新国际博览中心",
            "unit_category": "enterprise",
            "region": Region.objects.first().pk,
            "contact_name": "王老师",
            "phone": "021-58881234",
            "email": "expo@example.org",
            "username": "expo",
            "password1": "Hua-mu-2026-expo",
            "password2": "Hua-mu-2026-expo",
        },
        lambda w, c: Sponsor.objects.filter(name="上海新国际博览中心").exists(),
    ),
    "invite a colleague": Change(
        "sponsor",
        lambda w: reverse("sponsors:create_invite"),
        lambda w: {"days": "7"},
        lambda w, c: w["sponsor"].invites.count() == 3,
    ),
    "approve a join request": Change(
        "sponsor",
        lambda w: reverse("sponsors:answer_request", args=[w["join_request"].pk, "approve"]),
        lambda w: {},
        lambda w, c: status_of(w["join_request"]) == "approved",
    ),
    "hand a claim on": Change(
        "sponsor",
        lambda w: reverse("sponsors:reassign_claim", args=[w["claim"].pk]),
        lambda w: {"member": w["team_member"].pk},
        lambda w, c: Claim.objects.get(pk=w["claim"].pk).member_id == w["team_member"].user_id,
    ),
    "record fulfilment": Change(
        "coordinator",
        lambda w: reverse("school:fulfil"),
        lambda w: {"claims": [w["claim"].pk], "fulfilled_on": timezone.localdate().isoformat()},
        lambda w, c: status_of(w["claim"]) == ClaimStatus.FULFILLED,
    ),
    "add photos": Change(
        "coordinator",
        lambda w: reverse("school:photos", args=[w["fulfilment"].pk]),
        lambda w: {},
        lambda w, c: w["fulfilment"].photos.count() == 2,
        files=lambda: {"images": jpeg_upload()},
    ),
    "upload letter": Change(
        "coordinator",
        lambda w: reverse("school:letter", args=[w["fulfilment"].pk]),
        lambda w: {"transcription": "谢谢叔叔阿姨"},
        lambda w, c: w["fulfilment"].letters.count() == 2,
    ),
    "log in": Change(
        "anonymous",
        lambda w: reverse("login"),
        lambda w: {"username": "sponsor", "password": PASSWORD},
        lambda w, c: "_auth_user_id" in c.session,
    ),
    "log out": Change(
        "sponsor",
        lambda w: reverse("logout"),
        lambda w: {},
        lambda w, c: "_auth_user_id" not in c.session,
    ),
    "admin log out": Change(
        "staff",
        lambda w: reverse("admin:logout"),
        lambda w: {},
        lambda w, c: "_auth_user_id" not in c.session,
    ),
    "choose language": Change(
        "anonymous",
        lambda w: reverse("set_language"),
        lambda w: {"language": "en", "next": "/"},
        lambda w, c: (
            c.cookies.get(settings.LANGUAGE_COOKIE_NAME) is not None
            and c.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
        ),
    ),
    "reset password": Change(
        "anonymous",
        lambda w: reverse("password_reset"),
        lambda w: {"email": "sponsor@example.org"},
        lambda w, c: len(mail.outbox) == 1,
    ),
    "change password": Change(
        "sponsor",
        lambda w: reverse("password_change"),
        lambda w: {
            "old_password": PASSWORD,
            "new_password1": "Another-pass-2026",
            "new_password2": "Another-pass-2026",
        },
        lambda w, c: Client().login(username="sponsor", password="Another-pass-2026"),
    ),
    "admin action": Change(
        "staff",
        lambda w: reverse("admin:sponsors_sponsor_changelist"),
        lambda w: {"action": "verify", "_selected_action": [w["pending_sponsor"].pk]},
        lambda w, c: status_of(w["pending_sponsor"]) == VerificationStatus.VERIFIED,
    ),
    "admin action with a form": Change(
        "staff",
        lambda w: reverse("admin:wishes_wish_changelist"),
        lambda w: {
            "action": "withdraw",
            "_selected_action": [w["open_wish"].pk],
            "apply": "1",
            "reason": "家长要求撤回",
        },
        lambda w, c: status_of(w["open_wish"]) == WishStatus.WITHDRAWN,
    ),
    "admin add form": Change(
        "staff",
        lambda w: reverse("admin:wishes_region_add"),
        lambda w: {"name": "北蔡镇", "kind": "town", "_save": "1"},
        lambda w, c: Region.objects.filter(name="北蔡镇").exists(),
    ),
    "admin change form": Change(
        "staff",
        lambda w: reverse("admin:wishes_claim_change", args=[w["claim"].pk]),
        lambda w: {
            **change_page_data(
                w["staff"], reverse("admin:wishes_claim_change", args=[w["claim"].pk])
            ),
            "claimant_name": "北蔡镇",
            "_save": "1",
        },
        lambda w, c: Claim.objects.filter(claimant_name="北蔡镇").exists(),
    ),
}


def csrf_client(role: str, request) -> Client:
    return logged_in_client(role, request, enforce_csrf_checks=True)


def with_token(client: Client, data: dict) -> dict:
    """Give the client a CSRF cookie and the data the matching form token."""
    secret = "a" * 16 + "B" * 16
    client.cookies[settings.CSRF_COOKIE_NAME] = secret
    return {**data, "csrfmiddlewaretoken": secret}


@pytest.mark.parametrize("name", CHANGES)
def test_the_state_change_happens_with_a_csrf_token(name, world, request):
    # The control for the two tests below: the same request, with the token, works.
    change = CHANGES[name]
    client = csrf_client(change.role, request)

    response = client.post(
        change.url(world), with_token(client, {**change.data(world), **change.files()})
    )

    assert response.status_code in (200, 302)
    assert change.happened(world, client), response.content.decode()[:2000]


@pytest.mark.parametrize("name", CHANGES)
def test_the_state_change_is_refused_without_a_csrf_token(name, world, request):
    change = CHANGES[name]
    client = csrf_client(change.role, request)
    data = change.data(world)
    before = snapshot()

    response = client.post(change.url(world), {**data, **change.files()})

    assert response.status_code == 403
    assert not change.happened(world, client)
    assert_unchanged(before, snapshot(), f"POST {name} without a token")


@pytest.mark.parametrize("name", CHANGES)
def test_the_state_change_is_not_made_by_a_get_with_the_same_data(name, world, request):
    change = CHANGES[name]
    client = logged_in_client(change.role, request)
    query = urlencode(change.data(world), doseq=True)
    before = snapshot()

    response = client.get(f"{change.url(world)}?{query}")

    assert response.status_code < 500
    assert not change.happened(world, client)
    assert_unchanged(before, snapshot(), f"GET {name}")


@pytest.mark.parametrize("role", ["anonymous", "staff"])
def test_every_url_refuses_a_post_without_a_csrf_token(role, world, request):
    client = csrf_client(role, request)
    unprotected = []
    before = snapshot()
    for route in all_routes():
        url = url_for(route, world)
        if client.post(url, {}).status_code != 403:
            unprotected.append(url)

    # No view is @csrf_exempt: every POST is checked before any view code runs.
    assert unprotected == []
    assert [r.route for r in all_routes() if r.csrf_exempt] == []
    assert_unchanged(before, snapshot(), "POSTs without a token")


@pytest.mark.parametrize(
    "role, name",
    [
        ("sponsor", "wishes:claim"),
        ("sponsor", "wishes:batch_claim"),
        ("sponsor", "sponsors:cancel_claim"),
        ("anonymous", "sponsors:register"),
        ("coordinator", "school:fulfil"),
        ("coordinator", "school:photos"),
        ("coordinator", "school:letter"),
    ],
)
def test_state_changing_views_refuse_other_methods(role, name, world, client_for):
    url = url_for(next(r for r in all_routes() if r.name == name), world)
    client = client_for(role)
    before = snapshot()

    for method in (client.put, client.patch, client.delete):
        assert method(url).status_code == 405, (method, url)

    assert_unchanged(before, snapshot(), f"PUT/PATCH/DELETE {name}")
