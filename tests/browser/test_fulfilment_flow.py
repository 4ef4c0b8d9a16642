"""Issue 4 on a phone: the school records a fulfilment, staff approve the letter, the sponsor
sees photo and letter, and the public event page shows neither.

Chinese only (the default); every page is saved under test-artifacts/fulfil-flow-NN-<page>.png.
"""

import io
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.factories import PASSWORD, CampaignFactory, EventFactory, WishFactory
from tests.image_corpus import camera_exif, two_halves
from wishes.models import (
    AccessAction,
    AccessLog,
    Claim,
    ClaimStatus,
    Event,
    FulfilmentPhoto,
    LetterStatus,
    ThankYouLetter,
    Wish,
    WishStatus,
)
from wishes.services import claim_wish

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What the users read (and the labels they fill in), as the zh_Hans catalogue translates it.
TEXT = {
    "log_in": "登录",
    "username": "用户名",
    "password": "密码",
    "events_heading": "本校的圆梦活动",
    "record_at_event": "录入本场活动送达的心愿",
    "record_heading": "录入已送达的心愿",
    "photos_optional": "照片（选填）",
    "at_event": "圆梦活动",
    "record_button": "将所勾选的心愿录入为已送达",
    "recorded": "已将 2 个心愿录入为已圆梦，认领方将收到电子邮件通知。",
    "letter_link": "感谢信",
    "scan": "感谢信扫描件或照片",
    "letter_text": "信件文字",
    "upload_letter": "上传感谢信",
    "letter_uploaded": "谢谢！感谢信经工作人员审核通过后，将转交给认领方。",
    "waiting_for_approval": "待审核",
    "admin_index": "项目管理",
    "letters_admin": "感谢信",
    "approve_action": "审核通过所选感谢信并转交认领方",
    "run": "运行",
    "approved": "{code}的感谢信已审核通过，系统将通过电子邮件通知认领方。",
    "my_claims": "我的认领",
    "fulfilled": "已圆梦",
    "active": "有效",
    "shared_photos": "与您分享的照片",
    "photo_alt": "圆梦当天的照片 1",
    "letter_delivered": "感谢信已转交",
    "letter_alt": "感谢信（认领方副本）",
    "wishes_fulfilled": "已圆梦心愿",
}

TRANSCRIPTION = "亲爱的叔叔阿姨：谢谢你们送给我的天文望远镜！我会好好学习。"


def field(page: Page, label: str):
    """The form control whose label is `label`; crispy-forms adds "*" to required ones."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))


def write_camera_jpeg(path: Path, width: int, height: int) -> Path:
    """A phone photo on disk: EXIF with make, model and a GPS position in Huamu."""
    out = io.BytesIO()
    two_halves(width, height).save(out, "JPEG", quality=85, exif=camera_exif(orientation=1))
    path.write_bytes(out.getvalue())
    # The upload really carries the GPS position the server must drop.
    assert Image.open(path).getexif().get_ifd(0x8825)
    return path


@dataclass
class Story:
    event: Event
    # The two claims handed over at the event, and the one whose child was absent.
    photographed: Claim
    other_handed_over: Claim
    absent: Claim


@pytest.fixture
def story(school, coordinator, sponsor) -> Story:
    """An event today at the coordinator's school and three of its wishes claimed by a unit."""
    campaign = CampaignFactory()
    event = EventFactory(
        school=school, campaign=campaign, title="花木中心小学圆梦专场", venue="学校会议室"
    )
    unit = sponsor.sponsor_member.sponsor
    claims = []
    for real_name, alias, text in [
        ("李小华", "小李同学", "想要一架天文望远镜"),
        ("王小明", "小王同学", "想要一套科普书"),
        ("陈小红", "小陈同学", "想要一双运动鞋"),
    ]:
        # Published wishes come with the guardian's consent: photos shared with the sponsor,
        # not published.
        wish = WishFactory(
            open=True,
            campaign=campaign,
            child__school=school,
            child__real_name=real_name,
            child__alias=alias,
            public_text=text,
            child_words=f"我{text}",
        )
        claims.append(claim_wish(wish_id=wish.pk, sponsor=unit, by=sponsor))
    return Story(event, *claims)


def new_phone_context(browser: Browser, browser_context_args: dict) -> BrowserContext:
    context = browser.new_context(**browser_context_args)
    context.set_default_timeout(10_000)
    return context


def log_in(page: Page, base_url: str, user: AbstractBaseUser) -> None:
    page.goto(base_url + "/accounts/login/")
    field(page, TEXT["username"]).fill(user.username)
    field(page, TEXT["password"]).fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name=TEXT["log_in"]).click()
    # Each role lands on its own work: the coordinator on the school, a sponsor on its claims.
    expect(page).to_have_url(re.compile(rf"^{re.escape(base_url)}/(school|sponsor)/$"))


def image_loaded(page: Page, image) -> None:
    """Wait until the (lazy) image has been fetched and decoded with real pixels."""
    image.scroll_into_view_if_needed()
    handle = image.element_handle()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=handle)


def test_school_records_fulfilment_staff_approve_letter_and_sponsor_sees_photo_and_letter(
    live_server,
    page: Page,
    browser: Browser,
    browser_context_args,
    screenshot,
    tmp_path,
    story: Story,
    coordinator,
    staff,
    sponsor,
):
    base = live_server.url
    page.set_default_timeout(10_000)
    event = story.event
    photographed = story.photographed
    photo_file = write_camera_jpeg(tmp_path / "IMG_20261205_101500.jpg", 800, 600)
    scan_file = write_camera_jpeg(tmp_path / "letter_scan.jpg", 600, 800)

    def shot(number: int, name: str, target: Page) -> None:
        # Nothing may be wider than the phone (no sideways scrolling).
        assert target.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(f"fulfil-flow-{number:02d}-{name}", target)

    # 1. The coordinator opens the school page and the roster of the event held today.
    log_in(page, base, coordinator)
    page.goto(base + "/school/")
    expect(page.get_by_role("heading", level=1)).to_have_text("花木中心小学")
    events = page.locator("#events")
    expect(events.get_by_role("heading", level=2)).to_have_text(TEXT["events_heading"])
    expect(events.get_by_text(event.title)).to_be_visible()
    shot(1, "school", page)
    events.get_by_role("link", name=TEXT["record_at_event"]).click()
    expect(page).to_have_url(re.compile(rf"/school/fulfil/\?school=\d+&event={event.pk}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(TEXT["record_heading"])

    # Two children got their gift; the third was absent. One photo goes with the first.
    page.get_by_role("checkbox", name=re.compile("李小华")).check()
    page.get_by_role("checkbox", name=re.compile("王小明")).check()
    expect(page.get_by_role("checkbox", name=re.compile("陈小红"))).not_to_be_checked()
    page.locator(f"#row-{photographed.pk}").get_by_label(TEXT["photos_optional"]).set_input_files(
        photo_file
    )
    field(page, TEXT["at_event"]).select_option(label=str(event))
    shot(2, "roster", page)
    page.get_by_role("button", name=TEXT["record_button"]).click()
    expect(page).to_have_url(re.compile(r"/school/\?school=\d+$"))
    expect(page.get_by_role("alert")).to_have_text(TEXT["recorded"])
    shot(3, "recorded", page)

    # The letter of the photographed child: a scan and its transcription.
    fulfilment = photographed.fulfilment
    # The overview opens on what is still to hand over; the fulfilled wishes are a tab away.
    page.locator('#wishes a[href*="show=fulfilled"]').click()
    page.locator("#status-fulfilled li", has_text="李小华").get_by_role(
        "link", name=TEXT["letter_link"], exact=True
    ).click()
    expect(page).to_have_url(re.compile(rf"/school/fulfilments/{fulfilment.pk}/letter/$"))
    field(page, TEXT["scan"]).set_input_files(scan_file)
    field(page, TEXT["letter_text"]).fill(TRANSCRIPTION)
    shot(4, "letter-form", page)
    page.get_by_role("button", name=TEXT["upload_letter"]).click()
    expect(page.get_by_role("alert")).to_have_text(TEXT["letter_uploaded"])
    expect(page.get_by_text(TEXT["waiting_for_approval"], exact=True)).to_be_visible()
    shot(5, "letter-uploaded", page)

    # 2. Staff approve the letter in the back office, in a browser context of their own.
    staff_context = new_phone_context(browser, browser_context_args)
    try:
        admin = staff_context.new_page()
        admin.goto(base + "/admin/")
        admin.locator("#id_username").fill(staff.username)
        admin.locator("#id_password").fill(PASSWORD)
        admin.get_by_role("button", name=TEXT["log_in"]).click()
        expect(admin.get_by_role("heading", level=1)).to_have_text(TEXT["admin_index"])
        admin.get_by_role("rowheader", name=TEXT["letters_admin"], exact=True).get_by_role(
            "link"
        ).click()
        expect(admin).to_have_url(re.compile(r"/admin/wishes/thankyouletter/$"))
        code = photographed.wish.code
        admin.locator("#result_list tbody tr", has_text=code).get_by_role("checkbox").check()
        admin.locator("select[name=action]").select_option(label=TEXT["approve_action"])
        shot(6, "admin-letters", admin)
        admin.get_by_role("button", name=TEXT["run"], exact=True).click()
        expect(admin.locator(".messagelist")).to_contain_text(TEXT["approved"].format(code=code))
        shot(7, "admin-approved", admin)
    finally:
        staff_context.close()

    # 3. The sponsor sees both fulfilled wishes, the shared photo and the delivered letter.
    photo = FulfilmentPhoto.objects.get()
    letter = ThankYouLetter.objects.get()
    sponsor_context = new_phone_context(browser, browser_context_args)
    try:
        mine = sponsor_context.new_page()
        log_in(mine, base, sponsor)
        mine.goto(base + "/sponsor/")
        claims = mine.get_by_role("region", name=TEXT["my_claims"])
        for claim, status in [
            (photographed, TEXT["fulfilled"]),
            (story.other_handed_over, TEXT["fulfilled"]),
            (story.absent, TEXT["active"]),
        ]:
            card = claims.locator("article", has_text=claim.wish.code)
            expect(card.get_by_text(status, exact=True)).to_be_visible()
        card = claims.locator("article", has_text=photographed.wish.code)
        thumbnail = card.get_by_role("list", name=TEXT["shared_photos"]).get_by_role(
            "img", name=TEXT["photo_alt"]
        )
        expect(thumbnail).to_have_attribute("src", f"/files/photos/{photo.pk}/thumbnail/")
        image_loaded(mine, thumbnail)
        expect(card.get_by_text(TEXT["letter_delivered"])).to_be_visible()
        expect(card.get_by_text(TRANSCRIPTION)).to_be_visible()
        preview = card.get_by_role("img", name=TEXT["letter_alt"])
        preview_url = f"/files/letters/{letter.pk}/preview/"
        expect(preview).to_have_attribute("src", preview_url)
        image_loaded(mine, preview)
        # The other fulfilled wish has no photo and no letter of its own.
        other = claims.locator("article", has_text=story.other_handed_over.wish.code)
        expect(other.get_by_role("img")).to_have_count(0)
        shot(8, "sponsor-dashboard", mine)

        response = sponsor_context.request.get(base + preview_url)
        assert response.status == 200
        assert response.headers["content-type"] == "image/jpeg"
        assert response.headers["cache-control"] == "private, no-store"
        assert Image.open(io.BytesIO(response.body())).format == "JPEG"
    finally:
        sponsor_context.close()

    # 4. What the database holds afterwards.
    statuses = {c.pk: c.status for c in Claim.objects.all()}
    assert statuses == {
        photographed.pk: ClaimStatus.FULFILLED,
        story.other_handed_over.pk: ClaimStatus.FULFILLED,
        story.absent.pk: ClaimStatus.ACTIVE,
    }
    assert Wish.objects.get(pk=story.absent.wish_id).status == WishStatus.CLAIMED
    for claim in (photographed, story.other_handed_over):
        claim.refresh_from_db()
        assert claim.fulfilment.event == event
        assert claim.fulfilment.recorded_by == coordinator
        assert claim.wish.status == WishStatus.FULFILLED

    assert photo.fulfilment.claim_id == photographed.pk
    assert not photo.is_public
    for stored in (photo.image, photo.thumbnail):
        with stored.open("rb") as handle, Image.open(handle) as image:
            assert image.format == "JPEG"
            assert not image.getexif()
            assert "exif" not in image.info
    assert (photo.width, photo.height) == (800, 600)

    letter.refresh_from_db()
    assert letter.fulfilment.claim_id == photographed.pk
    assert letter.status == LetterStatus.APPROVED
    assert letter.reviewed_by == staff
    assert letter.transcription == TRANSCRIPTION
    assert letter.preview
    with letter.preview.open("rb") as handle, Image.open(handle) as image:
        assert image.format == "JPEG"
        assert image.width > 0

    # Every look of the sponsor at the photo and the letter is in the access log.
    sponsor_views = AccessLog.objects.filter(user=sponsor)
    assert sponsor_views.filter(
        action=AccessAction.VIEW_PHOTO,
        content_type=ContentType.objects.get_for_model(FulfilmentPhoto),
        object_id=photo.pk,
    ).exists()
    assert sponsor_views.filter(
        action=AccessAction.VIEW_LETTER,
        content_type=ContentType.objects.get_for_model(ThankYouLetter),
        object_id=letter.pk,
    ).exists()

    # 5. The public event page counts the two wishes but shows no photo: none is cleared.
    public_context = new_phone_context(browser, browser_context_args)
    try:
        public = public_context.new_page()
        public.goto(base + f"/events/{event.pk}/")
        expect(public.get_by_role("heading", level=1)).to_have_text(event.title)
        fulfilled = public.locator("dt", has_text=TEXT["wishes_fulfilled"]).locator("+ dd")
        expect(fulfilled).to_have_text("2")
        expect(public.locator("img[src*='/files/photos/']")).to_have_count(0)
        shot(9, "public-event", public)
        # Nor can a stranger guess the photo's address.
        thumbnail_url = base + f"/files/photos/{photo.pk}/thumbnail/"
        assert public_context.request.get(thumbnail_url).status == 404
    finally:
        public_context.close()
    # The stranger's refused request left no trace under anyone's name.
    assert not AccessLog.objects.filter(user__isnull=True).exists()
