"""Editorial illustrations for the demo newsroom, drawn from flat shapes with Pillow.

``draw_image`` needs no files and no fonts: the same motif, palette and seed give the same JPEG.
"""

import io
import math
import random

from PIL import Image, ImageDraw

# Each palette: deep shade, light shade, main, pale, accent.
PALETTES = (
    ("#1f2a3a", "#6f8299", "#2e3b4e", "#d6dde4", "#e3a94a"),  # dusk blue
    ("#2b2a29", "#9a8f81", "#45403a", "#e6ddcf", "#c8553d"),  # ink and clay
    ("#1b3531", "#6f9a8d", "#26463f", "#d3e0d8", "#e9c46a"),  # sea green
    ("#35222f", "#a9808b", "#4a2e3f", "#ecd9d3", "#f0a05a"),  # plum
    ("#232c36", "#98a6ad", "#34424f", "#e4e8e6", "#cf4a5a"),  # slate and red
    ("#2e281d", "#b3a07c", "#463c2c", "#efe6d2", "#4f8aa6"),  # sand
)
MOTIFS = ("skyline", "chart", "map", "portrait", "crowd", "document", "harbour", "parliament")


def _rgb(colour):
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def _mix(a, b, t):
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))


def _gradient(size, top, bottom):
    strip = Image.new("RGB", (1, size[1]))
    strip.putdata([_mix(top, bottom, y / max(size[1] - 1, 1)) for y in range(size[1])])
    return strip.resize(size, Image.Resampling.NEAREST)


def _sun(d, cx, cy, r, fill, outline=None):
    d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill, outline=outline)


def _blob(rng, cx, cy, radius, points=48, wobble=0.25):
    harmonics = [(k, rng.uniform(0, wobble / k**0.7), rng.uniform(0, math.tau)) for k in (2, 3, 5)]
    result = []
    for a in (math.tau * i / points for i in range(points)):
        r = radius * (1 + sum(m * math.sin(k * a + ph) for k, m, ph in harmonics))
        result.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return result


def _skyline(img, d, rng, p, w, h):
    img.paste(_gradient((w, h), p[0], p[1]))
    _sun(d, rng.uniform(0.15, 0.85) * w, h * 0.22, h * 0.08, _mix(p[4], p[3], 0.35))
    for lo, hi, colour, lit in ((0.25, 0.55, _mix(p[2], p[1], 0.45), 0.0), (0.45, 0.75, p[0], 0.4)):
        x = -rng.uniform(0, 0.05) * w
        while x < w:
            bw, top = rng.uniform(0.05, 0.11) * w, rng.uniform(lo, hi) * h
            d.rectangle((x, top, x + bw, h), fill=colour)
            if rng.random() < 0.3:
                d.rectangle((x + bw * 0.45, top - h * 0.06, x + bw * 0.5, top), fill=colour)
            step = h * 0.035
            for wy in range(int(top + step), h - int(step), int(step)):
                for wx in range(int(x + bw * 0.15), int(x + bw * 0.8), int(bw / 5) + 1):
                    if rng.random() < lit:
                        d.rectangle((wx, wy, wx + bw * 0.08, wy + step * 0.45), fill=p[4])
            x += bw + rng.uniform(0, 0.01) * w


def _chart(img, d, rng, p, w, h):
    d.rectangle((0, 0, w, h), fill=p[3])
    left, right, top, bottom = w * 0.08, w * 0.94, h * 0.16, h * 0.86
    for y in (top + (bottom - top) * i / 5 for i in range(6)):
        d.line((left, y, right, y), fill=_mix(p[3], p[2], 0.15), width=2)
    n = rng.randint(10, 16)
    step, level, values = (right - left) / n, rng.uniform(0.3, 0.6), []
    for _ in range(n):
        level = min(0.95, max(0.08, level + rng.uniform(-0.18, 0.16)))
        values.append(level)
    for i, v in enumerate(values):
        x = left + i * step + step * 0.18
        d.rectangle((x, bottom - (bottom - top) * v * 0.6, x + step * 0.64, bottom), fill=p[1])
    line = [(left + (i + 0.5) * step, bottom - (bottom - top) * v) for i, v in enumerate(values)]
    d.line(line, fill=p[4], width=int(h * 0.01), joint="curve")
    for x, y in line:
        _sun(d, x, y, h * 0.012, p[0])
    d.line((left, bottom, right, bottom), fill=p[0], width=4)
    d.rectangle((left, h * 0.06, left + w * 0.2, h * 0.085), fill=p[2])
    d.rectangle((left, h * 0.1, left + w * 0.12, h * 0.115), fill=p[1])


def _map(img, d, rng, p, w, h):
    d.rectangle((0, 0, w, h), fill=_mix(p[1], p[3], 0.35))
    for i in range(1, 8):
        d.line((w * i / 8, 0, w * i / 8, h), fill=_mix(p[1], p[3], 0.5), width=2)
        d.line((0, h * i / 8, w, h * i / 8), fill=_mix(p[1], p[3], 0.5), width=2)
    mask = Image.new("L", (w, h))
    outline = _blob(rng, w * rng.uniform(0.4, 0.6), h * 0.5, h * 0.55, 96, 0.35)
    ImageDraw.Draw(mask).polygon(outline, fill=255)
    land = Image.new("RGB", (w, h), p[3])
    ld = ImageDraw.Draw(land)
    for _ in range(4):
        tint = _mix(p[3], p[1], rng.uniform(0.1, 0.35))
        ld.polygon(_blob(rng, rng.uniform(0, w), rng.uniform(0, h), h * 0.3), fill=tint)
    for _ in range(3):
        start, heading = (rng.uniform(0.3, 0.7) * w, rng.uniform(0.3, 0.7) * h), rng.uniform(0, 6.3)
        for angle in (heading, heading + math.pi):
            x, y = start
            while -20 <= y <= h + 20 and -20 <= x <= w + 20:
                nx, ny = x + math.cos(angle) * 14, y + math.sin(angle) * 14
                ld.line((x, y, nx, ny), fill=p[2], width=4)
                x, y = nx + math.cos(angle) * 10, ny + math.sin(angle) * 10
                angle += rng.uniform(-0.25, 0.25)
    img.paste(land, mask=mask)
    d.line([*outline, outline[0]], fill=p[2], width=3)
    for i in range(12):
        x, y = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h
        if mask.getpixel((int(x), int(y))):
            _sun(d, x, y, h * (0.03 if i == 0 else 0.012), p[4] if i == 0 else p[0], p[3])


def _portrait(img, d, rng, p, w, h):
    img.paste(_gradient((w, h), p[1], p[3]))
    for x in (w * i / 10 for i in range(-4, 14)):
        d.polygon(((x, 0), (x + w * 0.04, 0), (x - w * 0.2, h), (x - w * 0.24, h)), fill=p[3])
    cx = w * rng.uniform(0.35, 0.65)
    _sun(d, cx, h * 0.48, h * 0.4, _mix(p[4], p[3], 0.3))
    d.ellipse((cx - h * 0.46, h * 0.64, cx + h * 0.46, h * 1.6), fill=p[0])
    d.rectangle((cx - h * 0.07, h * 0.45, cx + h * 0.07, h * 0.7), fill=p[0])
    d.ellipse((cx - h * 0.135, h * 0.15, cx + h * 0.135, h * 0.53), fill=p[0])
    d.polygon(((cx - h * 0.07, h * 0.655), (cx + h * 0.07, h * 0.655), (cx, h * 0.76)), fill=p[2])


def _crowd(img, d, rng, p, w, h):
    img.paste(_gradient((w, h), p[1], p[3]))
    for row in range(7):
        depth, y = row / 6, h * (0.42 + row * 0.09)
        size = h * (0.035 + 0.05 * depth)
        x = -rng.uniform(0, size * 2)
        while x < w + size:
            body = _mix(rng.choice((p[0], p[2], p[1])), p[3], 0.55 * (1 - depth))
            if rng.random() < 0.06 and row in (2, 3, 4):
                d.line((x, y, x, y - size * 3.5), fill=p[0], width=max(2, int(size / 8)))
                d.rectangle((x - size * 1.4, y - size * 5, x + size * 1.4, y - size * 3), fill=p[4])
            d.ellipse((x - size * 1.3, y + size * 0.8, x + size * 1.3, y + size * 5), fill=body)
            d.ellipse((x - size * 0.6, y - size * 0.4, x + size * 0.6, y + size * 1.0), fill=body)
            x += size * rng.uniform(1.9, 2.7)


def _document(img, d, rng, p, w, h):
    img.paste(_gradient((w, h), p[2], p[0]))
    pw, ph = int(h * 0.8), int(h * 1.05)
    paper = Image.new("RGBA", (pw, ph), p[3])
    pd = ImageDraw.Draw(paper)
    pd.rectangle((pw * 0.1, ph * 0.08, pw * 0.55, ph * 0.11), fill=p[2])
    y = ph * 0.17
    while y < ph * 0.92:
        length = rng.uniform(0.5, 0.8) if rng.random() < 0.15 else 0.8
        colour = p[0] if rng.random() < 0.12 else _mix(p[3], p[0], 0.35)
        pd.rounded_rectangle((pw * 0.1, y, pw * (0.1 + length), y + ph * 0.014), 3, fill=colour)
        y += ph * (0.065 if rng.random() < 0.18 else 0.035)
    s = int(h * 0.3)
    stamp = Image.new("RGBA", (s, s))
    sd = ImageDraw.Draw(stamp)
    sd.ellipse((4, 4, s - 4, s - 4), outline=p[4], width=int(s * 0.04))
    sd.ellipse((s * 0.14, s * 0.14, s * 0.86, s * 0.86), outline=p[4], width=int(s * 0.02))
    sd.rectangle((s * 0.05, s * 0.42, s * 0.95, s * 0.58), fill=p[4])
    stamp = stamp.rotate(rng.uniform(-25, 25), resample=Image.Resampling.BICUBIC)
    paper.alpha_composite(stamp, (int(pw * 0.45), int(ph * 0.55)))
    angle = rng.uniform(-7, 7)
    shadow = Image.new("RGBA", (pw, ph), (*p[0], 150)).rotate(angle, expand=True)
    paper = paper.rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
    x = int(w * rng.uniform(0.25, 0.45))
    img.paste(shadow, (x + 18, int(h * 0.08) + 18), shadow)
    img.paste(paper, (x, int(h * 0.08)), paper)


def _harbour(img, d, rng, p, w, h):
    horizon = int(h * 0.64)
    img.paste(_gradient((w, horizon), p[1], p[3]))
    img.paste(_gradient((w, h - horizon), p[2], p[0]), (0, horizon))
    _sun(d, w * rng.uniform(0.6, 0.9), h * 0.3, h * 0.07, _mix(p[4], p[3], 0.4))
    d.rectangle((0, horizon - h * 0.03, w * 0.62, horizon + h * 0.02), fill=p[0])
    x = w * 0.02
    while x < w * 0.58:
        for level in range(rng.randint(1, 4)):
            top = horizon - h * 0.03 - (level + 1) * h * 0.045
            colour = rng.choice((p[4], p[1], p[2], p[3]))
            d.rectangle((x, top, x + w * 0.05, top + h * 0.043), fill=colour)
        x += w * 0.052
    for i in range(rng.randint(2, 3)):
        cx, top, base = w * (0.12 + i * 0.19), h * rng.uniform(0.12, 0.22), horizon - h * 0.03
        for leg in (cx - w * 0.03, cx + w * 0.03):
            d.line((leg, base, leg, top + h * 0.1), fill=p[0], width=7)
        d.line((cx - w * 0.03, top + h * 0.2, cx + w * 0.03, top + h * 0.2), fill=p[0], width=6)
        d.rectangle((cx - w * 0.08, top + h * 0.08, cx + w * 0.16, top + h * 0.1), fill=p[0])
        d.line((cx, top, cx - w * 0.07, top + h * 0.08), fill=p[0], width=3)
        d.line((cx, top, cx + w * 0.15, top + h * 0.08), fill=p[0], width=3)
        d.line((cx, top, cx, top + h * 0.1), fill=p[0], width=7)
    sx = w * rng.uniform(0.66, 0.72)
    deck, keel = horizon - h * 0.06, horizon + h * 0.01
    d.polygon(((sx, deck), (w * 0.98, deck), (w * 0.95, keel), (sx + w * 0.02, keel)), fill=p[0])
    d.rectangle((w * 0.88, horizon - h * 0.14, w * 0.94, horizon - h * 0.06), fill=p[3])
    for _ in range(60):
        y, x = rng.uniform(horizon + h * 0.04, h), rng.uniform(0, w)
        d.line((x, y, x + rng.uniform(20, 90), y), fill=_mix(p[2], p[3], 0.3), width=3)


def _parliament(img, d, rng, p, w, h):
    img.paste(_gradient((w, h), p[1], p[3]))
    stone, shade = _mix(p[3], p[1], 0.15), _mix(p[3], p[1], 0.45)
    cx, ground = w * 0.5, h * 0.86
    d.rectangle((0, ground, w, h), fill=p[2])
    half, top = w * rng.uniform(0.2, 0.26), h * 0.5
    dome = h * rng.uniform(0.16, 0.22)
    d.rectangle((cx - dome * 0.9, top - h * 0.12, cx + dome * 0.9, top), fill=shade)
    dy = top - h * 0.12
    d.chord((cx - dome, dy - dome, cx + dome, dy + dome), 180, 360, fill=stone)
    tip = dy - dome
    d.rectangle((cx - h * 0.02, tip - h * 0.05, cx + h * 0.02, tip), fill=stone)
    d.line((cx, tip - h * 0.05, cx, tip - h * 0.14), fill=p[0], width=4)
    d.rectangle((cx, tip - h * 0.14, cx + h * 0.08, tip - h * 0.095), fill=p[4])
    wings = w * rng.uniform(0.4, 0.47)
    d.rectangle((cx - wings, top + h * 0.08, cx + wings, ground), fill=shade)
    for i in range(14):
        x = cx - wings + (i + 0.5) * (2 * wings) / 14
        if abs(x - cx) > half:
            d.rectangle((x - w * 0.008, top + h * 0.14, x + w * 0.008, top + h * 0.22), fill=p[2])
    d.polygon(((cx - half, top), (cx + half, top), (cx, top - h * 0.1)), fill=stone)
    d.rectangle((cx - half, top, cx + half, top + h * 0.04), fill=stone)
    columns = rng.choice((6, 8, 10))
    for i in range(columns):
        x = cx - half + (i + 0.5) * (2 * half) / columns
        d.rectangle((x - w * 0.011, top + h * 0.04, x + w * 0.011, ground - h * 0.06), fill=stone)
        d.rectangle((x - w * 0.016, top + h * 0.04, x + w * 0.016, top + h * 0.055), fill=shade)
    for step in range(4):
        y = ground - h * 0.06 + step * h * 0.015
        d.rectangle(
            (cx - half - step * 12, y, cx + half + step * 12, y + h * 0.015),
            fill=_mix(stone, shade, step / 4),
        )


_DRAWERS = {motif: globals()[f"_{motif}"] for motif in MOTIFS}


def draw_image(motif: str, palette: int, seed: int, size: tuple[int, int] = (1600, 900)) -> bytes:
    """Return JPEG bytes of an illustration for ``motif``, using palette ``palette % 6``."""
    if motif not in _DRAWERS:
        raise ValueError(f"unknown motif {motif!r}; expected one of {', '.join(MOTIFS)}")
    colours = [_rgb(c) for c in PALETTES[palette % len(PALETTES)]]
    rng = random.Random(f"{motif}/{palette}/{seed}")
    img = Image.new("RGB", size, colours[3])
    _DRAWERS[motif](img, ImageDraw.Draw(img), rng, colours, *size)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=82)
    return out.getvalue()
