"""The back office for wishes: drafting the public text, publishing, withdrawing, recording
an offline claim, and printing wish cards.

No form sets a wish's status; each change is an action that calls a service. A wish's page
(the child's own words) and every page of the list are in the access log.
"""

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huamu.admin_kit import (
    BOTH_PLACES,
    DomainAdmin,
    ReadOnlyInline,
    action_form_page,
    apply_to_each,
    ask_reason_then_apply,
    submitted_form,
)
from huamu.roles import AuthenticatedRequest
from wishes.admin.buttons import Button, ChangePageButtonsMixin
from wishes.admin.children import ChildPickerMixin
from wishes.admin.claims import OfflineClaimForm
from wishes.admin.history import StatusChangeInline
from wishes.audit import record_change
from wishes.models import AccessAction, Claim, Wish, WishStatus
from wishes.privacy.access_log import LoggedReadsAdmin
from wishes.privacy.admin_forms import GuardedWishForm
from wishes.privacy.redaction import redact_for_child
from wishes.public.filters import search_public_text
from wishes.reports.print_views import print_wish_cards
from wishes.services import claim_wish, publish_wish, withdraw_wish


class ClaimOfWishInline(ReadOnlyInline):
    model = Claim
    fields = (
        "sponsor",
        "status",
        "channel",
        "external_ref",
        "claimant_name",
        "promised_on",
        "created_at",
        "cancel_reason",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return super().get_queryset(request).select_related("sponsor")


@admin.register(Wish)
class WishAdmin(ChildPickerMixin, ChangePageButtonsMixin, LoggedReadsAdmin, DomainAdmin):
    form = GuardedWishForm
    read_action = AccessAction.VIEW_WISH
    list_action = AccessAction.LIST_WISHES
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
    # The search itself is `get_search_results`: the code and public text through their
    # tokens' index. (Listed so the admin shows the box; a child is found by name in the
    # children's list, where the private fields are.)
    search_fields = ["code", "public_text"]
    search_help_text = _(
        "Finds wishes by their code (such as HM2026-00012) or by words of their public text. "
        "To find a child by name, search the list of children."
    )
    # A filtered list counts its own rows only: no second count of every wish.
    show_full_result_count = False
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
    change_page_buttons = [
        Button("publish", _("Publish"), shown=lambda wish: wish.status == WishStatus.DRAFT),
        Button(
            "withdraw",
            _("Withdraw…"),
            shown=lambda wish: wish.status not in (WishStatus.FULFILLED, WishStatus.WITHDRAWN),
            danger=True,
        ),
    ]

    def has_change_permission(self, request: HttpRequest, obj: Wish | None = None) -> bool:
        # The wish of an anonymised child keeps only what the numbers need: read-only.
        anonymised = obj is not None and obj.child.anonymised_at is not None
        return not anonymised and super().has_change_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Wish | None = None) -> list[str]:
        readonly = ["code", "status", "published_at"]
        # Once published, the wish's code and history belong to this child and campaign.
        if obj is not None and obj.status != WishStatus.DRAFT:
            readonly += ["child", "campaign"]
        return readonly

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        found = search_public_text(queryset, search_term)
        if search_term.split() and queryset.query.select_related:
            # Joined to a search, PostgreSQL joins every wish found (it expects a handful)
            # before sorting them for the page: at 100,000 wishes a common word took 30 ms
            # instead of 13. The page's children, schools and campaigns come afterwards,
            # in three small queries.
            found = found.select_related(None).prefetch_related(*self.list_select_related)
        return found, False

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
        if not change:
            # A wish typed in here starts its audit trail as a draft, like an imported one.
            record_change(subject=obj, from_status="", to_status=obj.status, by=request.user)
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
    def publish(self, request: AuthenticatedRequest, queryset: models.QuerySet) -> None:
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
    def withdraw(
        self, request: AuthenticatedRequest, queryset: models.QuerySet
    ) -> TemplateResponse | None:
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
        self, request: AuthenticatedRequest, queryset: models.QuerySet
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
                    event=data["event"],
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
