"""Private files: each request is checked, logged and served uncached.

Nothing under MEDIA_ROOT has a public URL; these views are the only way to a child's photo,
letter or signed consent form. In production the web server sends the bytes
(X-Accel-Redirect) once Django has said yes.
"""

from urllib.parse import quote

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_safe

from wishes.files.access import (
    get_letter_draft_for_viewer,
    get_letter_preview_for_viewer,
    get_letter_scan_for_viewer,
    get_parcel_photo_for_viewer,
    get_photo_for_viewer,
    get_signed_form_for_viewer,
)
from wishes.models import AccessAction, Consent, FulfilmentPhoto, GiftReceipt, ThankYouLetter
from wishes.privacy.access_log import log_access
from wishes.services.letters import sponsor_copy_of

# Stored files are named by the server with the extension of what clean_image (or, for a
# signed form, clean_scanned_form) wrote.
CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "pdf": "application/pdf",
}
# Sent as a download, never shown inline: a browser's PDF viewer runs more than we check.
DOWNLOAD_ONLY = {"pdf"}
# A browser must not treat the response as anything but an image: no scripts, no plugins.
FILE_CSP = "default-src 'none'; img-src 'self'; sandbox"


def _private(response: HttpResponseBase) -> HttpResponseBase:
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    return response


def _send(file: FieldFile, download_name: str) -> HttpResponseBase:
    """Serve a stored private file inline, uncached, typed by its stored extension."""
    if not file or not file.name:
        raise Http404
    name = file.name
    extension = name.rsplit(".", 1)[-1].lower()
    content_type = CONTENT_TYPES.get(extension)
    if content_type is None:
        raise Http404
    filename = f"{download_name}.{extension}"
    disposition = "attachment" if extension in DOWNLOAD_ONLY else "inline"
    redirect_prefix = settings.HUAMU_PRIVATE_MEDIA_REDIRECT
    if redirect_prefix:
        # Checked here too, so a missing file is a 404 that leaves no access log row.
        if not file.storage.exists(name):
            raise Http404
        response: HttpResponseBase = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = redirect_prefix.rstrip("/") + "/" + quote(name)
        response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    else:
        try:
            handle = file.storage.open(name, "rb")
        except FileNotFoundError:
            raise Http404 from None
        response = FileResponse(
            handle,
            content_type=content_type,
            filename=filename,
            as_attachment=disposition == "attachment",
        )
    return _private(response)


def _serve(
    request: HttpRequest,
    subject: FulfilmentPhoto | ThankYouLetter | Consent | GiftReceipt,
    file: FieldFile,
    action: AccessAction,
    name: str,
) -> HttpResponseBase:
    response = _send(file, name)
    # Logged only once the file is known to be there and about to be sent; the access
    # functions have read the child's id with the file.
    if isinstance(subject, Consent):
        child_id = subject.child_id
    elif isinstance(subject, GiftReceipt):
        child_id = subject.claim.wish.child_id
    else:
        child_id = subject.fulfilment.claim.wish.child_id
    log_access(request, action=action, subject=subject, children=[child_id])
    return response


@require_safe
def photo(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A fulfilment photo, full size, for those who may see it."""
    found = get_photo_for_viewer(request, pk)
    return _serve(request, found, found.image, AccessAction.VIEW_PHOTO, f"photo-{found.pk}")


@require_safe
def photo_thumbnail(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The small copy of a fulfilment photo, for the same people as the photo."""
    found = get_photo_for_viewer(request, pk)
    return _serve(
        request, found, found.thumbnail, AccessAction.VIEW_PHOTO, f"photo-{found.pk}-small"
    )


@require_safe
def letter_scan(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The original scan of a thank-you letter: staff and the child's school only."""
    letter = get_letter_scan_for_viewer(request, pk)
    return _serve(request, letter, letter.scan, AccessAction.VIEW_LETTER, f"letter-{letter.pk}")


@require_safe
def letter_preview(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The watermarked copy of a letter, which the sponsor sees once it is approved."""
    letter = get_letter_preview_for_viewer(request, pk)
    return _serve(
        request, letter, letter.preview, AccessAction.VIEW_LETTER, f"letter-{letter.pk}-copy"
    )


@require_safe
def letter_draft(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The sponsor's copy as approval would make it now (covered, downscaled, watermarked):
    made afresh for office staff to check before approving, never stored."""
    letter = get_letter_draft_for_viewer(request, pk)
    try:
        copy = sponsor_copy_of(letter)
    except FileNotFoundError:
        raise Http404 from None
    response = HttpResponse(copy.read(), content_type="image/jpeg")
    response["Content-Disposition"] = f'inline; filename="letter-{letter.pk}-draft.jpg"'
    log_access(
        request,
        action=AccessAction.VIEW_LETTER,
        subject=letter,
        children=[letter.fulfilment.claim.wish.child_id],
    )
    return _private(response)


@require_safe
def signed_form(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The scan of a consent form the guardian signed: office staff only, as a download
    when it is a PDF."""
    consent = get_signed_form_for_viewer(request, pk)
    return _serve(
        request,
        consent,
        consent.signed_form,
        AccessAction.VIEW_SIGNED_FORM,
        f"consent-{consent.pk}",
    )


@require_safe
def parcel_photo(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The photo of a gift's parcel taken when it arrived: staff and the school's
    coordinator only."""
    receipt = get_parcel_photo_for_viewer(request, pk)
    return _serve(request, receipt, receipt.photo, AccessAction.VIEW_PHOTO, f"parcel-{receipt.pk}")
