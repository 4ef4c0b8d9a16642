"""The year's report (年度报告) for the sub-district's year-end review, as a PDF for staff.

It holds the year's row of the impact page (the same figures, from the same function), a
chart of the years so far, what the year's fulfilled wishes were, the year's events, the
units to thank by name, the caring individuals as a count (Sponsor records no choice to be
named in public, so no individual is named), the year's ratings and the cross-region claims.
Nothing about a child is in it, not even an alias: only counts.

A cross-region claim is one whose sponsor is of another sub-district or town than the
child's school (as Beicai's practice centre claiming for a child who studies in Huamu), or
one made by another centre on the city platform.
"""

import io
from dataclasses import dataclass
from xml.sax.saxutils import escape

from django.db.models import Count, F, Q
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib.colors import HexColor, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from sponsors.models import SponsorKind
from wishes.models import (
    ClaimChannel,
    Event,
    EventKind,
    Feedback,
    FeedbackRole,
    Fulfilment,
    WishCategory,
)
from wishes.reports.charts import EARLIER_FILL
from wishes.reports.impact import Ratings, YearFigures, impact_figures, ratings_of
from wishes.reports.pdf import GREY, INK, LIGHT, RED, cjk_font

PAGE_WIDTH = A4[0] - 36 * mm
# The light bar of the impact page's chart (wishes/reports/charts.py).
EARLIER = HexColor(EARLIER_FILL)


@dataclass(frozen=True, slots=True)
class EventLine:
    date: str
    title: str
    kind: str
    venue: str
    fulfilled: int


@dataclass(frozen=True, slots=True)
class CrossRegion:
    """Cross-region fulfilments of the year by the sponsors of one region. The schools'
    regions are left out: for a child whose region is private, it would tell it."""

    sponsor_region: str
    count: int
    via_platform: int


@dataclass(frozen=True, slots=True)
class YearReport:
    year: int
    # The year's row of the impact page, and the rows of the years up to it (for the chart).
    figures: YearFigures
    years: list[YearFigures]
    total_to_date: int
    categories: list[tuple[str, int]]
    events: list[EventLine]
    units: list[tuple[str, int]]
    # Individuals are thanked as a number, never by name: how many, and their wishes.
    individuals: int
    individual_wishes: int
    ratings: Ratings
    ratings_by_role: list[tuple[str, Ratings]]
    cross_region: list[CrossRegion]


def _fulfilled_by_units(fulfilments) -> list[tuple[str, int]]:
    rows = (
        fulfilments.filter(claim__sponsor__kind=SponsorKind.UNIT)
        .values("claim__sponsor__name")
        .annotate(count=Count("pk"))
        .order_by("-count", "claim__sponsor__name")
    )
    return [(row["claim__sponsor__name"], row["count"]) for row in rows]


def _cross_region(fulfilments) -> list[CrossRegion]:
    rows = (
        fulfilments.filter(
            Q(claim__channel=ClaimChannel.CITY_PLATFORM)
            | (
                Q(claim__sponsor__region__isnull=False)
                & ~Q(claim__sponsor__region=F("claim__wish__child__school__region"))
            )
        )
        .values(region=F("claim__sponsor__region__name"))
        .annotate(
            count=Count("pk"),
            via_platform=Count("pk", filter=Q(claim__channel=ClaimChannel.CITY_PLATFORM)),
        )
        .order_by()
    )
    found = [
        CrossRegion(
            sponsor_region=row["region"] or _("Region not given"),
            count=row["count"],
            via_platform=row["via_platform"],
        )
        for row in rows
    ]
    return sorted(found, key=lambda c: (-c.count, c.sponsor_region))


def year_report(year: int) -> YearReport:
    """Everything the year's report shows, read for `year` (a calendar year in Shanghai)."""
    impact = impact_figures()
    (figures,) = [y for y in impact.years if y.year == year] or [
        YearFigures(year, 0, 0, 0, 0, "none")
    ]
    years = [y for y in impact.years if y.year <= year]
    fulfilments = Fulfilment.objects.filter(fulfilled_on__year=year)
    category_rows = (
        fulfilments.values("claim__wish__category").annotate(count=Count("pk")).order_by()
    )
    categories = sorted(
        (
            (str(WishCategory(row["claim__wish__category"]).label), row["count"])
            for row in category_rows
        ),
        key=lambda item: (-item[1], item[0]),
    )
    events = [
        EventLine(
            date=formats.date_format(event.date, "Y-m-d"),
            title=event.title,
            kind=str(EventKind(event.kind).label),
            venue=event.venue,
            fulfilled=event.fulfilled,
        )
        for event in Event.objects.filter(date__year=year)
        .annotate(fulfilled=Count("fulfilments", filter=Q(fulfilments__fulfilled_on__year=year)))
        .order_by("date", "pk")
    ]
    feedback = Feedback.objects.filter(claim__fulfilment__fulfilled_on__year=year)
    by_individuals = fulfilments.filter(claim__sponsor__kind=SponsorKind.INDIVIDUAL).aggregate(
        sponsors=Count("claim__sponsor", distinct=True), wishes=Count("pk")
    )
    return YearReport(
        year=year,
        figures=figures,
        years=years,
        total_to_date=sum(y.fulfilled for y in years),
        categories=categories,
        events=events,
        units=_fulfilled_by_units(fulfilments),
        individuals=by_individuals["sponsors"],
        individual_wishes=by_individuals["wishes"],
        ratings=ratings_of(feedback),
        ratings_by_role=[
            (str(role.label), ratings_of(feedback.filter(role=role))) for role in FeedbackRole
        ],
        cross_region=_cross_region(fulfilments),
    )


# --- drawing ------------------------------------------------------------------------------


class _Styles:
    def __init__(self, font: str) -> None:
        self.title = ParagraphStyle(
            "title", fontName=font, fontSize=20, leading=26, textColor=RED, wordWrap="CJK"
        )
        self.heading = ParagraphStyle(
            "heading",
            fontName=font,
            fontSize=13,
            leading=18,
            textColor=RED,
            spaceBefore=8,
            spaceAfter=4,
            wordWrap="CJK",
            # A heading never ends a page alone, away from its table.
            keepWithNext=1,
        )
        self.body = ParagraphStyle(
            "body", fontName=font, fontSize=10, leading=15, textColor=INK, wordWrap="CJK"
        )
        self.small = ParagraphStyle(
            "small", fontName=font, fontSize=8.5, leading=12, textColor=GREY, wordWrap="CJK"
        )
        self.cell = ParagraphStyle(
            "cell", fontName=font, fontSize=9, leading=12, textColor=INK, wordWrap="CJK"
        )


def _number(value: float | int | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return formats.number_format(value, 1)
    return str(value)


def _table(rows: list[list[object]], styles: _Styles, widths: list[float]) -> Table:
    """A table whose first row is its header; every cell a paragraph, so long names wrap."""
    cells = [
        [
            Paragraph(escape(str(value)), styles.cell)
            if not isinstance(value, Flowable)
            else value
            for value in row
        ]
        for row in rows
    ]
    table = Table(cells, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, RED),
                ("LINEBELOW", (0, 1), (-1, -1), 0.3, LIGHT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _step(peak: int) -> int:
    """A whole-number step for a count axis: about five ticks, never halves of a wish."""
    return max(1, -(-peak // 5))


def _years_chart(report: YearReport, font: str) -> Drawing:
    height = 60 * mm
    drawing = Drawing(PAGE_WIDTH, height)
    chart = VerticalBarChart()
    # ReportLab types these as int; points are floats.
    chart.x, chart.y = 10 * mm, 12 * mm  # type: ignore[assignment]
    chart.width, chart.height = PAGE_WIDTH - 20 * mm, height - 22 * mm  # type: ignore[assignment]
    # A year without figures has no bar (and no "0"), as on the impact page.
    chart.data = [[y.fulfilled if y.has_figures else None for y in report.years]]
    chart.categoryAxis.categoryNames = [str(y.year)[2:] for y in report.years]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueStep = _step(max((y.fulfilled for y in report.years), default=0))
    chart.bars[0].fillColor = RED
    chart.bars[0].strokeColor = white
    # Lighter bars: figures from the association's earlier records, as on the impact page.
    for index, year in enumerate(report.years):
        if year.from_earlier_records:
            chart.bars[(0, index)].fillColor = EARLIER
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = font
    chart.barLabels.fontSize = 6.5
    chart.barLabels.nudge = 5
    drawing.add(chart)
    drawing.add(
        String(10 * mm, height - 6 * mm, _("Wishes fulfilled per year"), fontName=font, fontSize=9)
    )
    return drawing


def _categories_chart(report: YearReport, font: str) -> Drawing:
    row = 7 * mm
    height = row * len(report.categories) + 12 * mm
    drawing = Drawing(PAGE_WIDTH, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 45 * mm, 4 * mm  # type: ignore[assignment]
    chart.width, chart.height = PAGE_WIDTH - 65 * mm, height - 12 * mm  # type: ignore[assignment]
    # Largest at the top: a horizontal chart draws its first category at the bottom.
    ordered = list(reversed(report.categories))
    chart.data = [[count for _label, count in ordered]]
    chart.valueAxis.valueStep = _step(max((count for _label, count in ordered), default=0))
    chart.categoryAxis.categoryNames = [label for label, _count in ordered]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 8
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = RED
    chart.bars[0].strokeColor = white
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = font
    chart.barLabels.fontSize = 7
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    drawing.add(chart)
    return drawing


def _story(report: YearReport, styles: _Styles, font: str) -> list[Flowable]:
    figures = report.figures
    story: list[Flowable] = [
        Paragraph(
            escape(_("Huamu Dream Wishes: the year %(year)s") % {"year": report.year}),
            styles.title,
        ),
        Paragraph(
            escape(
                _("Report for the sub-district's year-end review, %(year)s.")
                % {"year": report.year}
            ),
            styles.small,
        ),
        Spacer(1, 4 * mm),
        Paragraph(escape(_("The year's numbers")), styles.heading),
    ]
    if not figures.has_figures:
        story.append(Paragraph(escape(_("No figures for this year.")), styles.body))
    else:
        source = (
            _("Earlier records") if figures.from_earlier_records else _("Recorded in this system")
        )
        rows: list[list[object]] = [
            [_("Figure"), pgettext("figure", "Value")],
            [_("Wishes fulfilled"), figures.fulfilled],
            [
                _("of which claimed through the city platform"),
                "—" if figures.from_earlier_records else figures.via_platform,
            ],
            [_("Caring units"), figures.units],
            [_("Caring individuals"), figures.individuals],
            [_("Source"), source],
            [_("Wishes fulfilled since 2013, up to this year"), report.total_to_date],
        ]
        story.append(_table(rows, styles, [PAGE_WIDTH * 0.7, PAGE_WIDTH * 0.3]))
    story += [Spacer(1, 3 * mm), _years_chart(report, font)]

    story.append(Paragraph(escape(_("What the year's fulfilled wishes were")), styles.heading))
    if report.categories:
        story.append(_categories_chart(report, font))
    else:
        story.append(
            Paragraph(escape(_("No wish was fulfilled in this system this year.")), styles.body)
        )

    story.append(Paragraph(escape(_("The year's events")), styles.heading))
    if report.events:
        rows = [[_("Date"), _("Event"), _("Kind"), _("Venue"), _("Wishes fulfilled")]]
        rows += [[e.date, e.title, e.kind, e.venue, e.fulfilled] for e in report.events]
        widths = [0.14, 0.34, 0.17, 0.23, 0.12]
        story.append(_table(rows, styles, [PAGE_WIDTH * w for w in widths]))
    else:
        story.append(Paragraph(escape(_("No event was recorded this year.")), styles.body))

    story.append(Paragraph(escape(_("With thanks to")), styles.heading))
    thanked: list[list[list[object]]] = []
    if report.units:
        thanked.append(
            [[_("Caring units"), _("Wishes fulfilled")], *[[n, c] for n, c in report.units]]
        )
    if report.individuals:
        # A sponsor records no choice to be named in public: individuals are thanked as a
        # number, units by name.
        people = ngettext(
            "%(count)d caring individual", "%(count)d caring individuals", report.individuals
        ) % {"count": report.individuals}
        thanked.append(
            [[_("Caring individuals"), _("Wishes fulfilled")], [people, report.individual_wishes]]
        )
    for table in thanked:
        story.append(_table(table, styles, [PAGE_WIDTH * 0.75, PAGE_WIDTH * 0.25]))
        story.append(Spacer(1, 2 * mm))
    if not report.units and not report.individuals:
        story.append(
            Paragraph(escape(_("No wish was fulfilled in this system this year.")), styles.body)
        )

    story.append(Paragraph(escape(_("Ratings")), styles.heading))
    rows = [[_("Given by"), _("Average rating (1 to 5)"), _("Ratings given")]]
    rows += [
        [label, _number(ratings.average), ratings.count]
        for label, ratings in report.ratings_by_role
    ]
    rows.append([_("Total"), _number(report.ratings.average), report.ratings.count])
    story.append(_table(rows, styles, [PAGE_WIDTH * 0.4, PAGE_WIDTH * 0.35, PAGE_WIDTH * 0.25]))
    story.append(Paragraph(escape(_("Feedback on the wishes fulfilled this year.")), styles.small))

    story.append(Paragraph(escape(_("Cross-region claims")), styles.heading))
    story.append(
        Paragraph(
            escape(
                _(
                    "Wishes fulfilled this year by a sponsor of another sub-district or town "
                    "than the child's school, or claimed by another centre on the city platform."
                )
            ),
            styles.small,
        )
    )
    if report.cross_region:
        rows = [
            [
                _("Sponsor's region"),
                _("Wishes fulfilled"),
                _("of which claimed through the city platform"),
            ]
        ]
        rows += [[c.sponsor_region, c.count, c.via_platform] for c in report.cross_region]
        story.append(_table(rows, styles, [PAGE_WIDTH * w for w in (0.4, 0.25, 0.35)]))
    else:
        story.append(Paragraph(escape(_("No cross-region claim this year.")), styles.body))
    return story


def year_report_pdf(report: YearReport) -> bytes:
    """The report as an A4 PDF with the Chinese font embedded; FontMissing without one."""
    font = cjk_font()
    buffer = io.BytesIO()
    title = _("Huamu Dream Wishes: the year %(year)s") % {"year": report.year}
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=title,
        author=_("Huamu Dream Wishes"),
        creator=_("Huamu Dream Wishes"),
        pageCompression=1,
    )
    document.build(_story(report, _Styles(font), font))
    return buffer.getvalue()


def year_report_filename(year: int) -> str:
    return f"huamu-year-report-{year}.pdf"
