"""Forms of the wish pages: they validate input; services make the state changes."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huamu.forms import IdMultipleChoiceField
from wishes.public.selectors import published_wishes

# How far ahead a sponsor may promise to deliver; later promises tend to be forgotten.
MAX_PROMISE_DAYS = 120


def clean_promised_on(value: datetime.date) -> datetime.date:
    """Accept a delivery date from today up to MAX_PROMISE_DAYS ahead."""
    today = timezone.localdate()
    if value < today:
        raise forms.ValidationError(
            _("The promised delivery date cannot be in the past."), code="past"
        )
    latest = today + datetime.timedelta(days=MAX_PROMISE_DAYS)
    if value > latest:
        raise forms.ValidationError(
            _("Please promise a date within %(days)d days, that is %(latest)s at the latest."),
            code="too_far",
            params={"days": MAX_PROMISE_DAYS, "latest": date_format(latest)},
        )
    return value


class PromisedOnMixin(forms.Form):
    """A required delivery date, today up to MAX_PROMISE_DAYS ahead."""

    promised_on = forms.DateField(
        label=_("Promised delivery date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("Please say by when you will deliver the wish.")},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Set here, not on the field: the number is interpolated in the request's language.
        self.fields["promised_on"].help_text = gettext(
            "By when you will deliver the wish, at most %(days)d days from today."
        ) % {"days": MAX_PROMISE_DAYS}
        self.fields["promised_on"].widget.attrs.update(
            {
                "min": timezone.localdate().isoformat(),
                "max": (
                    timezone.localdate() + datetime.timedelta(days=MAX_PROMISE_DAYS)
                ).isoformat(),
            }
        )

    def clean_promised_on(self) -> datetime.date:
        return clean_promised_on(self.cleaned_data["promised_on"])


class ClaimForm(PromisedOnMixin):
    """Confirming the claim of one wish."""


class BatchClaimForm(PromisedOnMixin):
    """Claiming several open wishes at once with one promised date."""

    # Any wish the public can see may be posted back, claimed ones too: a wish taken since
    # the page was shown must reach the service, whose refusal names it, rather than fail
    # here as an unknown choice. Drafts and hidden wishes stay unknown.
    wishes = IdMultipleChoiceField(
        label=_("Wishes"),
        queryset=published_wishes(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one wish.")},
    )

    field_order = ["wishes", "promised_on"]
