"""The back office: children, wishes, claims, fulfilment, letters and the audit trail.

Staff see real names here. Nothing is deleted, and no form sets a `status`: every state
change is an admin action that calls a service, which records who did it and when.
"""

from collections.abc import Callable, Iterable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import ActionLocation
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Count, Exists, OuterRef
from django.http import HttpRequest
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huamu.errors import TransitionError
from huamu.images import clean_image
from sponsors.models import Sponsor, VerificationStatus
from wishes.city_platform.views import platform_claim_urls
from wishes.claiming.follow_up import overdue_condition, release_overdue_claim
from wishes.importing import views as import_views
from wishes.models import (
    AccessLog,
    Campaign,
    Child,
    Claim,
    ClaimChannel,
    Consent,
    Event,
    Fulfilment,
    FulfilmentPhoto,
    ImportBatch,
    LetterStatus,
    Region,
    School,
    SchoolCoordinator,
    StatusChange,
    ThankYouLetter,
    Wish,
    WishStatus,
    YearTotal,
)
from wishes.privacy.redaction import redact_for_child
from wishes.reports.print_views import export_campaign, intake_form, print_wish_cards
from wishes.services import (
    approve_letter,
    cancel_claim,
    claim_wish,
    publish_wish,
    record_fulfilment,
    reject_letter,
    set_photo_publication,
    upload_letter,
    withdraw_consent,
    withdraw_photo,
    withdraw_wish,
)

admin.site.site_header = _("Huamu Dream Wishes back office")
admin.site.site_title = _("Huamu Dream Wishes back office")
admin.site.index_title = _("Programme administration")

# Actions run from the list of records and from a record's own page.
BOTH_PLACES = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]


# --- shared pieces (sponsors/admin.py uses them too) -----------------------------------------


class DomainAdmin(admin.ModelAdmin):
    """Base of every back-office model: nothing is deleted, history shows on change pages."""

    # Records are withdrawn or cancelled, never deleted; this also hides "delete selected".
    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_inline_instances(self, request: HttpRequest, obj=None) -> list:
        inlines = super().get_inline_instances(request, obj)
        if obj is None:
            # A record being added has no related rows or history yet.
            return [i for i in inlines if not getattr(i, "only_on_change", False)]
        return inlines


class RefusalOnFormMixin:
    """For an admin whose add or change form saves through a service that may refuse.

    A TransitionError raised while saving (save_model, save_related, response_add/change)
    would be a server error. Instead the form shows again with the user's input and the
    refusal as its error, and nothing of the save is kept.
    """

    def changeform_view(
        self, request: HttpRequest, object_id=None, form_url="", extra_context=None
    ):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except TransitionError as refusal:
            # Only a refusal of the save itself; e.g. an action run from the page is not ours.
            if not getattr(request, "huamu_saving_form", False):
                raise
            # It has left Django's atomic block, which rolled back every row of the save; the
            # services delete the files they stored.
            request.huamu_refusal = refusal
        # The same input once more: the refusal makes the form invalid, so the admin shows it
        # as for any invalid input, and saves nothing.
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_form(self, request: HttpRequest, form, change: bool):
        # Called once the form is valid, right before save_model: from here on it is the save.
        request.huamu_saving_form = True
        return super().save_form(request, form, change)

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        refusal = getattr(request, "huamu_refusal", None)
        if refusal is None:
            return form_class

        class RefusedForm(form_class):
            def clean(self) -> dict:
                data = super().clean()
                self.add_error(None, str(refusal))
                return data

        return RefusedForm


class NoDeleteInline(admin.TabularInline):
    extra = 0

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReadOnlyInline(NoDeleteInline):
    """Shows related rows; they are created and changed elsewhere (services, own pages)."""

    show_change_link = True
    only_on_change = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


# The states services record for records without a status field (photos, consents).
OTHER_STATE_LABELS = {
    "public": _("Public"),
    "private": _("Private"),
    "withdrawn": _("Withdrawn"),
    "in_force": _("In force"),
}


def _status_label(change: StatusChange, value: str) -> str:
    """The translated label of a raw status value of the change's subject."""
    model = change.content_type.model_class()
    try:
        choices = dict(model._meta.get_field("status").flatchoices)
    except (AttributeError, FieldDoesNotExist):
        return str(OTHER_STATE_LABELS.get(value, value or "—"))
    return str(choices.get(value, value or "—"))


class StatusChangeInline(GenericTabularInline):
    """The history of a wish, claim or sponsor: read-only, the services write it."""

    model = StatusChange
    ct_field = "content_type"
    ct_fk_field = "object_id"
    extra = 0
    only_on_change = True
    fields = ["at", "from_label", "to_label", "by", "note"]
    readonly_fields = fields
    verbose_name = _("history entry")
    verbose_name_plural = _("history")

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return super().get_queryset(request).select_related("by", "content_type")

    @admin.display(description=_("from"))
    def from_label(self, obj: StatusChange) -> str:
        return _status_label(obj, obj.from_status)

    @admin.display(description=_("to"))
    def to_label(self, obj: StatusChange) -> str:
        return _status_label(obj, obj.to_status)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


def apply_to_each(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    objects: Iterable[models.Model],
    change: Callable[[models.Model], object],
    done: str | Callable[[object], str],
) -> None:
    """Run `change` on every object and report each success or refusal; none stops the rest.

    `done` is the success message with %(object)s, or makes it from what `change` returned.
    """
    for obj in objects:
        label = str(obj)
        try:
            result = change(obj)
        except TransitionError as error:
            modeladmin.message_user(
                request,
                gettext("%(object)s: %(error)s") % {"object": label, "error": error},
                messages.ERROR,
            )
        else:
            text = done(result) if callable(done) else done % {"object": label}
            modeladmin.message_user(request, text, messages.SUCCESS)


def submitted_form(request: HttpRequest, form_class: type[forms.Form], **kwargs) -> forms.Form:
    """The action's form, bound only once the intermediate page has been submitted."""
    data = request.POST if "apply" in request.POST else None
    return form_class(data, **kwargs)


def ask_reason_then_apply(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: models.QuerySet,
    *,
    help_text: str,
    change: Callable[[models.Model, str], object],
    done: str,
    **page,
) -> TemplateResponse | None:
    """An action that asks for a reason on an intermediate page, then changes each object."""
    form = submitted_form(request, ReasonForm, help_text=help_text)
    if not form.is_valid():
        return action_form_page(modeladmin, request, queryset, form=form, **page)
    reason = form.cleaned_data["reason"]
    apply_to_each(modeladmin, request, queryset, lambda obj: change(obj, reason), done)
    return None


def action_form_page(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: models.QuerySet,
    *,
    action: str,
    form: forms.Form,
    title: str,
    intro: str,
    submit_label: str,
) -> TemplateResponse:
    """An intermediate page, like Django's delete confirmation, asking for the action's input."""
    change_form_field = f"{ActionLocation.CHANGE_FORM.value}-action"
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "subtitle": None,
        "intro": intro,
        "submit_label": submit_label,
        "opts": opts,
        "queryset": queryset,
        "adminform": helpers.AdminForm(
            form, [(None, {"fields": list(form.fields)})], {}, model_admin=modeladmin
        ),
        "media": modeladmin.media + form.media,
        "action_name": action,
        # From a record's own page the action comes back through its change view.
        "action_field": change_form_field if change_form_field in request.POST else "action",
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "back_url": request.get_full_path(),
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, "admin/huamu_action_form.html", context)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 4, "cols": 60})
    )

    def __init__(self, *args, help_text: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = help_text


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 4, "cols": 60}))

    def __init__(self, *args, help_text: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["note"].help_text = help_text


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# --- places, people, campaigns ---------------------------------------------------------------


@admin.register(Region)
class RegionAdmin(DomainAdmin):
    list_display = ["name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(School)
class SchoolAdmin(DomainAdmin):
    list_display = ["name", "region"]
    list_filter = ["region"]
    list_select_related = ["region"]
    search_fields = ["name", "region__name"]
    autocomplete_fields = ["region"]


@admin.register(SchoolCoordinator)
class SchoolCoordinatorAdmin(DomainAdmin):
    list_display = ["user", "school"]
    list_filter = ["school"]
    list_select_related = ["user", "school"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "school__name"]
    autocomplete_fields = ["user", "school"]


@admin.register(Campaign)
class CampaignAdmin(DomainAdmin):
    list_display = ["year", "name", "starts_on", "ends_on"]
    search_fields = ["name", "year"]
    actions = [export_campaign]


# --- children and consent --------------------------------------------------------------------


class WishOfChildInline(ReadOnlyInline):
    model = Wish
    fields = ["code", "campaign", "category", "status", "published_at"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return super().get_queryset(request).select_related("campaign")


# What the guardian agreed to. Once recorded it stays as signed: a change is a withdrawal
# (which also takes photos off public pages) and a new consent.
CONSENT_SCOPES = ["keep_record", "publish_wish", "share_photos_with_sponsor", "publish_photos"]


class ConsentInline(NoDeleteInline):
    """New consents are added here; recorded ones show read-only (withdraw on their page)."""

    model = Consent
    fields = [
        *CONSENT_SCOPES,
        "method",
        "given_on",
        "given_by",
        "collected_by",
        "withdrawn_at",
    ]
    readonly_fields = ["withdrawn_at"]
    autocomplete_fields = ["collected_by"]
    # The note, the withdrawal and the rest are on the consent's own page.
    show_change_link = True

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # Without change permission the admin shows saved rows read-only and still adds.
        return False


@admin.register(Child)
class ChildAdmin(DomainAdmin):
    list_display = [
        "alias",
        "real_name",
        "school",
        "grade",
        "home_region",
        "hardship_category",
        "public_location",
        "withdrawn_at",
    ]
    list_filter = [
        "school",
        "grade",
        "hardship_category",
        "public_location",
        "home_region",
        ("withdrawn_at", admin.EmptyFieldListFilter),
    ]
    list_select_related = ["school", "home_region"]
    search_fields = ["alias", "real_name", "guardian_name", "guardian_phone", "school__name"]
    autocomplete_fields = ["school", "home_region"]
    fieldsets = [
        (
            None,
            {"fields": ["real_name", "alias", "gender", "birth_year", "grade", "class_name"]},
        ),
        (_("School and home"), {"fields": ["school", "home_region", "address"]}),
        (_("Guardian"), {"fields": ["guardian_name", "guardian_phone"]}),
        (_("Hardship"), {"fields": ["hardship_category", "hardship_note"]}),
        (_("Privacy"), {"fields": ["public_location", "withdrawn_at"]}),
    ]
    inlines = [ConsentInline, WishOfChildInline]

    def get_urls(self) -> list:
        # The blank paper intake form, linked from the list of children.
        intake = path(
            "intake-form/",
            self.admin_site.admin_view(intake_form),
            name="wishes_child_intake_form",
        )
        return [intake, *super().get_urls()]

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        # Whoever records a consent collected it, unless they said otherwise.
        for instance in formset.save(commit=False):
            is_new_consent = isinstance(instance, Consent) and instance.pk is None
            if is_new_consent and instance.collected_by_id is None:
                instance.collected_by = request.user
            instance.save()
        formset.save_m2m()


@admin.register(Consent)
class ConsentAdmin(DomainAdmin):
    list_display = [
        "child",
        "given_on",
        "method",
        "given_by",
        "publish_wish",
        "share_photos_with_sponsor",
        "publish_photos",
        "withdrawn_at",
        "collected_by",
    ]
    list_filter = [
        "method",
        "publish_wish",
        "publish_photos",
        ("withdrawn_at", admin.EmptyFieldListFilter),
    ]
    list_select_related = ["child", "collected_by"]
    search_fields = ["child__alias", "child__real_name", "given_by"]
    autocomplete_fields = ["child", "collected_by"]
    date_hierarchy = "given_on"
    fieldsets = [
        (None, {"fields": ["child", "given_on", "method", "given_by", "collected_by", "note"]}),
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

    def get_readonly_fields(self, request: HttpRequest, obj: Consent | None = None) -> list[str]:
        # The withdrawal only happens through withdraw_consent, which also un-clears photos.
        readonly = ["withdrawn_at"]
        if obj is not None:
            readonly += ["child", *CONSENT_SCOPES]
        return readonly

    def save_model(self, request: HttpRequest, obj: Consent, form, change: bool) -> None:
        if obj.collected_by_id is None and not change:
            obj.collected_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(
        description=_("Withdraw the selected consents…"),
        permissions=["change"],
        location=BOTH_PLACES,
    )
    def withdraw(self, request: HttpRequest, queryset: models.QuerySet) -> TemplateResponse | None:
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


# --- wishes ----------------------------------------------------------------------------------


class ClaimOfWishInline(ReadOnlyInline):
    model = Claim
    fields = [
        "sponsor",
        "status",
        "channel",
        "external_ref",
        "claimant_name",
        "promised_on",
        "created_at",
        "cancel_reason",
    ]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return super().get_queryset(request).select_related("sponsor")


class OfflineClaimForm(forms.Form):
    """A claim made on paper, by phone or on the city platform, recorded by staff."""

    sponsor = forms.ModelChoiceField(
        label=_("Sponsor"),
        queryset=Sponsor.objects.filter(status=VerificationStatus.VERIFIED).order_by("name"),
        help_text=_("Only verified sponsors can claim; verify a new sponsor first."),
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[
            (ClaimChannel.OFFLINE.value, ClaimChannel.OFFLINE.label),
            (ClaimChannel.CITY_PLATFORM.value, ClaimChannel.CITY_PLATFORM.label),
        ],
    )
    external_ref = forms.CharField(
        label=_("External reference"),
        max_length=64,
        required=False,
        help_text=_("The claim's number on the city platform (required for that channel)."),
    )
    claimant_name = forms.CharField(
        label=_("Claimant on the platform"),
        max_length=120,
        required=False,
        help_text=_("Who claimed it there, e.g. a practice sub-centre of another town."),
    )
    promised_on = forms.DateField(
        label=_("Promised delivery date"), required=False, widget=_date_input()
    )

    def __init__(self, *args, wish_count: int = 1, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.wish_count = wish_count

    def clean(self) -> dict:
        data = super().clean()
        channel = data.get("channel")
        reference = (data.get("external_ref") or "").strip()
        if channel == ClaimChannel.CITY_PLATFORM and not reference:
            self.add_error(
                "external_ref", _("A claim from the city platform needs its reference number.")
            )
        if reference and self.wish_count > 1:
            self.add_error(
                "external_ref",
                _("A reference number belongs to one wish: select one wish at a time."),
            )
        if reference and Claim.objects.filter(channel=channel, external_ref=reference).exists():
            self.add_error("external_ref", _("A claim with this reference is already recorded."))
        return data


class FulfilmentForm(forms.Form):
    fulfilled_on = forms.DateField(
        label=_("Fulfilled on"), widget=_date_input(), initial=timezone.localdate
    )
    event = forms.ModelChoiceField(
        label=_("Event"),
        queryset=Event.objects.order_by("-date"),
        required=False,
        help_text=_("The event where the wish came true, if any."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )


@admin.register(Wish)
class WishAdmin(DomainAdmin):
    list_display = [
        "code",
        "child_alias",
        "school",
        "category",
        "status",
        "campaign",
        "published_at",
    ]
    list_filter = ["status", "campaign", "category", "child__school"]
    list_select_related = ["child__school", "campaign"]
    search_fields = ["code", "child__alias", "child__real_name", "child_words", "public_text"]
    autocomplete_fields = ["child", "campaign"]
    fieldsets = [
        (None, {"fields": ["child", "campaign", "category", "estimated_value"]}),
        (
            _("Wish text"),
            {
                "fields": [("child_words", "public_text")],
                "description": _(
                    "Leave the public text empty to get a first draft made from the child's "
                    "words with names, places and numbers masked. Always check it before "
                    "publishing: the public sees it."
                ),
            },
        ),
        (_("State"), {"fields": ["code", "status", "published_at"]}),
    ]
    # Narrower than the admin's full-width text boxes, so the two texts sit side by side.
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 8, "cols": 40})}
    }
    inlines = [ClaimOfWishInline, StatusChangeInline]
    actions = ["publish", "withdraw", "record_offline_claim", print_wish_cards]

    def get_readonly_fields(self, request: HttpRequest, obj: Wish | None = None) -> list[str]:
        readonly = ["code", "status", "published_at"]
        # Once published, the wish's code and history belong to this child and campaign.
        if obj is not None and obj.status != WishStatus.DRAFT:
            readonly += ["child", "campaign"]
        return readonly

    @admin.display(description=_("child"), ordering="child__alias")
    def child_alias(self, obj: Wish) -> str:
        return obj.child.alias

    @admin.display(description=_("school"), ordering="child__school__name")
    def school(self, obj: Wish) -> str:
        return obj.child.school.name

    def save_model(self, request: HttpRequest, obj: Wish, form, change: bool) -> None:
        drafted = not obj.public_text.strip()
        if drafted:
            obj.public_text = redact_for_child(obj.child_words, obj.child)
        super().save_model(request, obj, form, change)
        if drafted:
            self.message_user(
                request,
                gettext(
                    "The public text of %(wish)s was drafted from the child's words with "
                    "names, places and numbers masked. Check it before publishing."
                )
                % {"wish": obj},
                messages.WARNING,
            )

    @admin.action(
        description=_("Publish the selected wishes"), permissions=["change"], location=BOTH_PLACES
    )
    def publish(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda wish: publish_wish(wish_id=wish.pk, by=request.user),
            gettext("%(object)s is published and waiting to be claimed."),
        )

    @admin.action(
        description=_("Withdraw the selected wishes…"),
        permissions=["change"],
        location=BOTH_PLACES,
    )
    def withdraw(self, request: HttpRequest, queryset: models.QuerySet) -> TemplateResponse | None:
        return ask_reason_then_apply(
            self,
            request,
            queryset,
            help_text=_("Kept in the history; the sponsor of an active claim receives it."),
            change=lambda wish, reason: withdraw_wish(
                wish_id=wish.pk, by=request.user, reason=reason
            ),
            done=gettext("%(object)s is withdrawn."),
            action="withdraw",
            title=gettext("Withdraw wishes"),
            intro=gettext(
                "These wishes leave the programme. An active claim on them is cancelled "
                "and its sponsor is told why."
            ),
            submit_label=gettext("Withdraw"),
        )

    @admin.action(
        description=_("Record an offline claim…"), permissions=["change"], location=BOTH_PLACES
    )
    def record_offline_claim(
        self, request: HttpRequest, queryset: models.QuerySet
    ) -> TemplateResponse | None:
        form = submitted_form(request, OfflineClaimForm, wish_count=queryset.count())
        if form.is_valid():
            data = form.cleaned_data
            apply_to_each(
                self,
                request,
                queryset,
                lambda wish: claim_wish(
                    wish_id=wish.pk,
                    sponsor=data["sponsor"],
                    by=request.user,
                    promised_on=data["promised_on"],
                    channel=data["channel"],
                    external_ref=data["external_ref"].strip(),
                    claimant_name=data["claimant_name"].strip(),
                ),
                gettext("%(object)s is claimed."),
            )
            return None
        return action_form_page(
            self,
            request,
            queryset,
            action="record_offline_claim",
            form=form,
            title=gettext("Record an offline claim"),
            intro=gettext(
                "Record a claim made on paper, by phone or on the city platform. "
                "Only wishes waiting to be claimed can be claimed."
            ),
            submit_label=gettext("Record the claim"),
        )


# --- events, claims, fulfilment, letters -----------------------------------------------------


class FulfilmentOfEventInline(ReadOnlyInline):
    model = Fulfilment
    fields = ["wish_code", "child_alias", "sponsor", "fulfilled_on", "recorded_by"]
    readonly_fields = fields
    verbose_name_plural = _("wishes fulfilled at this event")

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("claim__wish__child", "claim__sponsor", "recorded_by")
        )

    @admin.display(description=_("wish"))
    def wish_code(self, obj: Fulfilment) -> str:
        return obj.claim.wish.code

    @admin.display(description=_("child"))
    def child_alias(self, obj: Fulfilment) -> str:
        return obj.claim.wish.child.alias

    @admin.display(description=_("sponsor"))
    def sponsor(self, obj: Fulfilment) -> str:
        return obj.claim.sponsor.name


@admin.register(Event)
class EventAdmin(DomainAdmin):
    list_display = [
        "date",
        "title",
        "kind",
        "school",
        "campaign",
        "venue",
        "is_public",
        "fulfilled_count",
    ]
    list_filter = ["kind", "school", "campaign", "is_public"]
    list_select_related = ["school", "campaign"]
    search_fields = ["title", "venue", "school__name"]
    autocomplete_fields = ["school", "campaign", "sponsors", "wishes"]
    date_hierarchy = "date"
    fieldsets = [
        (None, {"fields": ["kind", "title", "date", "venue", "school", "campaign"]}),
        (_("Public page"), {"fields": ["is_public", "description"]}),
        (_("Planning"), {"fields": ["sponsors", "wishes"]}),
    ]
    inlines = [FulfilmentOfEventInline]

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return super().get_queryset(request).annotate(fulfilled=Count("fulfilments"))

    @admin.display(description=_("wishes fulfilled"), ordering="fulfilled")
    def fulfilled_count(self, obj: Event) -> int:
        return obj.fulfilled


class OverdueClaimFilter(admin.SimpleListFilter):
    """Active claims past their promised date (or the limit for claims without one)."""

    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("yes", _("Overdue"))]

    def queryset(self, request: HttpRequest, queryset: models.QuerySet) -> models.QuerySet:
        if self.value() == "yes":
            return queryset.filter(overdue_condition(timezone.localdate()))
        return queryset


@admin.register(Claim)
class ClaimAdmin(DomainAdmin):
    list_display = [
        "wish",
        "child_alias",
        "sponsor",
        "status",
        "channel",
        "promised_on",
        "created_at",
    ]
    list_filter = ["status", OverdueClaimFilter, "channel", "wish__campaign"]
    list_select_related = ["wish__child", "sponsor"]
    search_fields = ["wish__code", "sponsor__name", "external_ref", "claimant_name"]
    date_hierarchy = "created_at"
    fields = [
        "wish",
        "sponsor",
        "status",
        "channel",
        "external_ref",
        "claimant_name",
        "promised_on",
        "claimed_by",
        "cancel_reason",
        "created_at",
        "reminder_sent_at",
        "overdue_reported_at",
    ]
    readonly_fields = [
        "wish",
        "sponsor",
        "status",
        "channel",
        "claimed_by",
        "cancel_reason",
        "created_at",
        "reminder_sent_at",
        "overdue_reported_at",
    ]
    inlines = [StatusChangeInline]
    actions = ["cancel", "fulfil", "release_overdue"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Claims come from claim_wish: online, or "record an offline claim" on a wish.
        return False

    # The claims list links to the upload of claims made on the city platform.
    change_list_template = "impact/admin_claim_change_list.html"

    def get_urls(self) -> list:
        # The upload page of claims made on the city platform (wishes/feed_views.py).
        return [*platform_claim_urls(self), *super().get_urls()]

    def save_model(self, request: HttpRequest, obj: Claim, form, change: bool) -> None:
        if change and "promised_on" in form.changed_data:
            # A new promised date earns a new reminder and, if missed, a new overdue report.
            obj.reminder_sent_at = None
            obj.overdue_reported_at = None
        super().save_model(request, obj, form, change)

    @admin.display(description=_("child"), ordering="wish__child__alias")
    def child_alias(self, obj: Claim) -> str:
        return obj.wish.child.alias

    @admin.action(
        description=_("Cancel the selected claims…"), permissions=["change"], location=BOTH_PLACES
    )
    def cancel(self, request: HttpRequest, queryset: models.QuerySet) -> TemplateResponse | None:
        return ask_reason_then_apply(
            self,
            request,
            queryset,
            help_text=_("Kept in the history and sent to the staff mailbox."),
            change=lambda claim, reason: cancel_claim(
                claim_id=claim.pk, by=request.user, reason=reason
            ),
            done=gettext("%(object)s is cancelled; the wish is waiting to be claimed again."),
            action="cancel",
            title=gettext("Cancel claims"),
            intro=gettext("The wishes of these claims go back to the pool of open wishes."),
            submit_label=gettext("Cancel the claims"),
        )

    @admin.action(
        description=_("Record fulfilment of the selected claims…"),
        permissions=["change"],
        location=BOTH_PLACES,
    )
    def fulfil(self, request: HttpRequest, queryset: models.QuerySet) -> TemplateResponse | None:
        form = submitted_form(request, FulfilmentForm)
        if form.is_valid():
            data = form.cleaned_data
            apply_to_each(
                self,
                request,
                queryset,
                lambda claim: record_fulfilment(
                    claim_id=claim.pk,
                    by=request.user,
                    fulfilled_on=data["fulfilled_on"],
                    event=data["event"],
                    note=data["note"],
                ),
                gettext("%(object)s is fulfilled."),
            )
            return None
        return action_form_page(
            self,
            request,
            queryset,
            action="fulfil",
            form=form,
            title=gettext("Record fulfilment"),
            intro=gettext("These wishes came true; their sponsors are told by e-mail."),
            submit_label=gettext("Record fulfilment"),
        )

    @admin.action(
        description=_("Release the selected overdue claims back to open"),
        permissions=["change"],
        location=BOTH_PLACES,
    )
    def release_overdue(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda claim: release_overdue_claim(claim_id=claim.pk, by=request.user),
            gettext("%(object)s is released; the wish is waiting to be claimed again."),
        )


def _photo_consent(scope: str) -> Exists:
    """Whether a consent with `scope` is in force for the child of a photo or fulfilment."""
    return Exists(
        Consent.objects.in_force().filter(
            child_id=OuterRef("fulfilment__claim__wish__child_id"),
            keep_record=True,
            **{scope: True},
        )
    )


def _thumbnail(photo: FulfilmentPhoto, height: int) -> str:
    # Staff may see every photo; the file view checks that and logs the access.
    return format_html(
        '<a href="{}"><img src="{}" alt="{}" height="{}" loading="lazy"></a>',
        reverse("files:photo", args=[photo.pk]),
        reverse("files:photo_thumbnail", args=[photo.pk]),
        str(photo),
        height,
    )


class PhotoOfFulfilmentInline(ReadOnlyInline):
    model = FulfilmentPhoto
    fields = ["thumbnail_tag", "is_public", "withdrawn_at", "uploaded_by", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return super().get_queryset(request).select_related("uploaded_by")

    @admin.display(description=_("photo"))
    def thumbnail_tag(self, obj: FulfilmentPhoto) -> str:
        return _thumbnail(obj, height=72)


class LetterOfFulfilmentInline(ReadOnlyInline):
    model = ThankYouLetter
    fields = ["status", "uploaded_by", "reviewed_by", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return super().get_queryset(request).select_related("uploaded_by", "reviewed_by")


@admin.register(Fulfilment)
class FulfilmentAdmin(DomainAdmin):
    list_display = ["wish_code", "sponsor", "fulfilled_on", "event", "recorded_by"]
    list_filter = ["event__kind", "claim__wish__campaign"]
    list_select_related = ["claim__wish", "claim__sponsor", "event", "recorded_by"]
    search_fields = ["claim__wish__code", "claim__sponsor__name", "note"]
    autocomplete_fields = ["event"]
    date_hierarchy = "fulfilled_on"
    fields = ["claim", "fulfilled_on", "event", "note", "recorded_by"]
    readonly_fields = ["claim", "recorded_by"]
    inlines = [PhotoOfFulfilmentInline, LetterOfFulfilmentInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A fulfilment comes from record_fulfilment (an action on claims), which also
        # marks the claim and the wish fulfilled.
        return False

    @admin.display(description=_("wish"), ordering="claim__wish__code")
    def wish_code(self, obj: Fulfilment) -> str:
        return obj.claim.wish.code

    @admin.display(description=_("sponsor"), ordering="claim__sponsor__name")
    def sponsor(self, obj: Fulfilment) -> str:
        return obj.claim.sponsor.name


class PublishConsentFilter(admin.SimpleListFilter):
    title = _("consent to publish photos")
    parameter_name = "publish_consent"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("yes", _("In force")), ("no", _("None in force"))]

    def queryset(self, request: HttpRequest, queryset: models.QuerySet) -> models.QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(may_publish=self.value() == "yes")
        return queryset


@admin.register(FulfilmentPhoto)
class FulfilmentPhotoAdmin(DomainAdmin):
    """Photos arrive with fulfilments; here staff clear them for the public or withdraw them."""

    list_display = [
        "thumbnail_tag",
        "fulfilment",
        "child_alias",
        "event",
        "is_public",
        "withdrawn_at",
        "consent_to_publish",
        "consent_to_share",
        "created_at",
    ]
    list_filter = [
        "is_public",
        ("withdrawn_at", admin.EmptyFieldListFilter),
        PublishConsentFilter,
        "fulfilment__event",
        "fulfilment__claim__wish__child__school",
    ]
    list_select_related = ["fulfilment__claim__wish__child", "fulfilment__event"]
    search_fields = ["fulfilment__claim__wish__code", "fulfilment__claim__wish__child__alias"]
    date_hierarchy = "created_at"
    fields = [
        "preview_tag",
        "fulfilment",
        "child_alias",
        "event",
        "consent_to_publish",
        "consent_to_share",
        "is_public",
        "withdrawn_at",
        "uploaded_by",
        "created_at",
    ]
    # Nothing here is typed in: publication and withdrawal are the actions below.
    readonly_fields = fields
    inlines = [StatusChangeInline]
    actions = ["clear_for_publication", "take_off_public_pages", "withdraw"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Photos come in through uploads, which check and re-encode every file.
        return False

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("fulfilment__claim__wish__child", "fulfilment__event", "uploaded_by")
            .annotate(
                may_publish=_photo_consent("publish_photos"),
                may_share=_photo_consent("share_photos_with_sponsor"),
            )
        )

    @admin.display(description=_("photo"))
    def thumbnail_tag(self, obj: FulfilmentPhoto) -> str:
        return _thumbnail(obj, height=72)

    @admin.display(description=_("photo"))
    def preview_tag(self, obj: FulfilmentPhoto) -> str:
        return _thumbnail(obj, height=240)

    @admin.display(description=_("child"), ordering="fulfilment__claim__wish__child__alias")
    def child_alias(self, obj: FulfilmentPhoto) -> str:
        return obj.fulfilment.claim.wish.child.alias

    @admin.display(description=_("event"), ordering="fulfilment__event__date")
    def event(self, obj: FulfilmentPhoto) -> str:
        return str(obj.fulfilment.event or "—")

    @admin.display(description=_("consent to publish"), boolean=True, ordering="may_publish")
    def consent_to_publish(self, obj: FulfilmentPhoto) -> bool:
        return obj.may_publish

    @admin.display(description=_("consent to share with sponsor"), boolean=True)
    def consent_to_share(self, obj: FulfilmentPhoto) -> bool:
        return obj.may_share

    @admin.action(
        description=_("Clear the selected photos for publication"),
        permissions=["change"],
        location=BOTH_PLACES,
    )
    def clear_for_publication(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda photo: set_photo_publication(photo_id=photo.pk, by=request.user, public=True),
            gettext(
                "%(object)s is cleared for publication; it shows on the page of a public event."
            ),
        )

    @admin.action(
        description=_("Take the selected photos off the public pages"),
        permissions=["change"],
        location=BOTH_PLACES,
    )
    def take_off_public_pages(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda photo: set_photo_publication(photo_id=photo.pk, by=request.user, public=False),
            gettext("%(object)s is off the public pages."),
        )

    @admin.action(
        description=_("Withdraw the selected photos…"),
        permissions=["change"],
        location=BOTH_PLACES,
    )
    def withdraw(self, request: HttpRequest, queryset: models.QuerySet) -> TemplateResponse | None:
        return ask_reason_then_apply(
            self,
            request,
            queryset,
            help_text=_("Kept in the photo's history."),
            change=lambda photo, reason: withdraw_photo(
                photo_id=photo.pk, by=request.user, reason=reason
            ),
            done=gettext("%(object)s is withdrawn."),
            action="withdraw",
            title=gettext("Withdraw photos"),
            intro=gettext(
                "Withdrawn photos leave every page, also the sponsor's; the files are kept "
                "for the record."
            ),
            submit_label=gettext("Withdraw"),
        )


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

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("scan_upload") and not (data.get("transcription") or "").strip():
            raise forms.ValidationError(_("Upload the letter's scan or photo, or type its text."))
        return data


@admin.register(ThankYouLetter)
class ThankYouLetterAdmin(RefusalOnFormMixin, DomainAdmin):
    list_display = [
        "wish_code",
        "school",
        "status",
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
    fields = [
        "fulfilment",
        "scan_link",
        "preview_link",
        "transcription",
        "status",
        "review_note",
        "uploaded_by",
        "reviewed_by",
        "reviewed_at",
        "created_at",
    ]
    inlines = [StatusChangeInline]
    actions = ["approve", "reject"]

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        if obj is None:
            kwargs["form"] = LetterAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: ThankYouLetter | None = None) -> list[str]:
        if obj is None:
            return ["fulfilment", "scan_upload", "transcription"]
        return self.fields

    def get_readonly_fields(
        self, request: HttpRequest, obj: ThankYouLetter | None = None
    ) -> list[str]:
        if obj is None:
            return []
        readonly = [name for name in self.fields if name != "transcription"]
        # What the sponsor was sent, or what staff refused, stays as it was reviewed.
        if obj.status != LetterStatus.PENDING:
            readonly.append("transcription")
        return readonly

    def save_model(self, request: HttpRequest, obj: ThankYouLetter, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new letter goes through the service: it stores the scan, records and tells staff.
        # Its refusal (e.g. a full disk) shows on the form: RefusalOnFormMixin.
        letter = upload_letter(
            fulfilment_id=obj.fulfilment_id,
            by=request.user,
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
    def approve(self, request: HttpRequest, queryset: models.QuerySet) -> None:
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
    def reject(self, request: HttpRequest, queryset: models.QuerySet) -> TemplateResponse | None:
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


# --- the audit trail -------------------------------------------------------------------------


def _record_link(content_type, object_id: int) -> str:
    """A link to a record's admin page, or just its id when it has none."""
    try:
        url = reverse(
            f"admin:{content_type.app_label}_{content_type.model}_change", args=[object_id]
        )
    except NoReverseMatch:
        return f"#{object_id}"
    return format_html('<a href="{}">#{}</a>', url, object_id)


@admin.register(StatusChange)
class StatusChangeAdmin(admin.ModelAdmin):
    """The audit trail is written by the services only; nobody edits or removes a row."""

    list_display = ["at", "content_type", "subject_link", "from_status", "to_status", "by"]
    list_filter = ["content_type", "to_status"]
    list_select_related = ["content_type", "by"]
    search_fields = ["note", "by__username", "from_status", "to_status"]
    date_hierarchy = "at"
    fields = ["content_type", "object_id", "from_status", "to_status", "by", "at", "note"]

    @admin.display(description=_("record"))
    def subject_link(self, obj: StatusChange) -> str:
        return _record_link(obj.content_type, obj.object_id)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    """Who looked at a child's record, photo or letter; written by the views, never edited."""

    list_display = [
        "at",
        "user",
        "action",
        "content_type",
        "subject_link",
        "ip_address",
        "path",
    ]
    list_filter = ["action", "at", "content_type"]
    list_select_related = ["user", "content_type"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    date_hierarchy = "at"
    fields = ["at", "user", "action", "content_type", "object_id", "ip_address", "path"]

    @admin.display(description=_("record id"), ordering="object_id")
    def subject_link(self, obj: AccessLog) -> str:
        return _record_link(obj.content_type, obj.object_id)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


# --- impact: earlier years' totals -----------------------------------------------------------


@admin.register(YearTotal)
class YearTotalAdmin(DomainAdmin):
    """Totals of the years before the system, from the association's earlier records."""

    list_display = ["year", "wishes_fulfilled", "units", "individuals", "shown_on_impact_page"]
    search_fields = ["year", "note"]
    ordering = ["-year"]
    fieldsets = [
        (
            None,
            {
                "fields": ["year", "wishes_fulfilled", "units", "individuals", "note"],
                "description": _(
                    "The impact page shows these totals only for a year without any "
                    "fulfilment recorded in the system; otherwise it shows the system's figures."
                ),
            },
        )
    ]

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        # A year with fulfilments recorded in the system shows those instead (wishes/impact.py).
        recorded = Fulfilment.objects.filter(fulfilled_on__year=OuterRef("year"))
        return super().get_queryset(request).annotate(has_system_data=Exists(recorded))

    @admin.display(description=_("shown on the impact page"), boolean=True)
    def shown_on_impact_page(self, obj: YearTotal) -> bool:
        return not obj.has_system_data


# --- spreadsheet imports (the pages are in wishes/import_views.py) ----------------------------


@admin.register(ImportBatch)
class ImportBatchAdmin(DomainAdmin):
    """Uploaded spreadsheets: upload, preview and import are pages of their own."""

    list_display = [
        "original_name",
        "campaign",
        "status",
        "rows_total",
        "created_by",
        "created_at",
    ]
    list_filter = ["status", "campaign"]
    list_select_related = ["campaign", "created_by"]
    search_fields = ["original_name"]
    date_hierarchy = "created_at"
    fields = [
        "preview_link",
        "file_removed_note",
        "campaign",
        "status",
        "rows_total",
        "created_by",
        "created_at",
    ]
    readonly_fields = fields
    inlines = [StatusChangeInline]

    def get_urls(self) -> list:
        return import_views.admin_urls(self.admin_site) + super().get_urls()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return import_views.may_import(request.user)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # A batch changes only through its check and import.
        return False

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None):
        return redirect("admin:wishes_importbatch_upload")

    @admin.display(description=_("file name"))
    def preview_link(self, obj: ImportBatch) -> str:
        url = reverse("admin:wishes_importbatch_preview", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.original_name)
