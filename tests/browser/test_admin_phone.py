"""The back office on a phone (390×844): a page fits the screen. Only a changelist's results
table may scroll sideways, inside its own keyboard-reachable box, and keeps short values on
one line; the header, search bar, filters and actions wrap to the width instead of widening
the whole page. The dashboard's own tables wrap too."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Page

from tests.browser.test_phone_layout import log_in
from tests.factories import ClaimFactory, WishFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 390
CHANGELISTS = ["/admin/wishes/wish/", "/admin/wishes/claim/", "/admin/wishes/child/"]

# The table's cells of at most six characters drawn on more than one line.
BROKEN_SHORT_CELLS = """() => [...document.querySelectorAll('#result_list tbody td')]
    .filter(td => { const t = td.textContent.trim(); return t && t.length <= 6; })
    .filter(td => {
        const range = document.createRange();
        range.selectNodeContents(td);
        const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        return tops.size > 1;
    })
    .map(td => td.textContent.trim())"""

# Elements reaching past the screen's right edge, outside the table's own scrolling box.
WIDE_ELEMENTS = """(width) => [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > width + 1)
    .filter(el => !el.closest('.results'))
    .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
               + (el.className && typeof el.className === 'string' ? '.' + el.className : ''))"""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_changelists_fit_a_phone_with_only_the_table_scrolling(
    language, live_server, page: Page, staff, screenshot
):
    # Long names and texts in every column, as on a real campaign's lists.
    WishFactory(open=True, child__alias="小赵同学", public_text="想要一套水彩颜料和一本很厚的画册")
    ClaimFactory(wish__child__alias="小林同学", wish__public_text="想要一架天文望远镜")
    log_in(page, live_server, staff)
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )

    for path in CHANGELISTS:
        page.goto(live_server.url + path)
        assert page.locator("#result_list").count() == 1, path
        width = page.evaluate("document.scrollingElement.scrollWidth")
        wide = page.evaluate(WIDE_ELEMENTS, PHONE_WIDTH)
        assert width <= PHONE_WIDTH, f"{path} ({language}): {width} px wide; past the edge: {wide}"
        # The table keeps its columns and scrolls inside its box when it needs to.
        box = page.evaluate(
            "() => { const r = document.querySelector('.results');"
            " return {client: r.clientWidth, overflow: getComputedStyle(r).overflowX,"
            " tabindex: r.getAttribute('tabindex'), role: r.getAttribute('role'),"
            " name: r.getAttribute('aria-labelledby')}; }"
        )
        assert box["client"] <= PHONE_WIDTH
        assert box["overflow"] in {"auto", "scroll"}
        assert (box["tabindex"], box["role"]) == ("0", "region")
        assert page.locator(f"#{box['name']}").inner_text()
        assert page.evaluate(BROKEN_SHORT_CELLS) == [], path
        screenshot(f"admin-changelist-phone-{language}-{path.split('/')[-2]}")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_dashboard_fits_a_phone(language, live_server, page: Page, staff, screenshot):
    # An overdue claim (with its release button) and a long-waiting wish on the dashboard.
    ClaimFactory(
        wish__child__alias="小林同学",
        promised_on=timezone.localdate() - datetime.timedelta(days=3),
        sponsor__name="花木街道社区党群服务中心",
    )
    WishFactory(open=True, child__alias="小赵同学", child__school__name="花木中心小学")
    log_in(page, live_server, staff)
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )

    page.goto(live_server.url + "/admin/")

    assert page.locator("#dashboard-overdue-claims input[type=submit]").count() == 1
    width = page.evaluate("document.scrollingElement.scrollWidth")
    wide = page.evaluate(WIDE_ELEMENTS, PHONE_WIDTH)
    screenshot(f"admin-dashboard-phone-{language}")
    assert width <= PHONE_WIDTH, f"admin ({language}): {width} px wide; past the edge: {wide}"
    # No cell squeezed to a character a line: the overdue claim's date reads in a few lines.
    heights = page.evaluate(
        "() => [...document.querySelectorAll('#dashboard-overdue-claims td')]"
        ".map(td => td.getBoundingClientRect().height)"
    )
    assert max(heights) < 120, heights
