"""Field history on the back-office pages of children and consents: who changed which field,
from what to what, and when (django-simple-history records it on every save).

The change page shows the latest steps and links to the whole history on a page of its own.
Both show earlier private values, so only office staff who may view the record see them,
and each read is in the access log like the record's own page. The historical tables are
never registered in the admin: this is the only place their rows are shown.
"""

from typing import Any

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from huamu.roles import is_office_staff, sees_private_data
from wishes.audit import field_history_of
from wishes.privacy.access_log import LoggedReadsAdmin, log_access


class FieldHistoryMixin(LoggedReadsAdmin):
    """For the admin of a model with `history = HistoricalRecords(...)`. Put it first."""

    change_form_template = "admin/wishes/field_history_change_form.html"
    # How many steps the change page shows; the history page shows them all.
    field_history_on_page = 10

    def may_see_field_history(self, request: HttpRequest, obj: Any) -> bool:
        """Office staff who may view this record, and so its private data."""
        opts = self.opts
        return (
            sees_private_data(request.user)
            and is_office_staff(request.user, perm=f"{opts.app_label}.view_{opts.model_name}")
            and self.has_view_permission(request, obj)
        )

    def get_urls(self) -> list:
        view = path(
            "<path:object_id>/field-history/",
            self.admin_site.admin_view(require_GET(self.field_history_view)),
            name=f"{self.opts.app_label}_{self.opts.model_name}_field_history",
        )
        # Before the admin's own "<path:object_id>/", which would take it for a record.
        return [view, *super().get_urls()]

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        # The change page's read is logged by LoggedReadsAdmin; the history adds no row.
        if change and obj is not None and self.may_see_field_history(request, obj):
            context["field_history"] = field_history_of(obj, latest=self.field_history_on_page)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def field_history_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Every step of the record's field history, newest first."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.may_see_field_history(request, obj):
            raise PermissionDenied
        changes = field_history_of(obj)
        log_access(request, action=self.read_action, subject=obj, children=self.children_of(obj))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Field history: %(object)s") % {"object": obj},
            "subtitle": None,
            "opts": self.opts,
            "original": obj,
            "has_view_permission": True,
            "field_history": changes,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/wishes/field_history.html", context)
