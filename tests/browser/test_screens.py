"""Screenshots of every main page, to judge the design by eye, and what a glance can check.

Each page of each role is saved at 390×844 (a phone) and 1280×800 in Chinese and English
under test-artifacts/screens/<viewport>-<language>-<role>-<page>.png, over the demo data
(`seed_demo`'s loader: drawn event photos, claims in every state): a phone's whole page, a
desktop's first screen. One browser, one context per viewport; the login and the language
are cookies changed between pages. Each page must answer 200, and on a phone no page (the
back office's included) may scroll sideways.
"""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from playwright.sync_api import Browser

from tests.browser.conftest import ARTIFACTS
from wishes.management.demo.loading import load_demo_data
from wishes.models import Claim, ClaimStatus, Event, Fulfilment, Wish, WishStatus
from wishes.public.selectors import public_photos

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SCREENS = ARTIFACTS / "screens"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
LANGUAGES = ["zh-hans", "en"]


def pages_by_role() -> dict[str, dict[str, str]]:
    """For each demo login ("" for a visitor), its pages by name, from the demo data."""
    wish = Wish.objects.filter(status=WishStatus.OPEN).order_by("pk").first()
    with_photos = public_photos().values_list("fulfilment__event", flat=True).first()
    upcoming = Event.objects.filter(is_public=True, fulfilments=None).order_by("-date").first()
    claim = Claim.objects.filter(
        sponsor__members__user__username="unit", status=ClaimStatus.ACTIVE
    ).first()
    fulfilment = Fulfilment.objects.filter(
        claim__wish__child__school__coordinators__user__username="coordinator"
    ).first()
    return {
        "": {
            "home": "/",
            "wishes": "/wishes/",
            "wish": f"/wishes/{wish.pk}/",
            "events": "/events/",
            "event-photos": f"/events/{with_photos}/",
            "event-drawn": f"/events/{upcoming.pk}/",
            "impact": "/impact/",
            "register": "/sponsors/register/",
            "login": "/accounts/login/",
        },
        "unit": {
            "dashboard": "/sponsor/",
            "claim": f"/sponsor/claims/{claim.pk}/",
            "claim-confirm": f"/wishes/{wish.pk}/claim/",
            "batch-claim": "/wishes/batch-claim/",
            "team": "/sponsor/team/",
        },
        "coordinator": {
            "school": "/school/",
            "child": f"/school/children/{fulfilment.claim.wish.child_id}/",
            "fulfil": "/school/fulfil/",
            "photos": f"/school/fulfilments/{fulfilment.pk}/photos/",
        },
        "staff": {
            "admin": "/admin/",
            "admin-wishes": "/admin/wishes/wish/",
            "admin-wish": f"/admin/wishes/wish/{wish.pk}/change/",
            "admin-intake": "/admin/wishes/child/intake/",
            "admin-claims": "/admin/wishes/claim/",
            "admin-children": "/admin/wishes/child/",
            "admin-sponsors": "/admin/sponsors/sponsor/",
            "admin-letters": "/admin/wishes/thankyouletter/",
        },
    }


def session_of(username: str) -> str:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_every_page_is_drawn_in_both_languages_on_a_phone_and_a_desktop(
    live_server, browser: Browser
):
    load_demo_data()
    roles = pages_by_role()
    sessions = {role: session_of(role) for role in roles if role}
    SCREENS.mkdir(parents=True, exist_ok=True)
    problems = []
    for viewport_name, viewport in VIEWPORTS.items():
        context = browser.new_context(viewport=viewport, locale="zh-CN")
        page = context.new_page()
        for role, pages in roles.items():
            context.clear_cookies()
            if role:
                context.add_cookies(
                    [
                        {
                            "name": settings.SESSION_COOKIE_NAME,
                            "value": sessions[role],
                            "url": live_server.url,
                        }
                    ]
                )
            for language in LANGUAGES:
                context.add_cookies(
                    [
                        {
                            "name": settings.LANGUAGE_COOKIE_NAME,
                            "value": language,
                            "url": live_server.url,
                        }
                    ]
                )
                for name, path in pages.items():
                    label = f"{viewport_name}-{language}-{role or 'visitor'}-{name}"
                    response = page.goto(live_server.url + path)
                    if response is None or response.status != 200:
                        problems.append(f"{label}: {response and response.status}")
                        continue
                    # A phone's whole page; a desktop's first screen, what staff and
                    # visitors see on arrival (whole desktop pages doubled the run time).
                    page.screenshot(
                        path=str(SCREENS / f"{label}.png"), full_page=viewport_name == "phone"
                    )
                    wide = page.evaluate("document.documentElement.scrollWidth")
                    if viewport_name == "phone" and wide > viewport["width"]:
                        problems.append(f"{label}: {wide} px wide, scrolls sideways")
        context.close()
    assert not problems, "\n".join(problems)
