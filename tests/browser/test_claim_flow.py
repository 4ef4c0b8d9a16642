"""The whole claim story on a phone: a stranger signs up, staff verify, the sponsor claims.

The same story runs in Chinese (the default) and in English (chosen with the navbar's
language buttons); every page is saved under test-artifacts/claim-flow-<lang>-NN-<page>.png.
"""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from sponsors.models import Sponsor, SponsorKind, UnitCategory, VerificationStatus
from tests.factories import PASSWORD, RegionFactory, WishFactory
from wishes.models import Claim, ClaimStatus, WishStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What the visitor reads (and the labels they fill in), as the catalogue translates it.
TEXTS = {
    "zh-hans": {
        "wishes_heading": "待认领心愿",
        "wish_heading": "小林同学的心愿",
        "log_in_or_sign_up": "请登录或注册成为认领方，即可认领这个心愿。",
        "sign_up_link": "注册成为认领方",
        "caring_unit": "爱心单位",
        "name": "单位名称或您的姓名",
        "unit_category": "单位类别",
        "enterprise": "企业",
        "region": "街镇",
        "contact": "联系人",
        "phone": "电话",
        "email": "电子邮箱",
        "username": "用户名",
        "password": "密码",
        "password_again": "再次输入密码",
        "sign_up": "注册",
        "signed_up": "感谢您的注册！您的账号已开通。",
        "pending": "您的账号正在等待审核。",
        "admin_log_in": "登录",
        "admin_index": "项目管理",
        "sponsors_admin": "认领方",
        "verify_action": "审核通过所选认领方",
        "run": "运行",
        "verified_message": "已审核通过，可以认领心愿。",
        "claim_button": "认领这个心愿",
        "claim_heading": "认领心愿",
        "promised_on": "承诺送达日期",
        "confirm": "确认认领",
        "claimed_message": "谢谢您！您已认领心愿",
        "verified_notice": "您已通过审核，可以认领待认领的心愿。",
        "my_claims": "我的认领",
        "active": "有效",
        "go_on": "继续认领您注册时选中的心愿",
        "next_heading": "接下来怎么做",
    },
    "en": {
        "wishes_heading": "Waiting wishes",
        "wish_heading": "The wish of 小林同学",
        "log_in_or_sign_up": "Log in or sign up as a sponsor to claim this wish.",
        "sign_up_link": "Sign up as a sponsor",
        "caring_unit": "Caring unit",
        "name": "Name of the unit, or your full name",
        "unit_category": "Unit category",
        "enterprise": "Enterprise",
        "region": "Region",
        "contact": "Contact person",
        "phone": "Phone",
        "email": "E-mail",
        "username": "Username",
        "password": "Password",
        "password_again": "Password again",
        "sign_up": "Sign up",
        "signed_up": "Thank you for signing up! Your account is ready.",
        "pending": "Your account is pending verification.",
        "admin_log_in": "Log in",
        "admin_index": "Programme administration",
        "sponsors_admin": "Sponsors",
        "verify_action": "Verify the selected sponsors",
        "run": "Run",
        "verified_message": "is verified and may claim wishes.",
        "claim_button": "Claim this wish",
        "claim_heading": "Claim wish",
        "promised_on": "Promised delivery date",
        "confirm": "Confirm the claim",
        "claimed_message": "Thank you! You have claimed wish",
        "verified_notice": "You are verified and can claim waiting wishes.",
        "my_claims": "My claims",
        "active": "Active",
        "go_on": "Go on to the wish you chose when you signed up",
        "next_heading": "What happens next",
    },
}

UNIT_NAME = "上海新国际博览中心"


def field(page: Page, label: str):
    """The form control whose label is `label`; crispy-forms adds "*" to required ones."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))


@pytest.fixture
def wishes():
    """Two waiting wishes: the one the stranger claims, and one that stays in the list."""
    chosen = WishFactory(open=True, child__alias="小林同学", public_text="想要一架天文望远镜")
    other = WishFactory(open=True, child__alias="小赵同学", public_text="想要一套水彩颜料")
    return chosen, other


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_stranger_signs_up_is_verified_by_staff_and_claims_a_wish(
    language,
    live_server,
    page: Page,
    browser: Browser,
    browser_context_args,
    screenshot,
    wishes,
    staff,
):
    text = TEXTS[language]
    # Fail within seconds, not Playwright's default half-minute, when something is missing.
    page.set_default_timeout(10_000)
    short = language.split("-")[0]
    chosen, other = wishes
    RegionFactory(name="花木街道")
    promised_on = timezone.localdate() + datetime.timedelta(days=14)

    def shot(number: int, name: str, target: Page = page) -> None:
        if target is page:
            # Nothing on the public site may be wider than the phone (no sideways scrolling).
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(f"claim-flow-{short}-{number:02d}-{name}", target)

    # A stranger opens the waiting wishes; the English run switches language in the navbar.
    page.goto(live_server.url + "/wishes/")
    if language == "en":
        page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_role("heading", level=1)).to_have_text(text["wishes_heading"])
    expect(page.get_by_text(chosen.code, exact=True)).to_be_visible()
    expect(page.get_by_text(other.code, exact=True)).to_be_visible()
    shot(1, "wishes")

    page.get_by_role("link", name="小林同学").click()
    expect(page).to_have_url(re.compile(rf"/wishes/{chosen.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(text["wish_heading"])
    expect(page.get_by_text("想要一架天文望远镜")).to_be_visible()
    expect(page.get_by_text(text["log_in_or_sign_up"])).to_be_visible()
    shot(2, "wish")

    # Sign up as a caring unit.
    page.get_by_role("main").get_by_role("link", name=text["sign_up_link"]).click()
    # The sign-up keeps the wish the stranger was looking at.
    expect(page).to_have_url(re.compile(rf"/sponsors/register/\?next=/wishes/{chosen.pk}/claim/$"))
    page.get_by_role("radio", name=text["caring_unit"]).check()
    field(page, text["name"]).fill(UNIT_NAME)
    field(page, text["unit_category"]).select_option(label=text["enterprise"])
    field(page, text["region"]).select_option(label="花木街道")
    field(page, text["contact"]).fill("王老师")
    field(page, text["phone"]).fill("021 5888 1234")
    field(page, text["email"]).fill("expo@example.org")
    field(page, text["username"]).fill(f"expo_{short}")
    field(page, text["password"]).fill("Hua-mu-2026-expo")
    field(page, text["password_again"]).fill("Hua-mu-2026-expo")
    shot(3, "register")
    page.get_by_role("button", name=text["sign_up"], exact=True).click()

    # Logged in straight away, and told that verification is pending.
    expect(page).to_have_url(re.compile(r"/sponsor/$"))
    expect(page.get_by_role("alert")).to_have_text(text["signed_up"])
    expect(page.get_by_text(text["pending"])).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(UNIT_NAME)
    shot(4, "dashboard-pending")

    # Staff verify the new unit in the back office, in a browser context of their own.
    staff_context = browser.new_context(**browser_context_args)
    staff_context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    staff_context.set_default_timeout(10_000)
    admin = staff_context.new_page()
    try:
        admin.goto(live_server.url + "/admin/")
        admin.locator("#id_username").fill(staff.username)
        admin.locator("#id_password").fill(PASSWORD)
        admin.get_by_role("button", name=text["admin_log_in"]).click()
        expect(admin.get_by_role("heading", level=1)).to_have_text(text["admin_index"])
        admin.get_by_role("rowheader", name=text["sponsors_admin"], exact=True).get_by_role(
            "link"
        ).click()
        expect(admin).to_have_url(re.compile(r"/admin/sponsors/sponsor/$"))
        row = admin.locator("#result_list tr", has_text=UNIT_NAME)
        row.get_by_role("checkbox").check()
        admin.locator("select[name=action]").select_option(label=text["verify_action"])
        shot(5, "admin-sponsors", admin)
        admin.get_by_role("button", name=text["run"], exact=True).click()
        expect(admin.locator(".messagelist")).to_contain_text(
            f"{UNIT_NAME}{'' if short == 'zh' else ' '}{text['verified_message']}"
        )
        shot(6, "admin-verified", admin)
    finally:
        staff_context.close()

    # Back on the phone: the sponsor is now verified and goes on to the wish it chose.
    page.reload()
    expect(page.get_by_text(text["verified_notice"])).to_be_visible()
    page.get_by_role("link", name=text["go_on"]).click()
    expect(page).to_have_url(re.compile(rf"/wishes/{chosen.pk}/claim/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{text['claim_heading']} {chosen.code}"
    )
    field(page, text["promised_on"]).fill(promised_on.isoformat())
    shot(7, "claim-confirm")
    page.get_by_role("button", name=text["confirm"]).click()

    # The claim's page says what happens next.
    expect(page).to_have_url(re.compile(r"/sponsor/claims/\d+/$"))
    expect(page.get_by_role("alert")).to_contain_text(f"{text['claimed_message']} {chosen.code}")
    expect(page.get_by_role("heading", name=text["next_heading"])).to_be_visible()
    expect(page.get_by_text(promised_on.isoformat()).first).to_be_visible()
    shot(8, "claim-next-steps")
    page.get_by_role("link", name=text["my_claims"]).first.click()
    expect(page).to_have_url(re.compile(r"/sponsor/$"))
    claims = page.get_by_role("region", name=text["my_claims"])
    expect(claims.get_by_text(chosen.code)).to_be_visible()
    expect(claims.get_by_text(text["active"], exact=True)).to_be_visible()
    expect(claims.get_by_text(promised_on.isoformat())).to_be_visible()
    shot(9, "dashboard-claimed")

    # The claimed wish has left the public list; the other one is still waiting.
    page.goto(live_server.url + "/wishes/")
    expect(page.get_by_text(other.code, exact=True)).to_be_visible()
    expect(page.get_by_text(chosen.code, exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="小林同学")).to_have_count(0)
    shot(10, "wishes-after")

    sponsor = Sponsor.objects.get(name=UNIT_NAME)
    assert sponsor.kind == SponsorKind.UNIT
    assert sponsor.unit_category == UnitCategory.ENTERPRISE
    assert sponsor.phone == "021-58881234"
    assert sponsor.language == language
    assert sponsor.status == VerificationStatus.VERIFIED
    assert sponsor.decided_by == staff
    claim = Claim.objects.get(sponsor=sponsor)
    assert claim.status == ClaimStatus.ACTIVE
    assert claim.wish_id == chosen.pk
    assert claim.promised_on == promised_on
    assert claim.claimed_by.username == f"expo_{short}"
    chosen.refresh_from_db()
    other.refresh_from_db()
    assert chosen.status == WishStatus.CLAIMED
    assert other.status == WishStatus.OPEN
