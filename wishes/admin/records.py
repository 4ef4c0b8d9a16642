"""The back office for records kept for the association: the audit trail, the access log,
earlier years' totals for the impact page, and spreadsheet imports.

The audit trail and the access log are written by services and views only; nobody edits or
removes a row. An import batch changes only through its own pages (wishes/importing).
"""

from typing import TYPE_CHECKING, TypedDict

from django.contrib import admin
from django.db import models
from django.db.models import Count, Exists, OuterRef
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from huamu.admin_kit import DomainAdmin, ReadOnlyAdmin
from wishes.admin.history import StatusChangeInline, StatusLabels, ToStatusFilter
from wishes.importing import views as import_views
from wishes.models import (
    AccessLog,
    Download,
    Fulfilment,
    ImportBatch,
    ScheduledRun,
    StatusChange,
    Tally,
    YearTotal,
)
from wishes.reports import download_views

if TYPE_CHECKING:  # only for the type checker: the rows as the admins below annotate them
    from django_stubs_ext import WithAnnotations

    class _SystemData(TypedDict):
        has_system_data: bool

    _YearWithSystemData = WithAnnotations[YearTotal, _SystemData]

    class _ChildrenCount(TypedDict):
        children_count: int

    _LogWithCount = WithAnnotations[AccessLog, _ChildrenCount]


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
class StatusChangeAdmin(StatusLabels, ReadOnlyAdmin):
    """The audit trail is written by the services only; nobody edits or removes a row."""

    list_display = ["at", "content_type", "subject_link", "from_label", "to_label", "by"]
    list_filter = ["content_type", ToStatusFilter]
    list_select_related = ["content_type", "by"]
    search_fields = ["note", "by__username", "from_status", "to_status"]
    date_hierarchy = "at"
    fields = ["content_type", "object_id", "from_label", "to_label", "by", "at", "note"]
    readonly_fields = ["from_label", "to_label"]

    @admin.display(description=_("record"))
    def subject_link(self, obj: StatusChange) -> str:
        return _record_link(obj.content_type, obj.object_id)


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    """Who read which children's data; written by the views, never edited.

    Filter by user and by child (a child's own page links to its rows), by action and date.
    """

    list_display = [
        "at",
        "user",
        "action",
        "content_type",
        "subject_link",
        "children_count",
        "ip_address",
        "path",
    ]
    list_filter = [
        "action",
        "at",
        "content_type",
        ("user", admin.RelatedOnlyFieldListFilter),
        ("children", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["user", "content_type"]
    # Children by their alias: the log never shows or searches a real name.
    search_fields = ["user__username", "user__first_name", "user__last_name", "children__alias"]
    date_hierarchy = "at"
    fields = [
        "at",
        "user",
        "action",
        "content_type",
        "object_id",
        "children",
        "ip_address",
        "path",
    ]

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        # Distinct: a search or a filter by child joins the children once more.
        return (
            super().get_queryset(request).annotate(children_count=Count("children", distinct=True))
        )

    @admin.display(description=_("record id"), ordering="object_id")
    def subject_link(self, obj: AccessLog) -> str:
        if obj.object_id is None:
            return "—"
        return _record_link(obj.content_type, obj.object_id)

    @admin.display(description=_("children shown"), ordering="children_count")
    def children_count(self, obj: "_LogWithCount") -> int:
        return obj.children_count


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
        # A year with fulfilments recorded in the system shows those instead
        # (wishes/reports/impact.py).
        recorded = Fulfilment.objects.filter(fulfilled_on__year=OuterRef("year"))
        return super().get_queryset(request).annotate(has_system_data=Exists(recorded))

    @admin.display(description=_("shown on the impact page"), boolean=True)
    def shown_on_impact_page(self, obj: "_YearWithSystemData") -> bool:
        return not obj.has_system_data


# --- spreadsheet imports (the pages are in wishes/importing/views.py) --------------------------


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
    fields = (
        "preview_link",
        "file_removed_note",
        "campaign",
        "status",
        "rows_total",
        "created_by",
        "created_at",
    )
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


@admin.register(ScheduledRun)
class ScheduledRunAdmin(ReadOnlyAdmin):
    """The daily jobs' runs (manage.py run_scheduled): written by the scheduler, never edited."""

    list_display = ["day", "job", "status", "attempts", "started_at", "finished_at"]
    list_filter = ["status", "job"]
    search_fields = ["job"]
    date_hierarchy = "day"
    fields = ["job", "day", "status", "attempts", "started_at", "finished_at", "summary"]


@admin.register(Tally)
class TallyAdmin(ReadOnlyAdmin):
    """The running totals behind the front and impact pages (wishes.reports.tallies): written
    by every save, recounted by check_tallies each night, never edited."""

    list_display = ["name", "key", "n"]
    list_filter = ["name"]
    search_fields = ["key"]
    fields = ["name", "key", "n"]
    ordering = ["name", "key", "pk"]


@admin.register(Download)
class DownloadAdmin(ReadOnlyAdmin):
    """Files a worker made for the user (exports, PDFs): each user sees only their own."""

    list_display = ["created_at", "kind", "status", "finished_at", "progress_link"]
    list_filter = ["status", "kind"]
    search_fields = ["filename"]
    date_hierarchy = "created_at"
    fields = ["kind", "status", "created_at", "finished_at", "filename", "message"]
    readonly_fields = ["kind", "status", "created_at", "finished_at", "filename", "message"]

    @admin.display(description=_("page"))
    def progress_link(self, obj: Download) -> str:
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), _("open"))

    def get_urls(self) -> list:
        return download_views.admin_urls(self.admin_site) + super().get_urls()

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return super().get_queryset(request).filter(requested_by_id=request.user.pk)
