"""Downloads a worker makes (TASKS_BACKEND=database): campaign export, wish cards, certificates.

The admin action queues a Download and sends staff to its page, which reloads itself until
the file is ready (wishes/reports/download_views.py). With the immediate backend the actions
still answer with the file itself (wishes/reports/print_views.py). The worker checks again
what the request checked (a wish may have been claimed, a text may name its child since).
"""

import datetime
import logging
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db import transaction
from django.tasks import task
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sponsors.models import Sponsor
from wishes.models import Campaign, Download, DownloadKind, DownloadStatus, Wish
from wishes.privacy.guard import wishes_naming_their_child
from wishes.public.selectors import open_public_wishes
from wishes.reports.cards import wish_cards_pdf
from wishes.reports.certificates import certificate_numbers, certificates_pdf
from wishes.reports.exports import XLSX_CONTENT_TYPE, campaign_filename, campaign_workbook_bytes
from wishes.reports.pdf import PDF_CONTENT_TYPE, FontMissing

logger = logging.getLogger(__name__)

# A made file holds back-office data: the daily jobs remove it this long after it was made.
KEEP_FILES = datetime.timedelta(days=1)


class Refused(Exception):
    """Nothing to make; the message says why, in the requester's language."""


Made = tuple[bytes, str, str, str]  # content, file name, content type, note for the page


def _campaign_export(params: dict) -> Made:
    campaign = Campaign.objects.get(pk=params["campaign_id"])
    return campaign_workbook_bytes(campaign), campaign_filename(campaign), XLSX_CONTENT_TYPE, ""


def _wish_cards(params: dict) -> Made:
    wishes = Wish.objects.filter(pk__in=params["wish_ids"]).order_by("code")
    cards = list(open_public_wishes(wishes))
    if not cards:
        raise Refused(_("None of these wishes is still published and waiting to be claimed."))
    named = wishes_naming_their_child({card.id: card.public_text for card in cards})
    if named:
        codes = ", ".join(card.code for card in cards if card.id in named)
        raise Refused(
            _(
                "No cards were printed: the public text of %(codes)s names the child. Correct "
                "it on the wish's page first."
            )
            % {"codes": codes}
        )
    skipped = len(params["wish_ids"]) - len(cards)
    note = (
        _("%(count)d wishes were claimed or withdrawn meanwhile and got no card.")
        % {"count": skipped}
        if skipped
        else ""
    )
    day = f"{timezone.localdate():%Y%m%d}"
    return wish_cards_pdf(cards), f"wish-cards-{day}.pdf", PDF_CONTENT_TYPE, note


def _certificates(params: dict) -> Made:
    year = params["year"]
    certificates, nothing = [], []
    for sponsor in Sponsor.objects.filter(pk__in=params["sponsor_ids"]).order_by("name"):
        numbers = certificate_numbers(sponsor, year)
        if numbers.is_empty:
            nothing.append(sponsor.name)
        else:
            certificates.append((sponsor, numbers))
    none_for = _("No certificate for %(names)s: no wish fulfilled in %(year)s.") % {
        "names": ", ".join(nothing),
        "year": year,
    }
    if not certificates:
        raise Refused(none_for)
    name = f"thank-you-certificates-{year}.pdf"
    return certificates_pdf(certificates), name, PDF_CONTENT_TYPE, none_for if nothing else ""


MAKERS: dict[str, Callable[[dict], Made]] = {
    DownloadKind.CAMPAIGN_EXPORT: _campaign_export,
    DownloadKind.WISH_CARDS: _wish_cards,
    DownloadKind.CERTIFICATES: _certificates,
}


def queue_download(*, kind: DownloadKind, params: dict, by: User) -> Download:
    """Record a download to make and queue it for a worker once the request commits."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    download = Download.objects.create(
        kind=kind, params={**params, "language": language}, requested_by=by
    )
    transaction.on_commit(lambda: make_download_task.enqueue(download.pk))
    return download


def _start(download_id: int) -> Download | None:
    with transaction.atomic():
        download = Download.objects.select_for_update().get(pk=download_id)
        if download.status != DownloadStatus.QUEUED:
            # Run twice (a task queued again): the first run has it.
            return None
        download.status = DownloadStatus.RUNNING
        download.save(update_fields=["status", "updated_at"])
    return download


def _finish(download: Download, status: str, **fields: object) -> None:
    for name, value in fields.items():
        setattr(download, name, value)
    download.status = status
    download.finished_at = timezone.now()
    download.save(update_fields=["status", "finished_at", "updated_at", *fields])


def make_download(*, download_id: int) -> str:
    """Make the file of a queued download; returns its new status."""
    download = _start(download_id)
    if download is None:
        return Download.objects.get(pk=download_id).status
    with translation.override(download.params.get("language") or settings.LANGUAGE_CODE):
        try:
            content, filename, content_type, note = MAKERS[download.kind](download.params)
        except (Refused, FontMissing) as error:
            _finish(download, DownloadStatus.FAILED, message=str(error))
            return download.status
        except Exception:
            logger.exception("Download %s failed", download_id)
            message = _("The file could not be made; please try again or tell the association.")
            _finish(download, DownloadStatus.FAILED, message=message)
            return download.status
    download.file.save(filename, ContentFile(content), save=False)
    _finish(
        download,
        DownloadStatus.DONE,
        file=download.file,
        filename=filename,
        content_type=content_type,
        message=note,
    )
    return download.status


@task
def make_download_task(download_id: int) -> str:
    """The worker's side of queue_download."""
    return make_download(download_id=download_id)


def remove_old_download_files(*, now: datetime.datetime | None = None) -> int:
    """Remove the files of downloads made more than KEEP_FILES ago; the rows stay."""
    now = now or timezone.now()
    removed = 0
    old = Download.objects.filter(
        finished_at__lt=now - KEEP_FILES, file_removed_at__isnull=True
    ).exclude(file="")
    for download in old:
        download.file.delete(save=False)
        download.file_removed_at = now
        download.save(update_fields=["file", "file_removed_at", "updated_at"])
        removed += 1
    return removed
