"""The campaign workbook: its rows, its neutralised cells, its privacy and who may download it."""

import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import constants, get_messages
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from sponsors.models import SponsorKind
from tests.factories import (
    CampaignFactory,
    ChildFactory,
    ClaimFactory,
    EventFactory,
    FulfilmentFactory,
    SchoolFactory,
    SponsorFactory,
    UserFactory,
    WishFactory,
)
from wishes.models import (
    Campaign,
    ClaimChannel,
    ClaimStatus,
    LetterStatus,
    ThankYouLetter,
)
from wishes.reports.exports import XLSX_CONTENT_TYPE, campaign_workbook, neutralise

CHANGELIST = "admin:wishes_campaign_changelist"
SHEETS = ["Wishes", "Claims", "Fulfilments", "Sponsors' contribution"]


def run_export(client, *campaigns, language: str | None = "en"):
    """Choose "export" for `campaigns` on the campaign list, as the Run button does."""
    data = {
        "action": "export_campaign",
        "index": "0",
        "select_across": "0",
        "_selected_action": [str(c.pk) for c in campaigns],
    }
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    return client.post(reverse(CHANGELIST), data, **headers)


def workbook_of(response):
    assert response.status_code == 200, response
    return load_workbook(io.BytesIO(response.content))


def rows(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]


def by_header(sheet) -> list[dict]:
    headers = [cell.value for cell in sheet[1]]
    return [dict(zip(headers, row, strict=True)) for row in rows(sheet)]


def as_date(value) -> datetime.date | None:
    # openpyxl reads date cells back as datetimes at midnight.
    return value.date() if isinstance(value, datetime.datetime) else value


@pytest.fixture
def campaign(db) -> Campaign:
    return CampaignFactory(year=2026)


@pytest.fixture
def known(campaign, staff) -> dict:
    """A small campaign: one open wish with a cancelled claim, one claimed, one fulfilled."""
    school = SchoolFactory(name="花木中心小学")
    museum = SponsorFactory(verified=True, name="上海科技馆")
    individual = SponsorFactory(verified=True, individual=True, name="陈爱心")
    child = ChildFactory(
        real_name="王小明",
        alias="小王同学",
        guardian_name="王大力",
        school=school,
        grade=3,
        address="花木路88弄2号",
    )
    open_wish = WishFactory(
        open=True,
        child=child,
        campaign=campaign,
        child_words="我叫王小明，我想要一个足球",
        public_text="想要一个足球",
        estimated_value=Decimal("150.00"),
    )
    cancelled = ClaimFactory(
        wish=open_wish,
        sponsor=individual,
        status=ClaimStatus.CANCELLED,
        cancel_reason="王小明的家长说已经买了",
    )
    claimed = ClaimFactory(
        wish__campaign=campaign,
        wish__child__alias="小李同学",
        wish__child__school=school,
        sponsor=museum,
        promised_on=datetime.date(2026, 12, 5),
    )
    event = EventFactory(title="圆梦专场", date=datetime.date(2026, 6, 1), campaign=campaign)
    fulfilment = FulfilmentFactory(
        claim__wish__campaign=campaign,
        claim__wish__child__alias="小张同学",
        claim__wish__estimated_value=Decimal("99.50"),
        claim__sponsor=museum,
        fulfilled_on=datetime.date(2026, 6, 1),
        event=event,
    )
    ThankYouLetter.objects.create(
        fulfilment=fulfilment, transcription="谢谢", status=LetterStatus.APPROVED
    )
    return {
        "child": child,
        "open_wish": open_wish,
        "cancelled": cancelled,
        "claimed": claimed,
        "fulfilment": fulfilment,
        "museum": museum,
        "individual": individual,
    }


# --- contents ---------------------------------------------------------------------------------


def test_export_downloads_one_workbook_with_four_sheets(client_for, campaign, known):
    response = run_export(client_for("staff"), campaign)

    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert response["Content-Disposition"].startswith('attachment; filename="huamu-campaign-2026')
    assert "no-store" in response["Cache-Control"]
    assert workbook_of(response).sheetnames == SHEETS


def test_wishes_sheet_lists_each_wish_with_its_dates(client_for, campaign, known):
    sheet = workbook_of(run_export(client_for("staff"), campaign))["Wishes"]

    wishes = {row["Wish code"]: row for row in by_header(sheet)}
    assert len(wishes) == 3
    open_row = wishes[known["open_wish"].code]
    assert open_row["Public alias"] == "小王同学"
    assert open_row["School"] == "花木中心小学"
    assert open_row["Grade"] == 3
    assert open_row["Category"] == "Books"
    assert open_row["Public text"] == "想要一个足球"
    assert open_row["Estimated value (yuan)"] == 150
    assert open_row["Status"] == "Waiting to be claimed"
    assert as_date(open_row["Published on"]) == timezone.localdate()
    # Its only claim was cancelled: the wish is not claimed.
    assert open_row["Claimed on"] is None
    fulfilled_row = wishes[known["fulfilment"].claim.wish.code]
    assert fulfilled_row["Status"] == "Fulfilled"
    assert fulfilled_row["Estimated value (yuan)"] == 99.5
    assert as_date(fulfilled_row["Claimed on"]) == timezone.localdate()
    assert as_date(fulfilled_row["Fulfilled on"]) == datetime.date(2026, 6, 1)


def test_claims_sheet_lists_every_claim_also_cancelled_ones(client_for, campaign, known):
    sheet = workbook_of(run_export(client_for("staff"), campaign))["Claims"]

    claims = by_header(sheet)
    assert len(claims) == 3
    claimed = next(c for c in claims if c["Wish code"] == known["claimed"].wish.code)
    assert claimed["Sponsor"] == "上海科技馆"
    assert claimed["Kind"] == "Caring unit"
    assert claimed["Channel"] == "Online"
    assert claimed["Status"] == "Active"
    assert as_date(claimed["Promised delivery date"]) == datetime.date(2026, 12, 5)
    assert isinstance(claimed["Claimed at"], datetime.datetime)
    cancelled = next(c for c in claims if c["Status"] == "Cancelled")
    assert cancelled["Sponsor"] == "陈爱心"
    assert cancelled["Kind"] == "Caring individual"
    # The reason stays readable, the child's name does not leave the back office.
    assert cancelled["Reason for cancellation"] == "小王同学的家长说已经买了"


def test_city_platform_claims_keep_their_reference_and_claimant(client_for, campaign, known):
    ClaimFactory(
        wish__campaign=campaign,
        channel=ClaimChannel.CITY_PLATFORM,
        external_ref="SH-2026-0042",
        claimant_name="北蔡镇新时代文明实践分中心",
    )

    sheet = workbook_of(run_export(client_for("staff"), campaign))["Claims"]

    platform = next(c for c in by_header(sheet) if c["Channel"] != "Online")
    assert platform["Channel"] == "City civilisation practice platform"
    assert platform["External reference"] == "SH-2026-0042"
    assert platform["Claimant on the platform"] == "北蔡镇新时代文明实践分中心"


def test_fulfilments_sheet_shows_event_sponsor_and_letter(client_for, campaign, known):
    later = FulfilmentFactory(
        claim__wish__campaign=campaign, fulfilled_on=datetime.date(2026, 7, 1)
    )

    sheet = workbook_of(run_export(client_for("staff"), campaign))["Fulfilments"]

    assert [[row[0], as_date(row[1]), *row[2:]] for row in rows(sheet)] == [
        [
            known["fulfilment"].claim.wish.code,
            datetime.date(2026, 6, 1),
            "2026-06-01 圆梦专场",
            "上海科技馆",
            "Delivered",
        ],
        [
            later.claim.wish.code,
            datetime.date(2026, 7, 1),
            None,
            later.claim.sponsor.name,
            "No letter yet",
        ],
    ]


def test_contribution_counts_standing_claims_and_fulfilled_value(client_for, campaign, known):
    # A claim of the museum in another campaign counts elsewhere.
    ClaimFactory(sponsor=known["museum"], wish__campaign=CampaignFactory(year=2025))

    sheet = workbook_of(run_export(client_for("staff"), campaign))["Sponsors' contribution"]

    # The individual's only claim was cancelled: it contributed nothing this campaign.
    assert rows(sheet) == [
        ["上海科技馆", "Caring unit", "Enterprise", known["museum"].region.name, 2, 1, 99.5],
    ]


def test_other_campaigns_stay_out_of_the_workbook(client_for, campaign, known):
    other = WishFactory(open=True, campaign=CampaignFactory(year=2025))

    workbook = workbook_of(run_export(client_for("staff"), campaign))

    codes = {row[0] for name in ("Wishes", "Claims") for row in rows(workbook[name])}
    assert other.code not in codes
    assert known["open_wish"].code in codes


def test_an_empty_campaign_gives_headers_only(client_for, campaign):
    workbook = workbook_of(run_export(client_for("staff"), campaign))

    assert [workbook[name].max_row for name in SHEETS] == [1, 1, 1, 1]


# --- shape ------------------------------------------------------------------------------------


def test_headers_are_chinese_by_default_frozen_and_sized(client_for, campaign, known):
    workbook = workbook_of(run_export(client_for("staff"), campaign, language=None))

    wishes = workbook.worksheets[0]
    assert wishes.title == "心愿"
    assert [cell.value for cell in wishes[1]][:3] == ["心愿编号", "公开化名", "学校"]
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.bold for cell in sheet[1])
        widths = [sheet.column_dimensions[cell.column_letter].width for cell in sheet[1]]
        assert all(8 <= width <= 62 for width in widths), widths


def test_workbook_queries_do_not_grow_with_the_campaign(
    campaign, known, django_assert_num_queries
):
    for _ in range(3):
        ClaimFactory(wish__campaign=campaign, status=ClaimStatus.CANCELLED, cancel_reason="改期")
        FulfilmentFactory(claim__wish__campaign=campaign)

    # wishes; claims; children of the cancellation reasons; fulfilments; sponsors.
    with django_assert_num_queries(5):
        campaign_workbook(campaign)


# --- neutralised cells ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+86 cmd", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1", '=HYPERLINK("http://x")'],
)
def test_text_that_looks_like_a_formula_is_neutralised(text, client_for, campaign, staff):
    wish = WishFactory(open=True, campaign=campaign, public_text=f"{text}想要书")
    ClaimFactory(
        wish__campaign=campaign,
        sponsor=SponsorFactory(verified=True, name=text),
        claimant_name=text,
    )

    workbook = workbook_of(run_export(client_for("staff"), campaign))

    # XML reads a carriage return back as a line feed; the apostrophe is what matters.
    expected = f"'{text}".replace("\r", "\n")
    wish_row = next(r for r in workbook["Wishes"].iter_rows(min_row=2) if r[0].value == wish.code)
    assert wish_row[5].value == f"{expected}想要书"
    assert wish_row[5].data_type == "s"
    claim_row = next(workbook["Claims"].iter_rows(min_row=2))
    assert claim_row[1].value == expected
    assert claim_row[5].value == expected
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row)


def test_ordinary_text_and_numbers_are_left_alone():
    assert neutralise("想要一个足球") == "想要一个足球"
    assert neutralise("a=b") == "a=b"
    assert neutralise("") == ""
    # Characters an .xlsx cannot hold are dropped rather than failing the export.
    assert neutralise("ok\x07") == "ok"


def test_negative_looking_numbers_stay_numbers(client_for, campaign, known):
    sheet = workbook_of(run_export(client_for("staff"), campaign))["Wishes"]

    values = [row[6] for row in rows(sheet)]
    assert all(isinstance(value, int | float) for value in values)


# --- privacy ----------------------------------------------------------------------------------


def test_no_real_name_or_private_detail_reaches_the_workbook(client_for, campaign, known):
    child = known["child"]
    workbook = workbook_of(run_export(client_for("staff"), campaign))

    text = "\n".join(
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )
    assert "小王同学" in text
    for private in [
        child.real_name,
        child.guardian_name,
        child.guardian_phone,
        child.address,
        child.hardship_note,
        known["open_wish"].child_words,
    ]:
        assert private not in text


def test_unguarded_free_text_goes_through_the_privacy_guard(client_for, campaign, known):
    # A draft's public text was never checked by the guard, nor was a cancellation reason:
    # both name the child's school, class, estate, a sibling and a phone number here.
    child = known["child"]
    child.class_name = "三(2)班"
    child.private_words = "王小红"
    child.save()
    WishFactory(
        child=child,
        campaign=campaign,
        public_text="我在花木中心小学三(2)班，妹妹王小红也想要，电话13912345678",
    )
    ClaimFactory(
        wish=known["open_wish"],
        sponsor=known["individual"],
        status=ClaimStatus.CANCELLED,
        cancel_reason="王大力说锦绣苑的王小红已经送了",
    )
    child.address = "花木路88弄锦绣苑2号"
    child.save()

    workbook = workbook_of(run_export(client_for("staff"), campaign))
    cells = [
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
    text = "\n".join(cells)
    for private in ["花木中心小学三", "三(2)班", "王小红", "13912345678", "王大力", "锦绣苑"]:
        assert private not in text, private
    # What is left still reads as a sentence, not a row of stars.
    assert any(cell.startswith("我在") and "也想要" in cell for cell in cells)
    assert any("已经送了" in cell for cell in cells)


# --- who may export ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status",
    [
        ("staff", 200),
        ("superuser", 200),
        # Outsiders never reach the admin: they are sent to its login page.
        ("anonymous", 302),
        ("sponsor", 302),
        ("coordinator", 302),
        ("plain_user", 302),
    ],
)
def test_only_the_back_office_may_export(role, status, client_for, campaign, known):
    response = run_export(client_for(role), campaign)

    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("admin:login"))
        assert "Content-Disposition" not in response


def test_staff_account_without_permissions_cannot_export(client, campaign, known):
    user = UserFactory(username="bare_staff", is_staff=True)
    client.force_login(user)

    response = run_export(client, campaign)

    assert response.status_code == 403


def test_view_only_back_office_user_cannot_export(client, campaign, known):
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_campaign"))
    client.force_login(viewer)

    response = run_export(client, campaign)

    # The list shows, without the action: the workbook leaves the back office.
    assert response.status_code == 200
    assert response.context["action_form"] is None
    assert "Content-Disposition" not in response


def test_exporting_two_campaigns_at_once_asks_for_one(client_for, campaign, known):
    response = run_export(client_for("staff"), campaign, CampaignFactory(year=2025))

    assert response.status_code == 302
    assert [
        str(m) for m in get_messages(response.wsgi_request) if m.level == constants.WARNING
    ] == ["Choose exactly one campaign to export."]


def test_export_runs_from_the_campaign_page_too(client_for, campaign, known):
    url = reverse("admin:wishes_campaign_change", args=[campaign.pk])
    data = {"CHANGE_FORM-action": "export_campaign", "_selected_action": [str(campaign.pk)]}

    response = client_for("staff").post(url, data, HTTP_ACCEPT_LANGUAGE="en")

    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert load_workbook(io.BytesIO(response.content)).sheetnames == SHEETS


def test_individual_sponsor_has_no_unit_category(client_for, campaign, known):
    FulfilmentFactory(claim__wish__campaign=campaign, claim__sponsor=known["individual"])

    sheet = workbook_of(run_export(client_for("staff"), campaign))["Sponsors' contribution"]

    row = next(r for r in rows(sheet) if r[0] == "陈爱心")
    assert row[1] == str(SponsorKind.INDIVIDUAL.label)
    assert row[2] is None
