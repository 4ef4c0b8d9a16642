"""Checking cells: each column's cleaner turns what a cell holds into a value or a problem.

Cells are read loosely, as people write them: labels in Chinese or English or as codes,
full-width digits, grades with 年级, money with 元 or ¥, dates in the usual Chinese ways,
phone numbers by huamu.phones. Schools and regions must already be in the back office.
"""

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone, translation

from huamu.phones import normalise_phone
from wishes.importing.columns import (
    DATE_FORMATS,
    GRADE_SUFFIX,
    MONEY_MARKS,
    NO_WORDS,
    YES_WORDS,
    cell_text,
    choice_labels,
    loose,
)
from wishes.importing.problems import (
    BAD_AMOUNT,
    BAD_DATE,
    BAD_PHONE,
    FUTURE_DATE,
    NOT_ONE_OF,
    NOT_WHOLE_NUMBER,
    REQUIRED,
    TOO_LONG,
    UNKNOWN_REGION,
    UNKNOWN_SCHOOL,
    CellError,
)
from wishes.models import Child, Gender, HardshipCategory, Region, School, WishCategory


def _choice_lookup(choices: type[models.TextChoices], *extra: tuple[str, str]) -> dict[str, str]:
    """Accept the Chinese label, the English label and the code of every choice."""
    lookup: dict[str, str] = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            lookup |= {loose(label): value for value, label in choices.choices}
    lookup |= {loose(value): value for value in choices.values}
    lookup |= {loose(word): value for word, value in extra}
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
            schools={loose(s.name): s for s in School.objects.select_related("region")},
            regions={loose(r.name): r for r in Region.objects.all()},
            genders=_choice_lookup(Gender, ("male", Gender.BOY), ("female", Gender.GIRL)),
            hardships=_choice_lookup(HardshipCategory),
            categories=_choice_lookup(WishCategory),
        )


def _required_text(max_length: int | None) -> Callable[[object, Lookups], str]:
    def clean(value: object, lookups: Lookups) -> str:
        text = cell_text(value)
        if not text:
            raise CellError(REQUIRED)
        if max_length is not None and len(text) > max_length:
            raise CellError(TOO_LONG, max=max_length)
        return text

    return clean


def _optional_text(max_length: int | None) -> Callable[[object, Lookups], str]:
    def clean(value: object, lookups: Lookups) -> str:
        text = cell_text(value)
        if max_length is not None and len(text) > max_length:
            raise CellError(TOO_LONG, max=max_length)
        return text

    return clean


def _whole_number(low: int, high: Callable[[], int] | int, suffix: str = ""):
    def clean(value: object, lookups: Lookups) -> int:
        top = high() if callable(high) else high
        text = loose(cell_text(value))
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
        text = cell_text(value)
        if not text:
            raise CellError(REQUIRED)
        try:
            return getattr(lookups, attribute)[loose(text)]
        except KeyError:
            raise CellError(
                NOT_ONE_OF, value=text, allowed="、".join(choice_labels(choices))
            ) from None

    return clean


def _school(value: object, lookups: Lookups) -> School:
    text = cell_text(value)
    if not text:
        raise CellError(REQUIRED)
    try:
        return lookups.schools[loose(text)]
    except KeyError:
        raise CellError(UNKNOWN_SCHOOL, value=text) from None


def _region(value: object, lookups: Lookups) -> Region | None:
    text = cell_text(value)
    if not text:
        return None
    try:
        return lookups.regions[loose(text)]
    except KeyError:
        raise CellError(UNKNOWN_REGION, value=text) from None


def _phone(value: object, lookups: Lookups) -> str:
    text = cell_text(value)
    if not text:
        raise CellError(REQUIRED)
    try:
        return normalise_phone(text)
    except ValidationError:
        raise CellError(BAD_PHONE) from None


def _yes_no(required: bool):
    def clean(value: object, lookups: Lookups) -> bool:
        if isinstance(value, bool):
            return value
        word = loose(cell_text(value))
        if not word and not required:
            return False
        if word in YES_WORDS:
            return True
        if word in NO_WORDS:
            return False
        if not word:
            raise CellError(REQUIRED)
        raise CellError(NOT_ONE_OF, value=cell_text(value), allowed="是、否")

    return clean


def _date(value: object, lookups: Lookups) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        day = value.date()
    elif isinstance(value, datetime.date):
        day = value
    else:
        # A date typed with a time after it (2025-09-01 00:00:00) keeps only the date.
        text = loose((cell_text(value).split() or [""])[0])
        if not text:
            return None
        for pattern in DATE_FORMATS:
            try:
                day = datetime.datetime.strptime(text, pattern).date()  # noqa: DTZ007 (a date)
                break
            except ValueError:
                continue
        else:
            raise CellError(BAD_DATE, value=cell_text(value))
    if day > timezone.localdate():
        raise CellError(FUTURE_DATE)
    return day


def _amount(value: object, lookups: Lookups) -> Decimal:
    text = loose(cell_text(value))
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


def _max_length(model: type[models.Model], name: str) -> int | None:
    # Only text fields are asked for, and a text field may be unlimited.
    return cast(models.CharField, model._meta.get_field(name)).max_length


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
    "share_letter": _yes_no(required=False),
}
