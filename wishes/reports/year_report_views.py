"""The staff page that downloads the year's report (PDF): choose a year, get the file."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from huamu.roles import AuthenticatedRequest, is_office_staff
from wishes.models import AccessAction, Fulfilment
from wishes.privacy.access_log import log_access
from wishes.reports.pdf import PDF_CONTENT_TYPE, FontMissing
from wishes.reports.print_views import CertificateYearForm, download
from wishes.reports.year_report import year_report, year_report_filename, year_report_pdf

BAD_REQUEST = 400
# No Chinese font on the server: nothing the user can correct, and no server error either.
UNAVAILABLE = 503


@login_required
@require_safe
def year_report_page(request: AuthenticatedRequest) -> HttpResponse:
    """Staff choose a year; with `?year=` the report of that year downloads as a PDF."""
    if not is_office_staff(request.user, perm="wishes.view_fulfilment"):
        raise PermissionDenied
    asked = "year" in request.GET
    form = CertificateYearForm(request.GET if asked else None)
    status = BAD_REQUEST if asked else 200
    if asked and form.is_valid():
        year = form.cleaned_data["year"]
        try:
            pdf = year_report_pdf(year_report(year))
        except FontMissing as error:
            messages.error(request, str(error))
            status = UNAVAILABLE
        else:
            # A staff file like the others; it names sponsors and no child.
            log_access(request, action=AccessAction.YEAR_REPORT, subject=Fulfilment)
            return download(pdf, PDF_CONTENT_TYPE, year_report_filename(year))
    return render(request, "impact/year_report.html", {"form": form}, status=status)
