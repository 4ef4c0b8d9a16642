"""Feedback (评单) in the back office: read-only, on the claim's page and in a list.

The comment is free text a sponsor or coordinator typed, and may speak of the child: it is
shown here to staff only (the association's staff group: a bare is_staff flag has no view
permission), never on a public page or in the public downloads. Every page of the list and
every record's page is in the access log, as a letter's are; so is a claim's page that
shows comments (wishes/admin/claims.py).
"""

from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from huamu.admin_kit import ReadOnlyAdmin, ReadOnlyInline
from wishes.models import AccessAction, Feedback
from wishes.privacy.access_log import LoggedReadsAdmin


class FeedbackInline(ReadOnlyInline):
    model = Feedback
    fields = ["role", "rating", "comment", "given_by", "created_at"]
    readonly_fields = ["role", "rating", "comment", "given_by", "created_at"]
    extra = 0
    show_change_link = False
    verbose_name = _("feedback")
    verbose_name_plural = _("feedback (ratings from 1 to 5)")


@admin.register(Feedback)
class FeedbackAdmin(LoggedReadsAdmin, ReadOnlyAdmin):
    """Given by the sponsor and the coordinator on their own pages; nobody edits it here."""

    read_action = AccessAction.VIEW_FEEDBACK
    list_action = AccessAction.LIST_FEEDBACK

    list_display = ["claim", "role", "rating", "short_comment", "given_by", "created_at"]
    list_filter = ["role", "rating", "created_at", "claim__wish__campaign"]
    list_select_related = ["claim__wish", "claim__sponsor", "given_by"]
    search_fields = ["claim__wish__code", "claim__sponsor__name", "comment"]
    date_hierarchy = "created_at"
    fields = ["claim", "role", "rating", "comment", "given_by", "created_at"]
    readonly_fields = ["claim", "role", "rating", "comment", "given_by", "created_at"]

    def children_of(self, obj: Feedback) -> list[int]:
        return [obj.claim.wish.child_id]

    @admin.display(description=_("comment"))
    def short_comment(self, obj: Feedback) -> str:
        return Truncator(obj.comment).chars(60)
