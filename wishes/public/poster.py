"""The campaign poster: one A4 page for the notice board and WeChat groups, as PNG and PDF.

It says what the programme is, how many wishes of the campaign still wait and how many came
true (as of the day it was drawn), where and by when gifts go, and carries a large QR code
to the campaign's waiting wishes. It shows no wish and nothing about a child, so it is public.
The PDF holds the same picture on an A4 page, for printing.
"""

import io
from dataclasses import dataclass

from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from wishes.models import Campaign
from wishes.public.selectors import campaign_progress
from wishes.public.share import INK, PAPER, RED, cached_picture, font, qr_image, wrap_text

# A4 at 150 dots an inch: sharp on paper, about 150 KB as a PNG to share in a chat.
WIDTH, HEIGHT = 1240, 1754
MARGIN = 96
QR_SIZE = 560
GREY = (100, 100, 100)
SOFT = (253, 233, 226)


@dataclass(frozen=True)
class PosterText:
    """Everything written on the poster, so that it is drawn and cached from one place."""

    heading: str
    campaign: str
    call: str
    waiting: str
    fulfilled: str
    dates: str
    drop_off: str
    scan: str
    url: str
    footer: str

    def parts(self) -> list[str]:
        return [
            "poster",
            self.heading,
            self.campaign,
            self.call,
            self.waiting,
            self.fulfilled,
            self.dates,
            self.drop_off,
            self.scan,
            self.url,
            self.footer,
            get_language() or "",
        ]


def poster_text(campaign: Campaign, url: str) -> PosterText:
    """What the campaign's poster says today, in the active language."""
    progress = campaign_progress(campaign)
    today = formats.date_format(timezone.localdate(), "SHORT_DATE_FORMAT")
    deadline = campaign.drop_off_deadline
    return PosterText(
        heading=_("Huamu Dream Wishes"),
        campaign=campaign.name,
        call=_("Make a child's wish come true"),
        waiting=_("%(count)s wishes are waiting to be claimed") % {"count": progress.waiting},
        fulfilled=_("%(count)s wishes already came true · as of %(date)s")
        % {"count": progress.fulfilled, "date": today},
        dates=_("Campaign: %(start)s – %(end)s")
        % {
            "start": formats.date_format(campaign.starts_on, "SHORT_DATE_FORMAT"),
            "end": formats.date_format(campaign.ends_on, "SHORT_DATE_FORMAT"),
        },
        drop_off=_("Gifts to be handed over by %(date)s")
        % {"date": formats.date_format(deadline, "SHORT_DATE_FORMAT")}
        if deadline
        else "",
        scan=_("Scan with WeChat to choose a wish"),
        url=url,
        footer=_("Huamu sub-district, Pudong, Shanghai · since 2013"),
    )


def _draw(text: PosterText) -> Image.Image:
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 200), fill=RED)
    draw.text((MARGIN, 62), text.heading, font=font(72), fill=PAPER)
    y = 260
    for line in wrap_text(draw, text.campaign, font(56), WIDTH - 2 * MARGIN, 2):
        draw.text((MARGIN, y), line, font=font(56), fill=INK)
        y += 76
    y += 10
    for line in wrap_text(draw, text.call, font(64), WIDTH - 2 * MARGIN, 2):
        draw.text((MARGIN, y), line, font=font(64), fill=RED)
        y += 86
    y += 24
    draw.rounded_rectangle((MARGIN, y, WIDTH - MARGIN, y + 190), radius=24, fill=SOFT)
    draw.text((MARGIN + 36, y + 36), text.waiting, font=font(48), fill=INK)
    draw.text((MARGIN + 36, y + 116), text.fulfilled, font=font(32), fill=GREY)
    y += 230
    draw.text((MARGIN, y), text.dates, font=font(34), fill=INK)
    if text.drop_off:
        draw.text((MARGIN, y + 52), text.drop_off, font=font(34), fill=INK)
    qr_top = HEIGHT - 150 - QR_SIZE - 80
    image.paste(qr_image(text.url, QR_SIZE), ((WIDTH - QR_SIZE) // 2, qr_top))
    scan_width = draw.textlength(text.scan, font=font(40))
    draw.text(
        ((WIDTH - scan_width) // 2, qr_top + QR_SIZE + 20), text.scan, font=font(40), fill=INK
    )
    address = wrap_text(draw, text.url, font(26), WIDTH - 2 * MARGIN, 1)
    if address:
        width = draw.textlength(address[0], font=font(26))
        draw.text(
            ((WIDTH - width) // 2, qr_top + QR_SIZE + 80), address[0], font=font(26), fill=GREY
        )
    draw.rectangle((0, HEIGHT - 90, WIDTH, HEIGHT), fill=RED)
    footer_width = draw.textlength(text.footer, font=font(28))
    draw.text(((WIDTH - footer_width) // 2, HEIGHT - 68), text.footer, font=font(28), fill=PAPER)
    return image


def _png_bytes(text: PosterText) -> bytes:
    out = io.BytesIO()
    _draw(text).quantize(colors=64).save(out, format="PNG", optimize=True)
    return out.getvalue()


def campaign_poster_png(campaign: Campaign, url: str) -> bytes:
    """The poster as a PNG, pointing at `url` (the campaign's waiting wishes)."""
    text = poster_text(campaign, url)
    return cached_picture(text.parts(), lambda: _png_bytes(text))


def campaign_poster_pdf(campaign: Campaign, url: str) -> bytes:
    """The same poster on one A4 page, for printing."""
    picture = campaign_poster_png(campaign, url)
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4, pageCompression=1)
    page.setTitle(f"{_('Huamu Dream Wishes')} · {campaign.name}")
    width, height = A4
    page.drawImage(ImageReader(io.BytesIO(picture)), 0, 0, width=width, height=height)
    page.showPage()
    page.save()
    return out.getvalue()
