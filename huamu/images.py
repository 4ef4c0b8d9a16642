"""Taking in photos and letter scans safely, and making the copies others see.

Every upload is checked before it is decoded (size), while it is opened (type from the
content, pixel count), decoded in full, and re-encoded from its pixels alone, so nothing
of the original file (EXIF with GPS, XMP, ICC, comments, trailing data) survives.

A sponsor never sees a letter's scan itself, only `sponsor_copy`: the areas staff covered
(`clean_masks`) filled solid, downscaled, and watermarked in Chinese and English.
"""

import io
import json
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageOps, UnidentifiedImageError

from huamu.fonts import cjk_image_font

# The formats we accept, as Pillow names them, and the extension we store them under.
ACCEPTED = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
# Markup inside an image file means someone hopes a browser will read it as a page.
_MARKUP = (b"<html", b"<script", b"<!doctype", b"<?xml", b"<body", b"<iframe")
# Looked for only where a browser sniffs: four bytes turn up by chance in the compressed
# data of about one photo in two hundred (3 MB), which would then be refused for no reason.
_HEAD_MARKUP = (b"<svg",)
THUMBNAIL_SIZE = (480, 480)


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


# --- the sponsor's copy of a letter ----------------------------------------------------------

# The longest side of the copy a sponsor sees: enough to read a child's handwriting.
SPONSOR_COPY_LONG_SIDE = 1600
# How many areas staff may cover on one scan.
MAX_MASKS = 50
# Covered areas are filled solid: a blur can be undone, a flat colour cannot.
MASK_FILL = (64, 64, 64)
_MASK_KEYS = {"x", "y", "w", "h"}
# The watermark: dark red with a white outline, half transparent, so it reads on any paper.
_WATERMARK_FILL = (150, 0, 0, 140)
_WATERMARK_OUTLINE = (255, 255, 255, 140)
_WATERMARK_ANGLE = 30


def _bad_masks(message: str) -> ValidationError:
    return ValidationError(message, code="bad_masks")


def _is_number(value: object) -> bool:
    # JSON true and false are ints to Python; they are no coordinate.
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def clean_masks(value: object) -> list[dict[str, float]]:
    """The covered areas of a scan, checked: a list (or its JSON) of at most MAX_MASKS
    rectangles {"x", "y", "w", "h"} as fractions of the scan's width and height, inside the
    scan and not empty. Raise ValidationError with a message for users otherwise."""
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value or "[]")
        except ValueError:
            raise _bad_masks(
                _("The covered areas could not be read. Please draw them again.")
            ) from None
    if not isinstance(value, list):
        raise _bad_masks(_("The covered areas could not be read. Please draw them again."))
    if len(value) > MAX_MASKS:
        raise _bad_masks(
            _("Please cover at most %(limit)d areas of one scan.") % {"limit": MAX_MASKS}
        )
    masks = []
    for number, item in enumerate(value, start=1):
        if (
            not isinstance(item, dict)
            or set(item) != _MASK_KEYS
            or not all(_is_number(item[key]) for key in _MASK_KEYS)
        ):
            raise _bad_masks(
                _("Area %(number)d is not a rectangle with a left, top, width and height.")
                % {"number": number}
            )
        # Four decimals: a tenth of a pixel on the largest scan we store.
        mask = {key: round(float(item[key]), 4) for key in ("x", "y", "w", "h")}
        inside = (
            0 <= mask["x"] < 1
            and 0 <= mask["y"] < 1
            and 0 < mask["w"] <= 1
            and 0 < mask["h"] <= 1
            # A rounding error of the browser is no reason to refuse.
            and mask["x"] + mask["w"] <= 1.0001
            and mask["y"] + mask["h"] <= 1.0001
        )
        if not inside:
            raise _bad_masks(
                _("Area %(number)d lies outside the scan or has no size.") % {"number": number}
            )
        mask["w"] = min(mask["w"], round(1 - mask["x"], 4))
        mask["h"] = min(mask["h"], round(1 - mask["y"], 4))
        masks.append(mask)
    return masks


def validate_masks(value: object) -> None:
    """Model field validator for covered areas (see clean_masks)."""
    clean_masks(value)


def mask_box(mask: dict[str, float], size: tuple[int, int]) -> tuple[int, int, int, int]:
    """The pixels a covered area takes on an image of `size`: left, top, right, bottom
    (right and bottom excluded), rounded outwards so no edge of the area shows."""
    width, height = size
    left = max(0, math.floor(mask["x"] * width))
    top = max(0, math.floor(mask["y"] * height))
    right = min(width, max(left + 1, math.ceil((mask["x"] + mask["w"]) * width)))
    bottom = min(height, max(top + 1, math.ceil((mask["y"] + mask["h"]) * height)))
    return left, top, right, bottom


def _watermark_tile(lines: Sequence[str], size: int) -> tuple[Image.Image, int]:
    """The label once on a transparent tile, turned to the watermark's angle, and the
    label's width before turning."""
    font = cjk_image_font(size)
    text = "\n".join(lines)
    spacing = max(2, size // 3)
    stroke = max(1, size // 16)
    measure = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    left, top, right, bottom = measure.multiline_textbbox(
        (0, 0), text, font=font, spacing=spacing, stroke_width=stroke
    )
    tile = Image.new("RGBA", (int(right - left) + 2, int(bottom - top) + 2), (0, 0, 0, 0))
    ImageDraw.Draw(tile).multiline_text(
        (1 - left, 1 - top),
        text,
        font=font,
        spacing=spacing,
        fill=_WATERMARK_FILL,
        stroke_width=stroke,
        stroke_fill=_WATERMARK_OUTLINE,
    )
    turned = tile.rotate(_WATERMARK_ANGLE, resample=Image.Resampling.BICUBIC, expand=True)
    return turned, tile.width


def _tiled_watermark(image: Image.Image, lines: Sequence[str]) -> Image.Image:
    width, height = image.size
    size = max(14, max(width, height) // 45)
    tile, label_width = _watermark_tile(lines, size)
    # The label is drawn once and pasted along rows that run at the watermark's angle, every
    # other row shifted by half a step, as far out as the picture's corners.
    angle = math.radians(_WATERMARK_ANGLE)
    along = (math.cos(angle), -math.sin(angle))
    across = (math.sin(angle), math.cos(angle))
    step_along = label_width + size * 2
    step_across = size * 5
    reach = math.hypot(width, height) / 2 + max(tile.size)
    rows = int(reach // step_across) + 1
    columns = int(reach // step_along) + 2
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    for row in range(-rows, rows + 1):
        shift = (row % 2) * step_along / 2
        for column in range(-columns, columns + 1):
            distance = column * step_along + shift
            x = width / 2 + along[0] * distance + across[0] * row * step_across
            y = height / 2 + along[1] * distance + across[1] * row * step_across
            left, top = int(x - tile.width / 2), int(y - tile.height / 2)
            if left >= width or top >= height or left + tile.width <= 0 or top + tile.height <= 0:
                continue
            layer.alpha_composite(
                tile, dest=(max(0, left), max(0, top)), source=(max(0, -left), max(0, -top))
            )
    return Image.alpha_composite(image.convert("RGBA"), layer).convert("RGB")


def sponsor_copy(
    source, *, masks: Sequence[dict[str, float]], lines: Sequence[str]
) -> ContentFile:
    """The copy of a stored letter scan a sponsor sees, as a JPEG: the covered areas filled
    solid (at full size, before anything else), downscaled to SPONSOR_COPY_LONG_SIDE at
    most, and `lines` written across it diagonally, again and again, in the CJK font."""
    with Image.open(source) as opened:
        image = opened.convert("RGB")
    draw = ImageDraw.Draw(image)
    for mask in clean_masks(list(masks)):
        left, top, right, bottom = mask_box(mask, image.size)
        # Pillow's rectangle includes its last row and column.
        draw.rectangle((left, top, right - 1, bottom - 1), fill=MASK_FILL)
    longest = SPONSOR_COPY_LONG_SIDE
    if max(image.size) > longest:
        image.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    marked = _tiled_watermark(image, lines)
    out = io.BytesIO()
    marked.save(out, "JPEG", quality=80, optimize=True)
    return ContentFile(out.getvalue(), name="preview.jpg")
