"""The sponsor's copy of a letter scan: covered areas checked and filled solid, the copy
downscaled and watermarked in Chinese and English with the embedded CJK font."""

import io
import json
import logging

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from PIL import Image, ImageChops, ImageDraw, ImageFont, ImageStat

from huamu.fonts import cjk_font_path, cjk_image_font
from huamu.images import (
    MASK_FILL,
    MAX_MASKS,
    SPONSOR_COPY_LONG_SIDE,
    clean_masks,
    mask_box,
    sponsor_copy,
)

GREEN = (0, 200, 0)
LINES = ("花木圆梦 · 仅供认领方 HM2026-00001", "Huamu Dream Wishes · for the sponsor only")
# Where the test scan's green "signature" is, as fractions of the page.
SIGNATURE = {"x": 0.55, "y": 0.8, "w": 0.3, "h": 0.1}


def letter_scan(width: int = 2400, height: int = 3200) -> io.BytesIO:
    """A pale page with lines of "handwriting" and a green signature in the corner."""
    image = Image.new("RGB", (width, height), (250, 248, 240))
    draw = ImageDraw.Draw(image)
    for y in range(100, height - 100, 90):
        draw.line((80, y, width - 80, y), fill=(40, 40, 90), width=4)
    left, top, right, bottom = mask_box(SIGNATURE, image.size)
    draw.rectangle((left, top, right - 1, bottom - 1), fill=GREEN)
    out = io.BytesIO()
    image.save(out, "PNG")
    out.seek(0)
    return out


def opened(content) -> Image.Image:
    content.seek(0)
    return Image.open(io.BytesIO(content.read())).convert("RGB")


def green_pixels(image: Image.Image) -> int:
    """Pixels still recognisably the signature's green (JPEG shifts colours a little)."""
    return sum(
        1
        for r, g, b in image.get_flattened_data()
        if g > 140 and r < 90 and b < 90 and g - max(r, b) > 80
    )


# Checking the covered areas ------------------------------------------------------------------


def test_areas_are_rounded_and_kept_inside_the_scan():
    masks = clean_masks(json.dumps([{"x": 0.123456, "y": 0, "w": 0.87655, "h": 1}]))
    assert masks == [{"x": 0.1235, "y": 0.0, "w": 0.8765, "h": 1.0}]
    assert clean_masks("") == []
    assert clean_masks([]) == []


@pytest.mark.parametrize(
    "value, message",
    [
        ("[{x: 1}", "The covered areas could not be read. Please draw them again."),
        ('{"x": 0.1}', "The covered areas could not be read. Please draw them again."),
        ([{"x": 0.1, "y": 0.1, "w": 0.1}], "Area 1 is not a rectangle"),
        ([{"x": 0.1, "y": 0.1, "w": 0.1, "h": True}], "Area 1 is not a rectangle"),
        ([{"x": "0.1", "y": 0.1, "w": 0.1, "h": 0.1}], "Area 1 is not a rectangle"),
        ([SIGNATURE, {"x": 0.1, "y": 0.1, "w": 0.1, "h": 0.1, "z": 1}], "Area 2 is not"),
        ([{"x": 1.2, "y": 0.1, "w": 0.1, "h": 0.1}], "Area 1 lies outside the scan"),
        ([{"x": -0.1, "y": 0.1, "w": 0.1, "h": 0.1}], "Area 1 lies outside the scan"),
        ([{"x": 0.1, "y": 0.1, "w": 0, "h": 0.1}], "Area 1 lies outside the scan or has no size"),
        ([{"x": 0.8, "y": 0.1, "w": 0.3, "h": 0.1}], "Area 1 lies outside the scan"),
        ([{"x": 0.1, "y": 0.1, "w": 0.1, "h": float("nan")}], "Area 1 is not a rectangle"),
        ([SIGNATURE] * (MAX_MASKS + 1), f"Please cover at most {MAX_MASKS} areas"),
    ],
)
def test_bad_areas_are_refused_with_a_clear_message(value, message):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        clean_masks(value)
    assert caught.value.messages[0].startswith(message), caught.value.messages


def test_the_refusal_is_translated():
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        clean_masks([SIGNATURE] * (MAX_MASKS + 1))
    assert "50" in caught.value.messages[0]
    assert "Please" not in caught.value.messages[0]


def test_as_many_areas_as_allowed_are_accepted():
    assert len(clean_masks([SIGNATURE] * MAX_MASKS)) == MAX_MASKS


# Making the copy -----------------------------------------------------------------------------


def test_the_covered_signature_does_not_survive_in_the_copy():
    control = opened(sponsor_copy(letter_scan(), masks=[], lines=LINES))
    # Uncovered, the signature is there: the check below can fail.
    assert green_pixels(control) > 1000

    copy = opened(sponsor_copy(letter_scan(), masks=[SIGNATURE], lines=LINES))

    assert green_pixels(copy) == 0
    # The area is filled solid: its inside is the fill under the watermark, not the page.
    left, top, right, bottom = mask_box(SIGNATURE, copy.size)
    inside = copy.crop((left + 4, top + 4, right - 4, bottom - 4)).convert("L")
    mean = ImageStat.Stat(inside).mean[0]
    assert mean < 110, mean
    assert MASK_FILL[0] < 110


def test_the_copy_is_downscaled_to_the_long_side_limit():
    copy = opened(sponsor_copy(letter_scan(2400, 3200), masks=[], lines=LINES))
    assert max(copy.size) == SPONSOR_COPY_LONG_SIDE
    assert copy.size == (1200, 1600)

    wide = opened(sponsor_copy(letter_scan(3000, 1000), masks=[], lines=LINES))
    assert wide.size == (SPONSOR_COPY_LONG_SIDE, 533)


def test_a_small_scan_is_not_enlarged():
    copy = opened(sponsor_copy(letter_scan(300, 400), masks=[SIGNATURE], lines=LINES))
    assert copy.size == (300, 400)
    assert green_pixels(copy) == 0


def test_the_copy_is_a_jpeg_visibly_watermarked_all_over():
    copy_file = sponsor_copy(letter_scan(), masks=[SIGNATURE], lines=LINES)
    copy_file.seek(0)
    assert Image.open(io.BytesIO(copy_file.read())).format == "JPEG"
    copy = opened(copy_file)

    plain = Image.open(letter_scan()).convert("RGB")
    draw = ImageDraw.Draw(plain)
    left, top, right, bottom = mask_box(SIGNATURE, plain.size)
    draw.rectangle((left, top, right - 1, bottom - 1), fill=MASK_FILL)
    plain.thumbnail((SPONSOR_COPY_LONG_SIDE, SPONSOR_COPY_LONG_SIDE), Image.Resampling.LANCZOS)
    assert plain.size == copy.size

    changed = ImageChops.difference(copy, plain).convert("L").point(lambda v: 255 if v > 40 else 0)
    # The label is tiled: well over one pixel in a hundred changes, in every quarter.
    assert changed.histogram()[255] > copy.width * copy.height // 100
    half_w, half_h = copy.width // 2, copy.height // 2
    for box in [(0, 0), (half_w, 0), (0, half_h), (half_w, half_h)]:
        quarter = changed.crop((box[0], box[1], box[0] + half_w, box[1] + half_h))
        assert quarter.histogram()[255] > half_w * half_h // 200, box


def test_the_chinese_line_is_drawn_in_glyphs_not_boxes():
    # One character drawn twice is the same; two different characters differ (a font without
    # them draws the same empty box for both).
    font = cjk_image_font(40)

    def drawn(text: str) -> bytes:
        image = Image.new("L", (60, 60), 0)
        ImageDraw.Draw(image).text((5, 5), text, font=font, fill=255)
        return image.tobytes()

    assert drawn("花") != drawn("梦")
    assert drawn("花") == drawn("花")


# The font ------------------------------------------------------------------------------------


def test_the_embedded_cjk_font_is_found_for_pictures():
    path = cjk_font_path()
    assert path is not None, "No CJK font: run scripts/fetch-font (make font)."
    font = cjk_image_font(24)
    assert isinstance(font, ImageFont.FreeTypeFont)
    assert font.getname()[0] == "WenQuanYi Micro Hei"


def test_without_the_font_pictures_fall_back_to_pillows_own_and_say_so(settings, tmp_path, caplog):
    settings.HUAMU_CJK_FONT = str(tmp_path / "missing.ttc")
    with caplog.at_level(logging.WARNING, logger="huamu.fonts"):
        font = cjk_image_font(24)
    assert cjk_font_path() is None
    assert "WenQuanYi" not in str(getattr(font, "getname", lambda: ("",))()[0])
    assert "No CJK font found" in caplog.text
    # The copy is still made: the watermark's English line reads in any font.
    copy = opened(sponsor_copy(letter_scan(300, 400), masks=[], lines=LINES))
    assert copy.size == (300, 400)


def test_an_unreadable_font_file_falls_back_too(settings, tmp_path, caplog):
    broken = tmp_path / "broken.ttc"
    broken.write_bytes(b"not a font")
    settings.HUAMU_CJK_FONT = str(broken)
    with caplog.at_level(logging.WARNING, logger="huamu.fonts"):
        cjk_image_font(24)
    assert "cannot be read" in caplog.text
