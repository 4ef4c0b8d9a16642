"""The history inline shown on the change page of every record with an audit trail (wishes,
claims, consents, photos, letters, imports, and sponsors in sponsors/admin.py).

It reads StatusChange rows, which only the services write, and labels their raw states
through wishes.audit.status_label, as every other page showing history does.
"""

from django.contrib import admin
from django.contrib.contenttypes.admin import GenericTabularInline
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from wishes.audit import status_label
from wishes.models import StatusChange


class StatusChangeInline(GenericTabularInline):
    """The history of a wish, claim or sponsor: read-only, the services write it."""

    model = StatusChange
    ct_field = "content_type"
    ct_fk_field = "object_id"
    extra = 0
    only_on_change = True
    fields = ("at", "from_label", "to_label", "by", "note")
    readonly_fields = fields
    verbose_name = _("history entry")
    verbose_name_plural = _("history")

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return super().get_queryset(request).select_related("by", "content_type")

    @admin.display(description=_("from"))
    def from_label(self, obj: StatusChange) -> str:
        return status_label(obj.content_type.model_class(), obj.from_status)

    @admin.display(description=_("to"))
    def to_label(self, obj: StatusChange) -> str:
        return status_label(obj.content_type.model_class(), obj.to_status)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
