"""Forms of the school coordinator's pages: they check uploads; services record them.

Every uploaded file goes through huamu.images.clean_image, and every request through
check_upload_count, before any service is called: a bad file leaves no row and no file.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huamu.images import CleanImage, check_upload_count, clean_image
from wishes.models import Claim, Event, School
from wishes.school.access import school_claims

# What phones offer for these inputs: the camera and the photo library alike. No `capture`
# attribute: it would hide the library, and photos are often taken before the form opens.
IMAGE_ACCEPT = "image/jpeg,image/png,image/webp"
# The roster's file inputs are called photos-<claim id>.
PHOTO_FIELD_PREFIX = "photos-"


def _named(upload: UploadedFile, message: str) -> str:
    # The file's name tells the coordinator which of several photos was refused.
    return gettext("%(name)s: %(message)s") % {
        "name": (upload.name or "")[:80],
        "message": message,
    }


def _all_files(files) -> list[UploadedFile]:
    return [upload for name in files for upload in files.getlist(name)]


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class CleanImageField(forms.FileField):
    """One picture, checked and re-encoded: cleaned_data holds a CleanImage (or None)."""

    widget = forms.FileInput(attrs={"accept": IMAGE_ACCEPT})

    def clean(self, data, initial=None) -> CleanImage | None:
        try:
            upload = super().clean(data, initial)
            return clean_image(upload) if upload else None
        except ValidationError as error:
            if not isinstance(data, UploadedFile):
                raise
            raise ValidationError([_named(data, m) for m in error.messages]) from None


class MultipleImageField(CleanImageField):
    """Several pictures at once: cleaned_data holds a list of CleanImage."""

    widget = MultipleFileInput(attrs={"accept": IMAGE_ACCEPT})

    # A list of images where the parent field gives one: the override is deliberate.
    def clean(self, data, initial=None) -> list[CleanImage]:  # type: ignore[override]
        uploads = list(data) if isinstance(data, list | tuple) else [data] if data else []
        if not uploads:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        check_upload_count(uploads)
        images: list[CleanImage] = []
        errors: list[str] = []
        for upload in uploads:
            try:
                image = super().clean(upload, initial)
            except ValidationError as error:
                errors.extend(error.messages)
            else:
                if image is not None:
                    images.append(image)
        if errors:
            raise ValidationError(errors)
        return images


class UploadLimitMixin(forms.Form):
    """Refuse the whole request when it carries more files than one form may take."""

    def clean(self) -> dict[str, Any] | None:
        check_upload_count(_all_files(self.files))
        return super().clean()


@dataclass
class RosterRow:
    """One claimed wish on the roster: ticked or not, and what was wrong with its photos."""

    claim: Claim
    checked: bool
    errors: list[str] = field(default_factory=list)


class FulfilmentRosterForm(forms.Form):
    """Recording several claimed wishes of one school as fulfilled, photos per wish."""

    claims = forms.ModelMultipleChoiceField(
        label=_("Wishes handed over"),
        queryset=Claim.objects.none(),
        error_messages={
            "required": _("Tick at least one wish that was handed over."),
            "invalid_choice": _("One of the ticked wishes is not a wish of this school."),
            "invalid_pk_value": _("One of the ticked wishes is not a wish of this school."),
        },
    )
    fulfilled_on = forms.DateField(
        label=_("Handed over on"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    event = forms.ModelChoiceField(
        label=_("At the event"),
        queryset=Event.objects.none(),
        required=False,
        empty_label=_("Not at an event"),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, school: School, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Claims of every status of this school: a wish fulfilled by a colleague since the
        # page was shown reaches the service, which says so; other schools' claims are
        # unknown choices.
        claims = cast(forms.ModelMultipleChoiceField, self.fields["claims"])
        claims.queryset = school_claims(school)
        events = cast(forms.ModelChoiceField, self.fields["event"])
        events.queryset = Event.objects.filter(school=school).order_by("-date")
        self.fields["fulfilled_on"].widget.attrs["max"] = timezone.localdate().isoformat()
        self.photos: dict[int, Sequence[CleanImage]] = {}
        self.row_errors: dict[int, list[str]] = {}

    def clean_fulfilled_on(self) -> datetime.date:
        value = self.cleaned_data["fulfilled_on"]
        if value > timezone.localdate():
            raise ValidationError(_("The date cannot be in the future."), code="future")
        return value

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        # A request with too many files is refused before any of them is decoded.
        check_upload_count(_all_files(self.files))
        ticked = set(cast(QueryDict, self.data).getlist("claims"))
        for name in self.files:
            claim_id = name.removeprefix(PHOTO_FIELD_PREFIX)
            if not name.startswith(PHOTO_FIELD_PREFIX) or not claim_id.isdigit():
                continue
            if claim_id not in ticked:
                # Dropping them quietly would lose the photos; say so instead.
                self.row_errors[int(claim_id)] = [
                    gettext("Tick this wish to record it, or leave out its photos.")
                ]
                continue
            try:
                self.photos[int(claim_id)] = MultipleImageField(required=False).clean(
                    self.files.getlist(name)
                )
            except ValidationError as error:
                self.row_errors[int(claim_id)] = error.messages
        if self.row_errors:
            raise ValidationError(
                _("Some photos were not accepted (see the marked wishes); nothing was recorded.")
            )
        return cleaned

    def rows(self, claims: list[Claim]) -> list[RosterRow]:
        """The roster rows, ticked as posted (or as preselected on a fresh form)."""
        if self.is_bound:
            ticked = set(cast(QueryDict, self.data).getlist("claims"))
        else:
            ticked = {str(pk) for pk in self.initial.get("claims", [])}
        return [
            RosterRow(claim, str(claim.pk) in ticked, self.row_errors.get(claim.pk, []))
            for claim in claims
        ]

    def photo_field_name(self, claim: Claim) -> str:
        return f"{PHOTO_FIELD_PREFIX}{claim.pk}"


class PhotoUploadForm(UploadLimitMixin):
    """Adding photos to a fulfilment recorded earlier."""

    images = MultipleImageField(
        label=_("Photos"),
        help_text=_("JPEG, PNG or WebP; you can choose several at once."),
        error_messages={"required": _("Choose at least one photo.")},
    )


class LetterForm(UploadLimitMixin):
    """A child's thank-you letter: a scan or photo of it, its text, or both."""

    scan = CleanImageField(
        label=_("Scan or photo of the letter"),
        required=False,
        help_text=_("One JPEG, PNG or WebP picture."),
    )
    transcription = forms.CharField(
        label=_("Text of the letter"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Optional: type the letter out, e.g. when the handwriting is hard to read."),
    )

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean() or {}
        # Only when the scan itself was fine: a refused scan has its own message.
        if "scan" in cleaned and not cleaned["scan"] and not cleaned.get("transcription", ""):
            raise ValidationError(_("Upload the letter's scan or photo, or type its text."))
        return cleaned
