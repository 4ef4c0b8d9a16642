"""The impact page: every number against a known set of records, the charts, and its admin."""

import datetime
import random
import re
import statistics
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from sponsors.models import Sponsor, UnitCategory
from tests.factories import (
    ClaimFactory,
    FulfilmentFactory,
    RegionFactory,
    SponsorFactory,
    WishFactory,
)
from wishes.models import (
    Claim,
    ClaimChannel,
    ClaimStatus,
    Wish,
    WishCategory,
    WishStatus,
    YearTotal,
)
from wishes.reports.impact import YearSource, _median, impact_figures

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2026, 11, 26)
CENTRE = "北蔡镇新时代文明实践分中心"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
SVG = "{http://www.w3.org/2000/svg}"


def _at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def _claimed(
    sponsor: Sponsor,
    *,
    published: datetime.datetime,
    claimed: datetime.datetime,
    category: str = WishCategory.BOOKS,
    channel: str = ClaimChannel.ONLINE,
    status: str = ClaimStatus.ACTIVE,
    **claim_fields,
) -> Claim:
    wish_status = {
        ClaimStatus.ACTIVE: WishStatus.CLAIMED,
        ClaimStatus.FULFILLED: WishStatus.FULFILLED,
        ClaimStatus.CANCELLED: WishStatus.OPEN,
    }[status]
    wish = WishFactory(status=wish_status, published_at=published, category=category)
    claim = ClaimFactory(
        wish=wish, sponsor=sponsor, status=status, channel=channel, **claim_fields
    )
    # created_at is set on insert; the fixture needs known claim dates (saved, as an edit
    # would be, so the running totals follow).
    claim.created_at = claimed
    claim.save(update_fields=["created_at"])
    return claim


def _fulfilled(sponsor: Sponsor, *, fulfilled_on: datetime.date, **kwargs) -> Claim:
    claim = _claimed(sponsor, status=ClaimStatus.FULFILLED, **kwargs)
    FulfilmentFactory(claim=claim, fulfilled_on=fulfilled_on)
    return claim


@dataclass
class Known:
    unit_a: Sponsor
    centre: Sponsor


@pytest.fixture
def known(db) -> Known:
    """Records whose numbers are worked out by hand in the comments below.

    Days from publication to claim: 3, 10, 1, 0, 1 (one hour, but over midnight), 20
      → sorted 0 1 1 3 10 20 → median 2. The cancelled claim does not count.
    Days from claim to fulfilment: 6, 21, 217, 63, 0 → median 21.
    """
    huamu = RegionFactory(name="花木街道")
    beicai = RegionFactory(name="北蔡镇")
    unit_a = SponsorFactory(verified=True, name="上海科技馆", region=huamu)
    unit_b = SponsorFactory(verified=True, name="花木社区卫生服务中心", region=huamu)
    person = SponsorFactory(verified=True, individual=True, name="爱心人士甲", region=beicai)
    centre = SponsorFactory(
        verified=True,
        name=CENTRE,
        region=beicai,
        unit_category=UnitCategory.COMMUNITY_ORGANISATION,
    )
    no_region = SponsorFactory(verified=True, name="无区域单位", region=None)

    # 2024: three fulfilled (units a and centre, one individual), one through the platform.
    _fulfilled(
        unit_a,
        published=_at(2024, 3, 1),
        claimed=_at(2024, 3, 4),
        fulfilled_on=datetime.date(2024, 3, 10),
    )
    _fulfilled(
        person,
        published=_at(2024, 3, 1),
        claimed=_at(2024, 3, 11),
        fulfilled_on=datetime.date(2024, 4, 1),
    )
    _fulfilled(
        centre,
        published=_at(2024, 5, 1),
        claimed=_at(2024, 5, 2),
        fulfilled_on=datetime.date(2024, 12, 5),
        category=WishCategory.SPORTS,
        channel=ClaimChannel.CITY_PLATFORM,
        external_ref="SH-2024-0001",
        claimant_name=CENTRE,
    )
    # 2025: two fulfilled by two units.
    _fulfilled(
        unit_a,
        published=_at(2025, 1, 1),
        claimed=_at(2025, 1, 1, 15),
        fulfilled_on=datetime.date(2025, 3, 5),
        category=WishCategory.STUDY,
    )
    _fulfilled(
        unit_b,
        published=_at(2025, 1, 1, 23, 30),
        claimed=_at(2025, 1, 2, 0, 30),
        fulfilled_on=datetime.date(2025, 1, 2),
    )
    # Still on its way, recorded by staff, by a unit without a region.
    _claimed(
        no_region,
        published=_at(2025, 6, 1),
        claimed=_at(2025, 6, 21),
        category=WishCategory.SPORTS,
        channel=ClaimChannel.OFFLINE,
    )
    # Cancelled: the wish is open again and the claim counts nowhere.
    _claimed(
        unit_b,
        published=_at(2025, 6, 1),
        claimed=_at(2025, 6, 2),
        status=ClaimStatus.CANCELLED,
        cancel_reason="改期",
    )
    WishFactory(open=True, category=WishCategory.ARTS)
    # Neither a draft nor a withdrawn wish is a published wish.
    WishFactory(category=WishCategory.BOOKS)
    WishFactory(
        status=WishStatus.WITHDRAWN, published_at=_at(2025, 2, 1), category=WishCategory.BOOKS
    )

    YearTotal.objects.create(year=2013, wishes_fulfilled=20, units=5, individuals=8)
    YearTotal.objects.create(year=2015, wishes_fulfilled=30, units=6, individuals=10)
    # The system has 2024's fulfilments: these earlier totals are not used.
    YearTotal.objects.create(year=2024, wishes_fulfilled=99, units=9, individuals=9)
    return Known(unit_a=unit_a, centre=centre)


def _row(figures, year: int) -> tuple:
    (found,) = [y for y in figures.years if y.year == year]
    return (found.fulfilled, found.units, found.individuals, found.via_platform, found.source)


def test_years_run_from_2013_to_this_year(known):
    figures = impact_figures(today=TODAY)

    assert [y.year for y in figures.years] == list(range(2013, 2027))


def test_years_before_the_system_come_from_earlier_totals(known):
    figures = impact_figures(today=TODAY)

    assert _row(figures, 2013) == (20, 5, 8, 0, YearSource.EARLIER)
    assert _row(figures, 2015) == (30, 6, 10, 0, YearSource.EARLIER)


def test_a_year_before_the_system_without_totals_has_no_figures(known):
    figures = impact_figures(today=TODAY)

    assert _row(figures, 2014) == (0, 0, 0, 0, YearSource.NONE)
    assert _row(figures, 2023) == (0, 0, 0, 0, YearSource.NONE)


def test_system_data_wins_over_earlier_totals_of_the_same_year(known):
    figures = impact_figures(today=TODAY)

    # Fulfilled 3; units: 上海科技馆 and the centre; one individual; one via the platform.
    assert _row(figures, 2024) == (3, 2, 1, 1, YearSource.SYSTEM)
    assert _row(figures, 2025) == (2, 2, 0, 0, YearSource.SYSTEM)


def test_a_system_year_without_fulfilments_is_a_real_zero(known):
    figures = impact_figures(today=TODAY)

    assert _row(figures, 2026) == (0, 0, 0, 0, YearSource.SYSTEM)


def test_a_sponsor_counts_once_a_year_however_many_wishes(known):
    FulfilmentFactory(
        claim__sponsor=known.unit_a,
        claim__wish__published_at=_at(2025, 2, 1),
        fulfilled_on=datetime.date(2025, 4, 1),
    )

    assert _row(impact_figures(today=TODAY), 2025)[:3] == (3, 2, 0)


def test_total_adds_earlier_totals_and_system_years(known):
    assert impact_figures(today=TODAY).total_fulfilled == 20 + 30 + 3 + 2


def test_categories_count_published_and_fulfilled_wishes(known):
    figures = impact_figures(today=TODAY)

    assert [(c.code, c.published, c.fulfilled) for c in figures.categories] == [
        (WishCategory.BOOKS, 4, 3),
        (WishCategory.SPORTS, 2, 1),
        (WishCategory.STUDY, 1, 1),
        (WishCategory.ARTS, 1, 0),
    ]


def test_median_days_use_shanghai_calendar_days(known):
    figures = impact_figures(today=TODAY)

    assert (figures.median_days_to_claim, figures.claims_timed) == (2.0, 6)
    assert (figures.median_days_to_fulfil, figures.fulfilments_timed) == (21.0, 5)


def test_a_claim_one_hour_after_publication_over_midnight_took_one_day():
    _claimed(
        SponsorFactory(verified=True),
        published=_at(2025, 1, 1, 23, 30),
        claimed=_at(2025, 1, 2, 0, 30),
    )

    # Calendar days in Shanghai; in UTC both moments fall on 1 January.
    assert impact_figures(today=TODAY).median_days_to_claim == 1.0


def test_medians_are_empty_without_claims():
    figures = impact_figures(today=TODAY)

    assert figures.median_days_to_claim is None
    assert figures.median_days_to_fulfil is None
    assert figures.claims_counted == 0


def test_region_shares_count_active_and_fulfilled_claims(known):
    figures = impact_figures(today=TODAY)

    assert figures.claims_counted == 6
    assert [(s.key, s.count, s.percent) for s in figures.regions] == [
        ("花木街道", 3, 50.0),
        ("北蔡镇", 2, 33.3),
        ("", 1, 16.7),
    ]


def test_channel_shares_show_the_city_platform_apart(known):
    figures = impact_figures(today=TODAY)

    assert [(s.key, s.count, s.percent) for s in figures.channels] == [
        (ClaimChannel.ONLINE, 4, 66.7),
        (ClaimChannel.OFFLINE, 1, 16.7),
        (ClaimChannel.CITY_PLATFORM, 1, 16.7),
    ]
    assert figures.platform_centres == [(CENTRE, 1)]


def test_a_platform_claim_of_an_individual_does_not_name_them():
    person = SponsorFactory(verified=True, individual=True, name="爱心人士乙")
    _claimed(
        person,
        published=_at(2025, 1, 1),
        claimed=_at(2025, 1, 2),
        channel=ClaimChannel.CITY_PLATFORM,
        external_ref="SH-2025-0002",
        claimant_name="爱心人士乙",
    )
    figures = impact_figures(today=TODAY)

    assert figures.platform_centres == []
    assert [(s.key, s.count) for s in figures.channels][2] == (ClaimChannel.CITY_PLATFORM, 1)


def test_numbers_take_three_queries_however_much_data(known, django_assert_num_queries):
    # The running totals; earlier years' totals; the names of the sponsors' regions.
    with django_assert_num_queries(3):
        impact_figures(today=TODAY)


def test_numbers_take_two_queries_without_data(django_assert_num_queries):
    # No sponsor's region to name.
    with django_assert_num_queries(2):
        impact_figures(today=TODAY)


# --- the page ----------------------------------------------------------------------------------


def _svgs(html: str) -> list[ET.Element]:
    # Our own page's markup: parsing it strictly is the point (is the SVG well-formed?).
    found = re.findall(r"<svg.*?</svg>", html, flags=re.DOTALL)
    return [ET.fromstring(svg) for svg in found]  # noqa: S314


@pytest.mark.parametrize("role", ["anonymous", "sponsor", "plain_user", "staff"])
def test_impact_page_is_public(client_for, role):
    response = client_for(role).get(reverse("impact:index"))

    assert response.status_code == 200


def test_impact_page_shows_the_numbers_in_tables(known, client):
    html = client.get(reverse("impact:index"), **EN).text

    assert "Our impact" in html
    # 2013 from earlier records, 2024 from the system (not the earlier 99).
    assert re.search(r"<th scope=\"row\">2013</th>\s*<td class=\"text-end\">20</td>", html)
    assert re.search(r"<th scope=\"row\">2024</th>\s*<td class=\"text-end\">3</td>", html)
    assert ">99<" not in html
    assert "Claimed through the city platform by other centres" in html
    assert f"{CENTRE}: 1 claim" in html
    assert "50.0%" in html


def test_impact_page_draws_four_accessible_svg_charts(known, client):
    html = client.get(reverse("impact:index"), **EN).text

    charts = _svgs(html)
    assert len(charts) == 4
    for chart in charts:
        assert chart.get("role") == "img"
        assert chart.find(f"{SVG}title").text
        assert chart.find(f"{SVG}desc").text
        assert chart.findall(f".//{SVG}rect")
    years = charts[0]
    titles = [t.text for t in years.iter(f"{SVG}title")]
    assert "2013: 20" in titles
    assert "2014: —" in titles
    assert "2024: 3" in titles


def test_chart_labels_are_escaped(client):
    region = RegionFactory(name="<b>&区</b>")
    ClaimFactory(sponsor__region=region)

    html = client.get(reverse("impact:index")).text

    assert "<b>&区</b>" not in html
    assert any(
        "<b>&区</b>" in (t.text or "") for svg in _svgs(html) for t in svg.iter(f"{SVG}text")
    )


def test_impact_page_renders_in_chinese_by_default(known, client):
    html = client.get(reverse("impact:index")).text

    assert CENTRE in html
    assert "花木街道" in html


def test_impact_page_queries_do_not_grow_with_data(known, client, django_assert_num_queries):
    # The three queries of impact_figures; an anonymous visitor has no session to read.
    with django_assert_num_queries(3):
        client.get(reverse("impact:index"))


def test_impact_page_shows_no_private_sponsor_or_child_data(known, client):
    wish = Wish.objects.filter(status=WishStatus.FULFILLED).select_related("child").first()

    html = client.get(reverse("impact:index")).text

    assert wish.child.real_name not in html
    assert "爱心人士甲" not in html
    assert known.unit_a.contact_name not in html


# --- earlier years' totals in the back office --------------------------------------------------


@pytest.mark.parametrize(
    "role, status",
    [
        ("staff", 200),
        ("superuser", 200),
        ("sponsor", 302),
        ("coordinator", 302),
        ("plain_user", 302),
        ("anonymous", 302),
    ],
)
def test_year_totals_admin_is_for_staff(client_for, role, status):
    response = client_for(role).get(reverse("admin:wishes_yeartotal_changelist"))

    assert response.status_code == status


def test_staff_enter_an_earlier_year_and_it_shows_on_the_page(client_for, client):
    response = client_for("staff").post(
        reverse("admin:wishes_yeartotal_add"),
        {"year": 2016, "wishes_fulfilled": 25, "units": 7, "individuals": 11, "note": "年报"},
    )

    assert response.status_code == 302
    html = client.get(reverse("impact:index")).text
    assert re.search(r"<th scope=\"row\">2016</th>\s*<td class=\"text-end\">25</td>", html)


def test_staff_cannot_enter_a_year_before_2013(client_for):
    response = client_for("staff").post(
        reverse("admin:wishes_yeartotal_add"),
        {"year": 2012, "wishes_fulfilled": 1, "units": 1, "individuals": 1},
    )

    assert response.status_code == 200
    assert not YearTotal.objects.exists()


def test_year_totals_admin_says_which_totals_the_page_uses(known, client_for):
    response = client_for("staff").get(reverse("admin:wishes_yeartotal_changelist"))

    shown = {
        total.year: response.context["cl"].model_admin.shown_on_impact_page(total)
        for total in response.context["cl"].result_list
    }
    assert shown == {2013: True, 2015: True, 2024: False}


def test_year_totals_cannot_be_deleted(known, client_for):
    total = YearTotal.objects.get(year=2013)

    response = client_for("superuser").post(
        reverse("admin:wishes_yeartotal_delete", args=[total.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert YearTotal.objects.filter(pk=total.pk).exists()


def test_the_median_of_a_day_histogram_is_the_median_of_the_days():
    rng = random.Random(2013)  # noqa: S311 - test data, not a secret
    for size in (1, 2, 3, 4, 7, 50, 51):
        days = [rng.choice([0, 1, 1, 2, 5, 9, 30, 200]) for _ in range(size)]
        assert _median(Counter(days)) == float(statistics.median(days)), days
    assert _median(Counter()) is None


def test_leading_years_without_figures_are_one_line_not_a_column_of_dashes(client):
    YearTotal.objects.create(year=2019, wishes_fulfilled=12, units=3, individuals=4)

    response = client.get(reverse("impact:index"), **EN)
    html = response.text

    figures = response.context["impact"]
    assert figures.years_without_figures == (2013, 2018)
    assert "no figures have been recorded for 2013–2018 yet" in html
    # Neither the table nor the chart lists the years 2013 to 2018 one by one.
    assert '<th scope="row">2018</th>' not in html
    assert '<th scope="row">2019</th>' in html
    titles = [t.text for t in _svgs(html)[0].iter(f"{SVG}title")]
    assert "2019: 12" in titles
    assert not any(title.startswith("2018") for title in titles)


def test_no_line_about_missing_years_when_2013_has_figures(known, client):
    html = client.get(reverse("impact:index"), **EN).text

    assert "no figures have been recorded" not in html
    # A year without figures between two that have them stays in the table.
    assert '<th scope="row">2014</th>' in html
