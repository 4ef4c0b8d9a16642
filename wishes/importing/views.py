"""The back-office pages of spreadsheet imports: template, upload, preview, import, file.

ImportBatchAdmin.get_urls hooks them into the admin, which sends anybody who is not staff to
its login page; on top of that, only staff who may add children, consents and wishes get in.
The check and the import run as tasks (wishes/importing/tasks.py): with Django's immediate
backend they finish within the request, with a queue the preview page refreshes itself until
they are done. The file holds children's real data: its preview, once it shows the rows or
their problems, and every download of the file are in the access log.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from huamu.errors import TransitionError
from huamu.roles import AuthenticatedRequest, Visitor, is_office_staff
from huamu.tasks import stuck_minutes
from wishes.importing.children import (
    begin_import,
    is_stuck,
    restart_stuck_batch,
    upload_batch,
)
from wishes.importing.problems import ImportFileError, problem_text
from wishes.importing.reader import FILE_TOO_LARGE, max_bytes, sniff
from wishes.importing.tasks import check_import_task, import_batch_task
from wishes.importing.template import XLSX_CONTENT_TYPE, template_workbook
from wishes.models import AccessAction, Campaign, ImportBatch, ImportStatus, WishCategory
from wishes.privacy.access_log import log_access

IMPORT_PERMISSIONS = (
    "wishes.add_child",
    "wishes.add_consent",
    "wishes.add_wish",
    "wishes.add_importbatch",
)
# Seconds between reloads of the preview page while the check or the import runs.
REFRESH_SECONDS = 2


def may_import(user: Visitor) -> bool:
    """Whether a user may use the import pages: staff who may add children and wishes."""
    return all(is_office_staff(user, perm=perm) for perm in IMPORT_PERMISSIONS)


def _check_may_import(request: HttpRequest) -> None:
    if not may_import(request.user):
        raise PermissionDenied


class UploadForm(forms.Form):
    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        queryset=Campaign.objects.order_by("-year"),
        help_text=_("The wishes are added to this campaign as drafts."),
    )
    file = forms.FileField(
        label=_("Spreadsheet"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
        help_text=_("An .xlsx file made from the template, or a .csv file with its headers."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > max_bytes():
            raise forms.ValidationError(
                gettext(FILE_TOO_LARGE) % {"max": filesizeformat(max_bytes())}
            )
        data = upload.read()
        upload.seek(0)
        try:
            self.kind = sniff(data, upload.name)
        except ImportFileError as error:
            raise forms.ValidationError(error.text) from None
        return upload


def _page(request: HttpRequest, template: str, context: dict) -> TemplateResponse:
    request.current_app = admin.site.name
    context = {**admin.site.each_context(request), "opts": ImportBatch._meta, **context}
    return TemplateResponse(request, f"admin/wishes/importbatch/{template}", context)


@require_GET
def template_download(request: AuthenticatedRequest) -> HttpResponse:
    """The .xlsx template with the Chinese headers, an example row and the explanations."""
    _check_may_import(request)
    response = HttpResponse(template_workbook(), content_type=XLSX_CONTENT_TYPE)
    name = f"huamu-import-template-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_http_methods(["GET", "POST"])
def upload(request: AuthenticatedRequest) -> HttpResponse:
    """Upload a spreadsheet for a campaign; its rows are checked before anything is imported."""
    _check_may_import(request)
    latest = Campaign.objects.order_by("-year").first()
    initial = {"campaign": request.GET.get("campaign") or (latest and latest.pk)}
    form = UploadForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            batch = upload_batch(
                upload=form.cleaned_data["file"],
                kind=form.kind,
                campaign=form.cleaned_data["campaign"],
                by=request.user,
            )
        except TransitionError as error:
            form.add_error(None, str(error))
        else:
            check_import_task.enqueue(batch.pk)
            return redirect("admin:wishes_importbatch_preview", batch.pk)
    title = gettext("Import children and wishes from a spreadsheet")
    return _page(request, "upload.html", {"title": title, "form": form})


def _preview_context(batch: ImportBatch) -> dict:
    summary = batch.summary or {}
    phase = summary.get("phase", "")
    working = batch.status == ImportStatus.UPLOADED or phase == "importing"
    # A batch its worker left: the page stops reloading and offers to start it again.
    stuck = is_stuck(batch)
    categories = dict(WishCategory.choices)
    return {
        "title": gettext("Spreadsheet import: %(file)s") % {"file": batch.original_name},
        "batch": batch,
        "phase": phase,
        "working": working,
        "stuck": stuck,
        "stuck_minutes": stuck_minutes(),
        "refresh_seconds": REFRESH_SECONDS if working and not stuck else None,
        "problems": [{**problem, "text": problem_text(problem)} for problem in batch.problems],
        "problems_total": max(summary.get("problems_total", 0), len(batch.problems)),
        "problems_hidden": max(0, summary.get("problems_total", 0) - len(batch.problems)),
        "counts": summary,
        "imported": summary.get("imported"),
        "preview": [
            {**row, "category_label": categories.get(row["category"], row["category"])}
            for row in summary.get("preview", [])
        ],
        "more_rows": max(0, summary.get("rows", 0) - len(summary.get("preview", []))),
        "can_import": (
            batch.status == ImportStatus.CHECKED and not batch.problems and phase == "checked"
        ),
    }


@require_GET
def preview(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The check's progress and result: problems by row and column, or what will be created."""
    _check_may_import(request)
    batch = get_object_or_404(ImportBatch.objects.select_related("campaign", "created_by"), pk=pk)
    context = _preview_context(batch)
    # While the check or the import runs, the page reloads itself and shows only counts.
    if not context["working"]:
        log_access(request, action=AccessAction.PREVIEW_IMPORT, subject=batch)
    return _page(request, "preview.html", context)


@require_POST
def start_import(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Import a checked file without problems, all or nothing."""
    _check_may_import(request)
    batch = get_object_or_404(ImportBatch, pk=pk)
    try:
        begin_import(batch_id=batch.pk, by=request.user)
    except TransitionError as error:
        messages.error(request, str(error))
    else:
        import_batch_task.enqueue(batch.pk, request.user.pk)
    return redirect("admin:wishes_importbatch_preview", batch.pk)


@require_POST
def restart(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Queue again a check or an import that a dead worker left without progress."""
    _check_may_import(request)
    batch = get_object_or_404(ImportBatch, pk=pk)
    try:
        phase = restart_stuck_batch(batch_id=batch.pk, by=request.user)
    except TransitionError as error:
        messages.error(request, str(error))
    else:
        if phase == "importing":
            import_batch_task.enqueue(batch.pk, request.user.pk)
        else:
            check_import_task.enqueue(batch.pk)
    return redirect("admin:wishes_importbatch_preview", batch.pk)


@require_GET
def original_file(request: AuthenticatedRequest, pk: int) -> FileResponse:
    """The uploaded file as it was, to correct it and upload it again; 404 once removed."""
    _check_may_import(request)
    batch = get_object_or_404(ImportBatch, pk=pk)
    if batch.file_removed_at is not None or not batch.file:
        raise Http404(batch.file_removed_note)
    handle = batch.file.open("rb")
    log_access(request, action=AccessAction.IMPORT_FILE, subject=batch)
    return FileResponse(handle, as_attachment=True, filename=batch.original_name)


def admin_urls(site: admin.AdminSite) -> list[URLPattern]:
    """The import pages, under the ImportBatch admin; names start with wishes_importbatch_."""
    return [
        path("template/", site.admin_view(template_download), name="wishes_importbatch_template"),
        path("upload/", site.admin_view(upload), name="wishes_importbatch_upload"),
        path("<int:pk>/preview/", site.admin_view(preview), name="wishes_importbatch_preview"),
        path("<int:pk>/import/", site.admin_view(start_import), name="wishes_importbatch_import"),
        path("<int:pk>/restart/", site.admin_view(restart), name="wishes_importbatch_restart"),
        path("<int:pk>/file/", site.admin_view(original_file), name="wishes_importbatch_file"),
    ]
