"""The one form the public wish page offers staff and the school's coordinator: the gift
arrived (礼物已收到), scanned from the wish card's QR code."""

from django import forms
from django.utils.translation import gettext_lazy as _

from wishes.school.forms import CleanImageField


class GiftReceivedForm(forms.Form):
    """An optional note (wrong item, damaged) and an optional photo of the parcel."""

    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: wrong item, damaged parcel. The sponsor reads it."),
    )
    photo = CleanImageField(
        label=_("Photo of the parcel (optional)"),
        required=False,
        help_text=_("Kept private: only the association's staff see it."),
    )
