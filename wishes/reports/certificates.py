"""The yearly thank-you certificate: what a sponsor fulfilled in a year, on landscape A4.

Each certificate is written in its sponsor's language; the figures come from one query.
"""

import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, Sum
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from sponsors.models import Sponsor
from wishes.models import Fulfilment
from wishes.reports.pdf import (
    GOLD,
    GREY,
    INK,
    RED,
    cjk_font,
    draw_lines,
    fitting_size,
    new_canvas,
    wrap,
)


@dataclass(frozen=True)
class CertificateNumbers:
    year: int
    wishes: int
    children: int
    value: Decimal

    @property
    def is_empty(self) -> bool:
        return self.wishes == 0


def certificate_numbers(sponsor: Sponsor, year: int) -> CertificateNumbers:
    """What a sponsor fulfilled in a calendar year, by the fulfilment date: one query."""
    totals = Fulfilment.objects.filter(claim__sponsor=sponsor, fulfilled_on__year=year).aggregate(
        wishes=Count("pk"),
        children=Count("claim__wish__child", distinct=True),
        value=Sum("claim__wish__estimated_value"),
    )
    return CertificateNumbers(
        year=year,
        wishes=totals["wishes"],
        children=totals["children"],
        value=totals["value"] or Decimal("0.00"),
    )


def _money(value: Decimal) -> str:
    # Whole yuan, half a yuan up, thousands separated by commas as both languages write them.
    return f"{value.quantize(Decimal(1), ROUND_HALF_UP):,}"


def _draw_certificate(
    canvas: Canvas, font: str, sponsor: Sponsor, numbers: CertificateNumbers
) -> None:
    width, height = landscape(A4)
    c = canvas
    # A red double frame with a thin gold line inside.
    c.setStrokeColor(RED)
    c.setLineWidth(5)
    c.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    c.setLineWidth(1.2)
    c.rect(16 * mm, 16 * mm, width - 32 * mm, height - 32 * mm)
    c.setStrokeColor(GOLD)
    c.setLineWidth(0.6)
    c.rect(18.5 * mm, 18.5 * mm, width - 37 * mm, height - 37 * mm)

    c.setFillColor(RED)
    c.setFont(font, 40)
    c.drawCentredString(width / 2, height - 50 * mm, _("Certificate of thanks"))

    left = 40 * mm
    text_width = width - 2 * left
    c.setFillColor(INK)
    name_size = fitting_size(sponsor.name, font=font, size=20, width=text_width, smallest=12)
    c.setFont(font, name_size)
    c.drawString(left, height - 72 * mm, _("%(name)s:") % {"name": sponsor.name})

    body = _(
        'In %(year)s you took part in "Hearts joined, dreams come true in Huamu" and made '
        "the wishes of children in need come true with your care. Thank you for your kindness; "
        "we hope to keep making dreams come true together."
    ) % {"year": numbers.year}
    c.setFont(font, 14)
    lines = wrap(body, font, 14, text_width - 28)
    # The first line is indented by two characters, as a Chinese letter is.
    first, rest = lines[:1], lines[1:]
    y = height - 86 * mm
    if first:
        c.drawString(left + 28, y, first[0])
        y -= 22
    draw_lines(c, rest, x=left, y=y, leading=22)

    figures = [
        (str(numbers.wishes), _("Wishes fulfilled")),
        (str(numbers.children), _("Children helped")),
        (_money(numbers.value), _("Estimated value (yuan)")),
    ]
    box_width, box_height, gap = 62 * mm, 28 * mm, 10 * mm
    start = (width - (3 * box_width + 2 * gap)) / 2
    for index, (figure, label) in enumerate(figures):
        x = start + index * (box_width + gap)
        box_y = 48 * mm
        c.setStrokeColor(GOLD)
        c.setLineWidth(1)
        c.roundRect(x, box_y, box_width, box_height, 3 * mm)
        c.setFillColor(RED)
        c.setFont(font, 26)
        c.drawCentredString(x + box_width / 2, box_y + 12 * mm, figure)
        c.setFillColor(GREY)
        c.setFont(font, 10)
        c.drawCentredString(x + box_width / 2, box_y + 5 * mm, label)

    c.setFillColor(INK)
    c.setFont(font, 13)
    right = width - left
    c.drawRightString(right, 34 * mm, _("Huamu Dream Wishes"))
    c.setFont(font, 11)
    c.drawRightString(right, 27 * mm, formats.date_format(timezone.localdate(), "DATE_FORMAT"))


def certificates_pdf(certificates: Sequence[tuple[Sponsor, CertificateNumbers]]) -> bytes:
    """One landscape A4 thank-you certificate per sponsor, each in the sponsor's language."""
    font = cjk_font()
    buffer = io.BytesIO()
    canvas = new_canvas(buffer, title=_("Certificate of thanks"), pagesize=landscape(A4))
    for sponsor, numbers in certificates:
        with translation.override(sponsor.language or settings.LANGUAGE_CODE):
            _draw_certificate(canvas, font, sponsor, numbers)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def current_year() -> int:
    return timezone.localdate().year


def years_since_start() -> list[int]:
    """The programme's years, newest first: it started in 2013."""
    return list(range(current_year(), 2012, -1))
