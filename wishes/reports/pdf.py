"""What every printed PDF shares: the embedded Chinese font, colours, a new canvas, text layout.

Chinese text must show in any PDF viewer, also one without Chinese fonts, so every PDF
embeds a subset of WenQuanYi Micro Hei (Debian's fonts-wqy-microhei, fetched by
scripts/fetch-font) as TrueType; nothing relies on a viewer's built-in CJK font such as
STSong. `wrap` breaks mixed Chinese and Latin text into lines for any of the documents.
"""

import io
import re
import threading
from collections.abc import Sequence

from django.utils.translation import gettext as _
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

from huamu.fonts import cjk_font_path

PDF_CONTENT_TYPE = "application/pdf"

RED = HexColor("#b3261e")
GOLD = HexColor("#c9a227")
INK = HexColor("#1f1f1f")
GREY = HexColor("#6b6b6b")
LIGHT = HexColor("#bdbdbd")


class FontMissing(Exception):
    """No usable Chinese font: PDFs cannot be made until one is installed."""


_fonts: dict[str, str] = {}
_fonts_lock = threading.Lock()


def _missing_font_message() -> str:
    return _(
        "PDFs need a Chinese font, and none was found. Run scripts/fetch-font, then set "
        "HUAMU_CJK_FONT to the path it prints (or install the fonts-wqy-microhei package)."
    )


def cjk_font() -> str:
    """Register the CJK font with ReportLab once per file; raise FontMissing without one."""
    path = cjk_font_path()
    if path is None:
        raise FontMissing(_missing_font_message())
    key = str(path)
    with _fonts_lock:
        if key not in _fonts:
            name = f"HuamuCJK{len(_fonts)}"
            try:
                # TTFont embeds the glyphs used as a TrueType subset (a FontFile2 stream).
                pdfmetrics.registerFont(TTFont(name, key, subfontIndex=0))
            except (TTFError, OSError) as error:
                raise FontMissing(_missing_font_message()) from error
            _fonts[key] = name
        return _fonts[key]


def new_canvas(buffer: io.BytesIO, *, title: str, pagesize: tuple[float, float] = A4) -> Canvas:
    """A compressed canvas writing into `buffer`, titled and signed by the programme."""
    canvas = Canvas(buffer, pagesize=pagesize, pageCompression=1)
    canvas.setTitle(title)
    canvas.setAuthor(_("Huamu Dream Wishes"))
    canvas.setCreator(_("Huamu Dream Wishes"))
    return canvas


# --- text -------------------------------------------------------------------------------------

# A Latin word or number stays whole; every other character (a Chinese one) may end a line.
_TOKEN = re.compile(r"\n|[^\S\n]+|[!-~]+|.", re.DOTALL)
# Closing punctuation hangs at the end of a line rather than starting the next one.
_NO_LINE_START = set("，。、；：！？）》」』”’,.;:!?)…")
ELLIPSIS = "…"


def wrap(
    text: str, font: str, size: float, width: float, max_lines: int | None = None
) -> list[str]:
    """Break `text` into lines no wider than `width`; cut with an ellipsis after `max_lines`."""

    def fits(line: str) -> bool:
        return pdfmetrics.stringWidth(line, font, size) <= width

    lines: list[str] = []
    line = ""
    for piece in _TOKEN.findall(text.strip()):
        if piece == "\n":
            lines.append(line.rstrip())
            line = ""
        elif fits(line + piece) or piece in _NO_LINE_START:
            line += piece
        elif piece.isspace():
            lines.append(line.rstrip())
            line = ""
        elif fits(piece):
            lines.append(line.rstrip())
            line = piece
        else:
            # A word longer than the line: break it wherever it must.
            for char in piece:
                if not fits(line + char) and line:
                    lines.append(line)
                    line = ""
                line += char
    lines.append(line.rstrip())
    while lines and not lines[0]:
        lines.pop(0)
    if max_lines is not None and len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and not fits(last + ELLIPSIS):
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last.rstrip() + ELLIPSIS]
    return lines


def fitting_size(text: str, *, font: str, size: float, width: float, smallest: float = 8) -> float:
    """The largest font size from `size` down, in half points, at which `text` fits `width`."""
    while size > smallest and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def draw_lines(
    canvas: Canvas, lines: Sequence[str], *, x: float, y: float, leading: float
) -> float:
    """Draw lines downwards from baseline `y`; return the baseline after the last one."""
    for line in lines:
        canvas.drawString(x, y, line)
        y -= leading
    return y
