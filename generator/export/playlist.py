"""``playlist.m3u8``: extended M3U, UTF-8 without BOM, LF, relative paths.

Plays in VLC, foobar2000, Windows Media Player, iOS VLC and Android players
(Poweramp, Musicolet, VLC). Paths are written as plain relative file names
(``/`` as separator, not URL-encoded), which every one of them reads.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from ..errors import ExportError, FileOperationError
from ..fsutil import atomic_write_text
from .packdata import PackExport, TrackExport

PLAYLIST_NAME = "playlist.m3u8"
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x00-\x1f\x7f]+")


def _one_line(text: str) -> str:
    return _LINE_BREAKS.sub(" ", text).strip()


def _relative_path(track: TrackExport) -> str:
    raw = track.file.replace("\\", "/")
    rel = PurePosixPath(raw)
    if (
        not raw
        or rel.is_absolute()
        or ".." in rel.parts
        or raw.startswith("#")
        or _one_line(raw) != raw
    ):
        raise ExportError(
            f"track {track.number} file '{track.file}' is not a plain relative path inside the pack; "
            "name it with generator.export.names.track_filename"
        )
    return rel.as_posix()


def m3u8_text(pack: PackExport) -> str:
    """The playlist's text (what :func:`write_m3u8` writes)."""
    lines = ["#EXTM3U"]
    if pack.title:
        lines.append(f"#PLAYLIST:{_one_line(pack.title)}")
    for track in pack.tracks:
        seconds = round(track.duration_s) if track.duration_s > 0 else -1
        who = _one_line(track.artist)
        what = _one_line(track.title)
        display = f"{who} - {what}" if who else what
        lines.append(f"#EXTINF:{seconds},{display}")
        lines.append(_relative_path(track))
    return "\n".join(lines) + "\n"


def write_m3u8(pack: PackExport, folder: Path) -> Path:
    """Write ``folder/playlist.m3u8`` atomically and return its path."""
    if not Path(folder).is_dir():
        raise FileOperationError(
            folder, "pack folder does not exist; create it before the playlist"
        )
    return atomic_write_text(Path(folder) / PLAYLIST_NAME, m3u8_text(pack))


def read_m3u8(path: Path) -> list[tuple[float, str, str]]:
    """Parse an extended M3U: ``(seconds, display title, relative path)`` per entry.

    Entries without ``#EXTINF`` get ``-1`` and an empty title.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise FileOperationError(path, f"cannot read playlist ({e})") from None
    entries: list[tuple[float, str, str]] = []
    pending: tuple[float, str] | None = None
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#EXTINF:"):
            head, _, title = line[len("#EXTINF:") :].partition(",")
            try:
                seconds = float(head.split()[0]) if head.split() else -1.0
            except ValueError:
                seconds = -1.0
            pending = (seconds, title)
        elif line.startswith("#"):
            continue
        else:
            seconds, title = pending if pending else (-1.0, "")
            entries.append((seconds, title, line))
            pending = None
    return entries
