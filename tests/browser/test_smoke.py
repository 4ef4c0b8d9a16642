import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_renders_in_chinese_on_a_phone(live_server, page, screenshot):
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "花木圆梦" in page.title()
    assert page.evaluate("getComputedStyle(document.body).fontFamily")
    screenshot("home-zh")
