"""The downloadable template workbook: headers, an example row, help and allowed values.

Staff fill it in Excel or WPS; its drop-downs offer the schools, regions and choices of
the back office, and its help sheet explains every column in the reader's language.
"""

import io
from typing import cast

import openpyxl
from django.utils import timezone
from django.utils.translation import gettext
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from wishes.importing.columns import (
    COLUMN_BY_KEY,
    COLUMNS,
    CONSENT_SCOPES,
    EXAMPLE_ROW,
    HELP_SHEET,
    OPTIONS_SHEET,
    TEMPLATE_SHEET,
    choice_labels,
)
from wishes.importing.reader import max_rows
from wishes.models import Gender, HardshipCategory, Region, School, WishCategory

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
    # A new workbook's active sheet is its one worksheet.
    sheet = cast(Worksheet, workbook.active)
    sheet.title = TEMPLATE_SHEET
    for index, column in enumerate(COLUMNS, start=1):
        _as_text(sheet.cell(row=1, column=index), column.header)
        sheet.cell(row=1, column=index).font = Font(bold=column.required)
        cell = sheet.cell(row=2, column=index)
        _as_text(cell, example.get(column.key, ""))
        if column.key == "consent_date":
            cell.number_format = "yyyy-mm-dd"
        letter = get_column_letter(index)
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
        source = get_column_letter(index)
        validation = DataValidation(
            type="list",
            formula1=f"'{OPTIONS_SHEET}'!${source}$2:${source}${len(values) + 1}",
            allow_blank=not COLUMN_BY_KEY[key].required,
            showErrorMessage=key not in ("school", "home_region"),
        )
        target_letter = get_column_letter(list(COLUMN_BY_KEY).index(key) + 1)
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
