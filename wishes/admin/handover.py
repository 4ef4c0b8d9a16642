"""The back office for gift hand-over: drop-off points, gift receipts and reminders, and
the list of gifts still missing after the deadline, grouped by sponsor, with one action to
remind and one to release."""

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from huamu.admin_kit import DomainAdmin, ReadOnlyAdmin, apply_to_each
from huamu.roles import AuthenticatedRequest
from wishes.claiming.handover import missing_gifts, remind_missing_gifts
from wishes.models import DropOffPoint, GiftReceipt, HandoverReminder, MissingGift
from wishes.services import release_missing_gift


@admin.register(DropOffPoint)
class DropOffPointAdmin(DomainAdmin):
    list_display = ["name", "campaign", "school", "event", "opening_hours", "is_active"]
    list_filter = ["is_active", "campaign", "school"]
    list_select_related = ["campaign", "school", "event"]
    search_fields = ["name", "address"]
    autocomplete_fields = ["school"]
    fields = [
        "campaign",
        "name",
        "address",
        "opening_hours",
        "contact_phone",
        "school",
        "event",
        "is_active",
    ]


@admin.register(GiftReceipt)
class GiftReceiptAdmin(ReadOnlyAdmin):
    list_display = ["claim", "received_at", "received_by", "has_photo"]
    list_select_related = ["claim__wish", "claim__sponsor", "received_by"]
    search_fields = ["claim__wish__code", "claim__sponsor__name"]
    date_hierarchy = "received_at"
    # The photo's path stays off the page: the file is private and served nowhere.
    fields = ["claim", "received_at", "received_by", "note", "parcel_photo"]
    readonly_fields = ["claim", "received_at", "received_by", "note", "parcel_photo"]

    @admin.display(description=_("parcel photo"), boolean=True)
    def has_photo(self, obj: GiftReceipt) -> bool:
        return bool(obj.photo)

    @admin.display(description=_("parcel photo"))
    def parcel_photo(self, obj: GiftReceipt) -> str:
        # Through the checked, access-logged file view: the image is private.
        if not obj.photo:
            return "—"
        url = reverse("files:parcel_photo", args=[obj.pk])
        return format_html(
            '<a href="{}"><img src="{}" alt="{}" class="parcel-photo" width="320"></a>',
            url,
            url,
            _("Photo of the parcel as it arrived"),
        )


@admin.register(HandoverReminder)
class HandoverReminderAdmin(ReadOnlyAdmin):
    list_display = ["claim", "deadline", "sent_at", "sent_by"]
    list_select_related = ["claim__wish", "claim__sponsor", "sent_by"]
    search_fields = ["claim__wish__code", "claim__sponsor__name"]
    date_hierarchy = "sent_at"


@admin.register(MissingGift)
class MissingGiftAdmin(ReadOnlyAdmin):
    """Active claims whose gift has not arrived by the drop-off deadline, sponsor by sponsor."""

    # The sponsor, its phone and its count head each group of rows
    # (templates/admin/wishes/missinggift/change_list_results.html).
    list_display = ["wish", "gift_deadline", "days_late"]
    list_display_links = None
    list_filter = ["wish__campaign"]
    list_select_related = ["wish", "sponsor"]
    search_fields = ["wish__code", "sponsor__name"]
    sortable_by = ()
    actions = ["remind", "release"]

    def get_ordering(self, request: HttpRequest) -> tuple[str, ...]:
        # Grouped by sponsor: one sponsor's gifts stand together, the longest late first.
        # (Here, not in `ordering`: the deadline is an annotation the system check cannot see.)
        return ("sponsor__name", "sponsor_id", "gift_deadline", "wish__code")

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return missing_gifts().select_related("wish", "sponsor")

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # Needed for the actions; the rows themselves are not editable here.
        return obj is None and request.user.has_perm("wishes.change_claim")

    @admin.display(description=_("drop-off deadline"))
    def gift_deadline(self, obj: MissingGift):
        return obj.gift_deadline  # type: ignore[attr-defined]

    @admin.display(description=_("days late"))
    def days_late(self, obj: MissingGift) -> int:
        return (timezone.localdate() - obj.gift_deadline).days  # type: ignore[attr-defined]

    @admin.action(
        description=_("Remind the sponsors of the selected gifts"), permissions=["change"]
    )
    def remind(self, request: AuthenticatedRequest, queryset: models.QuerySet) -> None:
        claims = remind_missing_gifts(
            claim_ids=list(queryset.values_list("pk", flat=True)), by=request.user
        )
        sponsors = len({claim.sponsor_id for claim in claims})
        self.message_user(
            request,
            ngettext(
                "Reminder sent to %(count)d sponsor.",
                "Reminders sent to %(count)d sponsors.",
                sponsors,
            )
            % {"count": sponsors},
        )

    @admin.action(
        description=_("Release the selected claims: the wishes wait again"),
        permissions=["change"],
    )
    def release(self, request: AuthenticatedRequest, queryset: models.QuerySet) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda claim: release_missing_gift(claim_id=claim.pk, by=request.user),
            gettext("%(object)s is released; the wish is waiting to be claimed again."),
        )
