"""The numbers behind the impact page, as CSV and .xlsx: public, and the page's very figures."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import FulfilmentFactory, SponsorFactory
from tests.wishes.reports.test_impact import known  # noqa: F401 (a fixture)
from wishes.models import Feedback
from wishes.reports.impact import impact_figures
from wishes.reports.impact_data import TABLE_KEYS

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "plain_user",
    "sponsor",
    "other_sponsor",
    "coordinator",
    "other_coordinator",
    "bare_staff",
    "staff",
]


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def read_xlsx(content: bytes) -> dict[str, list[tuple]]:
    workbook = load_workbook(io.BytesIO(content))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in workbook}


def _user():
    from tests.factories import UserFactory

    return UserFactory()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "name, args", [("impact:xlsx", []), *[("impact:csv", [k]) for k in TABLE_KEYS]]
)
def test_the_downloads_are_public(role, name, args, client_for):
    response = client_for(role).get(reverse(name, args=args))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")


def test_an_unknown_table_is_a_404(client):
    assert client.get(reverse("impact:csv", args=["children"])).status_code == 404


def test_the_page_links_to_every_download(client):
    html = client.get(reverse("impact:index")).content.decode()

    assert reverse("impact:xlsx") in html
    for key in TABLE_KEYS:
        assert reverse("impact:csv", args=[key]) in html


def test_the_years_csv_holds_the_pages_numbers(known, client):  # noqa: F811
    figures = impact_figures()

    rows = read_csv(client.get(reverse("impact:csv", args=["years"])).content)

    by_year = {int(row[0]): row[1:5] for row in rows[1:]}
    assert len(by_year) == len(figures.years)
    for year in figures.years:
        if not year.has_figures:
            assert by_year[year.year] == ["", "", "", ""]
        elif year.from_earlier_records:
            expected = [str(year.fulfilled), "", str(year.units), str(year.individuals)]
            assert by_year[year.year] == expected
        else:
            expected = [str(year.fulfilled), str(year.via_platform), str(year.units)]
            assert by_year[year.year] == [*expected, str(year.individuals)]
    # Checked by hand against the fixture: 2024 has three fulfilments, one via the platform.
    assert by_year[2024] == ["3", "1", "2", "1"]


def test_the_csv_files_show_what_the_page_shows(known, client):  # noqa: F811
    figures = impact_figures()

    def table(key):
        return read_csv(client.get(reverse("impact:csv", args=[key])).content)[1:]

    assert [[r[0], int(r[1]), int(r[2])] for r in table("categories")] == [
        [str(c.label), c.published, c.fulfilled] for c in figures.categories
    ]
    assert [[r[0], int(r[1]), float(r[2])] for r in table("regions")] == [
        [str(s.label), s.count, s.percent] for s in figures.regions
    ]
    assert [[r[0], int(r[1])] for r in table("channels")] == [
        [str(s.label), s.count] for s in figures.channels
    ]
    assert [(r[0], int(r[1])) for r in table("platform")] == figures.platform_centres
    summary = dict(table("summary"))
    assert summary["2013 年以来实现的心愿"] == str(figures.total_fulfilled)
    assert summary["累计认领"] == str(figures.claims_counted)


def test_the_xlsx_has_a_sheet_per_table_with_the_same_numbers(known, client):  # noqa: F811
    figures = impact_figures()

    sheets = read_xlsx(client.get(reverse("impact:xlsx")).content)

    assert len(sheets) == len(TABLE_KEYS)
    # Sheets are named after the page's charts, in Chinese by default.
    years = sheets["每年圆梦心愿数"]
    by_year = {row[0]: row[1] for row in years[1:]}
    assert by_year == {y.year: (y.fulfilled if y.has_figures else None) for y in figures.years}
    categories = sheets["各类别已发布心愿"]
    assert [list(row) for row in categories[1:]] == [
        [str(c.label), c.published, c.fulfilled] for c in figures.categories
    ]


def test_the_downloads_show_the_average_rating_and_count_never_a_comment(client):
    fulfilment = FulfilmentFactory()
    for rating, role, comment in [(5, "sponsor", "秘评语FBQ7"), (2, "coordinator", "")]:
        Feedback.objects.create(
            claim=fulfilment.claim,
            role=role,
            rating=rating,
            comment=comment,
            given_by=_user(),
        )

    summary = dict(read_csv(client.get(reverse("impact:csv", args=["summary"])).content)[1:])
    workbook = client.get(reverse("impact:xlsx")).content
    cells = [str(v) for rows in read_xlsx(workbook).values() for row in rows for v in row]

    assert summary["平均评分（1 到 5 分）"] == "3.5"
    assert summary["评分条数"] == "2"
    assert "3.5" in cells
    assert "秘评语FBQ7" not in "".join(cells)


def test_a_name_that_looks_like_a_formula_is_neutralised(client):
    centre = SponsorFactory(verified=True, name='=HYPERLINK("http://x")')
    FulfilmentFactory(
        claim__sponsor=centre,
        claim__channel="city_platform",
        claim__external_ref="SH-1",
        claim__claimant_name="=1+1",
    )

    rows = read_csv(client.get(reverse("impact:csv", args=["platform"])).content)
    sheets = read_xlsx(client.get(reverse("impact:xlsx")).content)

    assert rows[1][0] == "'=1+1"
    cells = [v for rows in sheets.values() for row in rows for v in row if isinstance(v, str)]
    assert "'=1+1" in cells
    assert not any(v.startswith("=") for v in cells)
