"""Timed-text sidecars next to each MP3: ``.lrc`` (lyrics) and ``.srt`` (subtitles).

Both are UTF-8 without BOM with LF line endings. Players that show lyrics
(Poweramp, Musicolet, foobar2000, AIMP) pick up ``X.lrc`` beside ``X.mp3``;
VLC and mpv show ``X.srt`` as captions.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..fsutil import atomic_write_text
from .packdata import TrackExport

_WS = re.compile(r"[\s\x00-\x1f\x7f]+")
_MIN_CUE_S = 0.5


def _one_line(text: str) -> str:
    return _WS.sub(" ", text).strip()


def _lrc_time(seconds: float) -> str:
    cs = max(0, round(seconds * 100))
    minutes, cs = divmod(cs, 6000)
    return f"{minutes:02d}:{cs // 100:02d}.{cs % 100:02d}"


def _srt_time(seconds: float) -> str:
    ms = max(0, round(seconds * 1000))
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d},{ms:03d}"


def _lines(track: TrackExport) -> list[tuple[float, float, str]]:
    """Transcript lines with text, in start order, empty ones dropped."""
    out = [(max(0.0, s), max(0.0, e), _one_line(t)) for s, e, t in track.lines]
    return sorted((x for x in out if x[2]), key=lambda x: x[0])


def lrc_text(track: TrackExport) -> str:
    """``[ti:]``, ``[ar:]``, ``[length:]`` header, then ``[mm:ss.xx]line`` per spoken line."""
    total = max(0, round(track.duration_s))
    out = [
        f"[ti:{_one_line(track.title)}]",
        f"[ar:{_one_line(track.artist)}]",
        f"[length:{total // 60:02d}:{total % 60:02d}]",
    ]
    out += [f"[{_lrc_time(start)}]{text}" for start, _end, text in _lines(track)]
    return "\n".join(out) + "\n"


def srt_text(track: TrackExport) -> str:
    """Numbered SubRip cues ``HH:MM:SS,mmm --> HH:MM:SS,mmm`` separated by blank lines.

    A cue that ends before it starts is given half a second; cues never overlap
    the next one's start.
    """
    lines = _lines(track)
    blocks: list[str] = []
    for i, (start, end, text) in enumerate(lines):
        if end <= start:
            end = start + _MIN_CUE_S
        if i + 1 < len(lines):
            end = min(end, max(lines[i + 1][0], start + 0.001))
        blocks.append(f"{i + 1}\n{_srt_time(start)} --> {_srt_time(end)}\n{text}\n")
    return "\n".join(blocks)


def write_sidecars(track: TrackExport, mp3_path: Path) -> list[Path]:
    """Write ``X.lrc`` and ``X.srt`` beside ``X.mp3`` (atomically); return the paths.

    A track without transcript lines gets only the ``.lrc`` (its header still
    names the session); an empty ``.srt`` would make some players complain.
    """
    mp3 = Path(mp3_path)
    written = [atomic_write_text(mp3.with_suffix(".lrc"), lrc_text(track))]
    if _lines(track):
        written.append(atomic_write_text(mp3.with_suffix(".srt"), srt_text(track)))
    return written
