"""Importing children and wishes from a spreadsheet: the file format, the check, the import.

The association keeps its children on paper forms and in spreadsheets, in Chinese. The file
format is therefore fixed: its headers and yes/no words are Chinese whatever the language of
the back office (English headers and the codes are accepted too). It is data, like the demo
data, so the few Chinese words below are literals and not translations.

A batch goes: uploaded → checked (every row valid: it may be imported) or failed (problems,
listed by row and column: fix the file and upload it again) → imported, all or nothing. The
same child (school, real name, birth year) or the same child's wish in the campaign is never
created twice, so importing a file again creates nothing new.
"""

import csv
import datetime
import io
import logging
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import openpyxl
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.datavalidation import DataValidation

from huamu.errors import TransitionError
from sponsors.models import mainland_phone_validator
from wishes.audit import record_change
from wishes.models import (
    Campaign,
    Child,
    Consent,
    ConsentMethod,
    Gender,
    HardshipCategory,
    ImportBatch,
    ImportStatus,
    Region,
    School,
    Wish,
    WishCategory,
    WishStatus,
)
from wishes.privacy.redaction import redact_for_child
from wishes.services import files_removed_on_error, store_file

logger = logging.getLogger(__name__)

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def max_bytes() -> int:
    """The largest file accepted (HUAMU_IMPORT_MAX_BYTES, 5 MB by default)."""
    return getattr(settings, "HUAMU_IMPORT_MAX_BYTES", 5 * 1024 * 1024)


def max_rows() -> int:
    """The most rows of children in one file (HUAMU_IMPORT_MAX_ROWS, 5000 by default)."""
    return getattr(settings, "HUAMU_IMPORT_MAX_ROWS", 5000)


# An .xlsx is a zip: a small file could unpack to gigabytes of XML.
MAX_UNPACKED_BYTES = 100_000_000
# Columns beyond these are never read; a blank run this long ends the table.
MAX_COLUMNS = 60
BLANK_ROWS_END_TABLE = 1000
# The problems kept for the preview; the total is counted in the summary.
MAX_PROBLEMS_KEPT = 1000
# Rows shown in the preview of what will be imported.
PREVIEW_ROWS = 50


# --- the file format --------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    english: str
    required: bool
    help: str


COLUMNS = [
    Column("real_name", "姓名", "Real name", True, _("The child's real name; never public.")),
    Column(
        "alias",
        "化名",
        "Alias",
        False,
        _("Shown to the public. Left empty: 小 + surname + 同学 (e.g. 小王同学)."),
    ),
    Column("gender", "性别", "Gender", True, _("The child's gender.")),
    Column("birth_year", "出生年份", "Birth year", True, _("Four digits, e.g. 2016.")),
    Column("grade", "年级", "Grade", True, _("1 to 5 for primary school, 6 to 9 for junior.")),
    Column("class_name", "班级", "Class", False, _("For the school only; never public.")),
    Column(
        "school",
        "学校",
        "School",
        True,
        _("The name of a school already in the back office, written exactly the same."),
    ),
    Column(
        "home_region",
        "居住街镇",
        "Home region",
        False,
        _("The sub-district or town where the child lives. Left empty: the school's."),
    ),
    Column("address", "家庭住址", "Home address", False, _("Private; never public.")),
    Column("guardian_name", "监护人姓名", "Guardian's name", True, _("Who signed the form.")),
    Column(
        "guardian_phone",
        "监护人电话",
        "Guardian's phone",
        True,
        _("A mainland China phone number, e.g. 13812345678 or 021-58881234."),
    ),
    Column("hardship_category", "困难类别", "Hardship category", True, _("Private.")),
    Column("hardship_note", "困难情况说明", "Hardship details", False, _("Private.")),
    Column("category", "心愿类别", "Wish category", True, _("What kind of wish it is.")),
    Column(
        "child_words",
        "心愿（孩子原话）",
        "The child's own words",
        True,
        _(
            "As the child wrote it; private. The public text is drafted from it with names, "
            "places and numbers masked, to be checked before publishing."
        ),
    ),
    Column(
        "estimated_value",
        "估价（元）",
        "Estimated value (yuan)",
        True,
        _("A number of yuan, 0 or more, e.g. 120 or 85.5."),
    ),
    Column(
        "consent",
        "监护人已同意",
        "Consent given",
        True,
        _("Whether the guardian signed the consent form."),
    ),
    Column(
        "consent_date",
        "同意日期",
        "Consent date",
        False,
        _("The date on the signed form, e.g. 2026-03-01; needed when consent was given."),
    ),
    Column(
        "publish_wish",
        "同意发布心愿",
        "Consent: publish the wish",
        False,
        _("May the wish be published without the child's name? Left empty: no."),
    ),
    Column(
        "share_photos",
        "同意向认领方提供照片",
        "Consent: share photos with the sponsor",
        False,
        _("May the sponsor see photos of the fulfilment? Left empty: no."),
    ),
    Column(
        "publish_photos",
        "同意公开照片",
        "Consent: publish photos",
        False,
        _("May photos appear on the public pages? Left empty: no."),
    ),
]
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}

TEMPLATE_SHEET = "心愿导入"
HELP_SHEET = "填写说明"
OPTIONS_SHEET = "可选值"
YES_WORDS = ("是", "yes", "y", "true", "1")
NO_WORDS = ("否", "no", "n", "false", "0")
# Grades are often written with their unit: 3年级.
GRADE_SUFFIX = "年级"
# Money is often written with its unit or sign: 120元, ¥120.
MONEY_MARKS = ("元", "¥", "￥", ",")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
ALIAS_FORMAT = "小{surname}同学"

# The template's example row; left in a file it is a problem, never a child.
EXAMPLE_ROW = {
    "real_name": "王小花",
    "alias": "小王同学",
    "gender": "女",
    "birth_year": 2016,
    "grade": 3,
    "class_name": "三(2)班",
    "address": "花木路100弄1号",
    "guardian_name": "王大明",
    "guardian_phone": "13800000000",
    "hardship_note": "父亲因病不能工作",
    "child_words": "我想要一套《十万个为什么》，因为我想知道星星为什么会眨眼。",
    "estimated_value": 120,
    "consent": "是",
    "publish_wish": "是",
    "share_photos": "是",
    "publish_photos": "否",
}


# --- problems ----------------------------------------------------------------------------------

# Problems are stored untranslated (message id and parameters) and translated when shown, so
# a check run by a background worker reads right in the language of whoever looks at it.
EMPTY_FILE = gettext_noop("The file is empty.")
FILE_TOO_LARGE = gettext_noop("The file is larger than %(max)s; split it into several files.")
WRONG_EXTENSION = gettext_noop("Upload an .xlsx or a .csv file.")
NOT_XLSX = gettext_noop(
    "This file is not an .xlsx spreadsheet. Open it in Excel or WPS, save it as .xlsx "
    "(Excel workbook) or .csv, and upload it again."
)
OLD_XLS = gettext_noop(
    "Old .xls files cannot be read. Open it in Excel or WPS and save it as .xlsx."
)
CSV_IS_XLSX = gettext_noop("This is an Excel workbook, not a CSV file: name it .xlsx.")
NOT_CSV = gettext_noop(
    'This file is not a CSV text file. In Excel or WPS, save it as "CSV (UTF-8)".'
)
BAD_ENCODING = gettext_noop(
    'The text of this CSV file could not be read. In Excel or WPS, save it as "CSV (UTF-8)".'
)
UNREADABLE = gettext_noop(
    "The spreadsheet could not be read; it may be damaged. Open it in Excel or WPS, save it "
    "again as .xlsx and upload it again."
)
TOO_LARGE_UNPACKED = gettext_noop("The spreadsheet is too large once unpacked.")
TOO_MANY_ROWS = gettext_noop(
    "The file has more than %(max)d rows of children. Split it into several files."
)
NO_ROWS = gettext_noop("The file has no rows of children under the header row.")
MISSING_COLUMN = gettext_noop("This column is missing from the header row.")
DUPLICATE_COLUMN = gettext_noop("This column appears twice in the header row.")
REQUIRED = gettext_noop("This cell must be filled in.")
TOO_LONG = gettext_noop("Too long: at most %(max)d characters.")
UNKNOWN_SCHOOL = gettext_noop(
    "Unknown school “%(value)s”: write the name of a school in the back office exactly."
)
UNKNOWN_REGION = gettext_noop(
    "Unknown region “%(value)s”: write the name of a region in the back office exactly."
)
NOT_ONE_OF = gettext_noop("“%(value)s” is not allowed here; write one of: %(allowed)s.")
NOT_WHOLE_NUMBER = gettext_noop("Write a whole number from %(min)d to %(max)d.")
BAD_PHONE = gettext_noop("Enter a mainland China phone number, e.g. 13812345678 or 021-58881234.")
BAD_DATE = gettext_noop("“%(value)s” is not a date; write it like 2026-03-01.")
FUTURE_DATE = gettext_noop("The date is in the future.")
BAD_AMOUNT = gettext_noop("Write an amount in yuan from 0 to 999999.99, e.g. 120 or 85.5.")
CONSENT_DATE_NEEDED = gettext_noop("The date of the consent is needed when consent was given.")
SCOPE_WITHOUT_CONSENT = gettext_noop(
    "The guardian has not consented, so this cannot be yes; the child's wish stays private."
)
SAME_CHILD_TWICE = gettext_noop(
    "The same child (school, name and birth year) is already in row %(row)d."
)
EXAMPLE_LEFT_IN = gettext_noop("This is the template's example row: delete it.")
IMPORT_FAILED = gettext_noop(
    "The import stopped on an unexpected error; nothing was imported. Try again, or tell "
    "the site's administrator."
)


@dataclass(frozen=True)
class Problem:
    """One problem: the row as numbered in the spreadsheet, the column's header, the message."""

    row: int | None
    column: str
    message: str
    params: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {
            "row": self.row,
            "column": self.column,
            "message": self.message,
            "params": self.params,
        }


def problem_text(problem: dict) -> str:
    """The translated message of a stored problem."""
    message = gettext(problem["message"])
    params = problem.get("params")
    return message % params if params else message


class ImportFileError(Exception):
    """The file as a whole cannot be read; carries an untranslated message id."""

    def __init__(self, message: str, **params) -> None:
        super().__init__(message)
        self.problem = Problem(None, "", message, params)

    @property
    def text(self) -> str:
        return problem_text(self.problem.as_json())


class CellError(Exception):
    def __init__(self, message: str, **params) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


# --- reading the file --------------------------------------------------------------------------

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
XLSX_PARTS = {"[Content_Types].xml", "xl/workbook.xml"}


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def sniff(data: bytes, name: str) -> str:
    """Return "xlsx" or "csv" when the content is what the name says; raise ImportFileError."""
    extension = _extension(name)
    if extension not in ("xlsx", "csv"):
        raise ImportFileError(WRONG_EXTENSION)
    if not data.strip():
        raise ImportFileError(EMPTY_FILE)
    if data.startswith(OLE_MAGIC):
        raise ImportFileError(OLD_XLS)
    if extension == "xlsx":
        if not data.startswith(ZIP_MAGIC):
            raise ImportFileError(NOT_XLSX)
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                infos = archive.infolist()
        except (zipfile.BadZipFile, ValueError):
            raise ImportFileError(NOT_XLSX) from None
        if not {info.filename for info in infos} >= XLSX_PARTS:
            raise ImportFileError(NOT_XLSX)
        if sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
            raise ImportFileError(TOO_LARGE_UNPACKED)
        return "xlsx"
    if data.startswith(ZIP_MAGIC):
        raise ImportFileError(CSV_IS_XLSX)
    _decode(data)
    return "csv"


def _decode(data: bytes) -> str:
    """CSV text: UTF-8 with or without BOM, UTF-16 with BOM, or GB18030 from Chinese Windows."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ImportFileError(BAD_ENCODING) from None
    if b"\x00" in data:
        raise ImportFileError(NOT_CSV)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(BAD_ENCODING)


def _csv_rows(data: bytes) -> Iterator[tuple]:
    text = _decode(data)
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        yield from (tuple(row) for row in csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error:
        raise ImportFileError(NOT_CSV) from None


def _xlsx_rows(data: bytes) -> Iterator[tuple]:
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        # openpyxl raises many kinds of errors on damaged or foreign files; all mean the same.
        logger.info("Unreadable spreadsheet", exc_info=True)
        raise ImportFileError(UNREADABLE) from None
    try:
        sheets = workbook.worksheets
        if not sheets:
            raise ImportFileError(NO_ROWS)
        sheet = workbook[TEMPLATE_SHEET] if TEMPLATE_SHEET in workbook.sheetnames else sheets[0]
        yield from sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
    except ImportFileError:
        raise
    except Exception:
        logger.info("Unreadable spreadsheet", exc_info=True)
        raise ImportFileError(UNREADABLE) from None
    finally:
        workbook.close()


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass
class Table:
    """The header row and the non-blank rows under it, numbered as in the spreadsheet."""

    header: tuple
    rows: list[tuple[int, tuple]]


def read_table(data: bytes, kind: str) -> Table:
    """Read the first row as the header and every non-blank row under it."""
    rows = _xlsx_rows(data) if kind == "xlsx" else _csv_rows(data)
    header = None
    found: list[tuple[int, tuple]] = []
    blank_run = 0
    for number, row in enumerate(rows, start=1):
        if header is None:
            header = tuple(row)
            continue
        if all(_is_blank(value) for value in row):
            blank_run += 1
            if blank_run >= BLANK_ROWS_END_TABLE:
                break
            continue
        blank_run = 0
        found.append((number, tuple(row)))
        if len(found) > max_rows():
            raise ImportFileError(TOO_MANY_ROWS, max=max_rows())
    if header is None or all(_is_blank(value) for value in header):
        raise ImportFileError(EMPTY_FILE)
    if not found:
        raise ImportFileError(NO_ROWS)
    return Table(header=header, rows=found)


# --- checking cells ---------------------------------------------------------------------------


def _norm(value: object) -> str:
    """Compare labels loosely: full-width forms, spaces and case do not matter."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value))).casefold()


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    return str(value).strip()


def _header_lookup() -> dict[str, str]:
    lookup = {}
    for column in COLUMNS:
        for name in (column.header, column.english, column.key):
            lookup[_norm(name).rstrip("*")] = column.key
    return lookup


def choice_labels(choices: type[models.TextChoices]) -> list[str]:
    """The Chinese labels of a set of choices, as the template lists them."""
    with translation.override("zh-hans"):
        return [str(label) for label in choices.labels]


def _choice_lookup(choices: type[models.TextChoices], *extra: tuple[str, str]) -> dict:
    """Accept the Chinese label, the English label and the code of every choice."""
    lookup = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            lookup |= {_norm(label): value for value, label in choices.choices}
    lookup |= {_norm(value): value for value in choices.values}
    lookup |= {_norm(word): value for word, value in extra}
    return lookup


@dataclass
class Lookups:
    """Everything a row is checked against, loaded once per file."""

    schools: dict[str, School]
    regions: dict[str, Region]
    genders: dict[str, str]
    hardships: dict[str, str]
    categories: dict[str, str]

    @classmethod
    def load(cls) -> "Lookups":
        return cls(
            schools={_norm(s.name): s for s in School.objects.select_related("region")},
            regions={_norm(r.name): r for r in Region.objects.all()},
            genders=_choice_lookup(Gender, ("male", Gender.BOY), ("female", Gender.GIRL)),
            hardships=_choice_lookup(HardshipCategory),
            categories=_choice_lookup(WishCategory),
        )


def _required_text(max_length: int) -> Callable[[object, Lookups], str]:
    def clean(value: object, lookups: Lookups) -> str:
        text = _text(value)
        if not text:
            raise CellError(REQUIRED)
        if len(text) > max_length:
            raise CellError(TOO_LONG, max=max_length)
        return text

    return clean


def _optional_text(max_length: int | None) -> Callable[[object, Lookups], str]:
    def clean(value: object, lookups: Lookups) -> str:
        text = _text(value)
        if max_length is not None and len(text) > max_length:
            raise CellError(TOO_LONG, max=max_length)
        return text

    return clean


def _whole_number(low: int, high: Callable[[], int] | int, suffix: str = ""):
    def clean(value: object, lookups: Lookups) -> int:
        top = high() if callable(high) else high
        text = _norm(_text(value))
        text = text.removesuffix(suffix) if suffix else text
        if not text:
            raise CellError(REQUIRED)
        if isinstance(value, bool) or not re.fullmatch(r"\d{1,4}", text):
            raise CellError(NOT_WHOLE_NUMBER, min=low, max=top)
        number = int(text)
        if not low <= number <= top:
            raise CellError(NOT_WHOLE_NUMBER, min=low, max=top)
        return number

    return clean


def _choice(attribute: str, choices: type[models.TextChoices]):
    def clean(value: object, lookups: Lookups) -> str:
        text = _text(value)
        if not text:
            raise CellError(REQUIRED)
        try:
            return getattr(lookups, attribute)[_norm(text)]
        except KeyError:
            raise CellError(
                NOT_ONE_OF, value=text, allowed="、".join(choice_labels(choices))
            ) from None

    return clean


def _school(value: object, lookups: Lookups) -> School:
    text = _text(value)
    if not text:
        raise CellError(REQUIRED)
    try:
        return lookups.schools[_norm(text)]
    except KeyError:
        raise CellError(UNKNOWN_SCHOOL, value=text) from None


def _region(value: object, lookups: Lookups) -> Region | None:
    text = _text(value)
    if not text:
        return None
    try:
        return lookups.regions[_norm(text)]
    except KeyError:
        raise CellError(UNKNOWN_REGION, value=text) from None


def _phone(value: object, lookups: Lookups) -> str:
    text = _norm(_text(value))
    if not text:
        raise CellError(REQUIRED)
    try:
        mainland_phone_validator(text)
    except ValidationError:
        raise CellError(BAD_PHONE) from None
    return text


def _yes_no(required: bool):
    def clean(value: object, lookups: Lookups) -> bool:
        if isinstance(value, bool):
            return value
        word = _norm(_text(value))
        if not word and not required:
            return False
        if word in YES_WORDS:
            return True
        if word in NO_WORDS:
            return False
        if not word:
            raise CellError(REQUIRED)
        raise CellError(NOT_ONE_OF, value=_text(value), allowed="是、否")

    return clean


def _date(value: object, lookups: Lookups) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        day = value.date()
    elif isinstance(value, datetime.date):
        day = value
    else:
        # A date typed with a time after it (2025-09-01 00:00:00) keeps only the date.
        text = _norm((_text(value).split() or [""])[0])
        if not text:
            return None
        for pattern in DATE_FORMATS:
            try:
                day = datetime.datetime.strptime(text, pattern).date()  # noqa: DTZ007 (a date)
                break
            except ValueError:
                continue
        else:
            raise CellError(BAD_DATE, value=_text(value))
    if day > timezone.localdate():
        raise CellError(FUTURE_DATE)
    return day


def _amount(value: object, lookups: Lookups) -> Decimal:
    text = _norm(_text(value))
    for mark in MONEY_MARKS:
        text = text.replace(mark, "")
    if not text.strip():
        raise CellError(REQUIRED)
    try:
        amount = Decimal(text.strip()).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise CellError(BAD_AMOUNT) from None
    if not amount.is_finite() or not Decimal(0) <= amount < Decimal(1_000_000):
        raise CellError(BAD_AMOUNT)
    return amount


def _max_length(model: type[models.Model], name: str) -> int:
    return model._meta.get_field(name).max_length


CLEANERS: dict[str, Callable[[object, Lookups], Any]] = {
    "real_name": _required_text(_max_length(Child, "real_name")),
    "alias": _optional_text(_max_length(Child, "alias")),
    "gender": _choice("genders", Gender),
    "birth_year": _whole_number(2000, lambda: timezone.localdate().year),
    "grade": _whole_number(1, 9, suffix=GRADE_SUFFIX),
    "class_name": _optional_text(_max_length(Child, "class_name")),
    "school": _school,
    "home_region": _region,
    "address": _optional_text(_max_length(Child, "address")),
    "guardian_name": _required_text(_max_length(Child, "guardian_name")),
    "guardian_phone": _phone,
    "hardship_category": _choice("hardships", HardshipCategory),
    "hardship_note": _optional_text(None),
    "category": _choice("categories", WishCategory),
    "child_words": _required_text(10_000),
    "estimated_value": _amount,
    "consent": _yes_no(required=True),
    "consent_date": _date,
    "publish_wish": _yes_no(required=False),
    "share_photos": _yes_no(required=False),
    "publish_photos": _yes_no(required=False),
}
CONSENT_SCOPES = ("publish_wish", "share_photos", "publish_photos")


# --- checking rows -----------------------------------------------------------------------------


@dataclass
class Row:
    """One valid row, cleaned, and what is already in the database for it."""

    number: int
    data: dict[str, Any]
    child: Child | None = None
    wish_exists: bool = False
    consent_exists: bool = False

    @property
    def key(self) -> tuple:
        return (self.data["school"].pk, self.data["real_name"], self.data["birth_year"])


@dataclass
class Check:
    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "rows": len(self.rows),
            "children_new": sum(row.child is None for row in self.rows),
            "children_existing": sum(row.child is not None for row in self.rows),
            "wishes_new": sum(not row.wish_exists for row in self.rows),
            "wishes_existing": sum(row.wish_exists for row in self.rows),
            "consents_new": sum(
                row.data["consent"] and not row.consent_exists for row in self.rows
            ),
        }

    def preview(self) -> list[dict]:
        return [
            {
                "row": row.number,
                "alias": row.data["alias"],
                "school": row.data["school"].name,
                "grade": row.data["grade"],
                "category": row.data["category"],
                "child_exists": row.child is not None,
                "wish_exists": row.wish_exists,
            }
            for row in self.rows[:PREVIEW_ROWS]
        ]


def _columns_of(header: tuple) -> tuple[dict[str, int], list[Problem]]:
    lookup = _header_lookup()
    positions: dict[str, int] = {}
    problems = []
    for index, cell in enumerate(header):
        key = lookup.get(_norm(_text(cell)).rstrip("*"))
        if key is None:
            # Extra columns (notes, numbering) are allowed and ignored.
            continue
        if key in positions:
            problems.append(Problem(1, COLUMN_BY_KEY[key].header, DUPLICATE_COLUMN))
            continue
        positions[key] = index
    for column in COLUMNS:
        if column.required and column.key not in positions:
            problems.append(Problem(1, column.header, MISSING_COLUMN))
    return positions, problems


def _check_row(
    number: int, values: tuple, positions: dict[str, int], lookups: Lookups
) -> tuple[dict, list[Problem]]:
    data: dict[str, Any] = {}
    problems = []
    for column in COLUMNS:
        index = positions.get(column.key)
        value = values[index] if index is not None and index < len(values) else None
        try:
            data[column.key] = CLEANERS[column.key](value, lookups)
        except CellError as error:
            problems.append(Problem(number, column.header, error.message, error.params))
    if problems:
        return data, problems
    if data["consent"] and data["consent_date"] is None:
        problems.append(Problem(number, COLUMN_BY_KEY["consent_date"].header, CONSENT_DATE_NEEDED))
    if not data["consent"]:
        problems += [
            Problem(number, COLUMN_BY_KEY[scope].header, SCOPE_WITHOUT_CONSENT)
            for scope in CONSENT_SCOPES
            if data[scope]
        ]
    if (data["real_name"], data["guardian_phone"]) == (
        EXAMPLE_ROW["real_name"],
        EXAMPLE_ROW["guardian_phone"],
    ):
        problems.append(Problem(number, COLUMN_BY_KEY["real_name"].header, EXAMPLE_LEFT_IN))
    data["alias"] = data["alias"] or ALIAS_FORMAT.format(surname=data["real_name"][0])
    data["home_region"] = data["home_region"] or data["school"].region
    return data, problems


def _match_existing(rows: list[Row], campaign: Campaign) -> None:
    """Find the children already recorded and the wishes they already have in the campaign."""
    if not rows:
        return
    children: dict[tuple, Child] = {}
    candidates = (
        Child.objects.active()
        .filter(
            school_id__in={row.data["school"].pk for row in rows},
            real_name__in={row.data["real_name"] for row in rows},
        )
        .select_related("school")
        .order_by("pk")
    )
    for child in candidates:
        children.setdefault((child.school_id, child.real_name, child.birth_year), child)
    ids = [child.pk for child in children.values()]
    with_wish = set(
        Wish.objects.filter(campaign=campaign, child_id__in=ids).values_list("child_id", flat=True)
    )
    with_consent = set(
        Consent.objects.in_force().filter(child_id__in=ids).values_list("child_id", flat=True)
    )
    for row in rows:
        row.child = children.get(row.key)
        if row.child is not None:
            row.wish_exists = row.child.pk in with_wish
            row.consent_exists = row.child.pk in with_consent


def check_table(
    table: Table, *, campaign: Campaign, progress: Callable[[int], None] = lambda done: None
) -> Check:
    """Check every row of a table; rows with a problem are left out of `rows`."""
    positions, header_problems = _columns_of(table.header)
    check = Check(problems=header_problems)
    if header_problems:
        return check
    lookups = Lookups.load()
    first_row_of: dict[tuple, int] = {}
    for done, (number, values) in enumerate(table.rows, start=1):
        data, problems = _check_row(number, values, positions, lookups)
        if not problems:
            row = Row(number, data)
            if row.key in first_row_of:
                problems.append(
                    Problem(
                        number,
                        COLUMN_BY_KEY["real_name"].header,
                        SAME_CHILD_TWICE,
                        {"row": first_row_of[row.key]},
                    )
                )
            else:
                first_row_of[row.key] = number
                check.rows.append(row)
        check.problems += problems
        progress(done)
    _match_existing(check.rows, campaign)
    return check


# --- the batch: upload, check, import -----------------------------------------------------------


class _Progress:
    """Writes rows_done about twenty times per pass, so a large file costs few updates."""

    def __init__(self, batch: ImportBatch, total: int) -> None:
        self.batch_id = batch.pk
        self.total = total
        self.step = max(1, total // 20)

    def __call__(self, done: int) -> None:
        if done % self.step == 0 or done == self.total:
            ImportBatch.objects.filter(pk=self.batch_id).update(
                rows_done=done, updated_at=timezone.now()
            )


def _set_batch_status(batch: ImportBatch, to: str, *, by, fields=(), note: str = "") -> None:
    previous = batch.status
    batch.status = to
    batch.save(update_fields=["status", "updated_at", *fields])
    if previous != to:
        record_change(subject=batch, from_status=previous, to_status=to, by=by, note=note)


def _read(batch: ImportBatch) -> Table:
    with batch.file.open("rb") as stored:
        data = stored.read(max_bytes() + 1)
    if len(data) > max_bytes():
        raise ImportFileError(FILE_TOO_LARGE, max=filesizeformat(max_bytes()))
    return read_table(data, sniff(data, batch.file.name))


def _problems_json(problems: list[Problem]) -> list[dict]:
    position = {column.header: index for index, column in enumerate(COLUMNS)}
    ordered = sorted(problems, key=lambda p: (p.row or 0, position.get(p.column, -1)))
    return [problem.as_json() for problem in ordered[:MAX_PROBLEMS_KEPT]]


def _check_file(batch: ImportBatch, *, count: bool) -> Check:
    """Read and check the batch's file; file-level errors become a problem of the check.

    With `count`, rows_total and rows_done show the check's progress; the check the import
    repeats leaves them to the import's own progress.
    """
    try:
        table = _read(batch)
    except ImportFileError as error:
        return Check(problems=[error.problem])
    if not count:
        return check_table(table, campaign=batch.campaign)
    batch.rows_total = len(table.rows)
    batch.rows_done = 0
    batch.save(update_fields=["rows_total", "rows_done", "updated_at"])
    return check_table(table, campaign=batch.campaign, progress=_Progress(batch, len(table.rows)))


def upload_batch(
    *, upload: UploadedFile, kind: str, campaign: Campaign, by: AbstractBaseUser
) -> ImportBatch:
    """Store an uploaded spreadsheet (checked by `sniff`) as a new batch waiting for its check."""
    batch = ImportBatch(
        original_name=upload.name.rsplit("/", 1)[-1][:200],
        campaign=campaign,
        created_by=by,
        summary={"phase": "checking"},
    )
    # The server names the stored file; only the checked kind is kept from the upload. A
    # full disk is a TransitionError with its message, and leaves no row and no file.
    with transaction.atomic(), files_removed_on_error() as saved:
        store_file(batch.file, f"import.{kind}", upload, saved)
        batch.save()
        record_change(subject=batch, from_status="", to_status=ImportStatus.UPLOADED, by=by)
    return batch


def check_batch(*, batch_id: int) -> ImportBatch:
    """Check every row of an uploaded batch; it becomes checked, or failed with its problems."""
    batch = ImportBatch.objects.select_related("campaign").get(pk=batch_id)
    if batch.status != ImportStatus.UPLOADED:
        return batch
    check = _check_file(batch, count=True)
    batch.problems = _problems_json(check.problems)
    batch.summary = {
        "phase": "checked",
        "problems_total": len(check.problems),
        **check.counts,
        "preview": check.preview(),
    }
    status = ImportStatus.FAILED if check.problems else ImportStatus.CHECKED
    _set_batch_status(batch, status, by=None, fields=["problems", "summary"])
    return batch


def begin_import(*, batch_id: int, by: AbstractBaseUser) -> ImportBatch:
    """Mark a checked batch as being imported; a second click is refused, not run twice."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status != ImportStatus.CHECKED or batch.problems:
            raise TransitionError(
                _("Only a checked file without problems can be imported; this one is %(status)s.")
                % {"status": batch.get_status_display()}
            )
        if batch.summary.get("phase") == "importing":
            raise TransitionError(_("This file is already being imported."))
        batch.summary = {**batch.summary, "phase": "importing"}
        batch.rows_done = 0
        batch.save(update_fields=["summary", "rows_done", "updated_at"])
    return batch


def _import_row(row: Row, campaign: Campaign, by, note: str) -> None:
    data = row.data
    child = row.child
    if child is None:
        child = Child.objects.create(
            real_name=data["real_name"],
            alias=data["alias"],
            gender=data["gender"],
            birth_year=data["birth_year"],
            grade=data["grade"],
            class_name=data["class_name"],
            school=data["school"],
            home_region=data["home_region"],
            address=data["address"],
            guardian_name=data["guardian_name"],
            guardian_phone=data["guardian_phone"],
            hardship_category=data["hardship_category"],
            hardship_note=data["hardship_note"],
        )
    if data["consent"] and not row.consent_exists:
        Consent.objects.create(
            child=child,
            keep_record=True,
            publish_wish=data["publish_wish"],
            share_photos_with_sponsor=data["share_photos"],
            publish_photos=data["publish_photos"],
            method=ConsentMethod.PAPER,
            given_on=data["consent_date"],
            given_by=data["guardian_name"],
            collected_by=by,
            note=note,
        )
    if not row.wish_exists:
        wish = Wish.objects.create(
            child=child,
            campaign=campaign,
            category=data["category"],
            child_words=data["child_words"],
            public_text=redact_for_child(data["child_words"], child),
            estimated_value=data["estimated_value"],
        )
        record_change(subject=wish, from_status="", to_status=WishStatus.DRAFT, by=by, note=note)


class _Refused(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("refused")
        self.problems = problems


def _import_locked(batch: ImportBatch, by) -> dict:
    # One import per campaign at a time, so two imports of one file cannot both create a child.
    campaign = Campaign.objects.select_for_update().get(pk=batch.campaign_id)
    # Checked again under the lock: schools or children may have changed since the preview.
    check = _check_file(batch, count=False)
    if check.problems:
        raise _Refused(check.problems)
    note = gettext("Imported from %(file)s") % {"file": batch.original_name}
    progress = _Progress(batch, len(check.rows))
    for done, row in enumerate(check.rows, start=1):
        _import_row(row, campaign, by, note)
        progress(done)
    return check.counts


def import_batch(*, batch_id: int, by: AbstractBaseUser) -> ImportBatch:
    """Create the children, consents and draft wishes of a checked batch, all or nothing."""
    batch = ImportBatch.objects.select_related("campaign").get(pk=batch_id)
    if batch.status != ImportStatus.CHECKED or batch.summary.get("phase") != "importing":
        raise TransitionError(_("Start the import from the file's preview page."))
    try:
        with transaction.atomic():
            counts = _import_locked(batch, by)
            batch.summary = {**batch.summary, "phase": "imported", "imported": counts}
            # The progress was written row by row; the status goes with the last of it.
            batch.refresh_from_db(fields=["rows_done"])
            _set_batch_status(batch, ImportStatus.IMPORTED, by=by, fields=["summary"])
    except _Refused as refusal:
        batch.problems = _problems_json(refusal.problems)
        batch.summary = {
            **batch.summary,
            "phase": "checked",
            "problems_total": len(refusal.problems),
        }
        _set_batch_status(batch, ImportStatus.FAILED, by=by, fields=["problems", "summary"])
    except Exception:
        logger.exception("Import of batch %s failed", batch_id)
        batch.refresh_from_db()
        batch.problems = [Problem(None, "", IMPORT_FAILED).as_json()]
        batch.summary = {**batch.summary, "phase": "checked", "problems_total": 1}
        _set_batch_status(batch, ImportStatus.FAILED, by=by, fields=["problems", "summary"])
    return batch


# --- the template -------------------------------------------------------------------------------


def _as_text(cell, value: object) -> None:
    # A name typed by staff that starts with = must stay text, never become a formula.
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


def _allowed_values(key: str, lookups: dict[str, list[str]]) -> str:
    return "、".join(lookups.get(key, []))


def template_workbook() -> bytes:
    """The .xlsx template: headers, an example row, the explanations and the allowed values."""
    schools = list(School.objects.select_related("region").order_by("name"))
    options = {
        "school": [s.name for s in schools],
        "home_region": list(Region.objects.order_by("name").values_list("name", flat=True)),
        "gender": choice_labels(Gender),
        "hardship_category": choice_labels(HardshipCategory),
        "category": choice_labels(WishCategory),
        **{key: ["是", "否"] for key in ("consent", *CONSENT_SCOPES)},
    }
    example = {
        **EXAMPLE_ROW,
        "school": schools[0].name if schools else "",
        "home_region": schools[0].region.name if schools else "",
        "gender": choice_labels(Gender)[0],
        "hardship_category": choice_labels(HardshipCategory)[0],
        "category": choice_labels(WishCategory)[1],
        "consent_date": timezone.localdate(),
    }

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = TEMPLATE_SHEET
    for index, column in enumerate(COLUMNS, start=1):
        _as_text(sheet.cell(row=1, column=index), column.header)
        sheet.cell(row=1, column=index).font = Font(bold=column.required)
        cell = sheet.cell(row=2, column=index)
        _as_text(cell, example.get(column.key, ""))
        if column.key == "consent_date":
            cell.number_format = "yyyy-mm-dd"
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = 30 if column.key == "child_words" else 14
    sheet.freeze_panes = "A2"

    option_sheet = workbook.create_sheet(OPTIONS_SHEET)
    for index, (key, values) in enumerate(options.items(), start=1):
        _as_text(option_sheet.cell(row=1, column=index), COLUMN_BY_KEY[key].header)
        for offset, value in enumerate(values, start=2):
            _as_text(option_sheet.cell(row=offset, column=index), value)
        if not values:
            continue
        # A drop-down in every data row of the column, fed by the options sheet.
        source = option_sheet.cell(row=2, column=index).column_letter
        validation = DataValidation(
            type="list",
            formula1=f"'{OPTIONS_SHEET}'!${source}$2:${source}${len(values) + 1}",
            allow_blank=not COLUMN_BY_KEY[key].required,
            showErrorMessage=key not in ("school", "home_region"),
        )
        target = list(COLUMN_BY_KEY).index(key) + 1
        target_letter = sheet.cell(row=2, column=target).column_letter
        validation.add(f"{target_letter}2:{target_letter}{max_rows() + 1}")
        sheet.add_data_validation(validation)

    help_sheet = workbook.create_sheet(HELP_SHEET, index=1)
    titles = [
        gettext("Column"),
        gettext("Required"),
        gettext("What to write"),
        gettext("Allowed values"),
    ]
    for index, title in enumerate(titles, start=1):
        _as_text(help_sheet.cell(row=1, column=index), title)
        help_sheet.cell(row=1, column=index).font = Font(bold=True)
    for offset, column in enumerate(COLUMNS, start=2):
        values = [
            column.header,
            gettext("Yes") if column.required else gettext("No"),
            str(column.help),
            _allowed_values(column.key, options),
        ]
        for index, value in enumerate(values, start=1):
            cell = help_sheet.cell(row=offset, column=index)
            _as_text(cell, value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    notes = [
        gettext("The first row holds the headers; each row under it is one child and one wish."),
        gettext("Delete the example row before importing."),
        gettext("A .csv file with the same headers is accepted too (UTF-8 or GB18030)."),
        gettext(
            "A child already recorded (same school, name and birth year) is not created "
            "again, and a child's wish already in the campaign is skipped."
        ),
    ]
    for offset, note in enumerate(notes, start=len(COLUMNS) + 3):
        _as_text(help_sheet.cell(row=offset, column=1), note)
    for letter, width in zip("ABCD", (22, 8, 60, 60), strict=True):
        help_sheet.column_dimensions[letter].width = width

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
