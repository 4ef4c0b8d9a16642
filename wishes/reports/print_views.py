"""Back-office downloads: wish cards, the intake form and certificates (PDF), campaign workbooks.

Admin actions and an admin view only, so every request has passed the admin site's staff
login; each one also checks the model permission it needs. Without a Chinese font the PDFs
cannot be made: staff then get a message saying how to install it, never a server error.
Wish cards and the campaign workbook carry children's data (alias, school, grade, wish): each
download is in the access log, naming the children in it.
"""

from typing import cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from huamu.tasks import runs_in_background
from wishes.models import AccessAction, DownloadKind, Wish
from wishes.privacy.access_log import log_access
from wishes.privacy.guard import wishes_naming_their_child
from wishes.public.selectors import open_public_wishes
from wishes.reports.cards import wish_cards_pdf
from wishes.reports.certificates import (
    certificate_numbers,
    certificates_pdf,
    current_year,
    years_since_start,
)
from wishes.reports.downloads import queue_download
from wishes.reports.exports import (
    XLSX_CONTENT_TYPE,
    campaign_child_ids,
    campaign_filename,
    campaign_workbook_bytes,
)
from wishes.reports.intake_form import intake_form_pdf
from wishes.reports.pdf import PDF_CONTENT_TYPE, FontMissing

# Downloads make sense from the list and from a record's own page.
LIST_AND_RECORD = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]


def download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    """A file to save, which no shared cache may keep: it holds back-office data."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response


def to_worker(
    modeladmin: admin.ModelAdmin, request: HttpRequest, kind: DownloadKind, params: dict
) -> HttpResponse:
    """Queue the file for a worker (TASKS_BACKEND=database) and show its page, which reloads
    itself until the file is ready."""
    download = queue_download(kind=kind, params=params, by=cast(User, request.user))
    modeladmin.message_user(
        request, gettext("The file is being made; this page shows it once it is ready.")
    )
    return HttpResponseRedirect(download.get_absolute_url())


def _today() -> str:
    return f"{timezone.localdate():%Y%m%d}"


@admin.action(
    description=_("Print wish cards (PDF)"), permissions=["change"], location=LIST_AND_RECORD
)
def print_wish_cards(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: models.QuerySet
) -> HttpResponse | None:
    """Cards for the wish tree: only published wishes still waiting for a sponsor get one."""
    # The cards show what the public pages show, read through the same allowlist.
    cards = list(open_public_wishes(queryset.order_by("code")))
    printed = {card.id for card in cards}
    skipped = sorted(code for pk, code in queryset.values_list("pk", "code") if pk not in printed)
    if skipped:
        modeladmin.message_user(
            request,
            gettext(
                "No card for %(codes)s: only published wishes waiting to be claimed get a card."
            )
            % {"codes": ", ".join(skipped)},
            messages.WARNING,
        )
    if not cards:
        return None
    if runs_in_background():
        # The worker checks the texts again, as they may change before it runs.
        return to_worker(
            modeladmin, request, DownloadKind.WISH_CARDS, {"wish_ids": sorted(printed)}
        )
    # A text that names its child (its child's record changed since) prints nothing at all.
    named = wishes_naming_their_child({card.id: card.public_text for card in cards})
    if named:
        codes = ", ".join(card.code for card in cards if card.id in named)
        modeladmin.message_user(
            request,
            gettext(
                "No cards were printed: the public text of %(codes)s names the child. Correct "
                "it on the wish's page first."
            )
            % {"codes": codes},
            messages.ERROR,
        )
        return None
    try:
        pdf = wish_cards_pdf(cards)
    except FontMissing as error:
        modeladmin.message_user(request, str(error), messages.ERROR)
        return None
    children = Wish.objects.filter(pk__in=printed).values_list("child_id", flat=True)
    log_access(request, action=AccessAction.PRINT_CARDS, subject=Wish, children=children)
    return download(pdf, PDF_CONTENT_TYPE, f"wish-cards-{_today()}.pdf")


@admin.action(
    description=_("Export the campaign (.xlsx)"), permissions=["change"], location=LIST_AND_RECORD
)
def export_campaign(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: models.QuerySet
) -> HttpResponse | None:
    """The workbook of one campaign: wishes, claims, fulfilments and sponsors' contribution."""
    campaigns = list(queryset[:2])
    if len(campaigns) != 1:
        modeladmin.message_user(
            request, gettext("Choose exactly one campaign to export."), messages.WARNING
        )
        return None
    campaign = campaigns[0]
    if runs_in_background():
        return to_worker(
            modeladmin, request, DownloadKind.CAMPAIGN_EXPORT, {"campaign_id": campaign.pk}
        )
    workbook = campaign_workbook_bytes(campaign)
    log_access(
        request,
        action=AccessAction.EXPORT_CAMPAIGN,
        subject=campaign,
        children=campaign_child_ids(campaign),
    )
    return download(workbook, XLSX_CONTENT_TYPE, campaign_filename(campaign))


@require_safe
def intake_form(request: HttpRequest) -> HttpResponse:
    """The blank paper intake form for a child's wish, with the guardian's consent."""
    # Wrapped in admin_view by ChildAdmin.get_urls: the user is active staff already.
    if not request.user.has_perm("wishes.view_child"):
        raise PermissionDenied
    try:
        pdf = intake_form_pdf()
    except FontMissing as error:
        messages.error(request, str(error))
        return HttpResponseRedirect(reverse("admin:wishes_child_changelist"))
    return download(pdf, PDF_CONTENT_TYPE, "wish-intake-form.pdf")


class CertificateYearForm(forms.Form):
    year = forms.TypedChoiceField(
        label=_("Year"),
        coerce=int,
        initial=current_year,
        help_text=_("Counts the wishes each sponsor fulfilled in this calendar year."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.TypedChoiceField, self.fields["year"])
        field.choices = [(year, str(year)) for year in years_since_start()]


def certificates_download(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: models.QuerySet, year: int
) -> HttpResponse | None:
    """Thank-you certificates for a year, one page a sponsor; none for a sponsor with none."""
    if runs_in_background():
        # Counting each sponsor's year is the slow part: the worker does it too.
        sponsor_ids = sorted(queryset.values_list("pk", flat=True))
        return to_worker(
            modeladmin,
            request,
            DownloadKind.CERTIFICATES,
            {"sponsor_ids": sponsor_ids, "year": year},
        )
    certificates = []
    nothing = []
    for sponsor in queryset.order_by("name"):
        numbers = certificate_numbers(sponsor, year)
        if numbers.is_empty:
            nothing.append(sponsor.name)
        else:
            certificates.append((sponsor, numbers))
    if nothing:
        modeladmin.message_user(
            request,
            gettext("No certificate for %(names)s: no wish fulfilled in %(year)s.")
            % {"names": ", ".join(nothing), "year": year},
            messages.WARNING,
        )
    if not certificates:
        return None
    try:
        pdf = certificates_pdf(certificates)
    except FontMissing as error:
        modeladmin.message_user(request, str(error), messages.ERROR)
        return None
    return download(pdf, PDF_CONTENT_TYPE, f"thank-you-certificates-{year}.pdf")
