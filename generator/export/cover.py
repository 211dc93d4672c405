"""Pack cover art: a calm generated pattern with the title, or a checked user image.

Fonts: a font file already on the machine that covers every character of the
text is preferred (DejaVu/Noto/Liberation on Linux, Arial/Segoe UI on Windows,
Helvetica/Arial on macOS); nothing is downloaded. Without one, Pillow's built-in
scalable font is used; it only has ASCII, so accented letters are drawn as the
base letter plus a drawn mark (``ä`` = ``a`` + two dots) and ``ß`` becomes ``ss``.
The pattern is a pure function of (title, subtitle, seed); the text looks the
same on machines with the same fonts.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import math
import random
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps, UnidentifiedImageError

from ..errors import ExportError

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
Ink = tuple[int, ...]
MAX_COVER_BYTES = 300_000
MAX_USER_BYTES = 20 * 1024 * 1024
MAX_USER_SIDE = 6000
USER_TARGET_SIDE = 1400

FONT_CANDIDATES: list[str] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
    "C:/Windows/Fonts/segoeuib.ttf",
    "C:/Windows/Fonts/arialbd.ttf",
    "/System/Library/Fonts/Supplemental/Arial Bold.ttf",
    "/Library/Fonts/Arial Bold.ttf",
]
CJK_FONT_CANDIDATES: list[str] = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "/System/Library/Fonts/PingFang.ttc",
]

# ---------------------------------------------------------------- fonts

_SUBSTITUTES = {"ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o",
                "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "–": "-", "—": "-",
                "„": "“", "‚": "‘", "\u00a0": " "}  # fmt: skip
_MARKS = {"\u0308", "\u0301", "\u0300", "\u0302", "\u0303", "\u030a", "\u030c", "\u0327"}


def _builtin(size: int) -> Font:
    return ImageFont.load_default(size=size)


def _has_glyphs(font: Font, text: str) -> bool:
    missing = bytes(font.getmask("\uffff"))
    return all(ch.isspace() or bytes(font.getmask(ch)) != missing for ch in set(text))


def _font_path(text: str, language: str) -> str | None:
    """The first installed candidate font that has every character of ``text``."""
    cjk = language.split("-")[0].lower() in ("ja", "zh", "ko")
    for path in (CJK_FONT_CANDIDATES if cjk else []) + FONT_CANDIDATES:
        if not Path(path).is_file():
            continue
        try:
            font = ImageFont.truetype(path, 40)
        except OSError:
            continue
        if _has_glyphs(font, text):
            return path
    return None


class _Typesetter:
    """Measures and draws text with either a real font or the ASCII built-in one."""

    def __init__(self, path: str | None, size: int) -> None:
        self.size = size
        self.font: Font = ImageFont.truetype(path, size) if path else _builtin(size)
        self.builtin = path is None
        self._known: dict[str, bool] = {}

    def _glyphs(self, text: str) -> list[tuple[str, list[str]]]:
        """(drawable base, marks) per character for the built-in font."""
        out: list[tuple[str, list[str]]] = []
        for ch in unicodedata.normalize("NFC", text):
            if ch in _SUBSTITUTES:
                out.extend((c, []) for c in _SUBSTITUTES[ch])
                continue
            parts = unicodedata.normalize("NFD", ch)
            base, marks = parts[0], [m for m in parts[1:] if m in _MARKS]
            if not self._is_known(base):
                continue
            out.append((base, marks))
        return out

    def _is_known(self, ch: str) -> bool:
        if ch not in self._known:
            self._known[ch] = ch.isspace() or _has_glyphs(self.font, ch)
        return self._known[ch]

    def width(self, text: str) -> float:
        if not self.builtin:
            return float(self.font.getlength(text))
        return float(sum(self.font.getlength(b) for b, _ in self._glyphs(text)))

    def draw(
        self, draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, fill: Ink
    ) -> None:
        if not self.builtin:
            draw.text(xy, text, font=self.font, fill=fill)
            return
        x, y = xy
        for base, marks in self._glyphs(text):
            draw.text((x, y), base, font=self.font, fill=fill)
            if marks:
                box = draw.textbbox((x, y), base, font=self.font)
                for mark in marks:
                    self._mark(draw, mark, box, fill)
            x += self.font.getlength(base)

    def _mark(
        self, draw: ImageDraw.ImageDraw, mark: str, box: tuple[float, ...], fill: Ink
    ) -> None:
        s = self.size
        cx, top, bottom = (box[0] + box[2]) / 2, box[1], box[3]
        w = max(2, round(s * 0.07))
        y = top - s * 0.16
        if mark == "\u0308":  # diaeresis
            r = s * 0.05
            for dx in (-s * 0.13, s * 0.13):
                draw.ellipse((cx + dx - r, y - r, cx + dx + r, y + r), fill=fill)
        elif mark in ("\u0301", "\u0300"):  # acute, grave
            d = 1 if mark == "\u0301" else -1
            draw.line(
                (cx - d * s * 0.06, y + s * 0.07, cx + d * s * 0.07, y - s * 0.08),
                fill=fill,
                width=w,
            )
        elif mark in ("\u0302", "\u030c"):  # circumflex, caron
            d = 1 if mark == "\u0302" else -1
            pts = [
                (cx - s * 0.11, y + d * s * 0.06),
                (cx, y - d * s * 0.06),
                (cx + s * 0.11, y + d * s * 0.06),
            ]
            draw.line(pts, fill=fill, width=w, joint="curve")
        elif mark == "\u0303":  # tilde
            pts = [
                (cx - s * 0.13 + i * s * 0.026, y - s * 0.04 * math.sin(i * math.pi / 5))
                for i in range(11)
            ]
            draw.line(pts, fill=fill, width=w, joint="curve")
        elif mark == "\u030a":  # ring
            r = s * 0.07
            draw.ellipse((cx - r, y - r, cx + r, y + r), outline=fill, width=max(2, w // 2))
        elif mark == "\u0327":  # cedilla
            draw.line((cx, bottom, cx + s * 0.04, bottom + s * 0.12), fill=fill, width=w)


def _wrap(ts: _Typesetter, text: str, max_width: float) -> list[str]:
    """Greedy word wrap; a word wider than the line is split with a hyphen."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        while ts.width(word) > max_width and len(word) > 1:
            cut = len(word) - 1
            while cut > 1 and ts.width(word[:cut] + "-") > max_width:
                cut -= 1
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:cut] + "-")
            word = word[cut:]
        trial = f"{current} {word}".strip()
        if current and ts.width(trial) > max_width:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return lines


def _fit_title(
    path: str | None, text: str, max_width: float, sizes: Sequence[int]
) -> tuple[_Typesetter, list[str]]:
    """The largest size at which ``text`` wraps into at most 4 lines without splitting words."""
    ts = _Typesetter(path, sizes[-1])
    for size in sizes:
        ts = _Typesetter(path, size)
        lines = _wrap(ts, text, max_width)
        if len(lines) <= 4 and not any(line.endswith("-") for line in lines):
            return ts, lines
    return ts, _wrap(ts, text, max_width)[:6]


# ---------------------------------------------------------------- pattern


def _rng(title: str, subtitle: str, seed: int | None) -> random.Random:
    if seed is None:
        digest = hashlib.sha256(f"{title}\x00{subtitle}".encode()).digest()
        seed = int.from_bytes(digest[:8], "big")
    return random.Random(seed)


def _hsv(h: float, s: float, v: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, s, v)
    return round(r * 255), round(g * 255), round(b * 255)


def _background(size: int, rng: random.Random) -> Image.Image:
    hue = rng.random()
    top = np.array(_hsv(hue, 0.28, 0.46), dtype=np.float32)
    bottom = np.array(_hsv(hue + rng.uniform(0.04, 0.12), 0.34, 0.20), dtype=np.float32)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    t = np.clip(0.75 * yy + 0.25 * xx, 0, 1)[..., None]
    base = Image.fromarray((top * (1 - t) + bottom * t).astype(np.uint8), "RGB")

    small = size // 4  # soft circles drawn small, blurred, scaled up: smooth and cheap
    glow = Image.new("RGBA", (small, small), (0, 0, 0, 0))
    g = ImageDraw.Draw(glow)
    for _ in range(rng.randint(3, 6)):
        r = rng.uniform(0.12, 0.38) * small
        cx, cy = rng.uniform(0, small), rng.uniform(0, small)
        colour = _hsv(
            hue + rng.uniform(-0.08, 0.15), rng.uniform(0.15, 0.35), rng.uniform(0.55, 0.85)
        )
        g.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(*colour, rng.randint(40, 80)))
    glow = glow.filter(ImageFilter.GaussianBlur(small / 14)).resize(
        (size, size), Image.Resampling.BICUBIC
    )
    base = Image.alpha_composite(base.convert("RGBA"), glow)

    waves = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    w = ImageDraw.Draw(waves)
    light = _hsv(hue + 0.05, 0.12, 0.95)
    y0 = rng.uniform(0.62, 0.72) * size
    amp, period, phase = (
        rng.uniform(0.015, 0.035) * size,
        rng.uniform(0.6, 1.2) * size,
        rng.uniform(0, 6.3),
    )
    for i in range(rng.randint(4, 7)):
        pts = [(x, y0 + i * size * 0.035 + amp * math.sin(2 * math.pi * x / period + phase + i * 0.5))
               for x in range(0, size + 8, 8)]  # fmt: skip
        w.line(pts, fill=(*light, 70 - i * 7), width=max(2, size // 400), joint="curve")
    return Image.alpha_composite(base, waves.filter(ImageFilter.GaussianBlur(1)))


def _encode_jpeg(img: Image.Image, limit: int = MAX_COVER_BYTES) -> bytes:
    data = b""
    for quality in (85, 80, 72, 64, 56):
        buf = io.BytesIO()
        img.convert("RGB").save(buf, "JPEG", quality=quality, optimize=True, progressive=False)
        data = buf.getvalue()
        if len(data) <= limit:
            break
    return data


def generate_cover(
    title: str, subtitle: str, language: str, size: int = 1200, seed: int | None = None
) -> bytes:
    """A square baseline JPEG (quality ~85, under 300 KB): calm pattern, title, subtitle.

    Colours and shapes are chosen from ``seed`` (default: a hash of title and
    subtitle), so the same inputs give the same bytes. ``language`` picks a font
    that covers the script (e.g. CJK) when one is installed.
    """
    if size < 1000:
        raise ExportError(
            f"cover size {size} px is too small; use at least 1000 (players show 1000+)"
        )
    title = " ".join(title.split()) or "relaxgen"
    subtitle = " ".join(subtitle.split())
    rng = _rng(title, subtitle, seed)
    img = _background(size, rng)

    path = _font_path(title + subtitle, language)
    margin = size * 0.11
    width = size - 2 * margin
    ts, lines = _fit_title(
        path, title, width, [round(size * f) for f in (0.10, 0.088, 0.076, 0.066, 0.058, 0.05)]
    )
    sub_ts = _Typesetter(path, round(ts.size * 0.48))
    sub_lines = _wrap(sub_ts, subtitle, width)[:2] if subtitle else []

    line_h = ts.size * 1.18
    sub_h = sub_ts.size * 1.3
    block = len(lines) * line_h + (size * 0.05 + len(sub_lines) * sub_h if sub_lines else 0)
    y = max(margin, size * 0.40 - block / 2)

    shadow = Image.new("RGBA", img.size, (0, 0, 0, 0))
    text = Image.new("RGBA", img.size, (0, 0, 0, 0))
    sd, td = ImageDraw.Draw(shadow), ImageDraw.Draw(text)
    ink, soft = (248, 244, 236, 255), (232, 228, 220, 215)
    for line in lines:
        x = (size - ts.width(line)) / 2
        ts.draw(sd, (x, y + size * 0.004), line, (0, 0, 0, 120))
        ts.draw(td, (x, y), line, ink)
        y += line_h
    if sub_lines:
        y += size * 0.02
        td.line(
            (size / 2 - size * 0.06, y, size / 2 + size * 0.06, y),
            fill=soft,
            width=max(2, size // 500),
        )
        y += size * 0.03
        for line in sub_lines:
            sub_ts.draw(td, ((size - sub_ts.width(line)) / 2, y), line, soft)
            y += sub_h
    img = Image.alpha_composite(img, shadow.filter(ImageFilter.GaussianBlur(size / 200)))
    img = Image.alpha_composite(img, text)
    return _encode_jpeg(img)


# ---------------------------------------------------------------- user covers


def load_user_cover(path: Path) -> tuple[bytes, str]:
    """Check a user's cover image and return ``(bytes, mime)`` ready for APIC and the pack.

    JPEG and PNG up to 1400 px per side are passed through unchanged (unless
    CMYK, progressive or rotated by EXIF, which some players mishandle); anything
    else is converted to a baseline JPEG of at most 1400 px per side. Corrupt
    files, non-images, files over 20 MB and images over 6000 px raise ExportError.
    """
    p = Path(path)
    fix = "choose a JPEG or PNG image under 20 MB and at most 6000 px per side"
    try:
        data = p.read_bytes()
    except OSError as e:
        raise ExportError(f"{p}: cannot read the cover image ({e.strerror or e}); {fix}") from None
    if len(data) > MAX_USER_BYTES:
        raise ExportError(
            f"{p}: cover image is {len(data) / 1e6:.1f} MB, over the 20 MB limit; {fix}"
        )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt, (w, h) = probe.format, probe.size
            if max(w, h) > MAX_USER_SIDE:
                raise ExportError(
                    f"{p}: cover image is {w}×{h} px, over the {MAX_USER_SIDE} px limit; {fix}"
                )
            probe.verify()
        img: Image.Image = Image.open(io.BytesIO(data))
        img.load()
    except ExportError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
    ) as e:
        raise ExportError(f"{p}: not a readable image ({e}); {fix}") from None
    if w < 1 or h < 1:
        raise ExportError(f"{p}: cover image is empty; {fix}")

    orientation = img.getexif().get(0x0112, 1) if fmt == "JPEG" else 1
    passthrough = (
        fmt in ("JPEG", "PNG")
        and max(w, h) <= USER_TARGET_SIDE
        and img.mode in ("RGB", "L", "RGBA", "LA", "P")
        and not img.info.get("progressive")
        and not img.info.get("progression")
        and orientation == 1
    )
    if passthrough:
        return data, "image/jpeg" if fmt == "JPEG" else "image/png"

    img = ImageOps.exif_transpose(img)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        img = flat
    img = img.convert("RGB")
    img.thumbnail((USER_TARGET_SIDE, USER_TARGET_SIDE), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=88, optimize=True, progressive=False)
    return buf.getvalue(), "image/jpeg"
