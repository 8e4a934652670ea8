"""Draw the VP tab's button icons (PNG, 16/32/64/80 px) into static/images/icons/.

Run once after adding a button: `python -m xl_addin.server.icons` (needs Pillow, which the server
itself does not). Each icon is drawn at 8x and scaled down, so the small sizes stay smooth. A tag
without its own drawing gets the generic VP icon (the manifest falls back to it too).
"""

import math
from pathlib import Path

OUT = Path(__file__).resolve().parent / "static" / "images" / "icons"
SIZES = (16, 32, 64, 80)
SCALE = 8
BLUE = (31, 78, 121, 255)     # the overview's header blue
WHITE = (255, 255, 255, 255)
GREEN = (84, 130, 53, 255)


def _canvas(size):
    from PIL import Image, ImageDraw

    big = size * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big // 6, fill=BLUE)
    return image, draw, big


def _text(draw, big, text, scale=0.5):
    from PIL import ImageFont

    font = ImageFont.load_default(size=int(big * scale))
    box = draw.textbbox((0, 0), text, font=font)
    x = (big - (box[2] - box[0])) / 2 - box[0]
    y = (big - (box[3] - box[1])) / 2 - box[1]
    draw.text((x, y), text, font=font, fill=WHITE)


def _refresh(draw, big):
    w = big // 10
    pad = big // 5
    draw.arc((pad, pad, big - pad, big - pad), start=20, end=320, fill=WHITE, width=w)
    angle = math.radians(320)
    r = (big - 2 * pad) / 2
    cx = cy = big / 2
    tip = (cx + r * math.cos(angle), cy + r * math.sin(angle))
    s = big * 0.16
    draw.polygon([(tip[0] - s, tip[1] - s * 0.2), (tip[0] + s, tip[1] - s * 0.6), (tip[0] + s * 0.2, tip[1] + s)],
                 fill=WHITE)


def _check(draw, big):
    w = big // 8
    draw.line([(big * 0.22, big * 0.52), (big * 0.42, big * 0.72), (big * 0.78, big * 0.3)], fill=WHITE,
              width=w, joint="curve")


def _book(draw, big):
    w = max(big // 24, 1)
    draw.rectangle((big * 0.22, big * 0.2, big * 0.78, big * 0.8), outline=WHITE, width=w * 2)
    draw.line([(big * 0.34, big * 0.2), (big * 0.34, big * 0.8)], fill=WHITE, width=w * 2)
    for y in (0.38, 0.5, 0.62):
        draw.line([(big * 0.44, big * y), (big * 0.7, big * y)], fill=WHITE, width=w)


def _document(draw, big):
    w = max(big // 24, 1)
    fold = big * 0.18
    left, top, right, bottom = big * 0.26, big * 0.16, big * 0.74, big * 0.84
    draw.polygon([(left, top), (right - fold, top), (right, top + fold), (right, bottom), (left, bottom)],
                 outline=WHITE, width=w * 2)
    for y in (0.42, 0.54, 0.66):
        draw.line([(big * 0.34, big * y), (big * 0.66, big * y)], fill=WHITE, width=w)


def _panel(draw, big):
    w = max(big // 24, 1)
    draw.rectangle((big * 0.16, big * 0.22, big * 0.84, big * 0.78), outline=WHITE, width=w * 2)
    draw.rectangle((big * 0.58, big * 0.22, big * 0.84, big * 0.78), fill=WHITE)


DRAWINGS = {
    "vp": lambda d, b: _text(d, b, "VP", 0.48),
    "vp-knapp": lambda d, b: _text(d, b, "VP", 0.48),
    "vp-uppdatera": _refresh,
    "vp-kontrollera": _check,
    "vp-rakna_om": lambda d, b: _text(d, b, "fx", 0.55),
    "vp-forklara": lambda d, b: _text(d, b, "?", 0.7),
    "vp-regelbok": _book,
    "vp-rapport": _document,
    "vp-panel": _panel,
}


def draw_all(out=OUT):
    from PIL import Image

    out.mkdir(parents=True, exist_ok=True)
    for name, drawing in DRAWINGS.items():
        for size in SIZES:
            image, draw, big = _canvas(size)
            drawing(draw, big)
            image.resize((size, size), Image.LANCZOS).save(out / f"{name}-{size}.png", optimize=True)
    print(f"{len(DRAWINGS) * len(SIZES)} ikoner i {out}")


if __name__ == "__main__":
    draw_all()
