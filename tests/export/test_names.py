"""Safe file names: nasty inputs, uniqueness, limits, staying inside the pack folder."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.errors import ExportError
from generator.export.names import safe_filename, safe_join, track_filename, unique_names

FORBIDDEN = set(':/\\?*"<>|')
RESERVED = (
    {"CON", "PRN", "AUX", "NUL"}
    | {f"COM{i}" for i in range(1, 10)}
    | {f"LPT{i}" for i in range(1, 10)}
)


def assert_valid(name: str, max_len: int = 120) -> None:
    assert name, "empty name"
    assert not (FORBIDDEN & set(name)), name
    assert all(ord(c) >= 32 and c != "\x7f" for c in name), repr(name)
    assert name == name.strip(" ."), repr(name)
    assert name not in (".", "..")
    assert name.split(".")[0].rstrip(" ").upper() not in RESERVED, name
    assert len(name) <= max_len
    assert len(name.encode("utf-8")) <= 255
    assert len(name.encode("utf-16-le")) // 2 <= 255  # FAT32/exFAT long-name units
    assert unicodedata.normalize("NFC", name) == name


NASTY = [
    ("/", None),
    ("..", "track.mp3"),
    ("../../etc/passwd", None),
    ("Part 1: Arms", "Part 1 - Arms.mp3"),
    ("back\\slash", "back-slash.mp3"),
    ("nul\x00byte", "nul byte.mp3"),
    ("tab\tand\nnewline", "tab and newline.mp3"),
    ("Ruhe 😀 finden 🧘\u200d♀️", "Ruhe finden.mp3"),
    ("Körperreise für Füße – Übung", "Körperreise für Füße – Übung.mp3"),
    ("Ko\u0308rper", "Körper.mp3"),  # NFD in, NFC out
    ("CON", "CON_.mp3"),
    ("con.txt", "con_.txt.mp3"),
    ("lpt9", "lpt9_.mp3"),
    ("  .hidden. ", "hidden.mp3"),
    ("x" * 300, None),
    ("ü" * 300, None),
    ("😀" * 300, "track.mp3"),
    ("", "track.mp3"),
    ("   ", "track.mp3"),
    ('what? "quotes" <tags> *stars* |pipe|', None),
    ("already.mp3", "already.mp3"),
    ("bidi\u202eevil", "bidievil.mp3"),
    ("Дыхание животом", "Дыхание животом.mp3"),
]


@pytest.mark.parametrize(("raw", "expected"), NASTY)
def test_nasty_inputs(raw: str, expected: str | None, tmp_path: Path) -> None:
    name = safe_filename(raw, ".mp3")
    assert_valid(name)
    assert name.endswith(".mp3")
    if expected is not None:
        assert name == expected
    # usable as a real file, inside the folder
    path = safe_join(tmp_path, name)
    path.write_bytes(b"x")
    assert path.parent == tmp_path.resolve()


def test_readable_and_bounded() -> None:
    long = safe_filename("Progressive Muskelentspannung " * 20, ".mp3")
    assert long.startswith("Progressive Muskelentspannung Progressive")
    assert len(long) <= 120
    umlauts = safe_filename("ä" * 300, ".mp3", max_len=255)
    assert len(umlauts.encode("utf-8")) <= 255
    assert umlauts.startswith("ää")


def test_extension_forms() -> None:
    assert safe_filename("a", "mp3") == "a.mp3"
    assert safe_filename("a", ".MP3") == "a.MP3"
    assert safe_filename("a") == "a"
    assert safe_filename("song.MP3", ".mp3") == "song.mp3"


def test_unique_names_case_insensitive() -> None:
    names = unique_names(
        ["Calm", "calm", "CALM ", "calm.mp3", "Other", "x" * 300, "x" * 301], ".mp3"
    )
    assert names[:5] == ["Calm.mp3", "calm (2).mp3", "CALM (3).mp3", "calm (4).mp3", "Other.mp3"]
    assert len({n.casefold() for n in names}) == len(names)
    for n in names:
        assert_valid(n)
    assert names[6].endswith(" (2).mp3")


def test_unique_names_nasty_all_collide() -> None:
    names = unique_names(["", "..", "/", "😀", "CON", "con"], ".mp3")
    assert len({n.casefold() for n in names}) == len(names)
    for n in names:
        assert_valid(n)


def test_track_filename() -> None:
    assert track_filename(1, 3, "Belly breathing") == "01 Belly breathing.mp3"
    assert track_filename(14, 14, "Tag 14: Ruhe") == "14 Tag 14 - Ruhe.mp3"
    assert track_filename(7, 120, "Abend") == "007 Abend.mp3"
    assert track_filename(2, 2, "???") == "02 track.mp3"
    with pytest.raises(ValueError):
        track_filename(0, 3, "x")


def test_safe_join_refuses_escape(tmp_path: Path) -> None:
    assert safe_join(tmp_path, "a.mp3") == tmp_path.resolve() / "a.mp3"
    for bad in ("../x.mp3", "/etc/passwd", "..", ".", "a/../../x"):
        with pytest.raises(ExportError, match="outside the pack folder"):
            safe_join(tmp_path, bad)
    with pytest.raises(ExportError):
        safe_join(tmp_path, "nul\x00byte")


def test_safe_join_refuses_symlink_escape(tmp_path: Path) -> None:
    root = tmp_path / "pack"
    root.mkdir()
    (root / "link").symlink_to(tmp_path)
    with pytest.raises(ExportError):
        safe_join(root, "link/secret")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400), st.sampled_from(["", ".mp3", ".lrc", "m3u8"]))
def test_any_string_gives_valid_name(raw: str, ext: str) -> None:
    name = safe_filename(raw, ext)
    assert_valid(name)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=150), max_size=8))
def test_any_list_gives_unique_valid_names(raws: list[str]) -> None:
    names = unique_names(raws, ".mp3")
    assert len(names) == len(raws)
    assert len({n.casefold() for n in names}) == len(names)
    for n in names:
        assert_valid(n)
