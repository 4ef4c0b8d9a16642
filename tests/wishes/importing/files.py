"""Spreadsheets for the import tests: rows as dicts by column key, written as .xlsx or .csv."""

import csv
import io

import openpyxl

from wishes.importing.columns import COLUMNS

HEADERS = {column.key: column.header for column in COLUMNS}


def good_row(**changes) -> dict:
    """One valid row of a child at 花木中心小学 with a wish; keyword arguments change cells."""
    row = {
        "real_name": "李小梅",
        "alias": "",
        "gender": "女",
        "birth_year": 2015,
        "grade": 4,
        "class_name": "四(1)班",
        "school": "花木中心小学",
        "home_region": "",
        "address": "东绣路88弄5号",
        "guardian_name": "李建国",
        "guardian_phone": "13912345678",
        "hardship_category": "单亲家庭",
        "hardship_note": "母亲一人抚养",
        "category": "图书",
        "child_words": "我是花木中心小学四(1)班的李小梅，我想要一套百科全书。",
        "estimated_value": 150,
        "consent": "是",
        "consent_date": "2025-09-01",
        "publish_wish": "是",
        "share_photos": "是",
        "publish_photos": "否",
        "share_letter": "是",
    }
    return row | changes


def many_rows(count: int, **changes) -> list[dict]:
    """`count` valid rows of different children."""
    return [
        good_row(real_name=f"王同学{number:04d}", guardian_phone=f"139{number:08d}", **changes)
        for number in range(count)
    ]


def _table(rows: list[dict], keys: list[str] | None) -> list[list]:
    keys = keys or list(HEADERS)
    return [[HEADERS.get(key, key) for key in keys]] + [
        [row.get(key, "") for key in keys] for row in rows
    ]


def xlsx_bytes(rows: list[dict], keys: list[str] | None = None) -> bytes:
    """An .xlsx workbook with the header row and `rows`; `keys` picks and orders the columns."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for values in _table(rows, keys):
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(
    rows: list[dict], encoding: str = "utf-8-sig", keys: list[str] | None = None
) -> bytes:
    """A CSV file as Excel writes it: with a BOM (utf-8-sig) or in GB18030 on Chinese Windows."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(_table(rows, keys))
    return buffer.getvalue().encode(encoding)
