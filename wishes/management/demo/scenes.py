"""Drawn scenes standing in for event photos in the demo: no child, no face, no real place.

Each is a meeting room on a festive day, drawn with Pillow from shapes only (bunting, balloons,
a banner, gift boxes on a table, a window), its colours and layout picked by a seed so that
the demo's events look different and every run draws the same pictures.
"""

import io
import random

from PIL import Image, ImageDraw

SIZE = (1200, 800)
PALETTE = [
    (220, 53, 69),
    (253, 126, 20),
    (255, 193, 7),
    (25, 135, 84),
    (13, 110, 253),
    (111, 66, 193),
    (214, 51, 132),
]


def _bunting(draw: ImageDraw.ImageDraw, rng: random.Random, y: int) -> None:
    width = SIZE[0]
    draw.line([(0, y), (width, y + 20)], fill=(120, 120, 120), width=3)
    for x in range(20, width, 60):
        top = y + 20 * x / width
        draw.polygon([(x, top), (x + 44, top + 2), (x + 22, top + 52)], fill=rng.choice(PALETTE))


def _balloon(draw: ImageDraw.ImageDraw, x: int, y: int, colour: tuple[int, int, int]) -> None:
    draw.line([(x, y + 70), (x + 8, y + 230)], fill=(110, 110, 110), width=2)
    draw.ellipse([x - 45, y - 60, x + 45, y + 70], fill=colour)
    draw.ellipse([x - 25, y - 40, x - 8, y - 15], fill=(255, 255, 255))


def _gift(draw: ImageDraw.ImageDraw, x: int, y: int, w: int, h: int, rng: random.Random) -> None:
    box, ribbon = rng.sample(PALETTE, 2)
    draw.rectangle([x, y, x + w, y + h], fill=box)
    draw.rectangle([x + w // 2 - 8, y, x + w // 2 + 8, y + h], fill=ribbon)
    draw.rectangle([x, y + h // 3 - 8, x + w, y + h // 3 + 8], fill=ribbon)
    draw.ellipse([x + w // 2 - 30, y - 26, x + w // 2, y + 4], outline=ribbon, width=8)
    draw.ellipse([x + w // 2, y - 26, x + w // 2 + 30, y + 4], outline=ribbon, width=8)


def draw_scene(seed: int) -> bytes:
    """A festive meeting room as a JPEG, the same for the same seed."""
    rng = random.Random(seed)  # noqa: S311 (a picture, not a secret)
    image = Image.new("RGB", SIZE, (255, 248, 235))
    draw = ImageDraw.Draw(image)
    width, height = SIZE
    # Wall and floor.
    wall = rng.choice([(255, 243, 224), (232, 244, 253), (240, 248, 236)])
    draw.rectangle([0, 0, width, int(height * 0.68)], fill=wall)
    draw.rectangle([0, int(height * 0.68), width, height], fill=(205, 170, 125))
    # A window with the sky and a sun.
    wx = rng.randint(60, 180)
    draw.rectangle(
        [wx, 160, wx + 260, 420], fill=(173, 216, 240), outline=(255, 255, 255), width=12
    )
    draw.line([(wx + 130, 160), (wx + 130, 420)], fill=(255, 255, 255), width=8)
    draw.ellipse([wx + 160, 190, wx + 230, 260], fill=(255, 213, 79))
    # The banner over the stage, its "writing" a row of bright blocks.
    draw.rectangle([380, 120, 1120, 230], fill=(200, 35, 51))
    for x in range(420, 1080, 70):
        draw.rectangle([x, 155, x + 46, 195], fill=(255, 224, 130))
    _bunting(draw, rng, 40)
    # Balloons in the corners.
    for x in (rng.randint(1000, 1120), rng.randint(60, 140)):
        for dx, colour in zip((0, 70), rng.sample(PALETTE, 2), strict=True):
            _balloon(draw, x + dx - 35, 330 + rng.randint(-30, 30), colour)
    # The table with the gifts to hand over.
    table_top = int(height * 0.62)
    draw.rectangle([300, table_top, 1000, table_top + 30], fill=(139, 90, 43))
    draw.rectangle([330, table_top + 30, 360, height - 40], fill=(120, 75, 35))
    draw.rectangle([940, table_top + 30, 970, height - 40], fill=(120, 75, 35))
    x = 330
    while x < 930:
        w, h = rng.randint(80, 130), rng.randint(70, 140)
        _gift(draw, x, table_top - h, w, h, rng)
        x += w + rng.randint(20, 40)
    # Confetti.
    for _ in range(60):
        cx, cy = rng.randint(0, width), rng.randint(240, int(height * 0.6))
        draw.rectangle([cx, cy, cx + 10, cy + 6], fill=rng.choice(PALETTE))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=82)
    return out.getvalue()
