"""Where the Chinese font is: the one file PDFs (ReportLab) and pictures (Pillow) draw with.

WenQuanYi Micro Hei (Debian's fonts-wqy-microhei) is fetched into vendor/fonts/ by
scripts/fetch-font (`make font`), or installed system-wide. HUAMU_CJK_FONT overrides both.
"""

import logging
from pathlib import Path

from django.conf import settings
from PIL import ImageFont

logger = logging.getLogger(__name__)

FONT_FILE = "wqy-microhei.ttc"
SYSTEM_FONT = Path("/usr/share/fonts/truetype/wqy") / FONT_FILE


def cjk_font_path() -> Path | None:
    """The CJK font file: HUAMU_CJK_FONT if set, else vendor/fonts/, else the system's."""
    configured = getattr(settings, "HUAMU_CJK_FONT", "")
    if configured:
        # A path set on purpose is used or reported, never silently replaced by another.
        candidates = [Path(configured)]
    else:
        candidates = [Path(settings.BASE_DIR) / "vendor" / "fonts" / FONT_FILE, SYSTEM_FONT]
    return next((path for path in candidates if path.is_file()), None)


def cjk_image_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A Pillow font of `size` pixels that draws Chinese; without the CJK font, Pillow's
    built-in one (Latin only: Chinese then shows as boxes), with a warning in the log."""
    path = cjk_font_path()
    if path is not None:
        try:
            return ImageFont.truetype(str(path), size=size, index=0)
        except OSError as error:
            logger.warning("The CJK font %s cannot be read (%s); using Pillow's own.", path, error)
    else:
        logger.warning(
            "No CJK font found: run scripts/fetch-font or set HUAMU_CJK_FONT; Chinese text "
            "in pictures shows as boxes until then."
        )
    return ImageFont.load_default(size=size)
