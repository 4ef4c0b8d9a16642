"""The error summary a form shows at its top after a failed submit: one link per error."""

from dataclasses import dataclass

from django import forms, template

register = template.Library()


@dataclass(frozen=True, slots=True)
class SummaryError:
    # The id of the element the link moves to ("" for an error of the whole form).
    anchor: str
    label: str
    message: str


def _anchor(bound: forms.BoundField) -> str:
    # A group of radio buttons or checkboxes has no single element: its first choice.
    if bound.id_for_label:
        return bound.id_for_label
    if isinstance(bound.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return f"{bound.auto_id}_0"
    return bound.auto_id or ""


@register.simple_tag
def error_summary(form: forms.BaseForm) -> list[SummaryError]:
    """Every error of `form` in the fields' order, the whole form's errors first.

    A form whose whole-form errors are about one field (a login's "wrong username or
    password", a wrong code) names it in `error_summary_field`: those errors link to it.
    """
    name = getattr(form, "error_summary_field", "")
    whole = _anchor(form[name]) if name in form.fields else ""
    errors = [SummaryError(whole, "", str(message)) for message in form.non_field_errors()]
    for bound in form:
        anchor, label = _anchor(bound), str(bound.label)
        errors.extend(SummaryError(anchor, label, str(message)) for message in bound.errors)
    return errors
