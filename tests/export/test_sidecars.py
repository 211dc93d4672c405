"""LRC and SRT sidecars: exact format for a small track."""

from __future__ import annotations

from pathlib import Path

from generator.export.packdata import TrackExport
from generator.export.sidecars import lrc_text, srt_text, write_sidecars

TRACK = TrackExport(
    number=1,
    title="Bauchatmung",
    artist="Anna",
    file="01 Bauchatmung.mp3",
    duration_s=3725.4,
    chapters=((0.0, "Start"),),
    lines=(
        (0.0, 2.5, "Willkommen."),
        (3.256, 7.999, "Atme  ruhig\nein."),
        (61.005, 60.0, "Bad end time."),
        (3661.5, 3670.0, "Nach einer Stunde & <mehr>."),
        (3700.0, 3701.0, "   "),
    ),
)


def test_lrc_exact() -> None:
    assert lrc_text(TRACK) == (
        "[ti:Bauchatmung]\n"
        "[ar:Anna]\n"
        "[length:62:05]\n"
        "[00:00.00]Willkommen.\n"
        "[00:03.26]Atme ruhig ein.\n"
        "[01:01.00]Bad end time.\n"  # 61.005 rounds half-to-even in cs
        "[61:01.50]Nach einer Stunde & <mehr>.\n"
    )


def test_srt_exact() -> None:
    assert srt_text(TRACK) == (
        "1\n00:00:00,000 --> 00:00:02,500\nWillkommen.\n"
        "\n"
        "2\n00:00:03,256 --> 00:00:07,999\nAtme ruhig ein.\n"
        "\n"
        "3\n00:01:01,005 --> 00:01:01,505\nBad end time.\n"
        "\n"
        "4\n01:01:01,500 --> 01:01:10,000\nNach einer Stunde & <mehr>.\n"
    )


def test_srt_cues_do_not_overlap() -> None:
    t = TrackExport(1, "t", "a", "t.mp3", 10, lines=((0.0, 5.0, "a"), (2.0, 3.0, "b")))
    assert "00:00:00,000 --> 00:00:02,000" in srt_text(t)


def test_write_sidecars(tmp_path: Path) -> None:
    mp3 = tmp_path / "01 Bauchatmung.mp3"
    paths = write_sidecars(TRACK, mp3)
    assert paths == [tmp_path / "01 Bauchatmung.lrc", tmp_path / "01 Bauchatmung.srt"]
    assert paths[0].read_text(encoding="utf-8") == lrc_text(TRACK)
    assert paths[1].read_bytes() == srt_text(TRACK).encode("utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == [p.name for p in paths]  # no temp left


def test_no_lines_only_lrc(tmp_path: Path) -> None:
    t = TrackExport(1, "Stille", "a", "s.mp3", 90)
    paths = write_sidecars(t, tmp_path / "s.mp3")
    assert [p.name for p in paths] == ["s.lrc"]
    assert paths[0].read_text() == "[ti:Stille]\n[ar:a]\n[length:01:30]\n"
