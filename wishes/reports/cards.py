"""Wish cards for the wish tree: eight to an A4 sheet, each with a QR code to its public page.

Cards carry public data only: they are built from `PublicWish`, the allowlist of the public
pages. The QR code is drawn as vector rectangles, so it stays sharp at any print size.
"""

import io
from collections.abc import Sequence

import segno
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.lib.colors import Color, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from wishes.public.selectors import PublicWish
from wishes.reports.pdf import (
    GREY,
    INK,
    LIGHT,
    RED,
    cjk_font,
    draw_lines,
    fitting_size,
    new_canvas,
    wrap,
)

# Wish cards: 2 × 4 on a portrait A4 sheet, cut along the dashed lines.
CARD_COLUMNS, CARD_ROWS = 2, 4
CARDS_PER_PAGE = CARD_COLUMNS * CARD_ROWS
SHEET_MARGIN = 10 * mm
CARD_WIDTH = (A4[0] - 2 * SHEET_MARGIN) / CARD_COLUMNS
CARD_HEIGHT = (A4[1] - 2 * SHEET_MARGIN) / CARD_ROWS
CARD_PADDING = 6 * mm
QR_SIZE = 32 * mm
# A QR code needs four empty modules around it to be read.
QR_QUIET_ZONE = 4


def wish_url(wish_id: int) -> str:
    """The absolute address of a wish's public page: what its card's QR code holds."""
    return getattr(settings, "SITE_URL", "").rstrip("/") + reverse("wishes:detail", args=[wish_id])


# --- QR codes ---------------------------------------------------------------------------------


def draw_qr(canvas: Canvas, payload: str, x: float, y: float, size: float) -> None:
    """Draw `payload` as a vector QR code in a `size` square at (x, y), quiet zone included."""
    matrix = segno.make(payload, error="m", micro=False).matrix
    modules = len(matrix) + 2 * QR_QUIET_ZONE
    module = size / modules
    canvas.saveState()
    canvas.setFillColor(white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(Color(0, 0, 0))
    path = canvas.beginPath()
    top = y + size - QR_QUIET_ZONE * module
    for row_index, row in enumerate(matrix):
        row_y = top - (row_index + 1) * module
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            start = column
            while column < len(row) and row[column]:
                column += 1
            # One rectangle per run of dark modules: smaller files, no hairline seams.
            path.rect(
                x + (QR_QUIET_ZONE + start) * module, row_y, (column - start) * module, module
            )
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


# --- wish cards -------------------------------------------------------------------------------


def _draw_card(canvas: Canvas, font: str, wish: PublicWish, x: float, y: float) -> None:
    canvas.saveState()
    # The cutting line, then the card's own frame.
    canvas.setDash(2, 3)
    canvas.setStrokeColor(LIGHT)
    canvas.setLineWidth(0.4)
    canvas.rect(x, y, CARD_WIDTH, CARD_HEIGHT, stroke=1, fill=0)
    canvas.setDash()
    canvas.setStrokeColor(RED)
    canvas.setLineWidth(1.2)
    canvas.roundRect(x + 3 * mm, y + 3 * mm, CARD_WIDTH - 6 * mm, CARD_HEIGHT - 6 * mm, 3 * mm)

    left = x + CARD_PADDING
    right = x + CARD_WIDTH - CARD_PADDING
    top = y + CARD_HEIGHT - CARD_PADDING
    canvas.setFillColor(RED)
    canvas.setFont(font, 8)
    canvas.drawString(left, top - 8, _("Huamu Dream Wishes · wish card"))

    canvas.setFillColor(INK)
    alias_size = fitting_size(wish.alias, font=font, size=16, width=right - left)
    canvas.setFont(font, alias_size)
    canvas.drawString(left, top - 8 - 6 * mm, wish.alias)

    canvas.setFillColor(GREY)
    canvas.setFont(font, 9)
    details = " · ".join(str(part) for part in (wish.grade_band, wish.category) if part)
    canvas.drawString(left, top - 8 - 11 * mm, details)

    qr_x = right - QR_SIZE
    qr_y = y + CARD_PADDING + 7 * mm
    draw_qr(canvas, wish_url(wish.id), qr_x, qr_y, QR_SIZE)
    canvas.setFillColor(INK)
    canvas.setFont(font, 10)
    canvas.drawCentredString(qr_x + QR_SIZE / 2, qr_y - 3 * mm, wish.code)
    canvas.setFillColor(GREY)
    canvas.setFont(font, 6.5)
    canvas.drawCentredString(qr_x + QR_SIZE / 2, qr_y - 6.5 * mm, _("Scan to claim this wish"))

    text_top = top - 8 - 17 * mm
    size, leading = 9.5, 12.5
    room = int((text_top - (y + CARD_PADDING)) // leading) + 1
    canvas.setFillColor(INK)
    canvas.setFont(font, size)
    lines = wrap(wish.public_text, font, size, qr_x - 5 * mm - left, max_lines=room)
    draw_lines(canvas, lines, x=left, y=text_top, leading=leading)
    canvas.restoreState()


def wish_cards_pdf(wishes: Sequence[PublicWish], language: str | None = None) -> bytes:
    """Wish cards for the wish tree, eight to an A4 page, each with its QR code."""
    font = cjk_font()
    buffer = io.BytesIO()
    with translation.override(language or settings.LANGUAGE_CODE):
        canvas = new_canvas(buffer, title=_("Wish cards"))
        for index, wish in enumerate(wishes):
            place = index % CARDS_PER_PAGE
            if index and not place:
                canvas.showPage()
            column, row = place % CARD_COLUMNS, place // CARD_COLUMNS
            x = SHEET_MARGIN + column * CARD_WIDTH
            y = A4[1] - SHEET_MARGIN - (row + 1) * CARD_HEIGHT
            _draw_card(canvas, font, wish, x, y)
        canvas.showPage()
        canvas.save()
    return buffer.getvalue()
