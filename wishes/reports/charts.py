"""Bar charts drawn on the server as inline SVG: no JavaScript, no CDN, no fonts to load.

Each chart is an `<svg role="img">` named by its `<title>` and described by its `<desc>`;
every bar carries its own `<title>` with the exact number, and pages show the same numbers
in a table next to the chart. Text is escaped, so labels from the database are safe.
"""

import unicodedata
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe

# Colours of Bootstrap 5 (danger and its subtle border, body secondary, border).
BAR_FILL = "#dc3545"
EARLIER_FILL = "#f1aeb5"
PART_FILL = "#842029"
TEXT_FILL = "#212529"
MUTED_FILL = "#6c757d"
AXIS_STROKE = "#dee2e6"

FONT = 'font-family="system-ui, sans-serif"'
# Drawn narrow, so that a phone (a 366 px column at 390 px) shows the 13-unit text at 13 px;
# `.chart` in site.css caps the width on wide screens, where it grows to about 17 px.
WIDTH = 360
FONT_SIZE = 13


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: its label, its length, the number written next to it."""

    label: str | Promise
    value: float
    text: str
    # A lighter bar, e.g. figures from earlier records rather than the system.
    muted: bool = False
    # An inner, darker part of the bar (e.g. the fulfilled share of the published wishes).
    part: float | None = None


def _attr(value: object) -> str:
    return quoteattr(str(value))


def _text(value: object) -> str:
    return escape(str(value))


def _width(char: str) -> int:
    # A Chinese character is about twice as wide as a Latin letter.
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def _short(label: str, limit: int) -> str:
    """The label cut to about `limit` Latin letters' width; the bar's title has it whole."""
    if sum(_width(char) for char in label) <= limit:
        return label
    kept, used = [], 1
    for char in label:
        used += _width(char)
        if used > limit:
            break
        kept.append(char)
    return "".join(kept) + "…"


def _svg(
    chart_id: str, title: str | Promise, desc: str | Promise, height: int, body: list[str]
) -> SafeString:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'class="chart w-100" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f"id={_attr(chart_id)} {FONT}>"
        f'<title id="{chart_id}-title">{_text(title)}</title>'
        f'<desc id="{chart_id}-desc">{_text(desc)}</desc>'
    )
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308 (every text is escaped)


def bar_chart(
    *, chart_id: str, title: str | Promise, desc: str | Promise, bars: list[Bar]
) -> SafeString:
    """Horizontal bars, one per line: the label on the left, the number after the bar."""
    row, top, label_width, number_width = 28, 6, 128, 88
    height = top * 2 + row * max(len(bars), 1)
    plot_width = WIDTH - label_width - number_width
    peak = max((bar.value for bar in bars), default=0) or 1
    body = []
    for index, bar in enumerate(bars):
        y = top + index * row
        length = plot_width * bar.value / peak
        fill = EARLIER_FILL if bar.muted else BAR_FILL
        label = _short(str(bar.label), 17)
        body.append(
            f"<g><title>{_text(bar.label)}: {_text(bar.text)}</title>"
            f'<text x="{label_width - 6}" y="{y + row / 2 + 5:.1f}" text-anchor="end" '
            f'font-size="{FONT_SIZE}" fill="{TEXT_FILL}">{_text(label)}</text>'
        )
        if bar.value > 0:
            body.append(
                f'<rect x="{label_width}" y="{y + 5}" width="{length:.1f}" '
                f'height="{row - 10}" fill="{fill}"/>'
            )
        if bar.part:
            part_length = plot_width * bar.part / peak
            body.append(
                f'<rect x="{label_width}" y="{y + 5}" width="{part_length:.1f}" '
                f'height="{row - 10}" fill="{PART_FILL}"/>'
            )
        body.append(
            f'<text x="{label_width + length + 5:.1f}" y="{y + row / 2 + 5:.1f}" '
            f'font-size="{FONT_SIZE}" fill="{TEXT_FILL}">{_text(bar.text)}</text></g>'
        )
    return _svg(chart_id, title, desc, height, body)
