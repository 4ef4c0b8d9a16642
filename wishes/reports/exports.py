"""The campaign workbook (.xlsx): wishes, claims, fulfilments and each sponsor's contribution.

The workbook leaves the back office (it is mailed, shared with schools and partners, opened
on home computers), so it carries a child's public alias only: no real name, class, address,
guardian, hardship details or the child's own words are ever read into it. Free text that
goes into it and that the privacy guard has not already passed (a cancellation reason staff
typed, the public text of a wish not yet published) goes through the guard's redaction:
names, family, school, class, address, estate, private words and numbers replaced.

Every text cell that a spreadsheet program could take for a formula (it begins with = + - @,
a tab or a carriage return) is neutralised with a leading apostrophe, which Excel, LibreOffice
and WPS show as text: a wish text like "=HYPERLINK(...)" cannot run when the file is opened.
"""

import datetime
import io
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain, islice
from typing import Any, cast

from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from sponsors.models import Sponsor, SponsorKind, UnitCategory
from wishes.models import (
    LIVE_CLAIM_STATUSES,
    Campaign,
    Child,
    Claim,
    ClaimChannel,
    ClaimStatus,
    Fulfilment,
    LetterStatus,
    ThankYouLetter,
    Wish,
    WishCategory,
    WishStatus,
)
from wishes.models.wishes import PUBLISHED_STATUSES
from wishes.privacy.redaction import mask_contact_details, redact_for_child
from wishes.reports.xlsx_stream import fast_rows

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# What a spreadsheet program reads as the start of a formula (or of DDE, after a tab or CR).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Prefixed to such text. Shown as a visible apostrophe, which is honest about the change.
NEUTRALISER = "'"

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MONEY_FORMAT = "#,##0.00"
MIN_COLUMN_WIDTH = 8
MAX_COLUMN_WIDTH = 60
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", start_color="FDE9E7")
HEADER_ALIGNMENT = Alignment(vertical="center")

# The workbook streams: rows are read from the database this many at a time, and each
# sheet's column widths are measured on its first rows only, so a campaign of any size
# needs the same memory.
CHUNK_ROWS = 2000
SAMPLE_ROWS = 500


def neutralise(value: str) -> str:
    """Text that cannot be taken for a formula, without characters an .xlsx cannot hold."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith(FORMULA_STARTS):
        return NEUTRALISER + value
    return value


def _cell_value(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        # .xlsx has no time zones: write the Shanghai wall-clock time staff expect.
        return timezone.localtime(value).replace(tzinfo=None, microsecond=0)
    if isinstance(value, bool | int | float | Decimal | datetime.date):
        return value
    # Anything else (labels, names, lazy strings) is text, and text is neutralised.
    return neutralise(str(value)) or None


def _label(choices: type[models.TextChoices], value: str) -> str:
    return str(choices(value).label) if value else ""


def _labels(choices: type[models.TextChoices]) -> dict[str | None, str]:
    """`_label` of every value, translated once per sheet rather than once per row ("" for
    no value; an unknown value is a KeyError, as `_label` refuses it)."""
    return {"": "", None: ""} | {value: str(label) for value, label in choices.choices}


def _header(model: type[models.Model], field: str) -> str:
    """The field's translated verbose name, so headers match the back office's words."""
    # Headers name the model's own fields, never a relation pointing at it.
    return capfirst(str(cast(models.Field, model._meta.get_field(field)).verbose_name))


@dataclass(frozen=True)
class Column:
    header: str
    number_format: str | None = None


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[object]]


def _text_width(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime.datetime):
        return 16
    if isinstance(value, datetime.date):
        return 10
    text = str(value)
    # A Chinese character takes about two columns of a Latin one.
    return sum(2 if ord(char) > 0x2E7F else 1 for char in text)


def _sized(width: int) -> int:
    return min(MAX_COLUMN_WIDTH, max(MIN_COLUMN_WIDTH, width + 2))


def _write_sheet(workbook: Workbook, sheet: Sheet) -> None:
    """Stream one sheet's rows into a write-only worksheet, in memory bounded by SAMPLE_ROWS.

    A write-only sheet writes its columns and frozen header before the first row, so the
    widths come from the first rows (a sample), not from every row.
    """
    # Sheet names may not hold []:*?/\ and are at most 31 characters long.
    worksheet = workbook.create_sheet("".join(c for c in sheet.title if c not in "[]:*?/\\")[:31])
    rows = iter(sheet.rows)
    sample = [[_cell_value(value) for value in row] for row in islice(rows, SAMPLE_ROWS)]
    widths = [_text_width(column.header) for column in sheet.columns]
    for values in sample:
        widths = [
            max(width, _text_width(value)) for width, value in zip(widths, values, strict=True)
        ]
    for index, width in enumerate(widths, start=1):
        worksheet.column_dimensions[get_column_letter(index)].width = _sized(width)
    # The header stays in view while scrolling; filters make the sheet easy to sort.
    worksheet.freeze_panes = "A2"
    formats = [column.number_format for column in sheet.columns]
    # Rows are written as text (wishes/reports/xlsx_stream.py), the same XML as openpyxl's.
    worksheet._rows = fast_rows(worksheet, formats)
    next(worksheet._rows)
    worksheet.append([_header_cell(worksheet, column.header) for column in sheet.columns])
    count = 0
    for values in chain(sample, ([_cell_value(value) for value in row] for row in rows)):
        worksheet.append(values)
        count += 1
    last_column = get_column_letter(len(sheet.columns))
    worksheet.auto_filter.ref = f"A1:{last_column}{count + 1}"
    # Finished: its XML is complete in its temporary file, which saving the workbook reads.
    worksheet.close()


def _header_cell(worksheet: WriteOnlyWorksheet, header: str) -> Cell:
    cell = WriteOnlyCell(worksheet, neutralise(header))
    cell.font = HEADER_FONT
    cell.fill = HEADER_FILL
    cell.alignment = HEADER_ALIGNMENT
    return cell


PUBLISHED = set(PUBLISHED_STATUSES)


def _guarded(text: str, child: Child | None) -> str:
    """Free text with everything the privacy guard knows of its child replaced by natural
    words (我叫小林同学), and numbers masked; without the child, numbers only."""
    if not text:
        return ""
    if child is None:
        return mask_contact_details(text)
    return redact_for_child(text, child)


def _children(child_ids: set[int]) -> dict[int, Child]:
    # Read only for the privacy guard; nothing of them is written to the workbook.
    if not child_ids:
        return {}
    return Child.objects.select_related("school").in_bulk(child_ids)


def _wishes_sheet(campaign: Campaign) -> Sheet:
    live_claims = Claim.objects.filter(
        wish=OuterRef("pk"), status__in=[*LIVE_CLAIM_STATUSES, ClaimStatus.FULFILLED]
    ).order_by("-created_at")
    wishes = (
        Wish.objects.filter(campaign=campaign)
        .annotate(
            claimed_at=Subquery(live_claims.values("created_at")[:1]),
            fulfilled_on=Subquery(
                Fulfilment.objects.filter(claim__wish=OuterRef("pk")).values("fulfilled_on")[:1]
            ),
        )
        .order_by("code")
        # An allowlist: the child's alias, school and grade, never the private fields.
        .values(
            "code",
            "child_id",
            "category",
            "public_text",
            "estimated_value",
            "status",
            "published_at",
            "claimed_at",
            "fulfilled_on",
            alias=F("child__alias"),
            school=F("child__school__name"),
            grade=F("child__grade"),
        )
        .iterator(chunk_size=CHUNK_ROWS)
    )
    columns = [
        Column(_header(Wish, "code")),
        Column(_header(Child, "alias")),
        Column(_header(Child, "school")),
        Column(_header(Child, "grade")),
        Column(_header(Wish, "category")),
        Column(_header(Wish, "public_text")),
        Column(_header(Wish, "estimated_value"), MONEY_FORMAT),
        Column(_header(Wish, "status")),
        Column(_("Published on"), DATE_FORMAT),
        Column(_("Claimed on"), DATE_FORMAT),
        Column(_("Fulfilled on"), DATE_FORMAT),
    ]
    return Sheet(capfirst(str(Wish._meta.verbose_name_plural)), columns, _wish_rows(wishes))


def _wish_rows(wishes: Iterator[Mapping[str, Any]]) -> Iterator[list[object]]:
    # A published text passed the privacy guard when it was published or last edited; a
    # draft's or a withdrawn wish's text may never have: it goes through the guard here,
    # with its children read one query a chunk.
    categories, statuses = _labels(WishCategory), _labels(WishStatus)
    while chunk := list(islice(wishes, CHUNK_ROWS)):
        unchecked = {
            w["child_id"] for w in chunk if w["public_text"] and w["status"] not in PUBLISHED
        }
        children = _children(unchecked)
        for w in chunk:
            text = w["public_text"]
            yield [
                w["code"],
                w["alias"],
                w["school"],
                w["grade"],
                categories[w["category"]],
                _guarded(text, children.get(w["child_id"]))
                if w["status"] not in PUBLISHED
                else mask_contact_details(text),
                w["estimated_value"],
                statuses[w["status"]],
                _local_date(w["published_at"]),
                _local_date(w["claimed_at"]),
                w["fulfilled_on"],
            ]


def _local_date(moment: datetime.datetime | None) -> datetime.date | None:
    return timezone.localdate(moment) if moment is not None else None


def _claims_sheet(campaign: Campaign) -> Sheet:
    claims = (
        Claim.objects.filter(wish__campaign=campaign)
        .order_by("wish__code", "created_at", "pk")
        .values(
            "channel",
            "external_ref",
            "claimant_name",
            "status",
            "promised_on",
            "created_at",
            "cancel_reason",
            code=F("wish__code"),
            child_id=F("wish__child_id"),
            sponsor_name=F("sponsor__name"),
            sponsor_kind=F("sponsor__kind"),
        )
        .iterator(chunk_size=CHUNK_ROWS)
    )
    columns = [
        Column(_header(Wish, "code")),
        Column(_header(Claim, "sponsor")),
        Column(_header(Sponsor, "kind")),
        Column(_header(Claim, "channel")),
        Column(_header(Claim, "external_ref")),
        Column(_header(Claim, "claimant_name")),
        Column(_header(Claim, "status")),
        Column(_header(Claim, "promised_on"), DATE_FORMAT),
        Column(_("Claimed at"), DATETIME_FORMAT),
        Column(_header(Claim, "cancel_reason")),
    ]
    return Sheet(capfirst(str(Claim._meta.verbose_name_plural)), columns, _claim_rows(claims))


def _claim_rows(claims: Iterator[Mapping[str, Any]]) -> Iterator[list[object]]:
    # The names to mask are read for a chunk of claims at a time: one query per chunk
    # that has cancellation reasons, never one per claim nor all children at once.
    kinds, channels = _labels(SponsorKind), _labels(ClaimChannel)
    statuses = _labels(ClaimStatus)
    while chunk := list(islice(claims, CHUNK_ROWS)):
        children = _children({c["child_id"] for c in chunk if c["cancel_reason"]})
        for c in chunk:
            yield [
                c["code"],
                c["sponsor_name"],
                kinds[c["sponsor_kind"]],
                channels[c["channel"]],
                c["external_ref"],
                c["claimant_name"],
                statuses[c["status"]],
                c["promised_on"],
                c["created_at"],
                _guarded(c["cancel_reason"], children.get(c["child_id"])),
            ]


def _fulfilments_sheet(campaign: Campaign) -> Sheet:
    latest_letter = ThankYouLetter.objects.filter(fulfilment=OuterRef("pk")).order_by(
        "-created_at", "-pk"
    )
    fulfilments = (
        Fulfilment.objects.filter(claim__wish__campaign=campaign)
        .annotate(letter_status=Subquery(latest_letter.values("status")[:1]))
        .order_by("fulfilled_on", "claim__wish__code")
        .values(
            "fulfilled_on",
            "letter_status",
            code=F("claim__wish__code"),
            event_date=F("event__date"),
            event_title=F("event__title"),
            sponsor_name=F("claim__sponsor__name"),
        )
        .iterator(chunk_size=CHUNK_ROWS)
    )
    columns = [
        Column(_header(Wish, "code")),
        Column(_header(Fulfilment, "fulfilled_on"), DATE_FORMAT),
        Column(_header(Fulfilment, "event")),
        Column(_header(Claim, "sponsor")),
        Column(_("Thank-you letter")),
    ]
    rows = (
        [
            f["code"],
            f["fulfilled_on"],
            f"{f['event_date']:%Y-%m-%d} {f['event_title']}" if f["event_title"] else "",
            f["sponsor_name"],
            _label(LetterStatus, f["letter_status"]) or _("No letter yet"),
        ]
        for f in fulfilments
    )
    return Sheet(capfirst(str(Fulfilment._meta.verbose_name_plural)), columns, rows)


def _contribution_sheet(campaign: Campaign) -> Sheet:
    in_campaign = Q(claims__wish__campaign=campaign)
    standing = in_campaign & ~Q(claims__status=ClaimStatus.CANCELLED)
    fulfilled = in_campaign & Q(claims__status=ClaimStatus.FULFILLED)
    # A sponsor's contribution counts its claims still standing (active or fulfilled) and
    # the estimated value of the wishes it actually fulfilled; cancelled claims give nothing.
    sponsors = (
        Sponsor.objects.annotate(
            claim_count=Count("claims", filter=standing),
            fulfilled_count=Count("claims", filter=fulfilled),
            fulfilled_value=Sum("claims__wish__estimated_value", filter=fulfilled),
        )
        .filter(claim_count__gt=0)
        .order_by("-fulfilled_count", "-claim_count", "name")
        .values(
            "name",
            "kind",
            "unit_category",
            "claim_count",
            "fulfilled_count",
            "fulfilled_value",
            region_name=F("region__name"),
        )
        .iterator(chunk_size=CHUNK_ROWS)
    )
    columns = [
        Column(_header(Claim, "sponsor")),
        Column(_header(Sponsor, "kind")),
        Column(_header(Sponsor, "unit_category")),
        Column(_header(Sponsor, "region")),
        Column(_("Claims")),
        Column(_("Wishes fulfilled")),
        Column(_("Estimated value fulfilled (yuan)"), MONEY_FORMAT),
    ]
    rows = (
        [
            s["name"],
            _label(SponsorKind, s["kind"]),
            _label(UnitCategory, s["unit_category"]),
            s["region_name"] or "",
            s["claim_count"],
            s["fulfilled_count"],
            s["fulfilled_value"] or Decimal("0.00"),
        ]
        for s in sponsors
    )
    return Sheet(_("Sponsors' contribution"), columns, rows)


SHEETS: list[Callable[[Campaign], Sheet]] = [
    _wishes_sheet,
    _claims_sheet,
    _fulfilments_sheet,
    _contribution_sheet,
]


def campaign_workbook(campaign: Campaign) -> Workbook:
    """The campaign's workbook, one sheet per list, headers in the active language.

    A write-only workbook: its rows are already written to temporary files, and it can be
    saved once.
    """
    # A write-only workbook starts without sheets.
    workbook = Workbook(write_only=True)
    for make_sheet in SHEETS:
        _write_sheet(workbook, make_sheet(campaign))
    workbook.properties.title = campaign.name
    return workbook


def campaign_workbook_bytes(campaign: Campaign) -> bytes:
    """The campaign's workbook as the bytes of an .xlsx file."""
    buffer = io.BytesIO()
    campaign_workbook(campaign).save(buffer)
    return buffer.getvalue()


def campaign_child_ids(campaign: Campaign) -> set[int]:
    """The children whose wishes the workbook lists, for the access log."""
    return set(Wish.objects.filter(campaign=campaign).values_list("child_id", flat=True))


def campaign_filename(campaign: Campaign) -> str:
    return f"huamu-campaign-{campaign.year}-{timezone.localdate():%Y%m%d}.xlsx"


def sheets_workbook_bytes(sheets: Iterable[Sheet], *, title: str) -> bytes:
    """Any list of sheets as an .xlsx file, written as the campaign workbook is (text cells
    neutralised, headers styled and frozen)."""
    workbook = Workbook(write_only=True)
    for sheet in sheets:
        _write_sheet(workbook, sheet)
    workbook.properties.title = title
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
