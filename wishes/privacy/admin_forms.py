"""Back-office forms that ask the privacy guard before text about a child goes public.

A published wish's public text is checked when staff edit it; a child's identifying fields
are checked against the public texts already out, so that recording a sibling's name or a
new address refuses the save while a published text still holds it.
"""

import copy
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from huamu.errors import TransitionError
from wishes.models import PUBLISHED_STATUSES, Child, Wish, WishStatus
from wishes.privacy.aliases import neutral_alias
from wishes.privacy.guard import ALIAS_TEXT, PUBLIC_TEXT, check_text

# What the guard reads of a child: a change to any of them re-checks its public texts.
IDENTIFYING_FIELDS = (
    "real_name",
    "guardian_name",
    "guardian_phone",
    "private_words",
    "school",
    "class_name",
    "address",
)


class GuardedWishForm(forms.ModelForm):
    """A wish whose public text, once published, must name nobody."""

    class Meta:
        model = Wish
        # The admin's fieldsets choose the fields; this is what the check needs.
        fields = ["public_text"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Blank in the database only once the child is anonymised.
        if "child_words" in self.fields:
            self.fields["child_words"].required = True

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean() or {}
        text = cleaned.get("public_text")
        wish = self.instance
        if text and wish.pk and wish.status != WishStatus.DRAFT:
            try:
                check_text(text, child=wish.child, what=PUBLIC_TEXT)
            except TransitionError as refusal:
                self.add_error("public_text", ValidationError(refusal.as_html()))
        return cleaned


class GuardedChildForm(forms.ModelForm):
    """A child whose alias names nothing (left empty, a neutral one is drawn) and whose new
    identifying data must not be in a text already public."""

    class Meta:
        model = Child
        fields = ["alias", *IDENTIFYING_FIELDS]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Blank in the database only once the child is anonymised.
        for name in ("guardian_name", "guardian_phone"):
            if name in self.fields:
                self.fields[name].required = True
        if "alias" in self.fields:
            self.fields["alias"].required = False
            self.fields["alias"].help_text = _(
                "Shown to the public instead of the name. Leave it empty for a neutral one "
                "such as 小星同学; never use the surname or given name."
            )

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        probe = copy.copy(self.instance)
        for name in IDENTIFYING_FIELDS:
            if name in cleaned:
                setattr(probe, name, cleaned[name])
        if "alias" in self.fields:
            if not cleaned.get("alias"):
                cleaned["alias"] = neutral_alias(real_name=cleaned.get("real_name", ""))
            try:
                check_text(cleaned["alias"], child=probe, what=ALIAS_TEXT)
            except TransitionError as refusal:
                self.add_error("alias", ValidationError(refusal.as_html()))
        if not self.instance.pk:
            return cleaned
        published = Wish.objects.filter(child=self.instance, status__in=PUBLISHED_STATUSES)
        for wish in published.exclude(public_text="").order_by("pk"):
            try:
                check_text(wish.public_text, child=probe, what=PUBLIC_TEXT)
            except TransitionError as refusal:
                message = format_html("{}: {}", wish.code, refusal.as_html())
                self.add_error(None, ValidationError(message))
        return cleaned
