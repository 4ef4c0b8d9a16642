"""The history inline shown on the change page of every record with an audit trail (wishes,
claims, consents, photos, letters, imports, and sponsors in sponsors/admin.py).

It reads StatusChange rows, which only the services write, and labels their raw states
through wishes.audit.status_label, as every other page showing history does.
"""

from django.contrib import admin
from django.contrib.contenttypes.admin import GenericTabularInline
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from wishes.audit import status_label
from wishes.models import StatusChange


class StatusLabels:
    """The from and to states of a StatusChange row by their labels (草稿 → 待认领), never
    the raw codes; for every admin showing the rows."""

    @admin.display(description=_("from"), ordering="from_status")
    def from_label(self, obj: StatusChange) -> str:
        return status_label(obj.content_type.model_class(), obj.from_status)

    @admin.display(description=_("to"), ordering="to_status")
    def to_label(self, obj: StatusChange) -> str:
        return status_label(obj.content_type.model_class(), obj.to_status)


class ToStatusFilter(admin.SimpleListFilter):
    """The state a record entered, offered by its label; one entry per kind of record, since
    the same code may mean different things (a wish's "open", a claim's "active")."""

    title = _("to")
    parameter_name = "to"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        pairs = (
            StatusChange.objects.order_by("content_type_id", "to_status")
            .values_list("content_type_id", "to_status")
            .distinct()
        )
        options = []
        for type_id, value in pairs:
            content_type = ContentType.objects.get_for_id(type_id)
            model = content_type.model_class()
            kind = model._meta.verbose_name if model is not None else content_type.model
            label = f"{kind}: {status_label(model, value)}"
            options.append((f"{type_id}:{value}", label))
        return options

    def queryset(self, request: HttpRequest, queryset: models.QuerySet) -> models.QuerySet:
        type_id, _sep, value = (self.value() or "").partition(":")
        if not type_id.isdigit():
            return queryset
        return queryset.filter(content_type_id=int(type_id), to_status=value)


class StatusChangeInline(StatusLabels, GenericTabularInline):
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

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
