"""A drop-down field in Bootstrap's markup, written in one pass: `{{ field|select_field }}`.

crispy's `as_crispy_field` renders every option through the widget's templates; on the
waiting-wishes list, whose filters offer some forty options, that was a third of a page
render. This writes the same markup (label, select, the error's feedback, help text) at
once. For ChoiceField and ModelChoiceField with flat choices; a model choice field's
options are read with one plain query (no server-side cursor).
"""

from collections.abc import Iterable
from typing import cast

from django import forms, template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


def _options(field: forms.Field) -> Iterable[tuple[str, str]]:
    if isinstance(field, forms.ModelChoiceField):
        if field.empty_label is not None:
            yield "", str(field.empty_label)
        for instance in list(field.queryset or ()):
            yield str(field.prepare_value(instance)), str(field.label_from_instance(instance))
        return
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"select_field renders choice fields only, not {type(field).__name__}")
    choices = cast(Iterable[tuple[object, object]], field.choices)
    for value, label in choices:
        if isinstance(label, list | tuple):
            raise TypeError("select_field renders flat choices only")
        yield str(value), str(label)


@register.filter
def select_field(bound: forms.BoundField) -> SafeString:
    field_id = bound.auto_id
    current = bound.value()
    current = "" if current is None else str(current)
    errors = bound.errors
    described = []
    if errors:
        described.append(f"{field_id}_error")
    if bound.help_text:
        described.append(f"{field_id}_helptext")
    options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (value, " selected" if value == current else "", label)
            for value, label in _options(bound.field)
        ),
    )
    select = format_html(
        '<select name="{}" class="select form-select{}" id="{}"{}{}>{}</select>',
        bound.html_name,
        " is-invalid" if errors else "",
        field_id,
        mark_safe(' aria-invalid="true"') if errors else "",
        format_html(' aria-describedby="{}"', " ".join(described)) if described else "",
        options,
    )
    feedback = (
        format_html(
            '<div id="{}_error" class="invalid-feedback">{}</div>',
            field_id,
            format_html_join(
                "",
                '<p id="error_{}_{}"><strong>{}</strong></p>',
                ((number, field_id, message) for number, message in enumerate(errors, 1)),
            ),
        )
        if errors
        else ""
    )
    help_text = (
        format_html('<div id="{}_helptext" class="form-text">{}</div>', field_id, bound.help_text)
        if bound.help_text
        else ""
    )
    return format_html(
        '<div id="div_{}" class="mb-3"><label for="{}" class="form-label">{}</label>{}{}{}</div>',
        field_id,
        field_id,
        bound.label,
        select,
        feedback,
        help_text,
    )
