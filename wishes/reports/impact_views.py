"""The public impact page: the programme's numbers since 2013, with charts drawn as SVG."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import number_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from huamu.cache import cache_public_page
from wishes.reports.charts import Bar, bar_chart
from wishes.reports.impact import Impact, Share, impact_figures


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
    context = {"impact": figures, "charts": _charts(figures)}
    return render(request, "impact/impact.html", context)
