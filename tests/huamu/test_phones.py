"""The one phone rule: what is a mainland China number, and the form it is stored in."""

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation

from huamu.phones import (
    INVALID_PHONE,
    LEGACY_PATTERN,
    PhoneField,
    PhoneNumberField,
    PhoneValidator,
    normalise_phone,
)
from sponsors.models import mainland_phone_validator


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("13812345678", "13812345678"),
        (" 13812345678 ", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("138.1234.5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+86-138-1234-5678", "13812345678"),
        ("0086 138 1234 5678", "13812345678"),
        ("8613812345678", "13812345678"),
        # What a Chinese input method types: full-width digits, spaces, plus and dashes.
        ("１３８１２３４５６７８", "13812345678"),
        ("１３８　１２３４　５６７８", "13812345678"),
        ("＋８６ １３８－１２３４－５６７８", "13812345678"),
        ("138—1234—5678", "13812345678"),
        ("021-58881234", "021-58881234"),
        ("02158881234", "021-58881234"),
        ("021 5888 1234", "021-58881234"),
        ("(021) 5888 1234", "021-58881234"),
        ("（０２１）５８８８１２３４", "021-58881234"),
        ("+86 21 5888 1234", "021-58881234"),
        ("+86 (021) 5888-1234", "021-58881234"),
        ("0086 21 5888 1234", "021-58881234"),
        ("010-12345678", "010-12345678"),
        ("0571-8888 7777", "0571-88887777"),
        # A landline without its area code is kept as typed, as before.
        ("5888 1234", "58881234"),
    ],
)
def test_typed_numbers_are_stored_in_one_form(typed, stored):
    assert normalise_phone(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "phone me",
        "12345",
        "1381234567",
        "138123456789",
        "138 1234 5678 转 1",
        "021-5888-123",
        "+1 650 253 0000",
        "+852 9123 4567",
        "400 812 3456",
    ],
)
def test_what_is_no_mainland_number_is_refused_with_the_message(typed):
    with translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            normalise_phone(typed)

        assert refused.value.messages == [INVALID_PHONE]
    assert refused.value.code == "invalid"


def test_the_message_is_translated():
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as refused:
            normalise_phone("12345")

        assert refused.value.messages == [
            "请输入中国大陆电话号码，例如 13812345678 或 021-58881234。"
        ]


@pytest.mark.parametrize("stored", ["13812345678", "021-58881234", "0571-88887777", "58881234"])
def test_the_validator_accepts_stored_forms(stored):
    PhoneValidator()(stored)


@pytest.mark.parametrize("value", ["138 1234 5678", "02158881234", "+8613812345678", "12345"])
def test_the_validator_refuses_what_is_not_stored_form(value):
    with pytest.raises(ValidationError):
        PhoneValidator()(value)


def test_the_validator_deconstructs_as_the_check_the_migrations_recorded():
    # The 0001 migrations hold this RegexValidator; equal deconstructions need no migration.
    assert PhoneValidator().deconstruct() == (
        "django.core.validators.RegexValidator",
        (),
        {"regex": LEGACY_PATTERN, "message": INVALID_PHONE},
    )
    assert PhoneValidator() == mainland_phone_validator


def test_the_form_field_cleans_to_the_stored_form():
    field = PhoneField()

    assert field.clean("＋８６ １３８ １２３４ ５６７８") == "13812345678"
    with translation.override("en"), pytest.raises(ValidationError, match="mainland China"):
        field.clean("12345")
    with pytest.raises(ValidationError):
        field.clean("")
    assert PhoneField(required=False).clean("  ") == ""


def test_the_model_field_is_a_plain_char_field_to_migrations_with_a_phone_form_field():
    field = PhoneNumberField("phone")
    field.set_attributes_from_name("phone")

    _name, path, _args, kwargs = field.deconstruct()

    assert path == "django.db.models.CharField"
    assert kwargs["max_length"] == 20
    assert kwargs["validators"] == [PhoneValidator()]
    formfield = field.formfield(widget=forms.TextInput)
    assert isinstance(formfield, PhoneField)
    assert formfield.max_length == 20
