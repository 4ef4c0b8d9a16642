"""Staff cover areas of a letter's scan on a phone: drag with the mouse and with a finger,
remove one, save; and the same page without JavaScript. No CSP violation on the way.

Screenshots land in test-artifacts/letter-masks-*.png.
"""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from playwright.sync_api import Page, expect

from huamu.images import clean_image
from tests.browser.test_csp import Watcher, session_cookie
from tests.factories import FulfilmentFactory
from tests.huamu.test_sponsor_copy import letter_scan
from wishes.models import AccessAction, AccessLog, ThankYouLetter
from wishes.services import upload_letter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def letter(coordinator) -> ThankYouLetter:
    upload = SimpleUploadedFile("letter.png", letter_scan(600, 800).read(), "image/png")
    return upload_letter(
        fulfilment_id=FulfilmentFactory().pk, by=coordinator, scan=clean_image(upload)
    )


@pytest.fixture
def open_as_staff(browser, browser_context_args, live_server, staff):
    contexts = []

    def open_context(**options) -> tuple[Page, Watcher]:
        context = browser.new_context(**{**browser_context_args, **options})
        context.set_default_timeout(10_000)
        contexts.append(context)
        watcher = Watcher(context)
        context.add_cookies([session_cookie(staff, live_server)])
        return context.new_page(), watcher

    yield open_context
    for context in contexts:
        context.close()


def drag_with_mouse(page: Page, box: dict, start: tuple, end: tuple) -> None:
    page.mouse.move(box["x"] + box["width"] * start[0], box["y"] + box["height"] * start[1])
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * end[0], box["y"] + box["height"] * end[1], steps=6)
    page.mouse.up()


# A finger's drag, as the browser reports it: pointer events of type "touch".
TOUCH_DRAG = """
([start, end]) => {
  const canvas = document.querySelector("[data-letter-masks-canvas]");
  const box = canvas.getBoundingClientRect();
  const at = (point) => ({
    clientX: box.left + box.width * point[0],
    clientY: box.top + box.height * point[1],
  });
  const send = (type, point) => canvas.dispatchEvent(new PointerEvent(type, {
    bubbles: true, cancelable: true, pointerId: 7, pointerType: "touch", isPrimary: true,
    button: type === "pointermove" ? -1 : 0, buttons: type === "pointerup" ? 0 : 1,
    ...at(point),
  }));
  send("pointerdown", start);
  for (let step = 1; step <= 5; step++) {
    send("pointermove", [
      start[0] + (end[0] - start[0]) * step / 5, start[1] + (end[1] - start[1]) * step / 5,
    ]);
  }
  send("pointerup", end);
}
"""


def test_staff_draw_remove_and_save_covered_areas_on_a_phone(
    open_as_staff, live_server, letter, screenshot
):
    page, watcher = open_as_staff()
    url = live_server.url + reverse("admin:wishes_thankyouletter_cover", args=[letter.pk])
    watcher.visit(page, url)
    scan = page.locator("img.letter-masks__scan")
    expect(scan).to_be_visible()
    page.wait_for_function("document.querySelector('img.letter-masks__scan').naturalWidth > 0")
    canvas = page.locator("[data-letter-masks-canvas]")
    expect(canvas).to_be_visible()
    # With JavaScript the drawing replaces the number fields.
    expect(page.locator("[data-letter-masks-typed]")).to_be_hidden()
    box = canvas.bounding_box()
    assert box is not None and box["width"] <= 390

    drag_with_mouse(page, box, (0.1, 0.1), (0.4, 0.2))
    page.evaluate(TOUCH_DRAG, [[0.55, 0.8], [0.85, 0.9]])
    areas = page.locator(".letter-masks__area")
    expect(areas).to_have_count(2)
    expect(page.locator("[data-letter-masks-status]")).to_have_text("已遮盖区域：2")
    screenshot("letter-masks-01-drawn", page)

    # The first area was a mistake: its × removes it; a tap on the scan adds nothing.
    page.get_by_role("button", name="移除区域 1").click()
    expect(areas).to_have_count(1)
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    expect(areas).to_have_count(1)
    drag_with_mouse(page, box, (0.2, 0.3), (0.5, 0.35))
    expect(areas).to_have_count(2)

    page.get_by_role("button", name="保存遮盖区域").click()
    page.wait_for_load_state("load")
    expect(page.locator(".messagelist")).to_contain_text("遮盖区域已保存。")
    watcher.collect(page, "after saving")

    letter.refresh_from_db()
    assert len(letter.masks) == 2
    expected = [
        {"x": 0.55, "y": 0.8, "w": 0.3, "h": 0.1},
        {"x": 0.2, "y": 0.3, "w": 0.3, "h": 0.05},
    ]
    for saved, wanted in zip(letter.masks, expected, strict=True):
        for key in "xywh":
            assert saved[key] == pytest.approx(wanted[key], abs=0.02), (key, saved, wanted)
    # The saved areas are drawn again on the page that comes back.
    expect(page.locator(".letter-masks__area")).to_have_count(2)
    screenshot("letter-masks-02-saved", page)

    # The browser fetched the scan through the logged file view.
    scan_path = reverse("files:letter_scan", args=[letter.pk])
    assert AccessLog.objects.filter(
        action=AccessAction.VIEW_LETTER, object_id=letter.pk, path=scan_path
    ).exists()

    assert watcher.problems == []

    # The draft of the sponsor's copy, fetched with the same session.
    draft = page.request.get(live_server.url + reverse("files:letter_draft", args=[letter.pk]))
    assert draft.status == 200
    assert draft.headers["content-type"] == "image/jpeg"


def test_without_javascript_the_areas_are_typed_in_per_cent(
    open_as_staff, live_server, letter, screenshot
):
    page, watcher = open_as_staff(java_script_enabled=False)
    url = live_server.url + reverse("admin:wishes_thankyouletter_cover", args=[letter.pk])
    response = page.goto(url)
    assert response is not None and response.status == 200
    expect(page.locator("[data-letter-masks-canvas]")).to_be_hidden()

    page.locator("input[name=area-0-x]").fill("55")
    page.locator("input[name=area-0-y]").fill("80")
    page.locator("input[name=area-0-w]").fill("30")
    page.locator("input[name=area-0-h]").fill("10")
    with page.expect_navigation():
        page.get_by_role("button", name="保存遮盖区域").click()

    assert re.search(r"/cover/$", page.url)
    expect(page.locator(".messagelist")).to_contain_text("遮盖区域已保存。")
    screenshot("letter-masks-03-no-script", page)
    letter.refresh_from_db()
    assert letter.masks == [{"x": 0.55, "y": 0.8, "w": 0.3, "h": 0.1}]


@pytest.mark.parametrize("width, side_by_side", [(390, False), (1280, True)])
def test_the_review_page_shows_the_scan_beside_the_text_and_approves_through_the_action(
    open_as_staff, live_server, letter, screenshot, width, side_by_side
):
    page, watcher = open_as_staff(viewport={"width": width, "height": 900})
    url = live_server.url + reverse("admin:wishes_thankyouletter_change", args=[letter.pk])
    watcher.visit(page, url)
    page.wait_for_function("document.querySelector('.letter-review img').naturalWidth > 0")
    scan = page.locator(".letter-review__scan img").bounding_box()
    fields = page.locator(".letter-review__fields").bounding_box()
    assert scan is not None and fields is not None
    if side_by_side:
        assert scan["x"] + scan["width"] <= fields["x"]
    else:
        assert scan["y"] + scan["height"] <= fields["y"]
    screenshot(f"letter-masks-04-review-{width}", page)

    page.locator("select[name=CHANGE_FORM-action]").select_option(
        label="审核通过所选感谢信并转交认领方"
    )
    page.get_by_role("button", name="运行", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("已审核通过")
    watcher.collect(page, "after approving")

    letter.refresh_from_db()
    assert letter.status == "approved" and letter.preview
    assert watcher.problems == []
