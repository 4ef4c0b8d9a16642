"""Image intake: good photos come out clean, hostile files are refused with a clear message."""

import io
import re
import struct

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from huamu.images import (
    THUMBNAIL_SIZE,
    check_upload_count,
    clean_image,
)
from tests import image_corpus as corpus

CJK = re.compile(r"[\u4e00-\u9fff]")


def opened(content) -> Image.Image:
    content.seek(0)
    return Image.open(io.BytesIO(content.read()))


def raw(content) -> bytes:
    content.seek(0)
    return content.read()


def rejection(upload) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        clean_image(upload)
    return caught.value


# Good files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, extension, pillow_format, size",
    [
        # Stored 60x40 with orientation 6: turned upright it is 40x60.
        ("good_jpeg", "jpg", "JPEG", (40, 60)),
        ("good_png", "png", "PNG", (64, 48)),
        ("good_webp", "webp", "WEBP", (64, 48)),
    ],
)
def test_good_pictures_are_accepted_in_their_own_format(name, extension, pillow_format, size):
    cleaned = clean_image(corpus.uploaded(name))

    assert cleaned.extension == extension
    assert (cleaned.width, cleaned.height) == size
    image = opened(cleaned.content)
    assert image.format == pillow_format
    assert image.size == size
    thumbnail = opened(cleaned.thumbnail)
    assert thumbnail.format == "JPEG"
    assert thumbnail.size == size  # Already smaller than a thumbnail: not enlarged.


def test_camera_orientation_is_applied_to_the_pixels():
    cleaned = clean_image(corpus.uploaded("good_jpeg"))
    image = opened(cleaned.content).convert("RGB")

    assert image.size == (40, 60)
    # The stored left (red) half is the top once turned 90° clockwise.
    top = image.getpixel((20, 5))
    bottom = image.getpixel((20, 55))
    assert top[0] > 150 > top[2]
    assert bottom[2] > 150 > bottom[0]


def test_the_planted_metadata_is_really_there_before_cleaning():
    # Guards the next test: it proves nothing if the corpus lost its metadata.
    _, content, _ = corpus.good_jpeg()
    image = Image.open(io.BytesIO(content))
    exif = image.getexif()
    assert exif[0x0110] == corpus.CAMERA_MODEL
    assert exif.get_ifd(0x8825)
    for key in ("xmp", "icc_profile", "comment"):
        assert image.info.get(key)
    for marker in (corpus.CAMERA_MAKE.encode(), corpus.CAMERA_MODEL.encode(), corpus.XMP_MARKER):
        assert marker in content


def test_cleaned_jpeg_keeps_no_exif_gps_xmp_icc_or_comment():
    cleaned = clean_image(corpus.uploaded("good_jpeg"))
    data = raw(cleaned.content)
    image = Image.open(io.BytesIO(data))

    assert dict(image.getexif()) == {}
    assert dict(image.getexif().get_ifd(0x8825)) == {}
    for key in ("exif", "xmp", "icc_profile", "comment"):
        assert key not in image.info
    for marker in (
        corpus.CAMERA_MAKE.encode(),
        corpus.CAMERA_MODEL.encode(),
        corpus.CAMERA_SOFTWARE.encode(),
        corpus.XMP_MARKER,
        corpus.JPEG_COMMENT,
        b"Exif\x00\x00",
        b"http://ns.adobe.com/xap/1.0/",
        b"ICC_PROFILE",
    ):
        assert marker not in data
    # The thumbnail is made from the clean pixels too.
    assert corpus.CAMERA_MODEL.encode() not in raw(cleaned.thumbnail)
    assert dict(opened(cleaned.thumbnail).getexif()) == {}


def test_cleaned_png_keeps_its_transparency_but_not_its_text():
    cleaned = clean_image(corpus.uploaded("good_png"))
    data = raw(cleaned.content)
    image = Image.open(io.BytesIO(data))

    assert image.mode == "RGBA"
    assert image.getpixel((5, 46))[3] == 0
    assert image.getpixel((5, 5))[3] == 255
    assert corpus.PNG_TEXT_MARKER.encode() not in data
    assert b"tEXt" not in data
    assert "Comment" not in image.info


def test_the_type_comes_from_the_content_not_the_name():
    _, content, _ = corpus.good_webp()
    cleaned = clean_image(SimpleUploadedFile("photo.jpg", content, content_type="image/jpeg"))
    assert cleaned.extension == "webp"
    assert opened(cleaned.content).format == "WEBP"


def test_large_pictures_are_stored_scaled_down(settings):
    settings.HUAMU_MAX_STORED_SIDE = 32
    cleaned = clean_image(corpus.uploaded("good_png"))
    assert (cleaned.width, cleaned.height) == (32, 24)
    assert opened(cleaned.content).size == (32, 24)


def test_thumbnail_fits_the_thumbnail_box():
    cleaned = clean_image(corpus.uploaded_jpeg(1000, 600))
    assert opened(cleaned.thumbnail).size == (THUMBNAIL_SIZE[0], 288)


def test_markup_bytes_deep_inside_a_photo_are_not_mistaken_for_a_page():
    # Four bytes such as "<svg" turn up by chance in the compressed data of big photos;
    # only a browser's sniffing window (the start of the file) is checked for them.
    plain = corpus.jpeg_bytes()
    segment_body = b"\x00" * 5000 + b"<Svg"
    segment = b"\xff\xef" + (len(segment_body) + 2).to_bytes(2, "big") + segment_body
    content = plain[:2] + segment + plain[2:]
    cleaned = clean_image(SimpleUploadedFile("photo.jpg", content, content_type="image/jpeg"))
    assert cleaned.extension == "jpg"


# Bad files ----------------------------------------------------------------------------

# (corpus entry, settings for the test, message id, its parameters)
NOT_A_PICTURE = "This is not a JPEG, PNG or WebP picture."
WEB_PAGE = "This file contains web page code and is not accepted as a photo."
REFUSALS = [
    ("not_an_image", {}, NOT_A_PICTURE, None),
    ("empty_file", {}, "The file is empty.", None),
    ("truncated_jpeg", {}, "The picture is damaged or incomplete.", None),
    # Refused by Pillow's own guard before a byte of the 400 million pixels is decoded.
    ("decompression_bomb_png", {}, "The picture is far too large to open.", None),
    (
        "many_pixels_png",
        {"HUAMU_MAX_IMAGE_PIXELS": 1_000_000},
        "The picture has too many pixels (%(limit)d million at most).",
        {"limit": 1},
    ),
    ("svg_as_png", {}, WEB_PAGE, None),
    ("html_as_jpg", {}, WEB_PAGE, None),
    ("polyglot_jpeg", {}, WEB_PAGE, None),
    ("gif_image", {}, NOT_A_PICTURE, None),
    (
        "too_large_jpeg",
        {"HUAMU_MAX_UPLOAD_BYTES": 1_000_000},
        "The file is too large (%(size)d MB at most).",
        {"size": 1},
    ),
]


def refuse(name: str, overrides: dict, settings) -> ValidationError:
    for key, value in overrides.items():
        setattr(settings, key, value)
    return rejection(corpus.uploaded(name))


@pytest.mark.parametrize("name, overrides, msgid, params", REFUSALS)
def test_hostile_or_unsuitable_files_are_refused_with_a_specific_message(
    name, overrides, msgid, params, settings
):
    with translation.override("en"):
        error = refuse(name, overrides, settings)
    assert error.messages == [msgid % params if params else msgid]
    assert error.code == "bad_image"


@pytest.mark.parametrize("name, overrides, msgid, params", REFUSALS)
def test_refusal_messages_are_in_chinese_by_default(name, overrides, msgid, params, settings):
    error = refuse(name, overrides, settings)
    with translation.override("zh-hans"):
        expected = translation.gettext(msgid)
    assert error.messages == [expected % params if params else expected]
    assert CJK.search(error.messages[0])


def test_the_bomb_is_small_on_disk_but_huge_in_pixels():
    # Guards the bomb test: the attack is a small file that would need gigabytes decoded.
    _, content, _ = corpus.decompression_bomb_png()
    assert len(content) < 100_000
    # Read from the PNG header (IHDR): Pillow itself refuses to open the file at all.
    assert content[12:16] == b"IHDR"
    assert struct.unpack(">II", content[16:24]) == (20_000, 20_000)
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(content))


def test_the_size_limit_is_checked_before_reading_when_the_size_is_known(settings):
    settings.HUAMU_MAX_UPLOAD_BYTES = 1_000_000

    class Unreadable(SimpleUploadedFile):
        def read(self, *args):
            raise AssertionError("read although the size was already too large")

    upload = Unreadable("big.jpg", b"", content_type="image/jpeg")
    upload.size = 5_000_000
    with translation.override("en"):
        assert rejection(upload).messages == ["The file is too large (1 MB at most)."]


def test_a_file_larger_than_it_claims_is_still_refused(settings):
    settings.HUAMU_MAX_UPLOAD_BYTES = 1_000_000
    upload = corpus.uploaded("too_large_jpeg")
    upload.size = 10  # The browser's word, which decides nothing.
    with translation.override("en"):
        assert rejection(upload).messages == ["The file is too large (1 MB at most)."]


# Upload count -------------------------------------------------------------------------


def test_upload_count_up_to_the_limit_is_accepted(settings):
    settings.HUAMU_MAX_UPLOAD_FILES = 3
    check_upload_count([corpus.uploaded_jpeg()] * 3)
    check_upload_count([])


def test_too_many_uploads_at_once_are_refused(settings):
    settings.HUAMU_MAX_UPLOAD_FILES = 3
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        check_upload_count([corpus.uploaded_jpeg()] * 4)
    assert caught.value.messages == ["Please upload at most 3 files at a time."]
