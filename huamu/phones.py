"""The one phone rule: what a mainland China phone number is and how it is stored.

People type numbers every which way: with +86 or 0086, spaces, dashes and brackets, in
full-width digits from a Chinese input method. `normalise_phone` reads all of these with
`phonenumbers` and returns the stored form (a mobile as 11 digits, 13812345678; a landline as
area code, dash, number, 021-58881234; a local landline without its area code as typed,
58881234). `PhoneValidator` checks a stored value, `PhoneField` is the form field that
normalises, and `PhoneNumberField` the model field whose forms (sign-up, admin) use it.
"""

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

# Kept untranslated so the spreadsheet import can store it and translate it when shown.
INVALID_PHONE = gettext_noop(
    "Enter a mainland China phone number, e.g. 13812345678 or 021-58881234."
)

# What people type between digits once full-width forms are folded: spaces (the ideographic
# one included), dashes of every width, dots and brackets.
_SEPARATORS = re.compile(r"[\s\-.()\u2010-\u2015\u2212\u30fc]")
_DIGITS = re.compile(r"\+?[0-9]{5,17}")
# A landline written without its area code cannot be checked further; it is kept as typed.
_LOCAL_LANDLINE = re.compile(r"[2-9][0-9]{6,7}")
_LANDLINE_TYPES = {
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}

# How the migrations of 2026 recorded the check on these fields; every stored form matches it.
LEGACY_PATTERN = r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{7,8})$"


def _invalid() -> ValidationError:
    return ValidationError(_(INVALID_PHONE), code="invalid")


def normalise_phone(text: str) -> str:
    """The stored form of a typed mainland China number; ValidationError if it is none."""
    compact = _SEPARATORS.sub("", unicodedata.normalize("NFKC", str(text)))
    if not _DIGITS.fullmatch(compact):
        raise _invalid()
    if _LOCAL_LANDLINE.fullmatch(compact):
        return compact
    try:
        number = phonenumbers.parse(compact, "CN")
    except phonenumbers.NumberParseException:
        raise _invalid() from None
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        raise _invalid()
    national = str(number.national_number)
    kind = phonenumbers.number_type(number)
    if kind == phonenumbers.PhoneNumberType.MOBILE:
        return national
    area = phonenumbers.length_of_geographical_area_code(number)
    if kind in _LANDLINE_TYPES and area:
        return f"0{national[:area]}-{national[area:]}"
    # Toll-free, shared-cost and other non-geographic numbers reach no guardian or sponsor.
    raise _invalid()


class PhoneValidator:
    """Checks that a value is a phone number in its stored form (see normalise_phone)."""

    code = "invalid"

    def __call__(self, value: Any) -> None:
        try:
            stored = normalise_phone(value)
        except ValidationError:
            stored = None
        if stored != value:
            raise _invalid()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PhoneValidator)

    def __hash__(self) -> int:
        return hash(PhoneValidator)

    def deconstruct(self) -> tuple[str, tuple, dict[str, str]]:
        # Migrations keep the regular expression this class replaced: it accepts every
        # stored form and changes nothing in the database, so no migration is needed.
        return (
            "django.core.validators.RegexValidator",
            (),
            {"regex": LEGACY_PATTERN, "message": INVALID_PHONE},
        )


class PhoneField(forms.CharField):
    """A text input whose clean value is the typed phone number in its stored form."""

    def to_python(self, value: Any) -> str | None:
        text = super().to_python(value)
        if text is None or text in self.empty_values:
            return text
        return normalise_phone(text)


class PhoneNumberField(models.CharField):
    """A phone number in its stored form; its forms normalise what is typed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("validators", [PhoneValidator()])
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs: Any) -> forms.Field | None:
        return super().formfield(**{"form_class": PhoneField, **kwargs})

    def deconstruct(self) -> tuple[str, str, Sequence[Any], dict[str, Any]]:
        name, _path, args, kwargs = super().deconstruct()
        # The database holds a plain CharField; migrations say so.
        return name, "django.db.models.CharField", args, kwargs


def is_mobile(stored: str) -> bool:
    """Whether a stored number (see `normalise_phone`) is a mobile that can receive texts."""
    return bool(re.fullmatch(r"1[3-9]\d{9}", stored or ""))


def mask_phone(stored: str) -> str:
    """A number as logs and consoles show it: `138****5678`; anything else only its end."""
    if is_mobile(stored):
        return f"{stored[:3]}****{stored[-4:]}"
    return f"****{stored[-2:]}" if len(stored) > 2 else "****"
