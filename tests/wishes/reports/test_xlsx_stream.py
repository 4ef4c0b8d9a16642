"""Rows written as text are byte for byte the rows openpyxl writes itself."""

import datetime
import io
import zipfile
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import WriteOnlyCell
from openpyxl.styles import Font

from wishes.reports.xlsx_stream import fast_rows, formatted

# The exports write naive Shanghai wall-clock times (.xlsx has no time zones).
MORNING = datetime.datetime(2026, 3, 1, 9, 5)  # noqa: DTZ001
EVENING = datetime.datetime(2026, 5, 6, 19, 8, 9)  # noqa: DTZ001
FORMATS = [None, "yyyy-mm-dd", "#,##0.00", "yyyy-mm-dd hh:mm", None]
ROWS = [
    ["text", datetime.date(2026, 3, 1), Decimal("120.50"), MORNING, 7],
    ["a & b <c> d", None, 0, None, 2.5],
    ["  padded  ", datetime.date(1999, 12, 31), Decimal("1234567.89"), None, True],
    ["=SUM(A1:A2)", None, None, None, "#N/A"],
    ["花木中心小学 四(1)班", None, 12, None, datetime.date(2026, 1, 2)],
    [None, None, None, None, None],
    ["x" * 40_000, None, Decimal("-3"), None, EVENING],
    ["=", "text in a date column", None, None, False],
    ["tail", None, None, None, None, "past the last column"],
]


def _sheet_xml(fast: bool) -> bytes:
    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet("S")
    header = WriteOnlyCell(worksheet, "Header")
    header.font = Font(bold=True)
    if fast:
        worksheet._rows = fast_rows(worksheet, FORMATS)
        next(worksheet._rows)
        worksheet.append([header, "plain header"])
        for row in ROWS:
            worksheet.append(row)
    else:
        # openpyxl's own writer, with the formats applied as the exports did before.
        for row in [[header, "plain header"], *ROWS]:
            worksheet.append(formatted(worksheet, row, FORMATS))
    worksheet.close()
    buffer = io.BytesIO()
    workbook.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return archive.read("xl/worksheets/sheet1.xml") + archive.read("xl/styles.xml")


def test_rows_written_as_text_are_the_xml_openpyxl_writes():
    assert _sheet_xml(fast=True) == _sheet_xml(fast=False)
