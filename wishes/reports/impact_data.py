"""The numbers behind the impact page's charts and tables, as tables to download.

Public, like the page: aggregates only, and exactly the figures the page shows (nothing is
broken down further, so no cell can point at a child). One table per chart or list of the
page; each is a CSV file of its own, and all together are the sheets of one .xlsx file.
Text cells are neutralised (wishes/reports/exports.py): a unit's name that begins with "="
cannot run as a formula.
"""

import csv
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from wishes.reports.exports import Column, Sheet, neutralise, sheets_workbook_bytes
from wishes.reports.impact import Impact, Share

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Table:
    # The name in the file's address: /impact/data/<key>.csv
    key: str
    title: str
    headers: list[str]
    rows: list[list[object]]


TABLE_KEYS = ("summary", "years", "categories", "regions", "channels", "platform")


def _summary(impact: Impact) -> Table:
    rows: list[list[object]] = [
        [_("Wishes fulfilled since 2013"), impact.total_fulfilled],
        [_("Median days from publication to claim"), impact.median_days_to_claim],
        [_("Claims the median is taken over"), impact.claims_timed],
        [_("Median days from claim to fulfilment"), impact.median_days_to_fulfil],
        [_("Fulfilled wishes the median is taken over"), impact.fulfilments_timed],
        [_("Claims so far"), impact.claims_counted],
        [_("Average rating (1 to 5)"), impact.ratings.average],
        [_("Ratings given"), impact.ratings.count],
    ]
    return Table("summary", _("In short"), [_("Figure"), pgettext("figure", "Value")], rows)


def _years(impact: Impact) -> Table:
    headers = [
        _("Year"),
        _("Wishes fulfilled"),
        _("of which claimed through the city platform"),
        _("Caring units"),
        _("Caring individuals"),
        _("Source"),
    ]
    rows: list[list[object]] = []
    for year in impact.years:
        if not year.has_figures:
            rows.append([year.year, None, None, None, None, _("No figures")])
        elif year.from_earlier_records:
            rows.append(
                [
                    year.year,
                    year.fulfilled,
                    None,
                    year.units,
                    year.individuals,
                    _("Earlier records"),
                ]
            )
        else:
            rows.append(
                [
                    year.year,
                    year.fulfilled,
                    year.via_platform,
                    year.units,
                    year.individuals,
                    _("Recorded in this system"),
                ]
            )
    return Table("years", _("Wishes fulfilled per year"), headers, rows)


def _share_rows(shares: list[Share]) -> list[list[object]]:
    return [[str(share.label), share.count, share.percent] for share in shares]


def impact_tables(impact: Impact) -> list[Table]:
    """Every table of the impact page, in the page's order, headers in the active language."""
    share_headers = [_("Claims"), _("Share (%)")]
    return [
        _summary(impact),
        _years(impact),
        Table(
            "categories",
            _("Published wishes by category"),
            [_("Category"), _("Published"), _("Fulfilled")],
            [[str(c.label), c.published, c.fulfilled] for c in impact.categories],
        ),
        Table(
            "regions",
            _("Claims by the sponsor's region"),
            [_("Region"), *share_headers],
            _share_rows(impact.regions),
        ),
        Table(
            "channels",
            _("Claims by channel"),
            [_("Channel"), *share_headers],
            _share_rows(impact.channels),
        ),
        Table(
            "platform",
            _("Claimed through the city platform by other centres"),
            [_("Centre"), _("Claims")],
            [[name, count] for name, count in impact.platform_centres],
        ),
    ]


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    return neutralise(str(value))


def table_csv(table: Table) -> bytes:
    """One table as CSV in UTF-8 with a BOM, so that Excel reads the Chinese correctly."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow([_csv_cell(header) for header in table.headers])
    writer.writerows([[_csv_cell(value) for value in row] for row in table.rows])
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def tables_xlsx(tables: list[Table]) -> bytes:
    """All the tables as one .xlsx file, a sheet each."""
    sheets = [
        Sheet(
            title=table.title,
            columns=[Column(header) for header in table.headers],
            rows=table.rows,
        )
        for table in tables
    ]
    return sheets_workbook_bytes(sheets, title=_("Our impact"))
