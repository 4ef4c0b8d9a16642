"""Share cards: the picture WeChat and other apps show beside a shared link.

A wish's card is drawn here from `PublicWish` only (the public pages' allowlist): the
programme's name, the alias, the category, the wish's public text and a QR code to its page;
never a photo. The text goes through the privacy guard once more on the way out, as the feed
does: a text that has come to name its child is left off the card (and logged by the wish's
code, never by its words). The programme's own card stands for every other public page.

Cards are kept in the cache under a digest of everything drawn on them, so a changed text,
status or language draws a new card by itself and nothing needs invalidating.
"""

import hashlib
import io
import logging
from collections.abc import Callable
from functools import lru_cache

import segno
from django.core.cache import cache
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont

from huamu.fonts import cjk_image_font
from wishes.privacy.guard import wishes_naming_their_child
from wishes.public.selectors import PublicWish

logger = logging.getLogger(__name__)

# About the 5:4 picture WeChat crops a link preview to; small enough to load on a phone.
WIDTH, HEIGHT = 500, 400
MARGIN = 28
QR_SIZE = 132
# Three lines of text fit above the QR code.
TEXT_LINES = 3
CACHE_SECONDS = 24 * 60 * 60
KEY_PREFIX = "huamu:share:"

PAPER = (255, 248, 240)
RED = (200, 40, 40)
INK = (40, 40, 40)
GREY = (110, 110, 110)

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@lru_cache(maxsize=8)
def font(size: int) -> Font:
    """The CJK font the PDFs embed (huamu.fonts), loaded once per size."""
    return cjk_image_font(size)


def wrap_text(
    draw: ImageDraw.ImageDraw, text: str, font: Font, width: int, lines: int
) -> list[str]:
    """Break `text` into at most `lines` lines of `width` pixels, character by character
    (Chinese has no spaces to break at); an ellipsis marks text left out."""
    result: list[str] = []
    for paragraph in text.splitlines() or [""]:
        current = ""
        for char in paragraph:
            if draw.textlength(current + char, font=font) > width:
                result.append(current)
                current = char
            else:
                current += char
        result.append(current)
    result = [line for line in result if line.strip()]
    if len(result) > lines:
        last = result[lines - 1]
        while last and draw.textlength(last + "…", font=font) > width:
            last = last[:-1]
        result = [*result[: lines - 1], last + "…"]
    return result


def qr_image(url: str, size: int) -> Image.Image:
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=4, border=2)
    buffer.seek(0)
    with Image.open(buffer) as image:
        return image.convert("RGB").resize((size, size), Image.Resampling.NEAREST)


def _draw_card(*, heading: str, title: str, subtitle: str, body: str, url: str) -> bytes:
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 10), fill=RED)
    draw.text((MARGIN, 30), heading, font=font(22), fill=RED)
    draw.text((MARGIN, 74), title, font=font(30), fill=INK)
    draw.text((MARGIN, 118), subtitle, font=font(18), fill=GREY)
    y = 160
    for line in wrap_text(draw, body, font(20), WIDTH - 2 * MARGIN, TEXT_LINES):
        draw.text((MARGIN, y), line, font=font(20), fill=INK)
        y += 30
    qr_top = HEIGHT - MARGIN - QR_SIZE
    image.paste(qr_image(url, QR_SIZE), (WIDTH - MARGIN - QR_SIZE, qr_top))
    draw.text((MARGIN, HEIGHT - MARGIN - 60), _("Scan to see the wish"), font=font(18), fill=GREY)
    beside_qr = WIDTH - 3 * MARGIN - QR_SIZE
    address = wrap_text(draw, url, font(12), beside_qr, 1)
    draw.text(
        (MARGIN, HEIGHT - MARGIN - 30), address[0] if address else "", font=font(12), fill=GREY
    )
    out = io.BytesIO()
    # A few dozen colours are all a card has: a palette image is a third of the size.
    image.quantize(colors=64).save(out, format="PNG", optimize=True)
    return out.getvalue()


def cached_picture(parts: list[str], draw: Callable[[], bytes]) -> bytes:
    key = KEY_PREFIX + hashlib.sha256("\n".join(parts).encode()).hexdigest()
    try:
        found = cache.get(key)
    except Exception:
        logger.warning("Share cards: the cache could not be read", exc_info=True)
        found = None
    if isinstance(found, bytes):
        return found
    picture = draw()
    try:
        cache.set(key, picture, timeout=CACHE_SECONDS)
    except Exception:
        logger.warning("Share cards: the cache could not be written", exc_info=True)
    return picture


def wish_card_text(wish: PublicWish) -> str:
    """The wish's public text as its card shows it: "" if the guard finds its child named."""
    if hits := wishes_naming_their_child({wish.id: wish.public_text}):
        logger.warning(
            "Share card of wish %s drawn without its text: the text names its child "
            "(%d identifiers)",
            wish.code,
            len(hits[wish.id]),
        )
        return ""
    return wish.public_text


def wish_share_card(wish: PublicWish, url: str) -> bytes:
    """The PNG shown beside a shared link to the wish's page at `url`."""
    heading = _("Huamu Dream Wishes")
    title = _("The wish of %(alias)s") % {"alias": wish.alias}
    subtitle = f"{wish.category} · {wish.status_label}"
    # Keyed on the text as published; the guard runs only when a card is drawn, so a card
    # served from the cache costs no look at the child's identifiers.
    parts = ["wish", str(wish.id), heading, title, subtitle, wish.public_text, url]
    return cached_picture(
        [*parts, get_language() or ""],
        lambda: _draw_card(
            heading=heading, title=title, subtitle=subtitle, body=wish_card_text(wish), url=url
        ),
    )


def site_share_card(url: str) -> bytes:
    """The programme's own card, for every public page that is not a wish."""
    heading = _("Huamu Dream Wishes")
    title = _("Make a child's wish come true")
    subtitle = _("Huamu sub-district, Pudong, Shanghai · since 2013")
    body = _(
        "Children of families in need write down a wish; units and caring neighbours claim "
        "it and hand the gift over at an event."
    )
    parts = ["site", heading, title, subtitle, body, url, get_language() or ""]
    return cached_picture(
        parts,
        lambda: _draw_card(heading=heading, title=title, subtitle=subtitle, body=body, url=url),
    )
