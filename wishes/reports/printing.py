"""Printed matter as PDF: wish cards for the wish tree, the paper intake form, certificates.

Chinese text must show in any PDF viewer, also one without Chinese fonts, so every PDF
embeds a subset of WenQuanYi Micro Hei (Debian's fonts-wqy-microhei, fetched by
scripts/fetch-font) as TrueType; nothing relies on a viewer's built-in CJK font such as
STSong. Wish cards carry public data only: they are built from `PublicWish`, the allowlist
of the public pages.
"""

import io
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import segno
from django.conf import settings
from django.db.models import Count, Sum
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from reportlab.lib.colors import Color, HexColor, white
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

from sponsors.models import Sponsor
from wishes.models import Child, Consent, Fulfilment, Gender, HardshipCategory, Wish
from wishes.public.selectors import PublicWish

PDF_CONTENT_TYPE = "application/pdf"
FONT_FILE = "wqy-microhei.ttc"
SYSTEM_FONT = Path("/usr/share/fonts/truetype/wqy") / FONT_FILE

RED = HexColor("#b3261e")
GOLD = HexColor("#c9a227")
INK = HexColor("#1f1f1f")
GREY = HexColor("#6b6b6b")
LIGHT = HexColor("#bdbdbd")

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


class FontMissing(Exception):
    """No usable Chinese font: PDFs cannot be made until one is installed."""


def cjk_font_path() -> Path | None:
    """The CJK font file to embed: HUAMU_CJK_FONT if set, else vendor/fonts/, else the system's."""
    configured = getattr(settings, "HUAMU_CJK_FONT", "")
    if configured:
        # A path set on purpose is used or reported, never silently replaced by another.
        candidates = [Path(configured)]
    else:
        candidates = [Path(settings.BASE_DIR) / "vendor" / "fonts" / FONT_FILE, SYSTEM_FONT]
    return next((path for path in candidates if path.is_file()), None)


_fonts: dict[str, str] = {}
_fonts_lock = threading.Lock()


def _missing_font_message() -> str:
    return _(
        "PDFs need a Chinese font, and none was found. Run scripts/fetch-font, then set "
        "HUAMU_CJK_FONT to the path it prints (or install the fonts-wqy-microhei package)."
    )


def cjk_font() -> str:
    """Register the CJK font with ReportLab once per file; raise FontMissing without one."""
    path = cjk_font_path()
    if path is None:
        raise FontMissing(_missing_font_message())
    key = str(path)
    with _fonts_lock:
        if key not in _fonts:
            name = f"HuamuCJK{len(_fonts)}"
            try:
                # TTFont embeds the glyphs used as a TrueType subset (a FontFile2 stream).
                pdfmetrics.registerFont(TTFont(name, key, subfontIndex=0))
            except (TTFError, OSError) as error:
                raise FontMissing(_missing_font_message()) from error
            _fonts[key] = name
        return _fonts[key]


def wish_url(wish_id: int) -> str:
    """The absolute address of a wish's public page: what its card's QR code holds."""
    return getattr(settings, "SITE_URL", "").rstrip("/") + reverse("wishes:detail", args=[wish_id])


def _canvas(buffer: io.BytesIO, title: str, pagesize=A4) -> Canvas:
    canvas = Canvas(buffer, pagesize=pagesize, pageCompression=1)
    canvas.setTitle(title)
    canvas.setAuthor(_("Huamu Dream Wishes"))
    canvas.setCreator(_("Huamu Dream Wishes"))
    return canvas


# --- text -------------------------------------------------------------------------------------

# A Latin word or number stays whole; every other character (a Chinese one) may end a line.
_TOKEN = re.compile(r"\n|[^\S\n]+|[!-~]+|.", re.DOTALL)
# Closing punctuation hangs at the end of a line rather than starting the next one.
_NO_LINE_START = set("，。、；：！？）》」』”’,.;:!?)…")
ELLIPSIS = "…"


def wrap(
    text: str, font: str, size: float, width: float, max_lines: int | None = None
) -> list[str]:
    """Break `text` into lines no wider than `width`; cut with an ellipsis after `max_lines`."""

    def fits(line: str) -> bool:
        return pdfmetrics.stringWidth(line, font, size) <= width

    lines: list[str] = []
    line = ""
    for piece in _TOKEN.findall(text.strip()):
        if piece == "\n":
            lines.append(line.rstrip())
            line = ""
        elif fits(line + piece) or piece in _NO_LINE_START:
            line += piece
        elif piece.isspace():
            lines.append(line.rstrip())
            line = ""
        elif fits(piece):
            lines.append(line.rstrip())
            line = piece
        else:
            # A word longer than the line: break it wherever it must.
            for char in piece:
                if not fits(line + char) and line:
                    lines.append(line)
                    line = ""
                line += char
    lines.append(line.rstrip())
    while lines and not lines[0]:
        lines.pop(0)
    if max_lines is not None and len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and not fits(last + ELLIPSIS):
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last.rstrip() + ELLIPSIS]
    return lines


def _fitting_size(text: str, font: str, size: float, width: float, smallest: float = 8) -> float:
    while size > smallest and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def _draw_lines(canvas: Canvas, lines: Sequence[str], x: float, y: float, leading: float) -> float:
    """Draw lines downwards from baseline `y`; return the baseline after the last one."""
    for line in lines:
        canvas.drawString(x, y, line)
        y -= leading
    return y


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
    alias_size = _fitting_size(wish.alias, font, 16, right - left)
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
    _draw_lines(canvas, lines, left, text_top, leading)
    canvas.restoreState()


def wish_cards_pdf(wishes: Sequence[PublicWish], language: str | None = None) -> bytes:
    """Wish cards for the wish tree, eight to an A4 page, each with its QR code."""
    font = cjk_font()
    buffer = io.BytesIO()
    with translation.override(language or settings.LANGUAGE_CODE):
        canvas = _canvas(buffer, _("Wish cards"))
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


# --- the paper intake form --------------------------------------------------------------------


def _label(model, field: str) -> str:
    return capfirst(str(model._meta.get_field(field).verbose_name))


class _FormPage:
    """Lays out a paper form from the top of the page down, starting a new page when full."""

    margin = 15 * mm
    row_height = 24
    size = 9.5

    def __init__(self, canvas: Canvas, font: str) -> None:
        self.canvas = canvas
        self.font = font
        self.width = A4[0] - 2 * self.margin
        self.y = A4[1] - self.margin

    def room(self, height: float) -> None:
        if self.y - height < self.margin:
            self.canvas.showPage()
            self.y = A4[1] - self.margin

    def title(self, text: str, subtitle: str) -> None:
        c = self.canvas
        c.setFillColor(RED)
        c.setFont(self.font, 18)
        c.drawCentredString(A4[0] / 2, self.y - 18, text)
        c.setFillColor(INK)
        c.setFont(self.font, 13)
        c.drawCentredString(A4[0] / 2, self.y - 37, subtitle)
        self.y -= 44

    def note(self, text: str, size: float = 8.5) -> None:
        leading = size * 1.4
        lines = wrap(text, self.font, size, self.width)
        self.room(len(lines) * leading + 8)
        self.y -= 4
        self.canvas.setFillColor(GREY)
        self.canvas.setFont(self.font, size)
        self.y = _draw_lines(self.canvas, lines, self.margin, self.y - size, leading) + size
        self.y -= 4
        self.canvas.setFillColor(INK)

    def heading(self, text: str) -> None:
        self.room(60)
        c = self.canvas
        self.y -= 6
        c.setFillColor(RED)
        c.setFont(self.font, 11.5)
        c.drawString(self.margin, self.y - 12, text)
        c.setStrokeColor(RED)
        c.setLineWidth(0.8)
        c.line(self.margin, self.y - 16, self.margin + self.width, self.y - 16)
        c.setFillColor(INK)
        self.y -= 18

    def _label(self, x: float, baseline: float, label: str) -> float:
        text = _("%(label)s:") % {"label": label}
        self.canvas.setFillColor(INK)
        self.canvas.setFont(self.font, self.size)
        self.canvas.drawString(x, baseline, text)
        return x + pdfmetrics.stringWidth(text, self.font, self.size) + 4

    def _box(self, x: float, baseline: float, option: str) -> float:
        """A tick box followed by its option; returns where the next one may start."""
        c = self.canvas
        c.setStrokeColor(INK)
        c.setLineWidth(0.7)
        c.rect(x, baseline - 1.5, 9, 9, stroke=1, fill=0)
        c.setFont(self.font, self.size)
        c.drawString(x + 13, baseline, option)
        return x + 13 + pdfmetrics.stringWidth(option, self.font, self.size) + 12

    def row(
        self, items: Sequence[str | tuple[str, Sequence[str]]], shares: Sequence[float]
    ) -> None:
        """One row of labelled blanks (a label) or tick boxes (a label and its options)."""
        self.room(self.row_height)
        c = self.canvas
        x = self.margin
        baseline = self.y - self.row_height + 6
        for item, share in zip(items, shares, strict=True):
            end = x + self.width * share
            if isinstance(item, str):
                start = self._label(x, baseline, item)
                c.setStrokeColor(GREY)
                c.setLineWidth(0.5)
                c.line(start, baseline - 2, end - 8, baseline - 2)
            else:
                label, options = item
                start = self._label(x, baseline, label)
                for option in options:
                    start = self._box(start, baseline, option)
            x = end
        self.y -= self.row_height

    def choices(self, label: str, options: Sequence[str], columns: int = 3) -> None:
        """Tick boxes, `columns` to a row, under a label."""
        self.room(self.row_height + 16)
        self._label(self.margin, self.y - 14, label)
        self.y -= 16
        column_width = self.width / columns
        for start in range(0, len(options), columns):
            self.room(16)
            baseline = self.y - 12
            for index, option in enumerate(options[start : start + columns]):
                self._box(self.margin + index * column_width, baseline, option)
            self.y -= 16

    def consent(self, options: Sequence[tuple[str, str]]) -> None:
        """One tick box per consent scope with its explanation under it."""
        c = self.canvas
        for label, explanation in options:
            lines = wrap(explanation, self.font, 8, self.width - 13)
            self.room(16 + 10.5 * len(lines))
            baseline = self.y - 13
            self._box(self.margin, baseline, label)
            c.setFillColor(GREY)
            c.setFont(self.font, 8)
            self.y = _draw_lines(c, lines, self.margin + 13, baseline - 11, 10.5) + 10.5 - 3
            c.setFillColor(INK)

    def writing_lines(self, count: int, gap: float = 22) -> None:
        self.room(count * gap + 6)
        c = self.canvas
        c.setStrokeColor(LIGHT)
        c.setLineWidth(0.5)
        for _line in range(count):
            self.y -= gap
            c.line(self.margin, self.y, self.margin + self.width, self.y)
        self.y -= 4


CONSENT_EXPLANATIONS = {
    "keep_record": lambda: _(
        "The association keeps this form and the child's record for the programme only, "
        "locked away and seen by its staff and the child's school."
    ),
    "publish_wish": lambda: _(
        "The wish appears on the programme's website and on a wish card, with only an alias "
        "(such as Xiao Wang), the grade band and the wish text with anything that names or "
        "locates the child removed."
    ),
    "share_photos_with_sponsor": lambda: _(
        "Photos taken when the wish comes true are shown to the unit or person who fulfilled it."
    ),
    "publish_photos": lambda: _(
        "Photos chosen by the association may appear on the programme's public event pages."
    ),
}


def intake_form_pdf(language: str | None = None) -> bytes:
    """A blank one-page paper form for a child's wish, with the guardian's consent to sign."""
    font = cjk_font()
    buffer = io.BytesIO()
    with translation.override(language or settings.LANGUAGE_CODE):
        canvas = _canvas(buffer, _("Wish intake form"))
        page = _FormPage(canvas, font)
        page.title(_("Huamu Dream Wishes"), _("Wish intake form"))
        page.note(
            _(
                "Filled in by hand by the child and the guardian, with the help of the school. "
                "The association copies it into its records and keeps the paper locked away. "
                "The public never sees the child's name, photo, address or the family's "
                "situation."
            )
        )

        page.heading(_("About the child"))
        genders = [str(label) for label in Gender.labels]
        page.row(
            [_("Child's name"), (_label(Child, "gender"), genders), _label(Child, "birth_year")],
            [0.42, 0.3, 0.28],
        )
        page.row(
            [_label(Child, "school"), _label(Child, "grade"), _label(Child, "class_name")],
            [0.5, 0.22, 0.28],
        )
        page.row([_label(Child, "home_region"), _label(Child, "address")], [0.35, 0.65])

        page.heading(_("Guardian"))
        page.row(
            [
                _label(Child, "guardian_name"),
                _("Relationship to the child"),
                _label(Child, "guardian_phone"),
            ],
            [0.32, 0.32, 0.36],
        )
        page.choices(
            _label(Child, "hardship_category"), [str(label) for label in HardshipCategory.labels]
        )
        page.row([_label(Child, "hardship_note")], [1])

        page.heading(_("My wish, in my own words"))
        page.writing_lines(5)

        page.heading(_("The guardian's consent"))
        page.note(
            _(
                "I am the guardian of the child named above. I agree that the Huamu Dream Wishes "
                "programme records this form to make the child's wish come true, and I tick "
                "below what else it may do. Every box is my free choice: a wish can come true "
                "without being published. I may withdraw any consent at any time by telling the "
                "school or the association; what was published is then taken down."
            ),
            size=9,
        )
        page.consent(
            [
                (_label(Consent, scope), explain())
                for scope, explain in CONSENT_EXPLANATIONS.items()
            ]
        )
        page.row(
            [_("Guardian's signature"), _("Relationship to the child"), _("Date")],
            [0.4, 0.32, 0.28],
        )

        page.heading(_("For the association"))
        page.row([_("Received by"), _("Date"), _label(Wish, "code")], [0.36, 0.28, 0.36])
        canvas.showPage()
        canvas.save()
    return buffer.getvalue()


# --- the yearly thank-you certificate ---------------------------------------------------------


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
    name_size = _fitting_size(sponsor.name, font, 20, text_width, smallest=12)
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
    _draw_lines(c, rest, left, y, 22)

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
    canvas = _canvas(buffer, _("Certificate of thanks"), pagesize=landscape(A4))
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
