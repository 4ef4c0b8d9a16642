"""What a phone (390×844) shows: chart labels readable, batch claim as cards with big targets.

Sizes are measured in the browser: a chart's text is drawn in SVG units, so its size on the
screen is its font size times the SVG's scale (getScreenCTM), checked against its box too.
"""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page

from tests.factories import ClaimFactory, WishFactory
from wishes.models import YearTotal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MIN_TEXT_PX = 12
MIN_TARGET_PX = 44

# Every <text> of the page's charts: its rendered font size and its box height, in CSS px.
MEASURE_CHART_TEXT = """() => [...document.querySelectorAll('figure svg text')].map(text => {
    const scale = text.ownerSVGElement.getScreenCTM().a;
    const size = parseFloat(getComputedStyle(text).fontSize) * scale;
    return {text: text.textContent, size, height: text.getBoundingClientRect().height};
})"""


def log_in(page: Page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_impact_chart_labels_are_at_least_12_px_on_a_phone(language, live_server, page: Page):
    YearTotal.objects.create(year=2019, wishes_fulfilled=12, units=3, individuals=4)
    YearTotal.objects.create(year=2020, wishes_fulfilled=25, units=5, individuals=9)
    WishFactory(open=True)
    ClaimFactory()
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    page.goto(live_server.url + "/impact/")

    texts = page.evaluate(MEASURE_CHART_TEXT)

    assert page.locator("figure svg").count() == 4
    assert texts
    small = [t for t in texts if t["size"] < MIN_TEXT_PX or t["height"] < MIN_TEXT_PX]
    assert not small, small
    # 2013 to 2018 have no figures: one line says so, no label lists them.
    assert not [t for t in texts if t["text"] in {"2013", "2018"}]
    assert page.get_by_text("2013–2018").is_visible()
    # The years' table fits without scrolling, no heading broken inside a word (已圆梦心 / 愿).
    fits = page.evaluate(
        "() => { const box = document.querySelector('.headings-whole').parentElement;"
        " return box.scrollWidth <= box.clientWidth; }"
    )
    assert fits
    if language == "zh-hans":
        lines = page.evaluate(
            "() => [...document.querySelectorAll('.headings-whole thead th')].map(th => {"
            " const range = document.createRange(); range.selectNodeContents(th);"
            " const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));"
            " return [th.innerText, tops.size]; })"
        )
        assert ["已圆梦心愿", 1] in lines
        assert ["爱心单位", 1] in lines


def test_batch_claim_is_cards_with_44_px_targets_on_a_phone(live_server, page: Page, sponsor):
    WishFactory(open=True, child__alias="小赵同学", public_text="想要一套水彩颜料")
    wish = WishFactory(open=True, child__alias="小林同学", public_text="想要一架天文望远镜")
    log_in(page, live_server, sponsor)
    page.goto(live_server.url + "/wishes/batch-claim/")

    assert page.locator("main table").count() == 0
    cards = page.locator(".batch-wish")
    assert cards.count() == 2
    targets = [
        *[cards.nth(i).locator("label") for i in range(2)],
        *[cards.nth(i).locator("a") for i in range(2)],
        page.locator("main button[type=submit]").last,
    ]
    for target in targets:
        box = target.bounding_box()
        assert box["height"] >= MIN_TARGET_PX and box["width"] >= MIN_TARGET_PX, box
    # Nothing is squeezed: a card is about as wide as the phone, its text on whole lines.
    assert cards.first.bounding_box()["width"] > 300
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # A tap on the wish's text ticks its box; a second tap unticks it.
    box = page.locator(f"#wish-{wish.pk}")
    page.get_by_text("想要一架天文望远镜").click()
    assert box.is_checked()
    page.get_by_text("想要一架天文望远镜").click()
    assert not box.is_checked()


def test_recording_hand_overs_has_44_px_boxes_on_a_phone(
    live_server, page: Page, coordinator, school
):
    claim = ClaimFactory(wish__child__school=school, wish__child__real_name="范子轩")
    log_in(page, live_server, coordinator)
    page.goto(live_server.url + "/school/fulfil/")

    box = page.locator(f"#claim-{claim.pk}")
    label = page.locator(f"label[for=claim-{claim.pk}]")
    assert box.bounding_box()["height"] >= 24
    assert label.bounding_box()["height"] >= MIN_TARGET_PX
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    label.click()
    assert box.is_checked()


@pytest.mark.parametrize("javascript", [True, False])
def test_failed_sign_up_summary_is_on_the_first_screen_and_links_to_fields(
    javascript, live_server, browser, browser_context_args
):
    context = browser.new_context(**browser_context_args, java_script_enabled=javascript)
    page = context.new_page()
    page.goto(live_server.url + "/sponsors/register/")
    page.locator("main form button[type=submit]").click()

    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert summary.bounding_box()["y"] < 844
    if javascript:
        # The script gives the summary focus, so a screen reader reads it first.
        assert page.evaluate("document.activeElement.id") == "error-summary"
    link = summary.locator('a[href="#id_email"]')
    link.click()
    assert page.evaluate("document.activeElement.id") == "id_email"
    assert page.locator("#id_email").is_visible()
    context.close()
