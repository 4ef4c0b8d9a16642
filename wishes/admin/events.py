"""The back office for events: planning (sponsors and wishes), the public page, and the
wishes fulfilled at each event."""

from typing import TYPE_CHECKING, TypedDict

from django.contrib import admin
from django.db import models
from django.db.models import Count
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from huamu.admin_kit import DomainAdmin, ReadOnlyInline
from wishes.models import Event, Fulfilment

if TYPE_CHECKING:  # only for the type checker: an event as EventAdmin.get_queryset annotates it
    from django_stubs_ext import WithAnnotations

    class _FulfilledCount(TypedDict):
        fulfilled: int

    _CountedEvent = WithAnnotations[Event, _FulfilledCount]


class FulfilmentOfEventInline(ReadOnlyInline):
    model = Fulfilment
    fields = ("wish_code", "child_alias", "sponsor", "fulfilled_on", "recorded_by")
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
        (_("Planning"), {"fields": ["sponsors", "wishes", "drop_off_deadline"]}),
    ]
    inlines = [FulfilmentOfEventInline]

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return super().get_queryset(request).annotate(fulfilled=Count("fulfilments"))

    @admin.display(description=_("wishes fulfilled"), ordering="fulfilled")
    def fulfilled_count(self, obj: "_CountedEvent") -> int:
        return obj.fulfilled
