"""The back office for thank-you letters: adding a letter that came on paper, and approving
or refusing letters before their sponsors see them.

A new letter is stored by upload_letter, whose refusal (e.g. a full disk) shows on the form.
A letter's page (the child's own text) is in the access log, as is each look at its scan.

Before approving, staff cover areas of the scan (a signature, a name) on the letter's
"cover areas" page: dragging rectangles over the scan (static/js/letter-masks.js, touch
or mouse), or, without JavaScript, typing each area's position in per cent. The sponsor's
copy has them filled; the page links to a draft of that copy.
"""

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from huamu.admin_kit import (
    BOTH_PLACES,
    DomainAdmin,
    RefusalOnFormMixin,
    apply_to_each,
    ask_reason_then_apply,
)
from huamu.errors import TransitionError
from huamu.images import MAX_MASKS, clean_image, clean_masks
from huamu.roles import AuthenticatedRequest, is_office_staff
from wishes.admin.buttons import Button, ChangePageButtonsMixin
from wishes.admin.history import StatusChangeInline
from wishes.models import AccessAction, LetterStatus, ThankYouLetter
from wishes.privacy.access_log import LoggedReadsAdmin, log_access
from wishes.public.selectors import letter_sharing_consent
from wishes.services import approve_letter, cover_letter_areas, reject_letter, upload_letter

if TYPE_CHECKING:  # only for the type checker: a str or a lazily translated one
    from django_stubs_ext import StrOrPromise


class LetterAddForm(forms.ModelForm):
    """A letter that reached the association on paper: a scan, its text, or both."""

    scan_upload = forms.FileField(
        label=_("Scan or photo of the letter"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_("JPEG, PNG or WebP. It is checked and re-encoded before it is stored."),
    )

    class Meta:
        model = ThankYouLetter
        fields = ["fulfilment", "transcription"]

    def clean_scan_upload(self):
        upload = self.cleaned_data.get("scan_upload")
        return clean_image(upload) if upload else None

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not data.get("scan_upload") and not (data.get("transcription") or "").strip():
            raise forms.ValidationError(_("Upload the letter's scan or photo, or type its text."))
        return data


def _percent(label: "StrOrPromise") -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=0,
        max_value=100,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )


class CoverAreaForm(forms.Form):
    """One covered area typed in per cent of the scan (the page without JavaScript)."""

    x = _percent(_("From the left (%)"))
    y = _percent(_("From the top (%)"))
    w = _percent(_("Width (%)"))
    h = _percent(_("Height (%)"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        given = [data.get(key) is not None for key in ("x", "y", "w", "h")]
        if any(given) and not all(given):
            raise forms.ValidationError(_("Give all four numbers of the area, or none."))
        return data

    def mask(self) -> dict[str, float] | None:
        """The area as fractions of the scan, or None for an empty row or one to remove."""
        data = self.cleaned_data
        if data.get("DELETE") or data.get("x") is None:
            return None
        return {key: float(data[key] / Decimal(100)) for key in ("x", "y", "w", "h")}


# Two empty rows for new areas each time; the admin's limit of 1000 forms is far too many.
CoverAreaFormSet = forms.formset_factory(
    CoverAreaForm, extra=2, can_delete=True, max_num=MAX_MASKS, absolute_max=MAX_MASKS + 2
)


class CoverMasksForm(forms.Form):
    """The areas drawn on the scan, as JSON that static/js/letter-masks.js writes. Left
    empty by a browser without JavaScript: the typed areas count then."""

    masks = forms.CharField(required=False, widget=forms.HiddenInput, strip=True)

    def clean_masks(self) -> list[dict[str, float]] | None:
        value = self.cleaned_data["masks"]
        return clean_masks(value) if value else None


def _areas_initial(masks: list[dict[str, float]]) -> list[dict[str, Decimal]]:
    return [
        {key: (Decimal(str(mask[key])) * 100).quantize(Decimal("0.01")) for key in mask}
        for mask in masks
    ]


def _posted_masks(drawn: CoverMasksForm, typed) -> list[dict[str, float]] | None:
    """The areas the page sent, checked; None when a form has errors to show."""
    if not drawn.is_valid():
        return None
    if drawn.cleaned_data["masks"] is not None:
        return drawn.cleaned_data["masks"]
    if not typed.is_valid():
        return None
    masks = [mask for form in typed.forms if (mask := form.mask()) is not None]
    try:
        return clean_masks(masks)
    except ValidationError as error:
        drawn.add_error(None, error)
        return None


@admin.register(ThankYouLetter)
class ThankYouLetterAdmin(
    ChangePageButtonsMixin, RefusalOnFormMixin, LoggedReadsAdmin, DomainAdmin
):
    # The list shows codes and schools only; a letter's page shows the child's text.
    read_action = AccessAction.VIEW_LETTER
    list_display = [
        "wish_code",
        "school",
        "status",
        "consent_to_pass",
        "uploaded_by",
        "reviewed_by",
        "reviewed_at",
        "created_at",
    ]
    list_filter = ["status", "fulfilment__claim__wish__child__school"]
    list_select_related = [
        "fulfilment__claim__wish__child__school",
        "uploaded_by",
        "reviewed_by",
    ]
    search_fields = ["fulfilment__claim__wish__code", "transcription"]
    search_help_text = _("Finds letters by the wish's code or words of the transcription.")
    # A filtered list counts its own rows only: no second count of every letter.
    show_full_result_count = False
    autocomplete_fields = ["fulfilment"]
    date_hierarchy = "created_at"
    fields = (
        "fulfilment",
        "consent_to_pass",
        "scan_link",
        "cover_link",
        "preview_link",
        "transcription",
        "shared_text",
        "status",
        "review_note",
        "uploaded_by",
        "reviewed_by",
        "reviewed_at",
        "created_at",
    )
    inlines = [StatusChangeInline]
    actions = ["approve", "reject"]
    change_page_buttons = [
        Button(
            "approve",
            _("Approve and send to the sponsor"),
            shown=lambda letter: letter.status == LetterStatus.PENDING,
        ),
        Button(
            "reject",
            _("Do not approve…"),
            shown=lambda letter: letter.status == LetterStatus.PENDING,
            danger=True,
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        # Staff see before approving whether the guardian lets the letter reach the sponsor.
        return super().get_queryset(request).annotate(may_pass=letter_sharing_consent())

    def children_of(self, obj: ThankYouLetter) -> list[int]:
        return [obj.fulfilment.claim.wish.child_id]

    def get_urls(self) -> list:
        cover = path(
            "<path:object_id>/cover/",
            self.admin_site.admin_view(require_http_methods(["GET", "POST"])(self.cover_view)),
            name="wishes_thankyouletter_cover",
        )
        # Before the admin's own "<path:object_id>/", which would take it for a record.
        return [cover, *super().get_urls()]

    def cover_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Cover areas of a letter's scan: drawn over it, or typed in per cent."""
        letter = self.get_object(request, unquote(object_id))
        if letter is None or not letter.scan:
            raise Http404
        if not (
            is_office_staff(request.user, perm="wishes.change_thankyouletter")
            and self.has_change_permission(request, letter)
        ):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else None
        drawn = CoverMasksForm(data)
        typed = CoverAreaFormSet(data, prefix="area", initial=_areas_initial(letter.masks))
        if data is not None and (masks := _posted_masks(drawn, typed)) is not None:
            try:
                cover_letter_areas(letter_id=letter.pk, masks=masks, by=cast(User, request.user))
            except TransitionError as refusal:
                drawn.add_error(None, str(refusal))
            except ValidationError as error:
                drawn.add_error(None, error)
            else:
                messages.success(request, gettext("The covered areas are saved."))
                return HttpResponseRedirect(request.path)
        # The page shows the child's letter (its scan is logged again as the browser loads it).
        log_access(
            request, action=self.read_action, subject=letter, children=self.children_of(letter)
        )
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Cover areas of the scan: %(letter)s") % {"letter": letter},
            "subtitle": None,
            "opts": self.opts,
            "original": letter,
            "has_view_permission": True,
            "drawn": drawn,
            "typed": typed,
            "masks_json": json.dumps(letter.masks),
            "max_masks": MAX_MASKS,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/wishes/thankyouletter/cover.html", context)

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        if obj is None:
            kwargs["form"] = LetterAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(
        self, request: HttpRequest, obj: ThankYouLetter | None = None
    ) -> tuple[str, ...]:
        if obj is None:
            return ("fulfilment", "scan_upload", "transcription")
        return self.fields

    def get_readonly_fields(
        self, request: HttpRequest, obj: ThankYouLetter | None = None
    ) -> list[str]:
        if obj is None:
            return []
        editable = ("transcription", "shared_text")
        readonly = [name for name in self.fields if name not in editable]
        # What the sponsor was sent, or what staff refused, stays as it was reviewed.
        if obj.status != LetterStatus.PENDING:
            readonly += editable
        return readonly

    def save_model(self, request: HttpRequest, obj: ThankYouLetter, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new letter goes through the service: it stores the scan, records and tells staff.
        # Its refusal (e.g. a full disk) shows on the form: RefusalOnFormMixin.
        letter = upload_letter(
            fulfilment_id=obj.fulfilment_id,
            by=cast(User, request.user),
            scan=form.cleaned_data["scan_upload"],
            transcription=obj.transcription,
        )
        obj.pk = letter.pk
        obj.refresh_from_db()
        obj._state.adding = False

    @admin.display(description=_("wish"), ordering="fulfilment__claim__wish__code")
    def wish_code(self, obj: ThankYouLetter) -> str:
        return obj.fulfilment.claim.wish.code

    @admin.display(description=_("school"), ordering="fulfilment__claim__wish__child__school")
    def school(self, obj: ThankYouLetter) -> str:
        return obj.fulfilment.claim.wish.child.school.name

    @admin.display(description=_("consent to pass it to the sponsor"), boolean=True)
    def consent_to_pass(self, obj: ThankYouLetter) -> bool:
        # Approving is refused without it (approve_letter); the column warns before.
        return bool(getattr(obj, "may_pass", False))

    @admin.display(description=_("scan or photo of the letter"))
    def scan_link(self, obj: ThankYouLetter) -> str:
        if not obj.scan:
            return "—"
        url = reverse("files:letter_scan", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Open the scan"))

    @admin.display(description=_("covered areas"))
    def cover_link(self, obj: ThankYouLetter) -> str:
        if not obj.scan:
            return "—"
        count = len(obj.masks)
        summary = ngettext("%(count)d area covered", "%(count)d areas covered", count) % {
            "count": count
        }
        if obj.status == LetterStatus.REJECTED:
            return summary
        return format_html(
            '{} · <a href="{}">{}</a> · <a href="{}">{}</a>',
            summary,
            reverse("admin:wishes_thankyouletter_cover", args=[obj.pk]),
            gettext("Cover areas of the scan"),
            reverse("files:letter_draft", args=[obj.pk]),
            gettext("Draft of the sponsor's copy"),
        )

    @admin.display(description=_("watermarked copy for the sponsor"))
    def preview_link(self, obj: ThankYouLetter) -> str:
        if not obj.preview:
            return "—"
        url = reverse("files:letter_preview", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Open the sponsor's copy"))

    @admin.action(
        description=_("Approve the selected letters and send them to the sponsors"),
        permissions=["change"],
        location=BOTH_PLACES,
    )
    def approve(self, request: AuthenticatedRequest, queryset: models.QuerySet) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda letter: approve_letter(letter_id=letter.pk, by=request.user),
            gettext("%(object)s is approved; the sponsor is told by e-mail."),
        )

    @admin.action(
        description=_("Do not approve the selected letters…"),
        permissions=["change"],
        location=BOTH_PLACES,
    )
    def reject(
        self, request: AuthenticatedRequest, queryset: models.QuerySet
    ) -> TemplateResponse | None:
        return ask_reason_then_apply(
            self,
            request,
            queryset,
            help_text=_("Kept with the letter, e.g. unreadable, or it names the child."),
            change=lambda letter, reason: reject_letter(
                letter_id=letter.pk, by=request.user, reason=reason
            ),
            done=gettext("%(object)s is not approved; the sponsor does not see it."),
            action="reject",
            title=gettext("Do not approve letters"),
            intro=gettext("The sponsors never see these letters. Say why, for the record."),
            submit_label=gettext("Do not approve"),
        )
