"""axe-core checks of the public, sponsor and main admin pages, in Chinese and English, on a phone.

Only "serious" and "critical" violations fail a test; the message lists each one with its
page, rule id, the elements it found and axe's explanation. One test visits several pages:
each test's database flush costs about a second on PostgreSQL.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page, expect

from tests.factories import ClaimFactory, WishFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
# `make assets` copies axe-core here from node_modules (both are outside git).
AXE_PATHS = [
    ROOT / "static/vendor/axe-core/axe.min.js",
    ROOT / "node_modules/axe-core/axe.min.js",
]
BLOCKING_IMPACTS = {"serious", "critical"}

# Pages anyone can open.
PAGES = {
    "home": "/",
    "wish-list": "/wishes/",
    "wish-detail": "/wishes/{wish_pk}/",
    "register": "/sponsors/register/",
    "login": "/accounts/login/",
    "phone-login": "/accounts/phone/",
}
# Pages of a logged-in, verified sponsor.
SPONSOR_PAGES = {
    "dashboard": "/sponsor/",
    "claim-confirm": "/wishes/{wish_pk}/claim/",
}


@pytest.fixture(scope="session")
def axe_path() -> Path:
    for path in AXE_PATHS:
        if path.exists():
            return path
    pytest.skip("axe-core is missing: run `make assets` to copy it into static/vendor/")


@pytest.fixture
def browser_context_args(browser_context_args):
    # axe is injected as an inline <script>; a Content-Security-Policy must not block it.
    return {**browser_context_args, "bypass_csp": True}


def open_page(page: Page, url: str, language: str) -> None:
    """Open `url` in `language`, chosen with the cookie the navbar's buttons set."""
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": url}]
    )
    page.goto(url)
    assert page.locator("html").get_attribute("lang") == language


def blocking_violations(page: Page, axe_path: Path) -> list[dict]:
    """Run axe-core on the loaded page; return its serious and critical violations."""
    page.add_script_tag(path=str(axe_path))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in BLOCKING_IMPACTS]


def describe(failures: dict[str, list[dict]]) -> str:
    """Per page, one paragraph per violation: rule, impact, help, each element and why."""
    lines = []
    for label, violations in failures.items():
        lines.append(f"{label}:")
        for violation in violations:
            lines.append(f"  {violation['id']} ({violation['impact']}): {violation['help']}")
            lines.append(f"    {violation['helpUrl']}")
            for node in violation["nodes"]:
                target = " ".join(map(str, node["target"]))
                summary = " ".join(node.get("failureSummary", "").split())
                lines.append(f"    on {target}: {summary}")
    return "\n".join(lines)


@pytest.fixture
def wish():
    """A waiting wish, with a second one so that lists and "similar wishes" have content."""
    WishFactory(open=True, child__alias="小赵同学", public_text="想要一套水彩颜料")
    return WishFactory(open=True, child__alias="小林同学", public_text="想要一架天文望远镜")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_public_pages_have_no_serious_accessibility_violations(
    language, live_server, page: Page, axe_path, wish
):
    failures = {}
    for name, path in PAGES.items():
        open_page(page, live_server.url + path.format(wish_pk=wish.pk), language)
        if violations := blocking_violations(page, axe_path):
            failures[f"{name} ({language})"] = violations

    # The sign-up form again, now showing an error under every required field.
    open_page(page, live_server.url + PAGES["register"], language)
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    if violations := blocking_violations(page, axe_path):
        failures[f"register with errors ({language})"] = violations

    # Both login tabs after an empty submit: the error summary above the form, its links.
    for name in ("login", "phone-login"):
        open_page(page, live_server.url + PAGES[name], language)
        page.locator("main form button[type=submit]").click()
        expect(page.locator("#error-summary a").first).to_be_visible()
        if violations := blocking_violations(page, axe_path):
            failures[f"{name} with errors ({language})"] = violations

    assert not failures, describe(failures)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_sponsor_pages_have_no_serious_accessibility_violations(
    language, live_server, page: Page, axe_path, wish, sponsor
):
    # A claim, so that the dashboard shows its list, badge and history too.
    ClaimFactory(sponsor=sponsor.sponsor_member.sponsor, wish__child__alias="小王同学")
    client = Client()
    client.force_login(sponsor)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    failures = {}
    for name, path in SPONSOR_PAGES.items():
        open_page(page, live_server.url + path.format(wish_pk=wish.pk), language)
        # Logged in: the menu (a <details>, no script) opens on its name and shows who.
        page.locator(".site-menu > summary").click()
        expect(page.get_by_text(sponsor.username)).to_be_visible()
        if violations := blocking_violations(page, axe_path):
            failures[f"{name} ({language})"] = violations

    assert not failures, describe(failures)


# Back-office pages staff use all day: the dashboard, lists, a child's add form, the intake
# page, a wish's page (with its claims inline) and a claim's page.
ADMIN_PAGES = {
    "admin dashboard": "/admin/",
    "admin wishes": "/admin/wishes/wish/",
    "admin claims": "/admin/wishes/claim/",
    "admin sponsors": "/admin/sponsors/sponsor/",
    "admin event add": "/admin/wishes/event/add/",
    "admin child add": "/admin/wishes/child/add/",
    "admin intake": "/admin/wishes/child/intake/",
    "admin wish": "/admin/wishes/wish/{wish_pk}/change/",
}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_admin_pages_have_no_serious_accessibility_violations(
    language, live_server, page: Page, axe_path, wish, staff
):
    client = Client()
    client.force_login(staff)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    failures = {}
    for name, path in ADMIN_PAGES.items():
        open_page(page, live_server.url + path.format(wish_pk=wish.pk), language)
        if violations := blocking_violations(page, axe_path):
            failures[f"{name} ({language})"] = violations

    assert not failures, describe(failures)
