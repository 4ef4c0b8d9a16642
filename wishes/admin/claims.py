"""The back office for claims: the overdue filter, cancelling, recording fulfilment,
releasing overdue claims, and the form of a claim made offline (an action on wishes).

Claims are made by claim_wish only: online, offline through the wish action, or uploaded
from the city platform (its page hangs off the claims list).
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huamu.admin_kit import (
    BOTH_PLACES,
    DomainAdmin,
    action_form_page,
    apply_to_each,
    ask_reason_then_apply,
    date_input,
    submitted_form,
)
from huamu.roles import AuthenticatedRequest
from huamu.search import contains_all
from sponsors.models import Sponsor, VerificationStatus
from wishes.admin.feedback import FeedbackInline
from wishes.admin.history import StatusChangeInline
from wishes.city_platform.views import platform_claim_urls
from wishes.claiming.follow_up import overdue_condition, release_overdue_claim
from wishes.models import AccessAction, Claim, ClaimChannel, Event, Wish
from wishes.privacy.access_log import log_access
from wishes.public.filters import search_public_text
from wishes.services import cancel_claim, record_fulfilment


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
        label=_("Promised delivery date"), required=False, widget=date_input()
    )
    event = forms.ModelChoiceField(
        label=_("Claimed on the spot at"),
        queryset=Event.objects.order_by("-date"),
        required=False,
        help_text=_("The event where the sponsor claimed the wish, e.g. on 3·5 Lei Feng day."),
    )

    def __init__(self, *args, wish_count: int = 1, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.wish_count = wish_count

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
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
        label=_("Fulfilled on"), widget=date_input(), initial=timezone.localdate
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
    # By the day claimed through a filter (today, past 7 days, this month, this year): the
    # date hierarchy would read the date of every claim on each page to draw its links.
    list_filter = [
        "status",
        OverdueClaimFilter,
        "channel",
        "wish__campaign",
        "event",
        ("created_at", admin.DateFieldListFilter),
    ]
    list_select_related = ["wish__child", "sponsor"]
    # The search itself is `get_search_results`: no LIKE over the joined claims.
    search_fields = ["wish__code", "sponsor__name", "=external_ref", "=claimant_name"]
    search_help_text = _(
        "Finds claims by the wish's code or words of its public text, by the sponsor's name, "
        "or by the exact platform reference or claimant's name."
    )
    # A filtered list counts its own rows only: no second count of every claim.
    show_full_result_count = False
    fields = [
        "wish",
        "sponsor",
        "status",
        "channel",
        "external_ref",
        "claimant_name",
        "promised_on",
        "event",
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
    inlines = [FeedbackInline, StatusChangeInline]
    actions = ["cancel", "fulfil", "release_overdue"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Claims come from claim_wish: online, or "record an offline claim" on a wish.
        return False

    # The claims list links to the upload of claims made on the city platform.
    change_list_template = "impact/admin_claim_change_list.html"

    def get_urls(self) -> list:
        # The upload page of claims made on the city platform (wishes/city_platform/views.py).
        return [*platform_claim_urls(self), *super().get_urls()]

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Claim | None = None,
    ) -> HttpResponse:
        # The feedback inline shows comments, which may speak of the child: a read logged as
        # the feedback admin logs its own pages (staff without the permission see no inline).
        if (
            change
            and obj is not None
            and request.user.has_perm("wishes.view_feedback")
            and obj.feedback.exclude(comment="").exists()
        ):
            log_access(
                request,
                action=AccessAction.VIEW_FEEDBACK,
                subject=obj,
                children=[obj.wish.child_id],
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request: HttpRequest, obj: Claim, form, change: bool) -> None:
        if change and "promised_on" in form.changed_data:
            # A new promised date earns a new reminder and, if missed, a new overdue report.
            obj.reminder_sent_at = None
            obj.overdue_reported_at = None
        super().save_model(request, obj, form, change)

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        words = search_term.split()
        if not words:
            return queryset, False
        # Each part on its own table and index: the wishes by their tokens, the (few)
        # sponsors by name, the claims' own fields by equality; a claim matches any part.
        wishes = search_public_text(Wish.objects.all(), search_term).values("pk")
        sponsors = Sponsor.objects.filter(contains_all(words, ["name"])).values("pk")
        term = search_term.strip()
        return queryset.filter(
            Q(wish__in=wishes)
            | Q(sponsor__in=sponsors)
            | Q(external_ref=term)
            | Q(claimant_name=term)
        ), False

    @admin.display(description=_("child"), ordering="wish__child__alias")
    def child_alias(self, obj: Claim) -> str:
        return obj.wish.child.alias

    @admin.action(
        description=_("Cancel the selected claims…"), permissions=["change"], location=BOTH_PLACES
    )
    def cancel(
        self, request: AuthenticatedRequest, queryset: models.QuerySet
    ) -> TemplateResponse | None:
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
    def fulfil(
        self, request: AuthenticatedRequest, queryset: models.QuerySet
    ) -> TemplateResponse | None:
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
    def release_overdue(self, request: AuthenticatedRequest, queryset: models.QuerySet) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda claim: release_overdue_claim(claim_id=claim.pk, by=request.user),
            gettext("%(object)s is released; the wish is waiting to be claimed again."),
        )
