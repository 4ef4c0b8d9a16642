"""Volunteer hours (志愿时长): what members earned at events, and the export for the city's
volunteer system (name, phone, unit, event, date, hours; one row per member and event).

A member's phone is their login phone (VerifiedPhone), else the phone typed with the
attendee, else the sponsor's contact phone. Staff export it in full (the city's system
needs it); a unit administrator's export of colleagues masks it.

Names, units and event titles are typed by people: every text cell is neutralised so that
no spreadsheet takes it for a formula.
"""

import csv
import datetime
import io
from decimal import Decimal

from django import forms
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext_lazy
from openpyxl import Workbook

from huamu.admin_kit import date_input
from huamu.phones import mask_phone
from wishes.models import Attendee, AttendeeStatus, SignupStatus
from wishes.reports.exports import XLSX_CONTENT_TYPE, neutralise
from wishes.reports.print_views import download


def earned_hours() -> QuerySet[Attendee]:
    """Every check-in of a member that earned hours, oldest event first."""
    return (
        Attendee.objects.filter(
            status=AttendeeStatus.CHECKED_IN,
            signup__status=SignupStatus.ACTIVE,
            user__isnull=False,
            hours__isnull=False,
        )
        .select_related("signup__event", "signup__sponsor", "user__verified_phone")
        .order_by("signup__event__date", "signup__event_id", "signup__sponsor__name", "name", "pk")
    )


def hours_between(
    start: datetime.date | None, end: datetime.date | None, *, sponsor_id: int | None = None
) -> QuerySet[Attendee]:
    """The hours earned at events from `start` to `end` (both included), of one unit or all."""
    rows = earned_hours()
    if start is not None:
        rows = rows.filter(signup__event__date__gte=start)
    if end is not None:
        rows = rows.filter(signup__event__date__lte=end)
    if sponsor_id is not None:
        rows = rows.filter(signup__sponsor_id=sponsor_id)
    return rows


def total_hours(rows: list[Attendee]) -> Decimal:
    return sum((row.hours or Decimal(0) for row in rows), Decimal(0))


def phone_of(attendee: Attendee) -> str:
    """The number the city's system gets for an attendee (see the module's docstring)."""
    user = attendee.user
    verified = getattr(user, "verified_phone", None) if user is not None else None
    if verified is not None:
        return verified.phone
    return attendee.phone or attendee.signup.sponsor.phone


def _table(rows: QuerySet[Attendee], *, full_phones: bool) -> list[list[object]]:
    header: list[object] = [
        _("Name"),
        _("Phone"),
        _("Unit"),
        _("Event"),
        _("Date"),
        _("Volunteer hours"),
    ]
    table = [header]
    for row in rows:
        event = row.signup.event
        phone = phone_of(row)
        table.append(
            [
                neutralise(row.name),
                neutralise(phone if full_phones or not phone else mask_phone(phone)),
                neutralise(row.signup.sponsor.name),
                neutralise(event.title),
                event.date,
                row.hours,
            ]
        )
    return table


def hours_csv(rows: QuerySet[Attendee], *, full_phones: bool = True) -> bytes:
    """The rows as CSV, with a BOM so that Excel reads the Chinese correctly."""
    text = io.StringIO()
    writer = csv.writer(text)
    for line in _table(rows, full_phones=full_phones):
        writer.writerow(
            [value.isoformat() if isinstance(value, datetime.date) else value for value in line]
        )
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def hours_xlsx(rows: QuerySet[Attendee], *, full_phones: bool = True) -> bytes:
    """The rows as an .xlsx workbook: dates as dates, hours as numbers."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101 (a new workbook has its sheet)
    sheet.title = _("Volunteer hours")[:31]
    for line in _table(rows, full_phones=full_phones):
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in line])
    for cell in sheet["E"][1:]:
        cell.number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def hours_filename(start: datetime.date | None, end: datetime.date | None, suffix: str) -> str:
    period = "-".join(f"{day:%Y%m%d}" for day in (start, end) if day is not None)
    return f"volunteer-hours{'-' + period if period else ''}.{suffix}"


class HoursPeriodForm(forms.Form):
    """The period of an hours export and its format; both dates optional."""

    # "From"/"To" alone are a field history's old and new values (原值/新值).
    start = forms.DateField(
        label=pgettext_lazy("period", "From"), required=False, widget=date_input()
    )
    end = forms.DateField(label=pgettext_lazy("period", "To"), required=False, widget=date_input())
    format = forms.ChoiceField(
        label=_lazy("Format"),
        choices=[("csv", "CSV"), ("xlsx", ".xlsx")],
        initial="csv",
        required=False,
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError(_lazy("The period ends before it starts."))
        return data


def hours_download(
    rows: QuerySet[Attendee], form: HoursPeriodForm, *, full_phones: bool
) -> HttpResponse:
    """The export of `rows` in the form's format, as a file to save."""
    start, end = form.cleaned_data.get("start"), form.cleaned_data.get("end")
    if form.cleaned_data.get("format") == "xlsx":
        content = hours_xlsx(rows, full_phones=full_phones)
        return download(content, XLSX_CONTENT_TYPE, hours_filename(start, end, "xlsx"))
    content = hours_csv(rows, full_phones=full_phones)
    return download(content, "text/csv; charset=utf-8", hours_filename(start, end, "csv"))
