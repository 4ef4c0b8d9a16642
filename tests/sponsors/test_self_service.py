"""A unit administrator's own downloads, and how sponsors read who changed their claims."""

import csv
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from sponsors.models import MemberRole
from tests.factories import (
    ClaimFactory,
    FulfilmentFactory,
    SchoolCoordinatorFactory,
    SponsorMemberFactory,
    UserFactory,
)
from wishes.models import Claim, StatusChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def fulfilled(sponsor):
    """A wish the `sponsor` fixture's unit made come true today, by its member 王小明."""
    member = SponsorMemberFactory(
        user__first_name="王小明",
        sponsor=sponsor.sponsor_member.sponsor,
        role=MemberRole.MEMBER,
    )
    return FulfilmentFactory(
        claim__sponsor=sponsor.sponsor_member.sponsor,
        claim__member=member.user,
        claim__wish__child__real_name="王秘密",
        claim__wish__child__alias="小星同学",
    )


def test_administrator_downloads_the_years_certificate(client_for, fulfilled):
    year = timezone.localdate().year
    response = client_for("sponsor").get(reverse("sponsors:certificate"), {"year": year})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f"thank-you-certificate-{year}.pdf" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"


def test_a_year_without_fulfilments_has_no_certificate(client_for, fulfilled):
    response = client_for("sponsor").get(reverse("sponsors:certificate"), {"year": 2013})
    assert response.status_code == 302
    assert response.url == reverse("sponsors:dashboard")


def test_the_list_of_fulfilled_wishes_names_the_alias_never_the_child(client_for, fulfilled):
    response = client_for("sponsor").get(reverse("sponsors:fulfilled_list"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    wish = fulfilled.claim.wish
    assert rows[1][:2] == [wish.code, "小星同学"]
    assert rows[1][5] == "王小明"
    assert "王秘密" not in text
    assert len(rows) == 2


def test_the_list_only_holds_the_units_own_fulfilled_claims(client_for, fulfilled):
    FulfilmentFactory()  # another sponsor's
    ClaimFactory(sponsor=fulfilled.claim.sponsor)  # still active
    text = client_for("sponsor").get(reverse("sponsors:fulfilled_list")).content.decode()
    assert len(list(csv.reader(io.StringIO(text)))) == 2


@pytest.mark.parametrize("role", ["other_sponsor", "plain_user", "coordinator"])
def test_downloads_are_refused_to_others(role, client_for, fulfilled):
    year = timezone.localdate().year
    if role == "other_sponsor":
        # A plain member of another unit.
        other = client_for(role)
        from sponsors.models import SponsorMember

        SponsorMember.objects.filter(user__username="other_sponsor").update(role=MemberRole.MEMBER)
    else:
        other = client_for(role)
    for response in (
        other.get(reverse("sponsors:certificate"), {"year": year}),
        other.get(reverse("sponsors:fulfilled_list")),
    ):
        assert response.status_code == 403
        assert b"%PDF" not in response.content
        assert "小星同学" not in response.content.decode()


def test_anonymous_visitors_are_sent_to_the_login(client_for):
    response = client_for("anonymous").get(reverse("sponsors:fulfilled_list"))
    assert response.status_code == 302
    assert "/login/" in response.url


def _note(claim: Claim, user, note: str) -> None:
    StatusChange.objects.create(
        content_type=ContentType.objects.get_for_model(Claim),
        object_id=claim.pk,
        from_status="active",
        to_status="active",
        by=user,
        note=note,
    )


def test_sponsors_read_roles_and_names_in_history_never_usernames(
    client_for, sponsor, staff, coordinator
):
    claim = ClaimFactory(sponsor=sponsor.sponsor_member.sponsor)
    colleague = SponsorMemberFactory(
        user__username="wang-internal",
        user__first_name="王小明",
        sponsor=claim.sponsor,
        role=MemberRole.MEMBER,
    ).user
    _note(claim, staff, "by staff")
    _note(claim, coordinator, "by coordinator")
    _note(claim, colleague, "by member")

    for url in (reverse("sponsors:dashboard"), reverse("sponsors:claim", args=[claim.pk])):
        html = client_for("sponsor").get(url).content.decode()
        assert "(协会工作人员)" in html
        assert "(学校联络员)" in html
        assert "(王小明)" in html
        for username in ("(staff)", "(coordinator)", "wang-internal"):
            assert username not in html


def test_staff_still_see_usernames_in_the_back_office(client_for, staff):
    claim = ClaimFactory()
    coordinator = SchoolCoordinatorFactory(user=UserFactory(username="coord-b")).user
    _note(claim, coordinator, "by coordinator")
    html = (
        client_for("staff")
        .get(reverse("admin:wishes_claim_change", args=[claim.pk]))
        .content.decode()
    )
    assert "coord-b" in html


def test_the_list_comes_as_a_spreadsheet_and_runs_no_formula(client_for, fulfilled):
    from openpyxl import load_workbook

    from tests.factories import EventFactory

    fulfilled.event = EventFactory(title="=HYPERLINK(1)")
    fulfilled.save()
    response = client_for("sponsor").get(reverse("sponsors:fulfilled_list"), {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('fulfilled-wishes.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[1][1] == "小星同学"
    assert values[1][4] == "'=HYPERLINK(1)"
    csv_text = client_for("sponsor").get(reverse("sponsors:fulfilled_list")).content.decode()
    assert "'=HYPERLINK(1)" in csv_text
