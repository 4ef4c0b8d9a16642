"""The spreadsheet's columns: their headers and help, the words cells may hold, the header row.

The association keeps its children on paper forms and in spreadsheets, in Chinese. The file
format is therefore fixed: its headers and yes/no words are Chinese whatever the language of
the back office (English headers and the codes are accepted too). It is data, like the demo
data, so the few Chinese words below are literals and not translations.
"""

import datetime
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from wishes.importing.problems import DUPLICATE_COLUMN, MISSING_COLUMN, Problem

if TYPE_CHECKING:  # only for the type checker: a str or a lazy translation
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    english: str
    required: bool
    help: "StrOrPromise"


COLUMNS = [
    Column("real_name", "姓名", "Real name", True, _("The child's real name; never public.")),
    Column(
        "alias",
        "化名",
        "Alias",
        False,
        _("Shown to the public. Left empty: a neutral alias such as 小星同学, never the surname."),
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
    Column(
        "share_letter",
        "同意向认领方转交感谢信",
        "Consent: pass the thank-you letter to the sponsor",
        False,
        _("May the sponsor read the child's thank-you letter? Left empty: no."),
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

# The template's example row; left in a file it is a problem, never a child.
EXAMPLE_ROW = {
    "real_name": "王小花",
    "alias": "小星同学",
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
    "share_letter": "是",
}
# What the guardian consented to, beyond keeping the record: a yes/no column each.
CONSENT_SCOPES = ("publish_wish", "share_photos", "publish_photos", "share_letter")


def loose(value: object) -> str:
    """Compare labels loosely: full-width forms, spaces and case do not matter."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value))).casefold()


def cell_text(value: object) -> str:
    """A cell's value as the text typed in it: whole numbers without ".0", dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    return str(value).strip()


def choice_labels(choices: type[models.TextChoices]) -> list[str]:
    """The Chinese labels of a set of choices, as the template lists them."""
    with translation.override("zh-hans"):
        return [str(label) for label in choices.labels]


def _header_lookup() -> dict[str, str]:
    lookup = {}
    for column in COLUMNS:
        for name in (column.header, column.english, column.key):
            lookup[loose(name).rstrip("*")] = column.key
    return lookup


def columns_of(header: tuple) -> tuple[dict[str, int], list[Problem]]:
    """The position of each known column in the header row, and the header's problems."""
    lookup = _header_lookup()
    positions: dict[str, int] = {}
    problems = []
    for index, cell in enumerate(header):
        key = lookup.get(loose(cell_text(cell)).rstrip("*"))
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
