"""The back office for thank-you letters: adding a letter that came on paper, and approving
or refusing letters before their sponsors see them.

A new letter is stored by upload_letter, whose refusal (e.g. a full disk) shows on the form.
A letter's page (the child's own text) is in the access log, as is each look at its scan.
"""

from typing import Any, cast

from django import forms
from django.contrib import admin
from django.contrib.auth.models import User
from django.db import models
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huamu.admin_kit import (
    BOTH_PLACES,
    DomainAdmin,
    RefusalOnFormMixin,
    apply_to_each,
    ask_reason_then_apply,
)
from huamu.images import clean_image
from huamu.roles import AuthenticatedRequest
from wishes.admin.buttons import Button, ChangePageButtonsMixin
from wishes.admin.history import StatusChangeInline
from wishes.models import AccessAction, LetterStatus, ThankYouLetter
from wishes.privacy.access_log import LoggedReadsAdmin
from wishes.public.selectors import letter_sharing_consent
from wishes.services import approve_letter, reject_letter, upload_letter


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
    autocomplete_fields = ["fulfilment"]
    date_hierarchy = "created_at"
    fields = (
        "fulfilment",
        "consent_to_pass",
        "scan_link",
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
