"""Good and hostile test images, made in memory so the suite needs no binary fixtures.

Each corpus function returns `(filename, content, content_type)` as a browser would send
them (the name and type are the attacker's claim, not the truth). `uploaded(name)` wraps
one in a `SimpleUploadedFile`; `clean(name)` runs it through `huamu.images.clean_image`.
Images stay tiny (tens of pixels) so tests stay fast.
"""

import io
import struct
import zlib
from collections.abc import Callable
from functools import cache

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageCms, ImageDraw, PngImagePlugin

Sample = tuple[str, bytes, str]

# Strings planted in the metadata of `good_jpeg`; none may survive cleaning.
CAMERA_MAKE = "HuamuMakeMarker"
CAMERA_MODEL = "HuamuModelMarker-X100"
CAMERA_SOFTWARE = "HuamuSoftwareMarker"
JPEG_COMMENT = b"HuamuCommentMarker: child at No. 8 Example Road"
XMP_MARKER = b"HuamuXmpMarker"
PNG_TEXT_MARKER = "HuamuPngTextMarker"
# GPS position planted in the EXIF (roughly Huamu, Pudong).
GPS_LATITUDE = (31.0, 12.0, 30.0)
GPS_LONGITUDE = (121.0, 33.0, 0.0)
# Colours of the two halves of the good images: left half and right half.
LEFT_COLOUR = (220, 20, 20)
RIGHT_COLOUR = (20, 20, 220)

# EXIF tag numbers, spelt out so a reader needs no table.
_TAG_MAKE = 0x010F
_TAG_MODEL = 0x0110
_TAG_ORIENTATION = 0x0112
_TAG_SOFTWARE = 0x0131
_TAG_GPS_IFD = 0x8825
_ORIENTATION_ROTATE_90_CW = 6

_XMP_PACKET = (
    b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/">'
    b"<dc:description>" + XMP_MARKER + b"</dc:description>"
    b"</rdf:Description></rdf:RDF></x:xmpmeta>"
    b'<?xpacket end="w"?>'
)


def two_halves(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """A picture whose left half is red and right half blue: rotations are visible."""
    fill = (*LEFT_COLOUR, 255) if mode == "RGBA" else LEFT_COLOUR
    image = Image.new(mode, (width, height), fill)
    right = (*RIGHT_COLOUR, 255) if mode == "RGBA" else RIGHT_COLOUR
    ImageDraw.Draw(image).rectangle((width // 2, 0, width, height), fill=right)
    return image


def noise(width: int, height: int) -> Image.Image:
    """Random-looking pixels: compress badly, so files have real scan data to cut."""
    pattern = bytes((i * 97 + i // 7) % 256 for i in range(251))
    return Image.frombytes("RGB", (width, height), pattern * (width * height * 3 // 251 + 1))


@cache
def _srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def jpeg_bytes(width: int = 64, height: int = 48, *, image: Image.Image | None = None) -> bytes:
    """A plain JPEG with no metadata at all."""
    out = io.BytesIO()
    (image or two_halves(width, height)).save(out, "JPEG", quality=90)
    return out.getvalue()


def camera_exif(*, orientation: int = _ORIENTATION_ROTATE_90_CW) -> Image.Exif:
    """EXIF as a phone writes it: make, model, software, orientation and GPS position."""
    exif = Image.Exif()
    exif[_TAG_MAKE] = CAMERA_MAKE
    exif[_TAG_MODEL] = CAMERA_MODEL
    exif[_TAG_SOFTWARE] = CAMERA_SOFTWARE
    exif[_TAG_ORIENTATION] = orientation
    gps = exif.get_ifd(_TAG_GPS_IFD)
    gps[1] = "N"
    gps[2] = GPS_LATITUDE
    gps[3] = "E"
    gps[4] = GPS_LONGITUDE
    return exif


# Good files ---------------------------------------------------------------------------


def good_jpeg(width: int = 60, height: int = 40) -> Sample:
    """A phone photo: camera EXIF with GPS, XMP, ICC profile, a comment, orientation 6.

    Stored 60x40 with orientation 6 (rotate 90° clockwise to display), so it shows 40x60
    with the red half on top.
    """
    out = io.BytesIO()
    two_halves(width, height).save(
        out,
        "JPEG",
        quality=90,
        exif=camera_exif(),
        icc_profile=_srgb_profile(),
        comment=JPEG_COMMENT,
        xmp=_XMP_PACKET,
    )
    return "IMG_20261205_101500.jpg", out.getvalue(), "image/jpeg"


def good_png(width: int = 64, height: int = 48) -> Sample:
    """A PNG with an alpha channel (transparent bottom rows) and a tEXt chunk."""
    image = two_halves(width, height, mode="RGBA")
    ImageDraw.Draw(image).rectangle((0, height - 8, width, height), fill=(0, 0, 0, 0))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", PNG_TEXT_MARKER)
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return "drawing.png", out.getvalue(), "image/png"


def good_webp(width: int = 64, height: int = 48) -> Sample:
    """A lossy WebP."""
    out = io.BytesIO()
    two_halves(width, height).save(out, "WEBP", quality=90)
    return "photo.webp", out.getvalue(), "image/webp"


# Bad files ----------------------------------------------------------------------------


def not_an_image() -> Sample:
    """Plain text dressed up as a JPEG."""
    return "photo.jpg", b"Just some text, not a picture at all.\n" * 4, "image/jpeg"


def empty_file() -> Sample:
    """Zero bytes."""
    return "empty.jpg", b"", "image/jpeg"


def truncated_jpeg() -> Sample:
    """A real JPEG cut in half: the header reads, the pixels do not."""
    data = jpeg_bytes(image=noise(64, 48))
    return "cut.jpg", data[: len(data) // 2], "image/jpeg"


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


@cache
def _bomb_png_bytes(side: int) -> bytes:
    # A 1-bit greyscale PNG of all-black rows: 50 MB of pixels compress to about 50 KB.
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row * 1000) for _ in range(side // 1000)]
    parts.append(compressor.compress(row * (side % 1000)))
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", b"".join(parts))
        + _png_chunk(b"IEND", b"")
    )


def decompression_bomb_png(side: int = 20_000) -> Sample:
    """A valid PNG declaring side x side pixels (400 million by default), small on disk."""
    return "bomb.png", _bomb_png_bytes(side), "image/png"


def many_pixels_png(width: int = 1001, height: int = 1000) -> Sample:
    """A modest, valid PNG of just over a million pixels (5 KB on disk).

    Too many pixels only under a lowered limit: pair it with HUAMU_MAX_IMAGE_PIXELS=1_000_000
    (limits under a million make the user message say "0 million").
    """
    out = io.BytesIO()
    two_halves(width, height).save(out, "PNG")
    return "big.png", out.getvalue(), "image/png"


def svg_as_png() -> Sample:
    """An SVG with a script, named and typed as a PNG."""
    content = (
        b'<?xml version="1.0"?>\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48">'
        b'<rect width="64" height="48" fill="red"/>'
        b"<script>alert(document.cookie)</script></svg>\n"
    )
    return "picture.png", content, "image/png"


def html_as_jpg() -> Sample:
    """An HTML page named and typed as a JPEG."""
    content = (
        b"<!DOCTYPE html><html><body><h1>Hello</h1>"
        b"<script>fetch('/admin/').then(r => r.text())</script></body></html>\n"
    )
    return "photo.jpg", content, "image/jpeg"


def polyglot_jpeg() -> Sample:
    """A valid JPEG that is also a web page: script in a comment and appended at the end."""
    out = io.BytesIO()
    two_halves(64, 48).save(out, "JPEG", quality=90, comment=b"<script>alert(1)</script>")
    content = out.getvalue() + b"<html><script>alert(document.domain)</script></html>"
    return "polyglot.jpg", content, "image/jpeg"


def gif_image() -> Sample:
    """A valid GIF: a real picture, but not a format we take."""
    out = io.BytesIO()
    two_halves(64, 48).convert("P").save(out, "GIF")
    return "animation.gif", out.getvalue(), "image/gif"


def too_large_jpeg(limit: int = 1_000_000) -> Sample:
    """A valid JPEG padded past `limit` bytes: pair it with HUAMU_MAX_UPLOAD_BYTES=limit.

    One megabyte is the smallest limit whose user message reads well ("1 MB at most").
    """
    data = jpeg_bytes()
    padding = max(0, limit + 1 - len(data))
    return "huge.jpg", data + b"\x00" * padding, "image/jpeg"


GOOD: dict[str, Callable[[], Sample]] = {
    "good_jpeg": good_jpeg,
    "good_png": good_png,
    "good_webp": good_webp,
}
BAD: dict[str, Callable[[], Sample]] = {
    "not_an_image": not_an_image,
    "empty_file": empty_file,
    "truncated_jpeg": truncated_jpeg,
    "decompression_bomb_png": decompression_bomb_png,
    "svg_as_png": svg_as_png,
    "html_as_jpg": html_as_jpg,
    "polyglot_jpeg": polyglot_jpeg,
    "gif_image": gif_image,
    # These two are bad only under a lowered limit (see their docstrings).
    "many_pixels_png": many_pixels_png,
    "too_large_jpeg": too_large_jpeg,
}
CORPUS: dict[str, Callable[[], Sample]] = {**GOOD, **BAD}


def uploaded(name: str, **kwargs) -> SimpleUploadedFile:
    """The corpus entry `name` as an uploaded file; kwargs go to its generator."""
    filename, content, content_type = CORPUS[name](**kwargs)
    return SimpleUploadedFile(filename, content, content_type=content_type)


def uploaded_jpeg(
    width: int = 64, height: int = 48, *, name: str = "photo.jpg"
) -> SimpleUploadedFile:
    """A plain, metadata-free JPEG upload of the given size."""
    return SimpleUploadedFile(name, jpeg_bytes(width, height), content_type="image/jpeg")


def clean(name: str = "good_jpeg", **kwargs):
    """Run a corpus entry through clean_image: a CleanImage ready for the services."""
    from huamu.images import clean_image

    return clean_image(uploaded(name, **kwargs))
