"""Taking in photos and letter scans safely, and making the copies others see.

Every upload is checked before it is decoded (size), while it is opened (type from the
content, pixel count), decoded in full, and re-encoded from its pixels alone, so nothing
of the original file (EXIF with GPS, XMP, ICC, comments, trailing data) survives.
"""

import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

# The formats we accept, as Pillow names them, and the extension we store them under.
ACCEPTED = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
# Markup inside an image file means someone hopes a browser will read it as a page.
_MARKUP = (b"<html", b"<script", b"<!doctype", b"<?xml", b"<body", b"<iframe")
# Looked for only where a browser sniffs: four bytes turn up by chance in the compressed
# data of about one photo in two hundred (3 MB), which would then be refused for no reason.
_HEAD_MARKUP = (b"<svg",)
THUMBNAIL_SIZE = (480, 480)
LETTER_PREVIEW_SIZE = (1000, 1400)


@dataclass(frozen=True)
class CleanImage:
    """A re-encoded image and its thumbnail, ready to save under server-made names."""

    content: ContentFile
    thumbnail: ContentFile
    extension: str
    width: int
    height: int


def _reject(message: str) -> ValidationError:
    return ValidationError(message, code="bad_image")


def _read_limited(upload: UploadedFile) -> bytes:
    limit = settings.HUAMU_MAX_UPLOAD_BYTES
    if upload.size is not None and upload.size > limit:
        raise _reject(
            _("The file is too large (%(size)d MB at most).") % {"size": limit // 1_000_000}
        )
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _reject(
            _("The file is too large (%(size)d MB at most).") % {"size": limit // 1_000_000}
        )
    if not data:
        raise _reject(_("The file is empty."))
    lowered = data.lower()
    head = lowered[:4096]
    if (
        any(marker in lowered for marker in _MARKUP)
        or any(marker in head for marker in _HEAD_MARKUP)
        or head.lstrip().startswith(b"<")
    ):
        raise _reject(_("This file contains web page code and is not accepted as a photo."))
    return data


def _open_and_decode(data: bytes) -> Image.Image:
    max_pixels = settings.HUAMU_MAX_IMAGE_PIXELS
    with warnings.catch_warnings():
        # A decompression-bomb warning is an error here, not a hint.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=list(ACCEPTED))
            if image.width * image.height > max_pixels:
                raise _reject(
                    _("The picture has too many pixels (%(limit)d million at most).")
                    % {"limit": max_pixels // 1_000_000}
                )
            image.load()
        except ValidationError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _reject(_("The picture is far too large to open.")) from None
        except UnidentifiedImageError:
            raise _reject(_("This is not a JPEG, PNG or WebP picture.")) from None
        except (OSError, SyntaxError, ValueError, EOFError):
            raise _reject(_("The picture is damaged or incomplete.")) from None
    return image


def _pixels_only(image: Image.Image, source_format: str) -> Image.Image:
    # Apply the camera's orientation, then keep nothing but the pixels.
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    if source_format == "JPEG" or not has_alpha:
        image = image.convert("RGB")
    else:
        image = image.convert("RGBA")
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    return clean


def _encode(image: Image.Image, source_format: str) -> bytes:
    out = io.BytesIO()
    if source_format == "PNG":
        image.save(out, "PNG", optimize=True)
    elif source_format == "WEBP":
        image.save(out, "WEBP", quality=85)
    else:
        image.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    return out.getvalue()


def _thumbnail(image: Image.Image, size: tuple[int, int]) -> bytes:
    small = image.copy()
    small.thumbnail(size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.convert("RGB").save(out, "JPEG", quality=80, optimize=True)
    return out.getvalue()


def clean_image(upload: UploadedFile) -> CleanImage:
    """Check and re-encode one upload; raise ValidationError with a message for users."""
    data = _read_limited(upload)
    image = _open_and_decode(data)
    source_format = image.format
    if source_format not in ACCEPTED:
        raise _reject(_("This is not a JPEG, PNG or WebP picture."))
    image = _pixels_only(image, source_format)
    longest = settings.HUAMU_MAX_STORED_SIDE
    if max(image.size) > longest:
        image.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    extension = ACCEPTED[source_format]
    return CleanImage(
        content=ContentFile(_encode(image, source_format), name=f"image.{extension}"),
        thumbnail=ContentFile(_thumbnail(image, THUMBNAIL_SIZE), name="thumbnail.jpg"),
        extension=extension,
        width=image.width,
        height=image.height,
    )


def check_upload_count(files: list[UploadedFile]) -> None:
    """Refuse a request that carries more files than one form may take."""
    limit = settings.HUAMU_MAX_UPLOAD_FILES
    if len(files) > limit:
        raise _reject(_("Please upload at most %(limit)d files at a time.") % {"limit": limit})


def watermarked_copy(source, *, label: str) -> ContentFile:
    """A downscaled JPEG of a stored image with `label` written across it, repeatedly."""
    with Image.open(source) as opened:
        image = opened.convert("RGB")
    image.thumbnail(LETTER_PREVIEW_SIZE, Image.Resampling.LANCZOS)
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    font = ImageFont.load_default(size=max(18, image.width // 20))
    step_x = max(1, int(draw.textlength(label, font=font)) + 40)
    step_y = max(1, image.height // 7)
    for row, y in enumerate(range(0, image.height, step_y)):
        offset = (row % 2) * step_x // 2
        for x in range(-step_x + offset, image.width, step_x):
            # Dark with a light outline, so it reads on white paper and on dark photos.
            draw.text(
                (x, y),
                label,
                font=font,
                fill=(120, 0, 0, 150),
                stroke_width=1,
                stroke_fill=(255, 255, 255, 150),
            )
    marked = Image.alpha_composite(image.convert("RGBA"), layer).convert("RGB")
    out = io.BytesIO()
    marked.save(out, "JPEG", quality=80, optimize=True)
    return ContentFile(out.getvalue(), name="preview.jpg")
