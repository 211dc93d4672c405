"""The data a pack's page, playlist and sidecars share (pure; no I/O).

``PackExport`` is what the pack builder hands to :mod:`generator.export.playlist`,
:mod:`generator.export.sidecars` and :mod:`generator.export.page`. All times are seconds.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from ..errors import ExportError

TIMELINE_KINDS = ("speech", "pause", "cue", "bed", "chapter", "breathe")


@dataclass(frozen=True)
class TrackExport:
    number: int  # 1-based
    title: str
    artist: str
    file: str  # file name relative to the pack folder, e.g. "01 Belly breathing.mp3"
    duration_s: float
    chapters: tuple[tuple[float, str], ...] = ()  # (start_s, title), start-time order
    lines: tuple[tuple[float, float, str], ...] = ()  # transcript: (start_s, end_s, text)
    # {"kind": "speech"|"pause"|"cue"|"bed"|"chapter"|"breathe", "start": s, "dur": s, "label": str}
    timeline: tuple[dict[str, object], ...] = ()
    description: str = ""
    day: int | None = None  # course day (the page's "today" and progress)


@dataclass(frozen=True)
class PackExport:
    title: str
    language: str
    tracks: tuple[TrackExport, ...]
    description: str = ""
    author: str = ""
    cover: str | None = None  # file name of the cover in the pack folder
    safety: str = ""  # the safety note text
    key: str = ""  # stable id of pack and listener (the page's storage key)
    start: str | None = None  # YYYY-MM-DD: the course's first day, when the listener or manifest gave one
    reminders: bool = False  # the folder has reminders.ics
    address: str = "Sie"  # the listener's form of address (German: Sie or du)
    listener: str = ""  # the listener's id (a course CSV's id) or name: the diary's listener column


def _num(value: object, default: float = 0.0) -> float:
    """A finite float from a timeline field (bad values become ``default``)."""
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    return f if f == f and f not in (float("inf"), float("-inf")) else default


def timeline_items(track: TrackExport) -> list[tuple[str, float, float, str]]:
    """``track.timeline`` as clean ``(kind, start, dur, label)`` tuples (unknown kinds dropped)."""
    out: list[tuple[str, float, float, str]] = []
    for item in track.timeline:
        kind = str(item.get("kind", ""))
        if kind not in TIMELINE_KINDS:
            continue
        start = max(0.0, _num(item.get("start")))
        dur = max(0.0, _num(item.get("dur")))
        out.append((kind, start, dur, str(item.get("label", "") or "")))
    return out


def to_dict(pack: PackExport) -> dict[str, object]:
    """A JSON-ready dict (tuples become lists)."""
    return asdict(pack)


def script_json(obj: object) -> str:
    """JSON safe to embed in ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` are written as ``\\u003c`` etc., so no text
    (``</script>``, ``<!--``) can end the script element early; U+2028/9 are
    escaped too. ``JSON.parse`` reads it back unchanged.
    """
    try:
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as e:
        raise ExportError(
            f"page data cannot be written as JSON ({e}); "
            "check that durations and times are finite numbers"
        ) from None
    for ch, esc in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(ch, esc)
    return text


def to_json(pack: PackExport) -> str:
    """The pack as JSON safe to embed in an HTML ``<script>`` (see :func:`script_json`)."""
    return script_json(to_dict(pack))
