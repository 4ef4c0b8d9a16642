"""An event's roster and sign-in sheet (PDF): the wishes to fulfil there by the child's alias
(never a real name), their sponsors, and every attendee with an empty column to sign.

The reads take only the alias of a child, never the record: the real name cannot reach the
page even by mistake.
"""

import io
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F
from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from wishes.models import (
    LIVE_CLAIM_STATUSES,
    AttendeeStatus,
    ClaimStatus,
    Event,
    EventSignup,
    SignupStatus,
)
from wishes.reports.pdf import GREY, INK, LIGHT, RED, cjk_font, fitting_size, new_canvas

MARGIN = 15 * mm
ROW = 9 * mm


@dataclass(frozen=True)
class RosterWish:
    child_id: int
    code: str
    alias: str
    sponsor: str


@dataclass(frozen=True)
class RosterLine:
    sponsor: str
    name: str


@dataclass(frozen=True)
class Roster:
    event: Event
    wishes: list[RosterWish]
    lines: list[RosterLine]

    @property
    def child_ids(self) -> set[int]:
        return {wish.child_id for wish in self.wishes}


def roster_of(event: Event) -> Roster:
    """The event's wishes (alias, code, sponsor of the live or fulfilled claim) and the
    attendees of its sign-ups, with a blank line for each person not named; three queries."""
    claimed = [*LIVE_CLAIM_STATUSES, ClaimStatus.FULFILLED]
    rows = (
        event.wishes.filter(claims__status__in=claimed)
        .values("child_id", "code", alias=F("child__alias"), sponsor=F("claims__sponsor__name"))
        .order_by("code")
    )
    wishes = [RosterWish(**row) for row in rows]
    signups = (
        EventSignup.objects.filter(event=event, status=SignupStatus.ACTIVE)
        .select_related("sponsor")
        .prefetch_related("attendees")
        .order_by("sponsor__name", "pk")
    )
    lines: list[RosterLine] = []
    for signup in signups:
        named = [a for a in signup.attendees.all() if a.status != AttendeeStatus.REMOVED]
        lines.extend(RosterLine(signup.sponsor.name, a.name) for a in named)
        lines.extend(
            RosterLine(signup.sponsor.name, "") for _ in range(signup.headcount - len(named))
        )
    return Roster(event=event, wishes=wishes, lines=lines)


class _Sheet:
    """Rows of a table down the page, starting a new page (with the header) when full."""

    def __init__(self, canvas: Canvas, font: str, title: str) -> None:
        self.canvas, self.font, self.title = canvas, font, title
        self.y = A4[1] - MARGIN
        self.heading()

    def heading(self) -> None:
        self.canvas.setFillColor(RED)
        self.canvas.setFont(self.font, 9)
        self.canvas.drawString(MARGIN, self.y - 9, _("Huamu Dream Wishes"))
        self.canvas.setFillColor(INK)
        size = fitting_size(self.title, font=self.font, size=16, width=A4[0] - 2 * MARGIN)
        self.canvas.setFont(self.font, size)
        self.canvas.drawString(MARGIN, self.y - 30, self.title)
        self.y -= 42

    def need(self, height: float) -> None:
        if self.y - height < MARGIN:
            self.canvas.showPage()
            self.y = A4[1] - MARGIN
            self.heading()

    def section(self, text: str) -> None:
        self.need(3 * ROW)
        self.y -= 6 * mm
        self.canvas.setFillColor(INK)
        self.canvas.setFont(self.font, 12)
        self.canvas.drawString(MARGIN, self.y, text)
        self.y -= 3 * mm

    def row(self, cells: list[str], widths: list[float], *, header: bool = False) -> None:
        self.need(ROW)
        canvas = self.canvas
        canvas.setStrokeColor(LIGHT)
        canvas.setFillColor(GREY if header else INK)
        canvas.setFont(self.font, 9 if header else 10.5)
        x = MARGIN
        for text, width in zip(cells, widths, strict=True):
            canvas.rect(x, self.y - ROW, width, ROW, stroke=1, fill=0)
            size = fitting_size(text, font=self.font, size=9 if header else 10.5, width=width - 4)
            canvas.setFontSize(size)
            canvas.drawString(x + 2 * mm, self.y - ROW + 3 * mm, text)
            x += width
        self.y -= ROW


def roster_pdf(roster: Roster, language: str | None = None) -> bytes:
    """The roster and sign-in sheet of an event, on A4 pages."""
    font = cjk_font()
    buffer = io.BytesIO()
    event = roster.event
    width = A4[0] - 2 * MARGIN
    with translation.override(language or settings.LANGUAGE_CODE):
        title = f"{event.date:%Y-%m-%d} {event.title}"
        canvas = new_canvas(buffer, title=_("Roster: %(event)s") % {"event": title})
        sheet = _Sheet(canvas, font, title)
        canvas.setFillColor(GREY)
        canvas.setFont(font, 10)
        canvas.drawString(MARGIN, sheet.y, event.venue)
        sheet.y -= 2 * mm

        sheet.section(_("Wishes to fulfil"))
        widths = [width * 0.2, width * 0.3, width * 0.5]
        sheet.row([_("Wish"), _("Alias"), _("Sponsor")], widths, header=True)
        for wish in roster.wishes:
            sheet.row([wish.code, wish.alias, wish.sponsor], widths)
        if not roster.wishes:
            sheet.row([_("No claimed wish is planned for this event."), "", ""], widths)

        sheet.section(_("Sign-in sheet"))
        widths = [width * 0.08, width * 0.34, width * 0.28, width * 0.30]
        sheet.row(["#", _("Sponsor"), _("Attendee"), _("Signature")], widths, header=True)
        for number, line in enumerate(roster.lines, start=1):
            sheet.row([str(number), line.sponsor, line.name, ""], widths)
        # A few empty lines for people who come without having signed up.
        for number in range(len(roster.lines) + 1, len(roster.lines) + 6):
            sheet.row([str(number), "", "", ""], widths)
        canvas.showPage()
        canvas.save()
    return buffer.getvalue()
