"""An event's roster and sign-in sheet (PDF, aliases only, access-logged) and the export of
volunteer hours (staff: a period, all units; a unit administrator: its own members)."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from huamu.fonts import cjk_font_path
from sponsors.models import VerifiedPhone
from tests.factories import (
    ClaimFactory,
    EventFactory,
    SponsorFactory,
    SponsorMemberFactory,
    UserFactory,
)
from tests.wishes.events_cast import ADDRESS, ALIAS, GUARDIAN, REAL_NAME, unit_of
from wishes.models import AccessAction, AccessLog, ClaimStatus, Event
from wishes.services import NamedAttendee, check_in_attendee, sign_up_for_event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _font():
    if cjk_font_path() is None:
        pytest.fail("No CJK font: run scripts/fetch-font (or set HUAMU_CJK_FONT).")


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "".join("".join(page.extract_text().split()) for page in reader.pages)


@pytest.fixture
def signed_up(event, sponsor, colleague):
    return sign_up_for_event(
        event_id=event.pk,
        sponsor=unit_of(sponsor).sponsor,
        by=sponsor,
        headcount=3,
        members=[unit_of(colleague)],
        names=[NamedAttendee("来宾赵", "13800001111")],
    )


def test_the_roster_lists_aliases_sponsors_and_attendees_never_a_real_name(
    client_for, signed_up, event, coordinator
):
    response = client_for("coordinator").get(reverse("school:event_roster", args=[event.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert ALIAS in text
    assert event.wishes.get().code in text
    assert signed_up.sponsor.name in text
    assert "王同事" in text
    assert "来宾赵" in text
    for private in (REAL_NAME, GUARDIAN, ADDRESS):
        assert private not in text
    # The Chinese font travels inside the file.
    assert b"/FontFile2" in response.content
    log = AccessLog.objects.get(action=AccessAction.PRINT_ROSTER)
    assert log.user == coordinator
    assert log.object_id == event.pk
    assert list(log.children.values_list("pk", flat=True)) == [event.wishes.get().child_id]


def test_a_cancelled_claim_is_not_on_the_roster(client_for, event, school):
    cancelled = ClaimFactory(
        status=ClaimStatus.CANCELLED,
        cancel_reason="改期",
        wish__child__school=school,
        wish__child__alias="取消的化名",
    )
    event.wishes.add(cancelled.wish)

    response = client_for("staff").get(reverse("school:event_roster", args=[event.pk]))

    assert "取消的化名" not in pdf_text(response.content)
    assert ALIAS in pdf_text(response.content)


def test_a_long_sign_in_sheet_goes_on_over_pages(client_for, event, sponsor):
    sign_up_for_event(
        event_id=event.pk,
        sponsor=unit_of(sponsor).sponsor,
        by=sponsor,
        headcount=50,
        names=[NamedAttendee(f"来宾{n}") for n in range(50)],
    )

    response = client_for("staff").get(reverse("school:event_roster", args=[event.pk]))

    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) >= 2
    assert "来宾49" in pdf_text(response.content)


# --- volunteer hours ----------------------------------------------------------------------------


FORMULA = "=cmd|' /C calc'!A0"


@pytest.fixture
def hours(signed_up, colleague, staff, event):
    """The colleague (named like a formula) was checked in; the guest too, without hours."""
    signed_up.attendees.filter(user=colleague).update(name=FORMULA)
    for attendee in signed_up.attendees.all():
        check_in_attendee(attendee_id=attendee.pk, by=staff)
    return signed_up


def read_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_staff_export_the_hours_of_a_period_as_csv(client_for, hours, event):
    today = timezone.localdate()
    url = reverse("admin:wishes_event_hours")
    response = client_for("staff").get(
        url, {"start": today.isoformat(), "end": today.isoformat(), "format": "csv"}
    )

    assert response.status_code == 200
    rows = read_csv(response.content)
    assert len(rows) == 2  # the header and the one member; the guest earns no hours
    name, phone, unit, title, date, earned = rows[1]
    # The member's name was typed as a formula: it is text in the export.
    assert name == "'" + FORMULA
    assert unit == hours.sponsor.name
    assert title == event.title
    assert date == today.isoformat()
    assert earned == "2.5"
    # The member has no login phone: the sponsor's contact phone, in full.
    assert phone == hours.sponsor.phone


def test_the_xlsx_export_neutralises_formulas_and_keeps_numbers(client_for, hours, colleague):
    response = client_for("staff").get(reverse("admin:wishes_event_hours"), {"format": "xlsx"})

    sheet = load_workbook(io.BytesIO(response.content)).active
    row = [cell.value for cell in sheet[2]]
    assert row[0] == "'" + FORMULA
    assert sheet.cell(row=2, column=1).data_type == "s"
    assert row[5] == 2.5
    assert isinstance(row[4], datetime.datetime)


def test_the_period_leaves_other_events_out(client_for, hours):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client_for("staff").get(
        reverse("admin:wishes_event_hours"), {"start": tomorrow.isoformat(), "format": "csv"}
    )

    assert len(read_csv(response.content)) == 1


@pytest.mark.parametrize(
    "query, message",
    [
        ({"start": "yesterday", "format": "csv"}, "Enter a valid date"),
        ({"start": "2026-12-08", "end": "2026-12-01", "format": "csv"}, "ends before it starts"),
        ({"format": "pdf"}, "Select a valid choice"),
    ],
)
def test_a_bad_period_is_refused_with_a_message(client_for, hours, query, message):
    response = client_for("staff").get(
        reverse("admin:wishes_event_hours"), query, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 200
    assert message in response.text
    assert response["Content-Type"].startswith("text/html")


def test_the_unit_administrator_exports_only_its_own_members(client_for, hours, event, staff):
    other = SponsorFactory(verified=True, name="别的单位")
    stranger = SponsorMemberFactory(sponsor=other, user=UserFactory(first_name="外人")).user
    ClaimFactory(sponsor=other, wish__child__school=event.school).wish.events.add(event)
    signup = sign_up_for_event(
        event_id=event.pk,
        sponsor=other,
        by=stranger,
        headcount=1,
        members=[unit_of(stranger)],
    )
    check_in_attendee(attendee_id=signup.attendees.get().pk, by=staff)

    response = client_for("sponsor").get(reverse("sponsors:hours"), {"format": "csv"})

    rows = read_csv(response.content)
    assert [row[2] for row in rows[1:]] == [hours.sponsor.name]
    # Staff get both units.
    everyone = client_for("staff").get(reverse("admin:wishes_event_hours"), {"format": "csv"})
    assert {row[2] for row in read_csv(everyone.content)[1:]} == {hours.sponsor.name, "别的单位"}


def test_a_members_login_phone_is_exported_in_full_to_staff_and_masked_to_the_unit(
    client_for, hours, colleague
):
    VerifiedPhone.objects.create(user=colleague, phone="13712345678")

    staff_rows = read_csv(
        client_for("staff").get(reverse("admin:wishes_event_hours"), {"format": "csv"}).content
    )
    unit_rows = read_csv(client_for("sponsor").get(reverse("sponsors:hours")).content)
    sheet = load_workbook(
        io.BytesIO(
            client_for("staff")
            .get(reverse("admin:wishes_event_hours"), {"format": "xlsx"})
            .content
        )
    ).active

    assert [row[1] for row in staff_rows[1:]] == ["13712345678"]
    assert sheet.cell(row=2, column=2).value == "13712345678"
    assert [row[1] for row in unit_rows[1:]] == ["137****5678"]
    # The formula-like name stays neutralised beside it.
    assert staff_rows[1][0] == "'" + FORMULA


def test_a_formula_typed_as_the_sponsors_phone_is_neutralised(client_for, hours):
    from sponsors.models import Sponsor

    Sponsor.objects.filter(pk=hours.sponsor.pk).update(phone="=1+2")

    rows = read_csv(
        client_for("staff").get(reverse("admin:wishes_event_hours"), {"format": "csv"}).content
    )

    assert rows[1][1] == "'=1+2"


def test_a_bad_period_on_the_sponsor_page_is_a_message(client_for, hours):
    response = client_for("sponsor").get(
        reverse("sponsors:hours"), {"start": "32/13/2026"}, HTTP_ACCEPT_LANGUAGE="en", follow=True
    )

    assert "Enter a valid date" in response.text


def test_hours_of_an_event_are_zero_to_twenty_four(event):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(volunteer_hours=Decimal("-1"))
    EventFactory(volunteer_hours=Decimal("24"))


def test_the_export_period_reads_as_dates_not_a_fields_old_and_new_value(client_for, hours):
    # "From"/"To" alone are the field history's 原值/新值; the period has its own words.
    html = client_for("sponsor").get(reverse("sponsors:dashboard")).text

    assert '<label class="form-label" for="hours-start">起始日期</label>' in html
    assert '<label class="form-label" for="hours-end">截止日期</label>' in html
    assert "原值" not in html
