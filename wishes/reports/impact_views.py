"""The public impact page: the programme's numbers since 2013, with charts drawn as SVG."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.http import content_disposition_header
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from huamu.cache import cache_public_page
from wishes.reports.charts import Bar, bar_chart
from wishes.reports.exports import XLSX_CONTENT_TYPE
from wishes.reports.impact import Impact, Share, impact_figures
from wishes.reports.impact_data import (
    CSV_CONTENT_TYPE,
    TABLE_KEYS,
    impact_tables,
    table_csv,
    tables_xlsx,
)


def _percent(share: Share) -> str:
    return f"{share.count} ({number_format(share.percent, 1)}%)"


def _share_bars(shares: list[Share]) -> list[Bar]:
    return [Bar(share.label, share.count, _percent(share)) for share in shares]


def _charts(impact: Impact) -> dict[str, SafeString]:
    years = [
        Bar(
            str(y.year),
            y.fulfilled,
            str(y.fulfilled) if y.has_figures else "—",
            muted=y.from_earlier_records,
        )
        for y in impact.shown_years
    ]
    categories = [
        Bar(c.label, c.published, f"{c.fulfilled} / {c.published}", part=c.fulfilled)
        for c in impact.categories
    ]
    return {
        "years": bar_chart(
            chart_id="chart-years",
            title=_("Wishes fulfilled per year"),
            desc=_("Light bars are figures from the association's earlier records."),
            bars=years,
        ),
        "categories": bar_chart(
            chart_id="chart-categories",
            title=_("Published wishes by category"),
            desc=_("The dark part of each bar is the wishes already fulfilled."),
            bars=categories,
        ),
        "regions": bar_chart(
            chart_id="chart-regions",
            title=_("Claims by the sponsor's region"),
            desc=_("Active and fulfilled claims; cancelled claims are not counted."),
            bars=_share_bars(impact.regions),
        ),
        "channels": bar_chart(
            chart_id="chart-channels",
            title=_("Claims by channel"),
            desc=_("Online, recorded by staff, or claimed through the city platform."),
            bars=_share_bars(impact.channels),
        ),
    }


@require_safe
@cache_public_page
def impact(request: HttpRequest) -> HttpResponse:
    """The programme's impact year by year, by category, by region and by channel."""
    figures = impact_figures()
    context = {
        "impact": figures,
        "charts": _charts(figures),
        "downloads": [(table.key, table.title) for table in impact_tables(figures)],
    }
    return render(request, "impact/impact.html", context)


def _file(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _stamp() -> str:
    return f"{timezone.localdate():%Y%m%d}"


@require_safe
def impact_csv(request: HttpRequest, key: str) -> HttpResponse:
    """The numbers of one chart or table of the impact page, as CSV."""
    if key not in TABLE_KEYS:
        raise Http404
    (table,) = [t for t in impact_tables(impact_figures()) if t.key == key]
    return _file(table_csv(table), CSV_CONTENT_TYPE, f"huamu-impact-{key}-{_stamp()}.csv")


@require_safe
def impact_xlsx(request: HttpRequest) -> HttpResponse:
    """The numbers of every chart and table of the impact page, a sheet each (.xlsx)."""
    content = tables_xlsx(impact_tables(impact_figures()))
    return _file(content, XLSX_CONTENT_TYPE, f"huamu-impact-{_stamp()}.xlsx")
