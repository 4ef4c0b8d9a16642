"""Taking in a scanned paper form: a picture (checked and re-encoded like every photo) or a PDF.

A PDF is kept as uploaded, so it is checked harder than its size: it must open, hold at least
one page and at most MAX_PDF_PAGES, not be encrypted, and carry no scripts, launch actions
or embedded files. It is only ever sent as a download, never shown in the browser.
"""

import io
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from huamu.images import clean_image

logger = logging.getLogger(__name__)

PDF_MAGIC = b"%PDF-"
MAX_PDF_PAGES = 20
# Names of PDF features that run something or carry other files; a signed form needs none.
_ACTIVE_PDF = (b"/JavaScript", b"/Launch", b"/EmbeddedFile", b"/RichMedia", b"/XFA")


@dataclass(frozen=True)
class CleanDocument:
    """A checked scan, ready to save under a server-made name."""

    content: ContentFile
    extension: str


def _reject(message: str) -> ValidationError:
    return ValidationError(message, code="bad_document")


def _too_large() -> ValidationError:
    limit = settings.HUAMU_MAX_UPLOAD_BYTES
    return _reject(
        _("The file is too large (%(size)d MB at most).") % {"size": limit // 1_000_000}
    )


def _read_pdf(upload: UploadedFile) -> bytes:
    limit = settings.HUAMU_MAX_UPLOAD_BYTES
    if upload.size is not None and upload.size > limit:
        raise _too_large()
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _too_large()
    return data


def _check_pdf(data: bytes) -> None:
    if any(name in data for name in _ACTIVE_PDF):
        raise _reject(_("This PDF contains scripts or attached files and is not accepted."))
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise _reject(_("This PDF is protected by a password; upload it without one."))
        pages = len(reader.pages)
    except ValidationError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError) as error:
        logger.info("Refused an unreadable PDF: %r", error)
        raise _reject(_("The PDF is damaged or incomplete.")) from None
    if pages == 0:
        raise _reject(_("The PDF has no pages."))
    if pages > MAX_PDF_PAGES:
        raise _reject(
            _("The PDF has too many pages (%(limit)d at most).") % {"limit": MAX_PDF_PAGES}
        )


def _head(upload: UploadedFile) -> bytes:
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(0)
    return head


def _looks_like_picture(head: bytes) -> bool:
    # JPEG, PNG, WebP: clean_image then checks the whole file.
    return (
        head.startswith(b"\xff\xd8\xff")
        or head.startswith(b"\x89PNG\r\n\x1a\n")
        or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
    )


def clean_scanned_form(upload: UploadedFile) -> CleanDocument:
    """Check one upload of a signed form; raise ValidationError with a message for users."""
    head = _head(upload)
    if not head:
        raise _reject(_("The file is empty."))
    # The header may follow a little junk, as PDF readers allow.
    if PDF_MAGIC in head:
        data = _read_pdf(upload)
        _check_pdf(data)
        return CleanDocument(content=ContentFile(data, name="form.pdf"), extension="pdf")
    if not _looks_like_picture(head):
        raise _reject(_("Upload a PDF or a JPEG, PNG or WebP picture."))
    image = clean_image(upload)
    return CleanDocument(content=image.content, extension=image.extension)
