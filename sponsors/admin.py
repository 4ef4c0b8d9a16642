"""The back office for sponsors: verification by admin actions, members, history."""

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from huamu.admin_kit import (
    BOTH_PLACES,
    DomainAdmin,
    NoDeleteInline,
    ReadOnlyAdmin,
    ReasonForm,
    RefusalOnFormMixin,
    action_form_page,
    apply_to_each,
    submitted_form,
)
from huamu.phones import mask_phone
from huamu.roles import AuthenticatedRequest
from sponsors.models import (
    JoinRequest,
    NotificationPreference,
    PhoneCode,
    Sponsor,
    SponsorMember,
    TeamInvite,
    VerifiedPhone,
)
from sponsors.phone_login import link_phone
from sponsors.services import reject_sponsor, verify_sponsor
from wishes.admin.history import StatusChangeInline
from wishes.models import Claim, ClaimStatus
from wishes.reports.print_views import CertificateYearForm, certificates_download


class RejectForm(ReasonForm):
    """The reason, and whether the sponsors' active claims go back to the waiting list."""

    release_claims = forms.BooleanField(
        label=_("Also cancel its active claims; the wishes return to the waiting list"),
        required=False,
        initial=True,
    )

    def __init__(self, *args: Any, active_claims: int, **kwargs: Any) -> None:
        super().__init__(
            *args, help_text=gettext("The sponsor receives this reason by e-mail."), **kwargs
        )
        if not active_claims:
            # Nothing to cancel: the page asks only for the reason, as before.
            del self.fields["release_claims"]


def _reject_intro(held: int) -> str:
    if not held:
        return gettext(
            "These sponsors cannot claim wishes. A verified sponsor loses its verification; "
            "its existing claims stay as they are."
        )
    return ngettext(
        "These sponsors cannot claim wishes. A verified sponsor loses its verification. "
        "The selected sponsors hold %(count)d active claim: with the box below ticked it is "
        "cancelled too and its wish waits for a sponsor again; otherwise it stays as it is.",
        "These sponsors cannot claim wishes. A verified sponsor loses its verification. "
        "The selected sponsors hold %(count)d active claims: with the box below ticked they "
        "are cancelled too and their wishes wait for a sponsor again; otherwise they stay as "
        "they are.",
        held,
    ) % {"count": held}


def _rejected_message(sponsor: Sponsor) -> str:
    released = sponsor.released_claims
    if not released:
        return gettext("%(object)s is rejected.") % {"object": sponsor}
    return ngettext(
        "%(object)s is rejected; its active claim on %(codes)s is cancelled and the wish "
        "waits for a sponsor again.",
        "%(object)s is rejected; its %(count)d active claims on %(codes)s are cancelled and "
        "the wishes wait for a sponsor again.",
        len(released),
    ) % {
        "object": sponsor,
        "count": len(released),
        "codes": ", ".join(claim.wish.code for claim in released),
    }


class SponsorMemberInline(NoDeleteInline):
    model = SponsorMember
    fields = ["user", "role"]
    # Roles change on the unit's team page, through services that keep the audit trail and
    # never leave a unit without an administrator.
    readonly_fields = ["role"]
    autocomplete_fields = ["user"]


@admin.register(Sponsor)
class SponsorAdmin(DomainAdmin):
    list_display = [
        "name",
        "kind",
        "unit_category",
        "region",
        "contact_name",
        "phone",
        "status",
        "decided_at",
    ]
    list_filter = ["status", "kind", "unit_category", "region"]
    list_select_related = ["region"]
    search_fields = ["name", "contact_name", "phone", "email"]
    autocomplete_fields = ["region"]
    fieldsets = [
        (None, {"fields": ["kind", "name", "unit_category", "region"]}),
        (_("Contact"), {"fields": ["contact_name", "phone", "email", "language", "note"]}),
        (
            _("Verification"),
            {"fields": ["status", "decided_by", "decided_at", "rejection_reason", "return_to"]},
        ),
    ]
    readonly_fields = ["status", "decided_by", "decided_at", "rejection_reason", "return_to"]
    inlines = [SponsorMemberInline, StatusChangeInline]
    actions = ["verify", "reject", "thank_you_certificates"]

    @admin.action(
        description=_("Verify the selected sponsors"), permissions=["change"], location=BOTH_PLACES
    )
    def verify(self, request: AuthenticatedRequest, queryset: models.QuerySet) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda sponsor: verify_sponsor(sponsor_id=sponsor.pk, by=request.user),
            gettext("%(object)s is verified and may claim wishes."),
        )

    @admin.action(
        description=_("Reject the selected sponsors…"),
        permissions=["change"],
        location=BOTH_PLACES,
    )
    def reject(
        self, request: AuthenticatedRequest, queryset: models.QuerySet
    ) -> TemplateResponse | None:
        held = Claim.objects.filter(sponsor__in=queryset, status=ClaimStatus.ACTIVE).count()
        form = submitted_form(request, RejectForm, active_claims=held)
        if not form.is_valid():
            return action_form_page(
                self,
                request,
                queryset,
                form=form,
                action="reject",
                title=gettext("Reject sponsors"),
                intro=_reject_intro(held),
                submit_label=gettext("Reject"),
            )
        reason = form.cleaned_data["reason"]
        release = form.cleaned_data.get("release_claims", False)
        apply_to_each(
            self,
            request,
            queryset,
            lambda sponsor: reject_sponsor(
                sponsor_id=sponsor.pk, by=request.user, reason=reason, release_claims=release
            ),
            _rejected_message,
        )
        return None

    @admin.action(
        description=_("Thank-you certificates (PDF)…"),
        permissions=["change"],
        location=BOTH_PLACES,
    )
    def thank_you_certificates(
        self, request: AuthenticatedRequest, queryset: models.QuerySet
    ) -> HttpResponse | TemplateResponse | None:
        form = submitted_form(request, CertificateYearForm)
        if form.is_valid():
            return certificates_download(self, request, queryset, form.cleaned_data["year"])
        return action_form_page(
            self,
            request,
            queryset,
            action="thank_you_certificates",
            form=form,
            title=gettext("Thank-you certificates"),
            intro=gettext(
                "One thank-you certificate per sponsor with the wishes it fulfilled in the year, "
                "the children it helped and their estimated value."
            ),
            submit_label=gettext("Make the certificates"),
        )


@admin.register(SponsorMember)
class SponsorMemberAdmin(DomainAdmin):
    list_display = ["user", "sponsor", "role", "sponsor_status", "created_at"]
    list_filter = ["role", "sponsor__status", "sponsor__kind"]
    readonly_fields = ["role"]
    inlines = [StatusChangeInline]
    list_select_related = ["user", "sponsor"]
    search_fields = ["user__username", "user__email", "sponsor__name"]
    autocomplete_fields = ["user", "sponsor"]

    @admin.display(description=_("verification status"), ordering="sponsor__status")
    def sponsor_status(self, obj: SponsorMember) -> str:
        return obj.sponsor.get_status_display()


INVITE_FIELDS = ("sponsor", "status", "note", "created_by", "created_at", "expires_at")
JOIN_REQUEST_FIELDS = ("user", "sponsor", "status", "created_at", "decided_by", "decided_at")


@admin.register(TeamInvite)
class TeamInviteAdmin(ReadOnlyAdmin):
    """Invitations are made and withdrawn by the units' administrators; staff look only."""

    list_display = ["sponsor", "status", "note", "created_by", "created_at", "expires_at"]
    list_filter = ["status"]
    list_select_related = ["sponsor", "created_by"]
    search_fields = ["sponsor__name", "note"]
    fields = INVITE_FIELDS
    readonly_fields = INVITE_FIELDS
    inlines = [StatusChangeInline]


@admin.register(JoinRequest)
class JoinRequestAdmin(ReadOnlyAdmin):
    """Requests to join a unit, answered by its administrators; staff look only."""

    list_display = ["user", "sponsor", "status", "created_at", "decided_by", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["user", "sponsor", "decided_by"]
    search_fields = ["user__username", "user__email", "sponsor__name"]
    fields = JOIN_REQUEST_FIELDS
    readonly_fields = JOIN_REQUEST_FIELDS
    inlines = [StatusChangeInline]


@admin.register(VerifiedPhone)
class VerifiedPhoneAdmin(RefusalOnFormMixin, DomainAdmin):
    """The mobile number each person logs in with; staff change it when a number is lost.

    Saved through `link_phone`, as the person's own pages do: the change is in the audit
    trail with the member of staff who made it, and an account that sees children's data
    is refused a login phone here too.
    """

    list_display = ["user", "masked_phone", "created_at"]
    list_select_related = ["user"]
    search_fields = ["phone", "user__username", "user__first_name", "user__email"]
    autocomplete_fields = ["user"]
    fields = ["user", "phone"]
    inlines = [StatusChangeInline]

    def get_readonly_fields(self, request, obj=None):
        # A number belongs to its person: another person gets a row of their own.
        return ["user"] if obj is not None else []

    def save_model(self, request, obj: VerifiedPhone, form, change: bool) -> None:
        saved = link_phone(user=obj.user, phone=obj.phone, by=request.user)
        obj.pk = saved.pk

    @admin.display(description=_("mobile number"), ordering="phone")
    def masked_phone(self, obj: VerifiedPhone) -> str:
        return mask_phone(obj.phone)


PHONE_CODE_FIELDS = ("masked_phone", "created_at", "expires_at", "tries", "used_at", "ip_address")


@admin.register(PhoneCode)
class PhoneCodeAdmin(DomainAdmin):
    """The text-message codes sent (never the codes): for answering "no code came"."""

    list_display = PHONE_CODE_FIELDS
    list_filter = ["created_at"]
    search_fields = ["phone", "ip_address"]
    fields = PHONE_CODE_FIELDS
    readonly_fields = PHONE_CODE_FIELDS

    @admin.display(description=_("mobile number"), ordering="phone")
    def masked_phone(self, obj: PhoneCode) -> str:
        return mask_phone(obj.phone)


PREFERENCE_FIELDS = ("user", "channel", "language", "mobile", "created_at", "updated_at")


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    """Each person chooses on "my notifications"; staff look only (and see the history)."""

    list_display = ["user", "channel", "language", "updated_at"]
    list_filter = ["channel", "language"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email", "mobile"]
    fields = PREFERENCE_FIELDS
    readonly_fields = PREFERENCE_FIELDS
    inlines = [StatusChangeInline]
