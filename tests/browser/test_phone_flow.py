"""The phone story inside WeChat: scan a wish card, sign up by phone, verified, claim.

A phone screen (390×844) with WeChat's in-app browser's user agent. The text-message codes
are read from the locmem SMS outbox: the live server runs in this process. Every page is
saved under test-artifacts/phone-flow-NN-<page>.png.
"""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from huamu import sms
from sponsors.models import PhoneCode, Sponsor, SponsorKind, VerificationStatus
from sponsors.services import verify_sponsor
from tests.factories import WishFactory
from wishes.models import Claim, ClaimStatus, WishStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WECHAT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.50(0x1800322c) NetType/WIFI "
    "Language/zh_CN"
)
MOBILE = "13912345678"
NAME = "陈爱心"


def field(page: Page, label: str):
    """The form control whose label is `label`; crispy-forms adds "*" to required ones."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))


def enter_code_from_text_message(page: Page) -> None:
    """Type the code of the newest text message to MOBILE, as the person reads it."""
    message = [m for m in sms.outbox if m.phone == MOBILE][-1]
    assert message.text.startswith("【花木圆梦】")
    code = re.search(r"\d{6}", message.text).group()
    field(page, "短信验证码").fill(code)
    page.get_by_role("button", name="继续").click()


def test_a_wechat_visitor_signs_up_by_phone_is_verified_and_claims(
    live_server, browser: Browser, browser_context_args, screenshot, staff
):
    wish = WishFactory(open=True, child__alias="小林同学", public_text="想要一架天文望远镜")
    promised_on = timezone.localdate() + datetime.timedelta(days=14)
    context_args = {**browser_context_args, "user_agent": WECHAT}
    number = 0

    def shot(page: Page, name: str) -> None:
        nonlocal number
        number += 1
        # Nothing is wider than the phone (no sideways scrolling inside WeChat).
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(f"phone-flow-{number:02d}-{name}", page)

    # The wish card's QR code opens the wish's page inside WeChat.
    first_visit = browser.new_context(**context_args)
    first_visit.set_default_timeout(10_000)
    page = first_visit.new_page()
    try:
        page.goto(f"{live_server.url}/wishes/{wish.pk}/")
        assert page.evaluate("navigator.userAgent").endswith("Language/zh_CN")
        expect(page.get_by_role("heading", level=1)).to_have_text("小林同学的心愿")
        shot(page, "wish")
        page.get_by_role("main").get_by_role("link", name="注册成为认领方").click()
        expect(page).to_have_url(
            re.compile(rf"/sponsors/register/\?next=/wishes/{wish.pk}/claim/$")
        )
        page.get_by_role("link", name="改用手机号注册").click()

        # The number, then the code from the text message.
        expect(page).to_have_url(re.compile(r"/accounts/phone/\?next="))
        field(page, "手机号码").fill("139 1234 5678")
        shot(page, "phone")
        page.get_by_role("button", name="获取验证码").click()
        expect(page).to_have_url(re.compile(r"/accounts/phone/code/$"))
        expect(page.get_by_text("139****5678")).to_be_visible()
        shot(page, "code")
        enter_code_from_text_message(page)

        # No account yet: the sign-up asks for no username, password or e-mail.
        expect(page).to_have_url(re.compile(r"/sponsors/register/phone/\?next="))
        expect(page.get_by_label("用户名")).to_have_count(0)
        expect(page.get_by_label("密码")).to_have_count(0)
        page.get_by_role("radio", name="爱心人士").check()
        field(page, "单位名称或您的姓名").fill(NAME)
        field(page, "联系人").fill(NAME)
        shot(page, "sign-up")
        page.get_by_role("button", name="注册", exact=True).click()
        expect(page).to_have_url(re.compile(r"/sponsor/$"))
        expect(page.get_by_text("您的账号正在等待审核。")).to_be_visible()
        shot(page, "pending")
    finally:
        first_visit.close()

    sponsor = Sponsor.objects.get(name=NAME)
    assert sponsor.kind == SponsorKind.INDIVIDUAL
    assert sponsor.return_to == f"/wishes/{wish.pk}/claim/"
    verify_sponsor(sponsor_id=sponsor.pk, by=staff)
    # The next day: yesterday's code no longer holds back a new one.
    for row in PhoneCode.objects.filter(phone=MOBILE):
        row.created_at -= datetime.timedelta(days=1)
        row.expires_at -= datetime.timedelta(days=1)
        row.save()

    # Back from the verification message's link to the wish, on another visit.
    later = browser.new_context(**context_args)
    later.set_default_timeout(10_000)
    page = later.new_page()
    try:
        page.goto(f"{live_server.url}{sponsor.return_to}")
        expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
        page.get_by_role("link", name="用手机验证码登录").click()
        field(page, "手机号码").fill(MOBILE)
        page.get_by_role("button", name="获取验证码").click()
        enter_code_from_text_message(page)

        # Logged in, straight on the claim page of the wish that was scanned.
        expect(page).to_have_url(re.compile(rf"/wishes/{wish.pk}/claim/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text(f"认领心愿 {wish.code}")
        field(page, "承诺送达日期").fill(promised_on.isoformat())
        shot(page, "claim")
        page.get_by_role("button", name="确认认领").click()
        expect(page).to_have_url(re.compile(r"/sponsor/claims/\d+/$"))
        expect(page.get_by_role("alert")).to_contain_text(f"谢谢您！您已认领心愿 {wish.code}")
        shot(page, "claimed")
    finally:
        later.close()

    sponsor.refresh_from_db()
    assert sponsor.status == VerificationStatus.VERIFIED
    claim = Claim.objects.get(sponsor=sponsor)
    assert claim.status == ClaimStatus.ACTIVE and claim.promised_on == promised_on
    assert claim.claimed_by.verified_phone.phone == MOBILE
    wish.refresh_from_db()
    assert wish.status == WishStatus.CLAIMED
    assert len([m for m in sms.outbox if m.template == "login_code"]) == 2
