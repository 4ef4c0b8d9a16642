"""Recording who read a child's private data: every page, list, file, export and print.

`log_access` is the one way a row is written; views call it once they know the response
shows the data (a refused or missing record has raised by then, so it leaves no row).
`LoggedReadsAdmin` does the same for the back office's change pages and lists. A row holds
ids only, never a child's name: the kind of record, its id, and the ids of the children shown.
"""

from collections.abc import Iterable
from typing import Any, ClassVar

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse

from huamu.net import client_ip
from wishes.models import AccessAction, AccessLog, Child


def log_access(
    request: HttpRequest,
    *,
    action: AccessAction,
    subject: models.Model | type[models.Model],
    children: Iterable[int] = (),
) -> AccessLog:
    """Write one AccessLog row for a read of `subject`, naming the children it showed.

    `subject` is the record read, or its model for a page about many (a list, a print); a
    child as subject names itself. Two queries however many children: the row, their ids.
    """
    user = request.user if request.user.is_authenticated else None
    child_ids = set(children)
    object_id = None
    if isinstance(subject, models.Model):
        object_id = subject.pk
        if isinstance(subject, Child):
            child_ids.add(subject.pk)
    # The row and its children together; inside a request's transaction no savepoint is
    # needed, as a failure here fails the request.
    with transaction.atomic(savepoint=False):
        log = AccessLog.objects.create(
            user=user,
            action=action,
            content_type=ContentType.objects.get_for_model(subject),
            object_id=object_id,
            ip_address=client_ip(request),
            path=request.path[:300],
        )
        if child_ids:
            link = AccessLog.children.through
            link.objects.bulk_create(
                [link(accesslog_id=log.pk, child_id=pk) for pk in sorted(child_ids)]
            )
    return log


class LoggedReadsAdmin(admin.ModelAdmin):
    """For the admin of records that show a child's private data: each read is logged.

    A change page is one row naming its record's child; a page of the list is one row
    naming the children of the records on that page. The hooks are where Django builds
    those pages, so the admin's own views (and their answers to other methods) stay as
    they are; a redirect, a refusal or an action's download leaves no row. Put it before
    DomainAdmin.
    """

    read_action: ClassVar[AccessAction]
    # None: the list shows nothing private, only the change page is logged.
    list_action: ClassVar[AccessAction | None] = None

    def children_of(self, obj: Any) -> list[int]:
        """The ids of the children whose data the record's row or page shows."""
        return [obj.child_id]

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        # Called for the page of a record the user may view; a missing one has redirected.
        if change and obj is not None:
            log_access(
                request, action=self.read_action, subject=obj, children=self.children_of(obj)
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        changelist = super().get_changelist_instance(request)
        # A GET shows the page (a bad filter has raised by now); a POST runs an action,
        # which logs what it sends out itself.
        if self.list_action is not None and request.method == "GET":
            # The page's rows, read once here; the template reuses the same evaluated list.
            shown = {pk for obj in changelist.result_list for pk in self.children_of(obj)}
            log_access(request, action=self.list_action, subject=self.model, children=shown)
        return changelist
