"""The back office for children and their guardians' consents.

A child's page lists its consents (new ones are added there) and its wishes; a consent's
own page shows its history and withdraws it through withdraw_consent, which also takes the
child's wish and cleared photos off the public pages. Every page of either list and every
record's page is in the access log (LoggedReadsAdmin).

Staff holding the dedicated permission `wishes.erase_child` erase a child's private data at
the guardian's request (an action asking for the reason); an anonymised child, and its
consents, are read-only from then on.

A consent lasts until its `valid_until` day (staff may move it); the list of consents
filters those to renew. The scan of the signed paper form is stored by attach_signed_form
and opened only through the private files (wishes/files/), each look logged.

A child's or consent's creation is its first row in the audit trail, as is a child's
withdrawal or return; every change of their fields is in their field history
(FieldHistoryMixin), which both pages show.
"""

import datetime
from typing import Any, cast

from django import forms
from django.contrib import admin
from django.contrib.auth.models import User
from django.db import models
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huamu.admin_kit import (
    BOTH_PLACES,
    DomainAdmin,
    NoDeleteInline,
    NoteForm,
    ReadOnlyInline,
    RefusalOnFormMixin,
    action_form_page,
    apply_to_each,
    submitted_form,
)
from huamu.documents import clean_scanned_form
from huamu.roles import AuthenticatedRequest, is_office_staff
from wishes.admin.buttons import Button, ChangePageButtonsMixin
from wishes.admin.field_history import FieldHistoryMixin
from wishes.admin.history import StatusChangeInline
from wishes.audit import record_change
from wishes.models import (
    RENEWAL_DAYS,
    AccessAction,
    Child,
    ChildState,
    Consent,
    Wish,
)
from wishes.privacy.access_log import LoggedReadsAdmin, log_access
from wishes.privacy.admin_forms import GuardedChildForm
from wishes.reports.print_views import intake_form
from wishes.services import attach_signed_form, erase_child, withdraw_consent


class WishOfChildInline(ReadOnlyInline):
    model = Wish
    fields = ("code", "campaign", "category", "status", "published_at")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return super().get_queryset(request).select_related("campaign")


# What the guardian agreed to. Once recorded it stays as signed: a change is a withdrawal
# (which also takes photos off public pages) and a new consent.
CONSENT_SCOPES = (
    "keep_record",
    "publish_wish",
    "publish_school",
    "share_photos_with_sponsor",
    "publish_photos",
    "share_letter_with_sponsor",
)


class ConsentForm(forms.ModelForm):
    """A consent with, optionally, the scan of the paper form the guardian signed; a consent
    being recorded names who gave it (only an anonymised one has nobody)."""

    signed_form_upload = forms.FileField(
        label=_("Scan of the signed form"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": "application/pdf,image/jpeg,image/png,image/webp"}
        ),
        help_text=_(
            "PDF, JPEG, PNG or WebP. Pictures are re-encoded; only staff can open it later."
        ),
    )

    class Meta:
        model = Consent
        fields = ["child", *CONSENT_SCOPES, "method", "given_on", "valid_until", "given_by"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "given_by" in self.fields:
            self.fields["given_by"].required = True

    def clean_signed_form_upload(self):
        upload = self.cleaned_data.get("signed_form_upload")
        return clean_scanned_form(upload) if upload else None


def attach_uploaded_form(form: forms.Form, consent: Consent, by: User) -> None:
    scan = form.cleaned_data.get("signed_form_upload")
    if scan is not None:
        attach_signed_form(consent_id=consent.pk, by=by, scan=scan)


class RenewalFilter(admin.SimpleListFilter):
    """Consents to renew: expired or expiring soon, not withdrawn, not renewed already."""

    title = _("renewal")
    parameter_name = "renewal"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, Any]]:
        return [
            (
                "due",
                _("To renew (expired or expiring within %(days)d days)") % {"days": RENEWAL_DAYS},
            ),
            ("expiring", _("Expiring within %(days)d days") % {"days": RENEWAL_DAYS}),
            ("expired", _("Expired")),
        ]

    def queryset(self, request: HttpRequest, queryset: models.QuerySet) -> models.QuerySet:
        value = self.value()
        if value == "due":
            return queryset.to_renew()  # type: ignore[attr-defined]
        if value == "expiring":
            return queryset.to_renew(expired=False)  # type: ignore[attr-defined]
        if value == "expired":
            return queryset.to_renew(expiring=False)  # type: ignore[attr-defined]
        return queryset


class ErasureForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_(
            "When and how the guardian asked, e.g. “request by phone on 3 March, noted by "
            "Ms Li”. It is kept in the history; do not write the child's name."
        ),
        error_messages={"required": _("Give the reason: when and how the guardian asked.")},
    )


def child_label(request: HttpRequest, child: Child) -> str:
    """How a child is named in pickers: real name, school and grade for staff who may see
    real names, so that a wish goes to the right child; the alias for anyone else."""
    if not is_office_staff(request.user, perm="wishes.view_child"):
        return str(child)
    return gettext("%(name)s · %(school)s · grade %(grade)s (%(alias)s, #%(id)s)") % {
        "name": child.real_name,
        "school": child.school.name,
        "grade": child.grade,
        "alias": child.alias,
        "id": child.pk,
    }


class ChildPickerMixin(admin.ModelAdmin):
    """For an admin whose form picks a child: the picker names it by child_label."""

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "child" and field is not None:
            # The label depends on who asks, so it is set on this request's field only.
            field.label_from_instance = lambda obj: child_label(request, obj)  # type: ignore[method-assign]
        return field


def _is_anonymised(child: Child | None) -> bool:
    return child is not None and child.anonymised_at is not None


class ConsentInline(NoDeleteInline):
    """New consents are added here; recorded ones show read-only (withdraw on their page)."""

    model = Consent
    form = ConsentForm
    fields = [
        *CONSENT_SCOPES,
        "method",
        "given_on",
        "valid_until",
        "given_by",
        "collected_by",
        "signed_form_upload",
        "withdrawn_at",
    ]
    readonly_fields = ["withdrawn_at"]
    autocomplete_fields = ["collected_by"]
    # The note, the withdrawal and the rest are on the consent's own page.
    show_change_link = True

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # Without change permission the admin shows saved rows read-only and still adds.
        return False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        # An anonymised child has no guardian on record to consent.
        return not _is_anonymised(obj) and super().has_add_permission(request, obj)


def _record_new_consent(consent: Consent, by: User) -> None:
    # In force, or expired already when an old paper form is typed in late.
    record_change(subject=consent, from_status="", to_status=consent.state, by=by)


@admin.register(Child)
class ChildAdmin(FieldHistoryMixin, RefusalOnFormMixin, LoggedReadsAdmin, DomainAdmin):
    form = GuardedChildForm
    read_action = AccessAction.VIEW_CHILD
    list_action = AccessAction.LIST_CHILDREN
    list_display = [
        "alias",
        "real_name",
        "school",
        "grade",
        "home_region",
        "hardship_category",
        "public_location",
        "withdrawn_at",
        "anonymised_at",
    ]
    list_filter = [
        "school",
        "grade",
        "hardship_category",
        "public_location",
        "home_region",
        ("withdrawn_at", admin.EmptyFieldListFilter),
        ("anonymised_at", admin.EmptyFieldListFilter),
    ]
    list_select_related = ["school", "home_region"]
    search_fields = ["alias", "real_name", "guardian_name", "guardian_phone", "school__name"]
    search_help_text = _(
        "Finds children by alias, real name, guardian's name or phone, or school."
    )
    # A filtered list counts its own rows only: no second count of every child.
    show_full_result_count = False
    autocomplete_fields = ["school", "home_region"]
    fieldsets = [
        (
            None,
            {"fields": ["real_name", "alias", "gender", "birth_year", "grade", "class_name"]},
        ),
        (_("School and home"), {"fields": ["school", "home_region", "address"]}),
        (_("Guardian"), {"fields": ["guardian_name", "guardian_phone"]}),
        (_("Hardship"), {"fields": ["hardship_category", "hardship_note"]}),
        (_("Privacy"), {"fields": ["public_location", "private_words", "withdrawn_at"]}),
    ]
    inlines = [ConsentInline, WishOfChildInline, StatusChangeInline]
    actions = ["erase"]

    def autocomplete_label(self, request: HttpRequest, obj: Child) -> str:
        return child_label(request, obj)

    def autocomplete_shown(self, request: HttpRequest, children: list[Child]) -> None:
        """The picker showed these children by real name (child_label): log the read."""
        if children and is_office_staff(request.user, perm="wishes.view_child"):
            log_access(
                request,
                action=AccessAction.LIST_CHILDREN,
                subject=Child,
                children=[child.pk for child in children],
            )

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        # The picker's labels name the school: fetched with the children, not one by one.
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return queryset.select_related("school"), may_have_duplicates

    def children_of(self, obj: Child) -> list[int]:
        return [obj.pk]

    def has_change_permission(self, request: HttpRequest, obj: Child | None = None) -> bool:
        # What is left of an anonymised child is what the numbers need: nobody edits it.
        return not _is_anonymised(obj) and super().has_change_permission(request, obj)

    def has_erase_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("wishes.erase_child")

    def get_fieldsets(self, request: HttpRequest, obj: Child | None = None) -> list:
        fieldsets = list(super().get_fieldsets(request, obj))
        if not _is_anonymised(obj):
            return fieldsets
        return [(_("Anonymised"), {"fields": ["anonymised_note"]}), *fieldsets]

    def get_readonly_fields(self, request: HttpRequest, obj: Child | None = None) -> list[str]:
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "anonymised_note"] if _is_anonymised(obj) else readonly

    @admin.display(description=_("private data"))
    def anonymised_note(self, obj: Child) -> str:
        if obj.anonymised_at is None:
            return ""
        return gettext(
            "Anonymised on %(date)s: the child's name, guardian, phone, address, class, "
            "hardship details, own words, photos and letters were erased. What is left keeps "
            "the programme's numbers and cannot be changed; the history says who did it and "
            "why."
        ) % {"date": timezone.localdate(obj.anonymised_at).isoformat()}

    @admin.action(
        description=_("Erase at the guardian's request…"),
        permissions=["erase"],
        location=BOTH_PLACES,
    )
    def erase(
        self, request: AuthenticatedRequest, queryset: models.QuerySet
    ) -> TemplateResponse | None:
        form = submitted_form(request, ErasureForm)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            apply_to_each(
                self,
                request,
                queryset,
                lambda child: erase_child(child_id=child.pk, by=request.user, reason=reason),
                gettext("The private data of %(object)s is erased."),
            )
            return None
        return action_form_page(
            self,
            request,
            queryset,
            action="erase",
            form=form,
            title=gettext("Erase children's data at the guardian's request"),
            intro=gettext(
                "The name, guardian, phone, address, class, hardship details, private words "
                "and the child's own words are erased at once, with the photos, the thank-you "
                "letters and the consents' signatures; wishes still open are withdrawn. The "
                "alias, grade band, region, the wishes' categories, values, dates and "
                "statuses stay, so the programme's numbers do not change. This cannot be "
                "undone."
            ),
            submit_label=gettext("Erase"),
        )

    def get_urls(self) -> list:
        # The blank paper intake form, linked from the list of children.
        intake = path(
            "intake-form/",
            self.admin_site.admin_view(intake_form),
            name="wishes_child_intake_form",
        )
        # The paper form typed in, in one screen; imported here, as it builds on this module.
        from wishes.admin.intake import intake_view

        typed = path(
            "intake/",
            self.admin_site.admin_view(intake_view),
            name="wishes_child_intake",
        )
        return [intake, typed, *super().get_urls()]

    def save_model(self, request: HttpRequest, obj: Child, form, change: bool) -> None:
        # Staff withdraw a child (or take it back) by setting withdrawn_at on this form.
        stored = Child.objects.filter(pk=obj.pk).first() if change else None
        previous = stored.state if stored is not None else ChildState.KEPT
        super().save_model(request, obj, form, change)
        by = cast(User, request.user)
        if not change:
            record_change(subject=obj, from_status="", to_status=obj.state, by=by)
        elif obj.state != previous:
            record_change(subject=obj, from_status=previous, to_status=obj.state, by=by)

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        by = cast(User, request.user)
        saved = formset.save(commit=False)
        for inline_form in formset.forms:
            instance = inline_form.instance
            # By identity: a new row has no primary key to compare yet.
            if not any(instance is row for row in saved):
                continue
            is_new_consent = isinstance(instance, Consent) and instance.pk is None
            # Whoever records a consent collected it, unless they said otherwise.
            if is_new_consent and instance.collected_by_id is None:
                instance.collected_by = by
            instance.save()
            if is_new_consent:
                attach_uploaded_form(inline_form, instance, by)
                _record_new_consent(instance, by)
        formset.save_m2m()


@admin.register(Consent)
class ConsentAdmin(
    ChildPickerMixin,
    ChangePageButtonsMixin,
    FieldHistoryMixin,
    RefusalOnFormMixin,
    LoggedReadsAdmin,
    DomainAdmin,
):
    form = ConsentForm
    read_action = AccessAction.VIEW_CONSENT
    list_action = AccessAction.LIST_CONSENTS
    list_display = [
        "child",
        "given_on",
        "valid_until",
        "method",
        "given_by",
        "publish_wish",
        "publish_school",
        "share_photos_with_sponsor",
        "publish_photos",
        "share_letter_with_sponsor",
        "has_signed_form",
        "withdrawn_at",
        "collected_by",
    ]
    list_filter = [
        RenewalFilter,
        "method",
        "publish_wish",
        "publish_photos",
        "share_letter_with_sponsor",
        ("withdrawn_at", admin.EmptyFieldListFilter),
    ]
    list_select_related = ["child", "collected_by"]
    search_fields = ["child__alias", "child__real_name", "given_by"]
    autocomplete_fields = ["child", "collected_by"]
    date_hierarchy = "given_on"
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "child",
                    "given_on",
                    "valid_until",
                    "method",
                    "given_by",
                    "collected_by",
                    "note",
                ]
            },
        ),
        (
            _("Signed paper form"),
            {"fields": ["signed_form_link", "signed_form_upload"]},
        ),
        (
            _("What the guardian agreed to"),
            {
                "fields": CONSENT_SCOPES,
                "description": _(
                    "Recorded as signed. To change it, withdraw this consent (an action) "
                    "and record a new one."
                ),
            },
        ),
        (_("Withdrawal"), {"fields": ["withdrawn_at"]}),
    ]
    inlines = [StatusChangeInline]
    actions = ["withdraw"]
    change_page_buttons = [
        Button(
            "withdraw",
            _("Withdraw the consent…"),
            shown=lambda consent: consent.withdrawn_at is None,
            danger=True,
        )
    ]

    def has_change_permission(self, request: HttpRequest, obj: Consent | None = None) -> bool:
        anonymised = obj is not None and _is_anonymised(obj.child)
        return not anonymised and super().has_change_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Consent | None = None) -> list[str]:
        # The withdrawal only happens through withdraw_consent, which also un-clears photos.
        readonly = ["withdrawn_at", "signed_form_link"]
        if obj is not None:
            # Staff may still move the end of validity (e.g. the guardian renewed by phone).
            readonly += ["child", *CONSENT_SCOPES]
        return readonly

    def save_model(self, request: HttpRequest, obj: Consent, form, change: bool) -> None:
        by = cast(User, request.user)
        if obj.collected_by_id is None and not change:
            obj.collected_by = by
        previous: datetime.date | None = form.initial.get("valid_until") if change else None
        if change and "valid_until" in form.changed_data:
            # A new end of validity is reported again when it comes near.
            obj.renewal_reported_at = None
        super().save_model(request, obj, form, change)
        if change and "valid_until" in form.changed_data:
            record_change(
                subject=obj,
                from_status=obj.state,
                to_status=obj.state,
                by=by,
                note=gettext("Valid until changed from %(old)s to %(new)s.")
                % {"old": previous, "new": obj.valid_until},
            )
        attach_uploaded_form(form, obj, by)
        if not change:
            _record_new_consent(obj, by)

    @admin.display(description=_("signed form"), boolean=True)
    def has_signed_form(self, obj: Consent) -> bool:
        return bool(obj.signed_form)

    @admin.display(description=_("signed paper form"))
    def signed_form_link(self, obj: Consent) -> str:
        if not obj.signed_form:
            return "—"
        url = reverse("files:signed_form", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Open the signed form"))

    @admin.action(
        description=_("Withdraw the selected consents…"),
        permissions=["change"],
        location=BOTH_PLACES,
    )
    def withdraw(
        self, request: AuthenticatedRequest, queryset: models.QuerySet
    ) -> TemplateResponse | None:
        form = submitted_form(
            request,
            NoteForm,
            help_text=_("How and when the guardian withdrew consent; kept in the history."),
        )
        if form.is_valid():
            note = form.cleaned_data["note"]
            apply_to_each(
                self,
                request,
                queryset,
                lambda consent: withdraw_consent(
                    consent_id=consent.pk, by=request.user, note=note
                ),
                gettext("%(object)s is withdrawn."),
            )
            return None
        return action_form_page(
            self,
            request,
            queryset,
            action="withdraw",
            form=form,
            title=gettext("Withdraw consents"),
            intro=gettext(
                "Unless another consent of the child is still in force, the child's wish "
                "leaves the public pages at once and photos cleared for publication are taken "
                "off them; after a new consent, staff must clear the photos again."
            ),
            submit_label=gettext("Withdraw"),
        )
