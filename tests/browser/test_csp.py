"""Chromium loads every kind of page under the enforced Content Security Policy: no violation.

The public pages, the sponsor's and the school's pages and the back office (lists, change
pages, an action's intermediate page) are opened as their users; a listener installed before
any page script (init scripts are not subject to the policy) records every
`securitypolicyviolation`, and the console and page errors are watched as well.
"""

import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import BrowserContext, Page, expect

from tests.security.conftest import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    [event.violatedDirective, event.blockedURI, event.sourceFile, event.lineNumber].join(" ")
  );
});
"""


class Watcher:
    """Collects CSP violations, CSP console messages and uncaught errors of a context."""

    def __init__(self, context: BrowserContext) -> None:
        self.problems: list[str] = []
        context.add_init_script(RECORD_VIOLATIONS)
        context.on("page", self.watch)

    def watch(self, page: Page) -> None:
        page.on("console", self.console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))

    def console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.problems.append(f"console: {message.text}")

    def visit(self, page: Page, url: str) -> None:
        response = page.goto(url, wait_until="load")
        assert response is not None and response.status == 200, (url, response and response.status)
        # Not redirected (to a login page, say): the page asked for is the page checked.
        assert page.url == url, (url, page.url)
        self.collect(page, url)

    def collect(self, page: Page, url: str) -> None:
        self.problems += [f"{url}: {v}" for v in page.evaluate("window.__cspViolations")]


@pytest.fixture
def world(staff, sponsor, other_sponsor, coordinator, school, open_wish) -> dict:
    """One object of every kind (see tests/security/conftest.py)."""
    return build_world(
        staff=staff,
        sponsor=sponsor,
        other_sponsor=other_sponsor,
        coordinator=coordinator,
        school=school,
        open_wish=open_wish,
    )


def session_cookie(user, live_server) -> dict:
    """A logged-in session for `user`, as a cookie the browser context can carry."""
    client = Client()
    client.force_login(user)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"name": settings.SESSION_COOKIE_NAME, "value": value, "url": live_server.url}


@pytest.fixture
def open_as(browser, browser_context_args, live_server):
    """Open a browser context, logged in as `user` (None: anonymous), with a Watcher."""
    contexts = []

    def open_context(user=None) -> tuple[Page, Watcher]:
        context = browser.new_context(**browser_context_args)
        context.set_default_timeout(10_000)
        contexts.append(context)
        watcher = Watcher(context)
        if user is not None:
            context.add_cookies([session_cookie(user, live_server)])
        return context.new_page(), watcher

    yield open_context
    for context in contexts:
        context.close()


def test_the_policy_really_blocks_an_inline_script(open_as, live_server):
    # The control: the listener sees a violation when there is one, so zero below means zero.
    page, watcher = open_as()
    watcher.visit(page, live_server.url + "/")

    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.__ran = true'; document.body.append(s); }"
    )
    page.wait_for_timeout(200)
    watcher.collect(page, "/")

    assert page.evaluate("window.__ran === undefined")
    assert any("script-src" in problem for problem in watcher.problems), watcher.problems


def test_public_pages_load_without_a_policy_violation(open_as, live_server, world):
    page, watcher = open_as()
    urls = [
        "/",
        "/wishes/",
        "/wishes/?category=books",
        world["open_wish"].get_absolute_url(),
        "/events/",
        f"/events/{world['event'].pk}/",
        "/impact/",
        "/sponsors/register/",
        "/accounts/login/",
        "/accounts/phone/",
        "/accounts/password_reset/",
        "/admin/login/",
    ]

    for url in urls:
        watcher.visit(page, live_server.url + url)

    assert watcher.problems == []


def test_sponsor_pages_load_without_a_policy_violation(open_as, live_server, world, sponsor):
    page, watcher = open_as(sponsor)
    urls = [
        "/sponsor/",
        f"/wishes/{world['open_wish'].pk}/claim/",
        "/wishes/batch-claim/",
        f"/sponsor/claims/{world['claim'].pk}/cancel/",
    ]

    for url in urls:
        watcher.visit(page, live_server.url + url)
    # The claim confirmation page submitted with nothing filled in shows the form's errors.
    watcher.visit(page, live_server.url + urls[1])
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("load")
    expect(page.locator("main .invalid-feedback").first).to_be_visible()
    watcher.collect(page, "claim form with errors")

    assert watcher.problems == []


def test_school_pages_load_without_a_policy_violation(open_as, live_server, world, coordinator):
    page, watcher = open_as(coordinator)
    fulfilment = world["fulfilment"].pk
    urls = [
        "/school/",
        f"/school/children/{world['child'].pk}/",
        "/school/fulfil/",
        f"/school/fulfilments/{fulfilment}/photos/",
        f"/school/fulfilments/{fulfilment}/letter/",
    ]

    for url in urls:
        watcher.visit(page, live_server.url + url)

    assert watcher.problems == []


def test_the_back_office_loads_without_a_policy_violation(open_as, live_server, world, staff):
    page, watcher = open_as(staff)
    urls = [
        "/admin/",
        "/admin/wishes/wish/",
        "/admin/wishes/wish/?status__exact=open",
        f"/admin/wishes/wish/{world['open_wish'].pk}/change/",
        "/admin/wishes/wish/add/",
        "/admin/wishes/child/",
        f"/admin/wishes/child/{world['child'].pk}/change/",
        "/admin/sponsors/sponsor/",
        f"/admin/sponsors/sponsor/{world['pending_sponsor'].pk}/change/",
        "/admin/wishes/claim/",
        f"/admin/wishes/claim/{world['claim'].pk}/change/",
        "/admin/wishes/event/",
        f"/admin/wishes/event/{world['event'].pk}/change/",
        "/admin/wishes/fulfilmentphoto/",
        f"/admin/wishes/thankyouletter/{world['letter'].pk}/change/",
        "/admin/wishes/statuschange/",
    ]

    for url in urls:
        watcher.visit(page, live_server.url + url)

    assert watcher.problems == []


def test_an_admin_actions_intermediate_page_loads_without_a_policy_violation(
    open_as,
    live_server,
    world,
    staff,
):
    page, watcher = open_as(staff)
    watcher.visit(page, live_server.url + "/admin/wishes/wish/")
    row = page.locator("#result_list tr", has_text=world["open_wish"].code)
    row.get_by_role("checkbox").check()
    page.locator("select[name=action]").select_option("withdraw")
    # Django's admin script enables the button and counts the selection: it must run.
    expect(page.locator(".action-counter")).to_contain_text("1")
    watcher.collect(page, "wish changelist with a selection")

    page.locator("button[name=index]").first.click()
    page.wait_for_load_state("load")
    expect(page.locator("textarea[name=reason]")).to_be_visible()
    watcher.collect(page, "withdraw intermediate page")

    assert re.search(r"/admin/wishes/wish/$", page.url)
    assert watcher.problems == []
