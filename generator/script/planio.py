"""The timed plan as JSON-able data and as a text table (``relaxgen plan``)."""

from __future__ import annotations

from typing import Any

from ..model import TimedBed, TimedBreath, TimedChapter, TimedCue, TimedPause, TimedSpeech, Timeline
from .fill import Piece, order
from .grammar import render_marker


def _r(x: float) -> float:
    return round(x, 1)


def item_dict(it: object) -> dict[str, Any]:
    if isinstance(it, TimedSpeech):
        return {"kind": "speech", "start_ms": _r(it.start_ms), "dur_ms": _r(it.dur_ms), "text": it.text,
                "voice": it.clip.voice, "rate_wpm": it.clip.rate_wpm}
    if isinstance(it, TimedPause):
        d: dict[str, Any] = {"kind": "pause", "start_ms": _r(it.start_ms), "dur_ms": _r(it.dur_ms)}
        if it.implicit:
            d["implicit"] = True
        elif it.max_ms > it.min_ms:
            d["range_ms"] = [_r(it.min_ms), _r(it.max_ms)]
        if it.hold:
            d["hold"] = True
        return d
    if isinstance(it, TimedCue):
        return {"kind": "cue", "start_ms": _r(it.start_ms), "dur_ms": _r(it.dur_ms), "name": it.name, "file": it.file}
    if isinstance(it, TimedBed):
        return {"kind": "bed", "start_ms": _r(it.start_ms), "name": it.name, "file": it.file, "off": it.off,
                "level_db": it.level_db, "fade_ms": it.fade_ms}
    if isinstance(it, TimedChapter):
        return {"kind": "chapter", "start_ms": _r(it.start_ms), "title": it.title}
    if isinstance(it, TimedBreath):
        return {"kind": "breathe", "start_ms": _r(it.start_ms), "dur_ms": _r(it.dur_ms),
                "marker": render_marker(it.spec), "beats_ms": [_r(b) for b in it.beats_ms]}
    raise TypeError(it)


def timeline_dict(tl: Timeline, title: str = "") -> dict[str, Any]:
    return {
        "title": title,
        "total_ms": _r(tl.total_ms),
        "speech_ms": _r(tl.speech_ms),
        "chapters": [{"title": c.title, "start_ms": _r(c.start_ms), "end_ms": _r(e)} for c, e in tl.chapter_spans()],
        "items": [item_dict(i) for i in tl.items],
    }


def clock(ms: float) -> str:
    s = round(ms / 1000.0, 1)
    m, sec = divmod(s, 60)
    return f"{int(m):d}:{sec:04.1f}"


def timeline_table(tl: Timeline, title: str = "") -> str:
    lines = [f"{title}" if title else "", f"{'start':>8}  {'length':>7}  {'kind':<8} what"]
    for it in tl.items:
        d = item_dict(it)
        what = d.get("text") or d.get("title") or d.get("marker") or d.get("name") or d.get("file") or ""
        if d["kind"] == "pause":
            what = "(sentence/paragraph)" if d.get("implicit") else (
                f"elastic {d['range_ms'][0] / 1000:g}-{d['range_ms'][1] / 1000:g}s" if "range_ms" in d else "")
            what = f"{what} (practice hold)".lstrip() if d.get("hold") else what
        if d["kind"] == "bed" and d.get("off"):
            what = "off"
        dur = f"{d['dur_ms'] / 1000:6.1f}s" if "dur_ms" in d else ""
        lines.append(f"{clock(d['start_ms']):>8}  {dur:>7}  {d['kind']:<8} {what}")
    speech_pct = 100 * tl.speech_ms / tl.total_ms if tl.total_ms else 0
    lines.append(f"total {clock(tl.total_ms)} ({tl.total_ms / 60000:.2f} min), speech {speech_pct:.0f}%, "
                 f"{len(tl.chapters)} chapter{'' if len(tl.chapters) == 1 else 's'}")
    return "\n".join(line for line in lines if line is not None)


def pieces_list(ps: list[Piece], taken: tuple[int, ...] | None) -> list[dict[str, Any]]:
    """The optional pieces in the order the planner adds them, each taken or left out."""
    chosen = set(range(len(ps)) if taken is None else taken)
    return [{"at": str(p.pos) if p.pos else "", "priority": p.priority, "text": p.text,
             "taken": p.index in chosen} for p in order(ps)]


def pieces_table(ps: list[Piece], taken: tuple[int, ...] | None) -> str:
    """``relaxgen plan``'s lines on the optional pieces: which were taken and which left out."""
    rows = pieces_list(ps, taken)
    if not rows:
        return ""
    n = sum(r["taken"] for r in rows)
    lines = [f"optional pieces: {n} of {len(rows)} taken (in the order they are added)"]
    for r, p in zip(rows, order(ps), strict=True):
        lines.append(f"  {'taken   ' if r['taken'] else 'left out'}  {p.describe()}")
    return "\n".join(lines)
