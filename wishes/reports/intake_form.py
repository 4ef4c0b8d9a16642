"""The blank paper intake form: a child's wish in their own words and the guardian's consent.

The child and the guardian fill it in by hand with the school's help, and the association
copies it into its records. Field labels come from the models' verbose names, so the paper
and the admin say the same.
"""

import io
from collections.abc import Sequence

from django.conf import settings
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from wishes.models import Child, Consent, Gender, HardshipCategory, Wish
from wishes.reports.pdf import GREY, INK, LIGHT, RED, cjk_font, draw_lines, new_canvas, wrap


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
        self.y = (
            draw_lines(self.canvas, lines, x=self.margin, y=self.y - size, leading=leading) + size
        )
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
            self.y = (
                draw_lines(c, lines, x=self.margin + 13, y=baseline - 11, leading=10.5) + 10.5 - 3
            )
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
    "share_letter_with_sponsor": lambda: _(
        "The child's thank-you letter, with anything that names the child removed, is passed "
        "to the unit or person who fulfilled the wish."
    ),
}


def intake_form_pdf(language: str | None = None) -> bytes:
    """A blank one-page paper form for a child's wish, with the guardian's consent to sign."""
    font = cjk_font()
    buffer = io.BytesIO()
    with translation.override(language or settings.LANGUAGE_CODE):
        canvas = new_canvas(buffer, title=_("Wish intake form"))
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
                "school or the association; what was published is then taken down. This "
                "consent lasts until the end of the school year (31 August) and is then asked "
                "for again."
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
