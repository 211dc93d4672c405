"""`relaxgen demo` (what `make demo` runs) builds a playable pack with the real engine."""

from __future__ import annotations

from pathlib import Path

import pytest
from mutagen.id3 import ID3

from generator.export.playlist import read_m3u8

from .audio_utils import load

pytestmark = [pytest.mark.engine, pytest.mark.slow]


def test_demo_builds_a_pack(run, tmp_path: Path, shared_cache: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "demo"
    # Alex and the cache of the other real-engine tests: many of these sentences are spoken already
    res = run("demo", "-o", str(out), "--name", "Alex", "--cache-dir", str(shared_cache))
    assert res.exit_code == 0, res.output
    entries = read_m3u8(out / "playlist.m3u8")
    assert [e[2] for e in entries] == ["01 Belly breathing.mp3", "02 Desk break.mp3"]
    for seconds, _, name in entries:
        mp3 = out / name
        assert len(load(mp3)) / 44100 == pytest.approx(seconds, abs=1.0)
        assert ID3(mp3).getall("CHAP")
    assert abs(entries[0][0] - 240) <= 4  # the ~4-minute belly-breathing session
    voice = str(ID3(out / entries[0][2]).getall("TXXX:relaxgen voice")[0])
    try:
        import piper  # noqa: F401
    except ImportError:  # the base install: espeak-ng
        assert "pyttsx3" in voice or "espeak" in voice, voice
    else:  # make demo installs the neural extra: the neural voice speaks
        assert "piper" in voice, voice
    assert (out / "index.html").is_file() and (out / "cover.jpg").is_file()
    assert "Alex" in (out / "01 Belly breathing.lrc").read_text(encoding="utf-8")
