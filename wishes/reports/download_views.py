"""A background download's page (progress, then the file) and the file itself.

Hooked into the admin by DownloadAdmin.get_urls, so only active staff reach them; on top of
that a download is seen only by the staff member who asked for it (404 for anybody else),
who must still hold the permission its action needs (403 otherwise). The campaign export and
wish cards hold children's data: each download of the file is in the access log.
"""

import datetime

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from huamu.roles import AuthenticatedRequest, is_office_staff
from huamu.tasks import stuck_minutes
from wishes.models import AccessAction, Campaign, Download, DownloadKind, DownloadStatus, Wish
from wishes.privacy.access_log import log_access
from wishes.reports.exports import campaign_child_ids

# Seconds between reloads of the page while the file is being made.
REFRESH_SECONDS = 2
# The permission of the action that asked for each kind of download.
PERMISSIONS = {
    DownloadKind.CAMPAIGN_EXPORT: "wishes.change_campaign",
    DownloadKind.WISH_CARDS: "wishes.change_wish",
    DownloadKind.CERTIFICATES: "sponsors.change_sponsor",
}


def get_download_for_staff(request: HttpRequest, pk: int) -> Download:
    """The user's own download, if they still hold the permission of its kind."""
    download = get_object_or_404(Download, pk=pk)
    if not is_office_staff(request.user, perm=PERMISSIONS[DownloadKind(download.kind)]):
        raise PermissionDenied
    if download.requested_by_id != request.user.pk:
        raise Http404
    return download


@require_GET
def progress(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Where the file is: waiting, being made, ready (with its link) or refused."""
    download = get_download_for_staff(request, pk)
    # Not started or not finished this long: no worker runs, or its worker died. The page
    # stops reloading and says to ask again.
    limit = datetime.timedelta(minutes=stuck_minutes())
    stuck = download.working and download.updated_at < timezone.now() - limit
    request.current_app = admin.site.name
    context = {
        **admin.site.each_context(request),
        "opts": Download._meta,
        "title": download.get_kind_display(),
        "download": download,
        "stuck": stuck,
        "stuck_minutes": stuck_minutes(),
        "refresh_seconds": REFRESH_SECONDS if download.working and not stuck else None,
    }
    return TemplateResponse(request, "admin/wishes/download/progress.html", context)


@require_GET
def download_file(request: AuthenticatedRequest, pk: int) -> FileResponse:
    """The finished file; 404 before it is ready or once the daily jobs removed it."""
    download = get_download_for_staff(request, pk)
    if download.status != DownloadStatus.DONE or not download.file:
        raise Http404(gettext("This file is not ready or has been removed."))
    handle = download.file.open("rb")
    if download.kind == DownloadKind.CAMPAIGN_EXPORT:
        campaign = Campaign.objects.get(pk=download.params["campaign_id"])
        log_access(
            request,
            action=AccessAction.EXPORT_CAMPAIGN,
            subject=campaign,
            children=campaign_child_ids(campaign),
        )
    elif download.kind == DownloadKind.WISH_CARDS:
        children = Wish.objects.filter(pk__in=download.params["wish_ids"]).values_list(
            "child_id", flat=True
        )
        log_access(request, action=AccessAction.PRINT_CARDS, subject=Wish, children=children)
    response = FileResponse(handle, content_type=download.content_type)
    response["Content-Disposition"] = content_disposition_header(True, download.filename)
    response["Cache-Control"] = "private, no-store"
    return response


def admin_urls(site: admin.AdminSite) -> list[URLPattern]:
    """The pages under the Download admin; names start with wishes_download_."""
    return [
        path("<int:pk>/progress/", site.admin_view(progress), name="wishes_download_progress"),
        path("<int:pk>/file/", site.admin_view(download_file), name="wishes_download_file"),
    ]
