"""Rows of a write-only worksheet written as XML text: the same bytes openpyxl writes, faster.

Without lxml, openpyxl builds an ElementTree element for every cell and serialises it with
et_xmlfile's pure-Python writer: about two thirds of the time of a 50,000-wish campaign
export. The cells the exports write (text, numbers, and dates and amounts with a number
format) are written here as text into the same stream, in exactly the form openpyxl gives
them (tests/wishes/reports/test_xlsx_stream.py compares the two); any other cell (a
formula, an error code, a boolean, a date without a format) is handed to openpyxl's own
cell writer. With lxml installed, openpyxl's C writer is used unchanged.
"""

import datetime
from collections.abc import Generator, Sequence
from decimal import Decimal
from typing import Any, cast

from openpyxl.cell._writer import write_cell
from openpyxl.cell.cell import ERROR_CODES, Cell, WriteOnlyCell
from openpyxl.compat import safe_string
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# The longest text a cell holds; openpyxl cuts longer text there too.
MAX_CELL_TEXT = 32767


def _escape(text: str) -> str:
    # What ElementTree escapes in element text.
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _text_cell(ref: str, text: str) -> str | None:
    text = text[:MAX_CELL_TEXT]
    if (len(text) > 1 and text.startswith("=")) or text in ERROR_CODES:
        return None
    stripped = text.strip()
    space = ' xml:space="preserve"' if stripped and stripped != text else ""
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{_escape(text)}</t></is></c>'


class _Cells:
    """Turns a row's values into cell XML; None where openpyxl must write the cell."""

    def __init__(self, worksheet: WriteOnlyWorksheet, formats: Sequence[str | None]) -> None:
        self.worksheet = worksheet
        self.formats = list(formats)
        self.letters = [get_column_letter(index) for index in range(1, len(formats) + 1)]
        # A formatted column's style, registered in the workbook when first used, as
        # openpyxl does it (so the styles are numbered in the same order).
        self.styles: dict[int, int] = {}
        workbook = cast(Any, worksheet.parent)
        self.epoch = workbook.epoch
        self.iso_dates = workbook.iso_dates

    def _style_id(self, column: int, value: object) -> int:
        if column not in self.styles:
            # As openpyxl's cell of the first value, which may register a default date
            # format on the way: the workbook's formats end up listed in the same order.
            cell = WriteOnlyCell(self.worksheet)
            cell.value = cast(Any, value)
            cell.number_format = cast(str, self.formats[column])
            self.styles[column] = cell.style_id
        return self.styles[column]

    def xml(self, column: int, ref: str, value: object) -> str | None:
        formatted = bool(self.formats[column])
        if type(value) is str:
            return None if formatted else _text_cell(ref, value)
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal | datetime.date):
            return None
        s = f' s="{self._style_id(column, value)}"' if formatted else ""
        if isinstance(value, datetime.date):
            if not formatted or self.iso_dates or getattr(value, "tzinfo", None) is not None:
                return None
            value = to_excel(value, self.epoch)
        return f'<c r="{ref}"{s} t="n"><v>{safe_string(value)}</v></c>'


def fast_rows(
    worksheet: WriteOnlyWorksheet, formats: Sequence[str | None]
) -> Generator[None, Sequence[object], None]:
    """Take over the worksheet's rows: each row sent (values, or openpyxl cells such as a
    styled header) is written with the column's number format on its dates and amounts;
    `worksheet.close()` ends the sheet as before.

    Usage: `worksheet._rows = fast_rows(worksheet, formats); next(worksheet._rows)`, then
    `worksheet.append(row)` as usual.
    """
    # openpyxl's own _write_rows does the same with these private parts.
    sheet = cast(Any, worksheet)
    sheet._get_writer()
    writer = sheet._writer
    xf = writer.xf.send(True)
    # et_xmlfile's writer has the stream's write function; lxml's has none, and is fast.
    raw = getattr(xf, "_file", None)
    cells = _Cells(worksheet, formats)
    with xf.element("sheetData"):
        row_index = 1
        try:
            while True:
                values = yield
                if raw is None:
                    row = sheet._values_to_row(formatted(worksheet, values, formats), row_index)
                    writer.write_row(xf, row, row_index)
                else:
                    _write_row(xf, raw, worksheet, cells, values, row_index)
                row_index += 1
        except GeneratorExit:
            pass
    writer.xf.send(None)


def formatted(
    worksheet: WriteOnlyWorksheet, values: Sequence[object], formats: Sequence[str | None]
) -> list[object]:
    """The row's values, those of a formatted column (dates, amounts) as styled cells."""
    row: list[object] = []
    for value, number_format in zip(values, formats, strict=False):
        if number_format and value is not None and not isinstance(value, Cell):
            cell = WriteOnlyCell(worksheet)
            cell.value = cast(Any, value)
            cell.number_format = number_format
            row.append(cell)
        else:
            row.append(value)
    return row + list(values[len(formats) :])


def _write_row(xf, raw, worksheet, cells: _Cells, values, row_index: int) -> None:
    parts = [f'<row r="{row_index}">']
    for column, value in enumerate(values):
        if value is None:
            continue
        ref = f"{cells.letters[column]}{row_index}" if column < len(cells.letters) else ""
        xml = cells.xml(column, ref, value) if ref else None
        if xml is not None:
            parts.append(xml)
            continue
        # openpyxl writes this cell: what is pending goes first, in order.
        raw("".join(parts))
        parts = []
        (made,) = formatted(worksheet, [value], cells.formats[column : column + 1])
        cell = made if isinstance(made, Cell) else WriteOnlyCell(worksheet, cast(Any, value))
        cell.column = column + 1
        cell.row = row_index
        write_cell(xf, worksheet, cell, cell.has_style)
    parts.append("</row>")
    raw("".join(parts))
