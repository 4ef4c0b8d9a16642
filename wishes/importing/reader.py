"""Reading uploaded files: the one decoder of .csv and .xlsx files into rows of cells.

Text files come from Excel and WPS on Chinese Windows, so they are read as UTF-8 with or
without a byte-order mark, UTF-16 with one (Excel's "Unicode text", tab or comma separated)
or GB18030; the separator is whatever the header row uses. A file that cannot be read
raises ImportFileError with an untranslated message id, translated by `ImportFileError.text`.
Both the spreadsheet import of children and the city platform's claims use it.
"""

import csv
import io
import logging
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import openpyxl
from django.conf import settings
from django.utils.translation import gettext_noop

from wishes.importing.problems import ImportFileError

logger = logging.getLogger(__name__)

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

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
XLSX_PARTS = {"[Content_Types].xml", "xl/workbook.xml"}
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


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
    decode_text(data)
    return "csv"


def decode_text(data: bytes) -> str:
    """The text of a file: UTF-8 with or without BOM, UTF-16 with BOM, or GB18030."""
    if data.startswith(UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ImportFileError(BAD_ENCODING) from None
    # Without a byte-order mark, NUL bytes mean a binary file, not text.
    if b"\x00" in data:
        raise ImportFileError(NOT_CSV)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(BAD_ENCODING)


def text_rows(text: str) -> Iterator[tuple]:
    """The rows of CSV text, separated by commas, semicolons or tabs as its first line is."""
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        yield from (tuple(row) for row in csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error:
        raise ImportFileError(NOT_CSV) from None


def csv_rows(data: bytes) -> Iterator[tuple]:
    """The rows of a CSV file, decoded by `decode_text`."""
    return text_rows(decode_text(data))


def xlsx_rows(data: bytes, *, sheet_name: str | None = None) -> Iterator[tuple]:
    """The rows of the workbook's sheet `sheet_name`, or of its first sheet if it has none."""
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
        sheet = workbook[sheet_name] if sheet_name in workbook.sheetnames else sheets[0]
        yield from sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
    except ImportFileError:
        raise
    except Exception:
        logger.info("Unreadable spreadsheet", exc_info=True)
        raise ImportFileError(UNREADABLE) from None
    finally:
        workbook.close()


def read_rows(data: bytes, *, name: str, sheet_name: str | None = None) -> Iterator[tuple]:
    """The rows of an uploaded .xlsx or .csv file, checked by `sniff` against its name."""
    if sniff(data, name) == "xlsx":
        return xlsx_rows(data, sheet_name=sheet_name)
    return csv_rows(data)


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass
class Table:
    """The header row and the non-blank rows under it, numbered as in the spreadsheet."""

    header: tuple
    rows: list[tuple[int, tuple]]


def read_table(data: bytes, *, name: str, sheet_name: str | None = None) -> Table:
    """Read the first row as the header and every non-blank row under it."""
    header = None
    found: list[tuple[int, tuple]] = []
    blank_run = 0
    for number, row in enumerate(read_rows(data, name=name, sheet_name=sheet_name), start=1):
        if header is None:
            header = tuple(row)
            continue
        if all(is_blank(value) for value in row):
            blank_run += 1
            if blank_run >= BLANK_ROWS_END_TABLE:
                break
            continue
        blank_run = 0
        found.append((number, tuple(row)))
        if len(found) > max_rows():
            raise ImportFileError(TOO_MANY_ROWS, max=max_rows())
    if header is None or all(is_blank(value) for value in header):
        raise ImportFileError(EMPTY_FILE)
    if not found:
        raise ImportFileError(NO_ROWS)
    return Table(header=header, rows=found)
