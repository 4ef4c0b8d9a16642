"""The back office for events: planning (sponsors and wishes), the public page, and the
wishes fulfilled at each event."""

from typing import TYPE_CHECKING, TypedDict

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from huamu.admin_kit import DomainAdmin, ReadOnlyAdmin, ReadOnlyInline
from huamu.roles import AuthenticatedRequest, is_office_staff
from wishes.admin.history import StatusChangeInline
from wishes.models import Attendee, AttendeeStatus, Event, EventSignup, Fulfilment
from wishes.reports.hours import HoursPeriodForm, hours_between, hours_download

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


class SignupOfEventInline(ReadOnlyInline):
    """The sponsors' sign-ups: who comes, how many, and who of them was checked in."""

    model = EventSignup
    fields = (
        "sponsor",
        "status",
        "headcount",
        "attendee_names",
        "signed_up_by",
        "updated_at",
        "reminded_at",
    )
    readonly_fields = fields
    verbose_name_plural = _("sign-ups")

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        listed = Attendee.objects.exclude(status=AttendeeStatus.REMOVED).order_by("pk")
        return (
            super()
            .get_queryset(request)
            .select_related("sponsor", "signed_up_by")
            .prefetch_related(Prefetch("attendees", queryset=listed, to_attr="listed"))
        )

    @admin.display(description=_("attendees"))
    def attendee_names(self, obj: EventSignup) -> str:
        names = [
            f"{a.name} ✓" if a.status == AttendeeStatus.CHECKED_IN else a.name
            for a in getattr(obj, "listed", [])
        ]
        return "、".join(names) or "—"


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
        (None, {"fields": ["kind", "title", "date", "start_time", "venue", "school", "campaign"]}),
        (_("Public page"), {"fields": ["is_public", "description"]}),
        (
            _("Planning"),
            {"fields": ["sponsors", "wishes", "drop_off_deadline", "volunteer_hours"]},
        ),
    ]
    inlines = [SignupOfEventInline, FulfilmentOfEventInline]
    # The events list links to the export of volunteer hours.
    change_list_template = "admin/wishes/event/change_list.html"

    def get_urls(self) -> list:
        view = self.admin_site.admin_view(require_safe(self.hours_view))
        return [path("hours/", view, name="wishes_event_hours"), *super().get_urls()]

    def hours_view(self, request: AuthenticatedRequest) -> HttpResponse:
        """Staff export the volunteer hours of a period, for the city's volunteer system."""
        if not is_office_staff(request.user, perm="wishes.view_event"):
            raise PermissionDenied
        form = HoursPeriodForm(request.GET if "format" in request.GET else None)
        if form.is_valid():
            rows = hours_between(form.cleaned_data["start"], form.cleaned_data["end"])
            # The city's volunteer system needs the whole number.
            return hours_download(rows, form, full_phones=True)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Export volunteer hours"),
            "opts": Event._meta,
            "form": form,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/wishes/event/hours.html", context)

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return super().get_queryset(request).annotate(fulfilled=Count("fulfilments"))

    @admin.display(description=_("wishes fulfilled"), ordering="fulfilled")
    def fulfilled_count(self, obj: "_CountedEvent") -> int:
        return obj.fulfilled


SIGNUP_FIELDS = ("event", "sponsor", "status", "headcount", "signed_up_by", "created_at")
ATTENDEE_FIELDS = (
    "signup",
    "name",
    "phone",
    "user",
    "status",
    "checked_in_at",
    "checked_in_by",
    "hours",
)


# Sign-ups and attendees come from the sponsors' pages and the door's check-in only.
@admin.register(EventSignup)
class EventSignupAdmin(ReadOnlyAdmin):
    list_display = ["event", "sponsor", "status", "headcount", "signed_up_by", "updated_at"]
    list_filter = ["status", "event"]
    list_select_related = ["event", "sponsor", "signed_up_by"]
    search_fields = ["sponsor__name", "event__title"]
    fields = readonly_fields = SIGNUP_FIELDS
    inlines = [StatusChangeInline]


@admin.register(Attendee)
class AttendeeAdmin(ReadOnlyAdmin):
    list_display = ["name", "signup", "user", "status", "checked_in_at", "hours"]
    list_filter = ["status", "signup__event"]
    list_select_related = ["signup__event", "signup__sponsor", "user"]
    search_fields = ["name", "signup__sponsor__name", "signup__event__title"]
    fields = readonly_fields = ATTENDEE_FIELDS
    inlines = [StatusChangeInline]
