"""Cover art: generated covers and checked user covers."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generator.errors import ExportError
from generator.export import cover
from generator.export.cover import generate_cover, load_user_cover


def _decode(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


@pytest.mark.parametrize(
    "title",
    ["Bauchatmung", "Progressive Muskelentspannung für den Rücken: Übungen & mehr " * 2, ""],
)
def test_generated_cover(title: str) -> None:
    data = generate_cover(title, "Tag 3 · Anna Müller", "de")
    img = _decode(data)
    assert img.format == "JPEG"
    assert img.size[0] >= 1000 and img.size == (1200, 1200)
    assert img.mode == "RGB"
    assert not img.info.get("progressive")
    assert len(data) < 300_000


def test_generated_cover_is_deterministic() -> None:
    a = generate_cover("Abendruhe", "Anna", "de", seed=42)
    assert a == generate_cover("Abendruhe", "Anna", "de", seed=42)
    assert a != generate_cover("Abendruhe", "Anna", "de", seed=43)
    assert generate_cover("Morgen", "", "en") == generate_cover("Morgen", "", "en")
    assert generate_cover("Morgen", "", "en") != generate_cover("Abend", "", "en")


def test_builtin_font_fallback_draws_umlauts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cover, "FONT_CANDIDATES", [])
    monkeypatch.setattr(cover, "CJK_FONT_CANDIDATES", [])
    plain = np.asarray(_decode(generate_cover("Korper", "", "de", seed=1)).convert("L"), dtype=int)
    marked = np.asarray(_decode(generate_cover("Körper", "", "de", seed=1)).convert("L"), dtype=int)
    # the drawn dots add bright pixels above the "o" that the plain word lacks
    assert int(((marked - plain) > 60).sum()) > 50


def test_size_too_small() -> None:
    with pytest.raises(ExportError, match="at least 1000"):
        generate_cover("x", "", "en", size=500)


def _save(img: Image.Image, path: Path, fmt: str, **kw: object) -> Path:
    img.save(path, fmt, **kw)
    return path


def test_user_cover_passthrough_jpeg_and_png(tmp_path: Path) -> None:
    jpg = _save(Image.new("RGB", (800, 800), (90, 120, 110)), tmp_path / "c.jpg", "JPEG")
    data, mime = load_user_cover(jpg)
    assert (data, mime) == (jpg.read_bytes(), "image/jpeg")
    png = _save(Image.new("RGBA", (600, 400), (90, 120, 110, 255)), tmp_path / "c.png", "PNG")
    assert load_user_cover(png) == (png.read_bytes(), "image/png")


@pytest.mark.parametrize(
    ("size", "fmt", "mode"),
    [((3000, 2000), "PNG", "RGB"), ((900, 900), "WEBP", "RGB"), ((500, 500), "GIF", "P"),
     ((2000, 2000), "JPEG", "CMYK"), ((700, 700), "TIFF", "RGBA")],
)  # fmt: skip
def test_user_cover_converted(tmp_path: Path, size: tuple[int, int], fmt: str, mode: str) -> None:
    src = _save(Image.new(mode, size), tmp_path / f"c.{fmt.lower()}", fmt)
    data, mime = load_user_cover(src)
    img = _decode(data)
    assert mime == "image/jpeg" and img.format == "JPEG" and img.mode == "RGB"
    assert max(img.size) == min(1400, max(size))
    ratio = size[0] / size[1]
    assert abs(img.size[0] / img.size[1] - ratio) < 0.01


def test_user_cover_progressive_jpeg_converted_to_baseline(tmp_path: Path) -> None:
    src = _save(Image.new("RGB", (500, 500)), tmp_path / "p.jpg", "JPEG", progressive=True)
    data, _ = load_user_cover(src)
    assert data != src.read_bytes()
    assert not _decode(data).info.get("progressive")


def test_user_cover_rejects_bad_files(tmp_path: Path) -> None:
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    good = _save(
        Image.new("RGB", (400, 400), (10, 200, 30)), tmp_path / "g.png", "PNG"
    ).read_bytes()
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(good[: len(good) // 2])
    garbled = tmp_path / "garbled.png"
    garbled.write_bytes(good[:60] + b"\x00" * 40 + good[100:])
    huge = _save(Image.new("L", (6001, 10)), tmp_path / "wide.png", "PNG")
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff\xd8" + b"\x00" * (20 * 1024 * 1024 + 1))
    for bad in (text, corrupt, garbled, huge, big, tmp_path / "missing.jpg"):
        with pytest.raises(ExportError) as info:
            load_user_cover(bad)
        assert str(bad) in str(info.value)
        assert "JPEG or PNG" in str(info.value)
