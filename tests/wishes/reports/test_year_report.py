"""The year's report (PDF): staff only, access-logged, its numbers those of the impact page."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from tests.factories import (
    EventFactory,
    FulfilmentFactory,
    RegionFactory,
    SchoolFactory,
    SponsorFactory,
    UserFactory,
)
from tests.wishes.reports.test_impact import known  # noqa: F401 (a fixture)
from wishes.models import (
    AccessAction,
    AccessLog,
    ClaimChannel,
    Feedback,
    FeedbackRole,
    Fulfilment,
)
from wishes.reports.impact import impact_figures
from wishes.reports.pdf import FontMissing

pytestmark = pytest.mark.django_db

URL = reverse("impact:year_report")

ROLES = [
    ("anonymous", 302),
    ("plain_user", 403),
    ("sponsor", 403),
    ("other_sponsor", 403),
    ("coordinator", 403),
    ("other_coordinator", 403),
    ("bare_staff", 403),
    ("staff", 200),
]


def pdf_text(content: bytes) -> str:
    """The PDF's text with every whitespace removed (lines break where the layout wants)."""
    return "".join(
        "".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages
    )


@pytest.mark.parametrize("role, status", ROLES)
def test_who_may_open_the_year_report_page(role, status, client_for):
    response = client_for(role).get(URL)

    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role, status", ROLES)
def test_who_may_download_the_year_report(role, status, client_for):
    response = client_for(role).get(URL, {"year": "2024"})

    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "application/pdf"
        assert response["Cache-Control"] == "private, no-store"
    else:
        assert not AccessLog.objects.exists()


def test_the_download_is_in_the_access_log(staff, client_for):
    client_for("staff").get(URL, {"year": "2024"})

    (entry,) = AccessLog.objects.all()
    assert (entry.user, entry.action) == (staff, AccessAction.YEAR_REPORT)
    assert list(entry.children.all()) == []


@pytest.mark.parametrize("year", ["2012", "2100", "abc", ""])
def test_a_year_outside_the_programme_is_refused_with_a_message(year, client_for):
    response = client_for("staff").get(URL, {"year": year}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "Select a valid choice" in response.content.decode() or "required" in (
        response.content.decode()
    )
    assert not AccessLog.objects.exists()


def test_without_a_font_staff_are_told_how_to_install_one(client_for, monkeypatch):
    def missing():
        raise FontMissing("No Chinese font: run scripts/fetch-font.")

    monkeypatch.setattr("wishes.reports.year_report.cjk_font", missing)

    response = client_for("staff").get(URL, {"year": "2024"})

    assert response.status_code == 503
    assert "scripts/fetch-font" in response.content.decode()
    assert not AccessLog.objects.exists()


def test_the_report_numbers_equal_the_impact_pages(known, client_for):  # noqa: F811
    (figures,) = [y for y in impact_figures().years if y.year == 2024]

    response = client_for("staff").get(URL, {"year": "2024"}, HTTP_ACCEPT_LANGUAGE="en")
    text = pdf_text(response.content)

    # The year's row of the impact page: 3 fulfilled, 1 through the platform, 2 units and
    # 1 individual (worked out by hand in the `known` fixture); the earlier total for 2024
    # (99) is not used.
    assert (figures.fulfilled, figures.via_platform, figures.units, figures.individuals) == (
        3,
        1,
        2,
        1,
    )
    assert f"Wishesfulfilled{figures.fulfilled}" in text
    assert f"ofwhichclaimedthroughthecityplatform{figures.via_platform}" in text
    assert f"Caringunits{figures.units}" in text
    assert f"Caringindividuals{figures.individuals}" in text
    # 2013 (20) + 2015 (30) from earlier records, and 2024's three.
    assert "Wishesfulfilledsince2013,uptothisyear53" in text
    assert "99" not in text


def test_the_report_thanks_units_by_name_and_individuals_as_a_number(known, client_for):  # noqa: F811
    text = pdf_text(client_for("staff").get(URL, {"year": "2024"}).content)

    for name in ["上海科技馆", known.centre.name]:
        assert name in text
    # Sponsors record no wish to be named in public: an individual is one of a number.
    assert "爱心人士甲" not in text
    assert "爱心人士1位1" in text
    # 2025's sponsors are thanked in 2025's report.
    assert "花木社区卫生服务中心" not in text


def test_individuals_are_counted_once_with_all_their_wishes(client_for):
    person, other = (SponsorFactory(verified=True, individual=True) for _ in range(2))
    for sponsor in (person, person, other):
        FulfilmentFactory(claim__sponsor=sponsor, fulfilled_on=datetime.date(2024, 6, 1))

    text = pdf_text(
        client_for("staff").get(URL, {"year": "2024"}, HTTP_ACCEPT_LANGUAGE="en").content
    )

    # Two people, three wishes; neither is named.
    assert "Caringindividuals2" in text
    assert "2caringindividuals3" in text
    assert person.name not in text
    assert other.name not in text


def test_the_reports_totals_equal_the_impact_page_and_its_downloads(known, client_for):  # noqa: F811
    """For each year, the report's numbers are those /impact/ shows and lets download."""
    rater = UserFactory()
    for fulfilment, rating in zip(
        Fulfilment.objects.filter(fulfilled_on__year=2025).order_by("pk"), (5, 2), strict=True
    ):
        Feedback.objects.create(
            claim=fulfilment.claim, role=FeedbackRole.SPONSOR, rating=rating, given_by=rater
        )
    public, staff = client_for("anonymous"), client_for("staff")
    page = public.get(reverse("impact:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    def rows(key: str) -> dict[str, list[str]]:
        response = public.get(reverse("impact:csv", args=[key]), HTTP_ACCEPT_LANGUAGE="en")
        return {row[0]: row[1:] for row in csv.reader(io.StringIO(response.text.lstrip("\ufeff")))}

    years, summary = rows("years"), rows("summary")
    for year in ("2024", "2025"):
        fulfilled, via_platform, units, individuals, _source = years[year]
        text = pdf_text(staff.get(URL, {"year": year}, HTTP_ACCEPT_LANGUAGE="en").content)

        assert f"{year}: {fulfilled}" in page, "the impact page's chart of the years"
        assert f"Wishesfulfilled{fulfilled}of" in text
        assert f"ofwhichclaimedthroughthecityplatform{via_platform}" in text
        assert f"Caringunits{units}Caringindividuals{individuals}" in text
    # The latest year's report counts up to the impact page's total since 2013, and all the
    # ratings (given on that year's wishes) are the impact page's average and count.
    (total,) = summary["Wishes fulfilled since 2013"]
    (average,) = summary["Average rating (1 to 5)"]
    (count,) = summary["Ratings given"]
    assert (total, average, count) == ("55", "3.5", "2")
    assert f"Wishesfulfilledsince2013,uptothisyear{total}" in text
    assert f"Total{average}{count}" in text
    assert f"Average rating {average} out of 5, over {count} ratings." in page


def test_the_report_lists_the_years_events_ratings_and_cross_region_claims(client_for):
    huamu, beicai = RegionFactory(name="花木街道"), RegionFactory(name="北蔡镇")
    school = SchoolFactory(name="花木中心小学", region=huamu)
    event = EventFactory(title="梦想见面会", date=datetime.date(2024, 12, 5), school=school)
    EventFactory(title="去年的活动", date=datetime.date(2023, 3, 5), school=school)
    centre = SponsorFactory(verified=True, name="北蔡镇新时代文明实践分中心", region=beicai)
    local = SponsorFactory(verified=True, name="上海科技馆", region=huamu)
    platform = FulfilmentFactory(
        claim__sponsor=centre,
        claim__channel=ClaimChannel.CITY_PLATFORM,
        claim__external_ref="SH-1",
        claim__wish__child__school=school,
        fulfilled_on=datetime.date(2024, 12, 5),
        event=event,
    )
    FulfilmentFactory(
        claim__sponsor=local,
        claim__wish__child__school=school,
        fulfilled_on=datetime.date(2024, 12, 5),
        event=event,
    )
    rater = UserFactory()
    for rating, role in [(5, FeedbackRole.SPONSOR), (4, FeedbackRole.COORDINATOR)]:
        Feedback.objects.create(
            claim=platform.claim, role=role, rating=rating, comment="秘评语FBQ7", given_by=rater
        )

    text = pdf_text(
        client_for("staff").get(URL, {"year": "2024"}, HTTP_ACCEPT_LANGUAGE="en").content
    )

    assert "2024-12-05梦想见面会" in text
    assert "去年的活动" not in text
    # Ratings: one by each role, 4.5 on average; the comment is never printed.
    assert "Total4.52" in text
    assert "秘评语FBQ7" not in text
    # Beicai's centre claimed for a child who studies in Huamu: one cross-region wish, through
    # the platform; the local museum's is not cross-region.
    assert "北蔡镇11" in text
    assert "花木街道1" not in text.split("Cross-regionclaims")[1]


def test_the_report_is_in_chinese_by_default(known, client_for):  # noqa: F811
    text = pdf_text(client_for("staff").get(URL, {"year": "2024"}).content)

    assert "花木圆梦2024年度报告" in text
    assert "跨区域认领" in text


def test_the_back_office_front_page_links_to_the_report(client_for):
    assert URL in client_for("staff").get(reverse("admin:index")).content.decode()
