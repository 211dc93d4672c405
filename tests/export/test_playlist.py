"""playlist.m3u8: parses back, relative paths resolve, UTF-8 names, exact format."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import ExportError, FileOperationError
from generator.export.names import track_filename
from generator.export.packdata import PackExport, TrackExport
from generator.export.playlist import m3u8_text, read_m3u8, write_m3u8


def _pack(titles: list[str], durations: list[float]) -> PackExport:
    n = len(titles)
    tracks = tuple(
        TrackExport(
            number=i + 1,
            title=t,
            artist="Anna Müller",
            file=track_filename(i + 1, n, t),
            duration_s=d,
        )
        for i, (t, d) in enumerate(zip(titles, durations, strict=True))
    )
    return PackExport(title="Rücken entspannen", language="de", tracks=tracks)


def test_written_playlist_parses_back_and_resolves(tmp_path: Path) -> None:
    pack = _pack(["Bauchatmung", "Körperreise: Füße", "Abend 🌙"], [301.4, 599.6, 62.0])
    for t in pack.tracks:
        (tmp_path / t.file).write_bytes(b"ID3")
    path = write_m3u8(pack, tmp_path)
    assert path == tmp_path / "playlist.m3u8"
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # no BOM
    assert b"\r" not in raw
    assert raw.startswith(b"#EXTM3U\n")
    raw.decode("utf-8")
    entries = read_m3u8(path)
    assert [e[0] for e in entries] == [301, 600, 62]
    assert entries[1][1] == "Anna Müller - Körperreise: Füße"
    for (_s, _t, rel), track in zip(entries, pack.tracks, strict=True):
        assert rel == track.file
        assert (path.parent / rel).is_file()
    assert entries[1][2] == "02 Körperreise - Füße.mp3"


def test_exact_text() -> None:
    pack = _pack(["One", "Two\nlines"], [5.0, 0.0])
    assert m3u8_text(pack) == (
        "#EXTM3U\n"
        "#PLAYLIST:Rücken entspannen\n"
        "#EXTINF:5,Anna Müller - One\n"
        "01 One.mp3\n"
        "#EXTINF:-1,Anna Müller - Two lines\n"
        "02 Two lines.mp3\n"
    )


@pytest.mark.parametrize("bad", ["../x.mp3", "/abs/x.mp3", "", "#x.mp3", "a\nb.mp3"])
def test_refuses_paths_outside_pack(bad: str) -> None:
    track = TrackExport(number=1, title="x", artist="y", file=bad, duration_s=1)
    with pytest.raises(ExportError):
        m3u8_text(PackExport(title="p", language="en", tracks=(track,)))


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FileOperationError):
        write_m3u8(_pack(["a"], [1]), tmp_path / "nope")


def test_read_foreign_playlist(tmp_path: Path) -> None:
    p = tmp_path / "x.m3u8"
    p.write_bytes(
        "\ufeff#EXTM3U\r\n#EXTINF:12.5 tvg=1,A - B\r\nsub/a.mp3\r\nplain.mp3\r\n".encode()
    )
    assert read_m3u8(p) == [(12.5, "A - B", "sub/a.mp3"), (-1.0, "", "plain.mp3")]
