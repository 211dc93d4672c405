"""Daily practice: the course's days and dates, the machine's time zone, and the spoken
"Tomorrow: …" line that ends each course day (pure; no I/O but reading the machine's
time zone name). The profile's schedule fields (``start``, ``practice_time``,
``timezone``) are read and checked by :mod:`generator.profile`.

A session's course day is its manifest ``day`` (or its position when it has none);
day ``d`` falls on ``start + d - 1`` days. The schedule fields never change the audio:
they are left out of the template variables and of the build hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..model import Breathe, Chapter, Gap, OptionalEnd, OptionalStart, Segment, Speech


def machine_timezone() -> str:
    """The machine's IANA time zone name (``TZ``, ``/etc/timezone``, ``/etc/localtime``), else UTC."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    except OSError:
        pass
    try:
        link = os.readlink("/etc/localtime")
        candidates.append(link.split("zoneinfo/", 1)[1] if "zoneinfo/" in link else "")
    except OSError:
        pass
    for name in candidates:
        if name:
            try:
                zoneinfo.ZoneInfo(name)
                return name
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
    return "UTC"


# ---------------------------------------------------------------- the course's days


@dataclass(frozen=True)
class PracticeDay:
    """One session of a pack in the practice schedule."""

    number: int  # track number (1-based)
    day: int  # course day (the manifest's ``day``, else the track number)
    title: str
    minutes: float  # planned length (the built length replaces it where known)
    file: str  # the MP3's file name in the pack folder


@dataclass(frozen=True)
class Schedule:
    """When one listener practises a pack."""

    key: str  # stable id of pack and listener: event UIDs and the page's storage key
    start: str | None  # explicit start (profile, else manifest); None: the first build's day
    practice_time: str  # HH:MM
    timezone: str  # IANA name
    language: str
    address: str
    days: tuple[PracticeDay, ...] = ()

    def date_of(self, day: int, start: dt.date) -> dt.date:
        return start + dt.timedelta(days=day - 1)


def pack_key(album: str, listener: str) -> str:
    """A stable, opaque id for one listener's pack (no names in it): 16 hex digits."""
    return hashlib.sha256(f"relaxgen\x00{album}\x00{listener}".encode()).hexdigest()[:16]


def course_day(number: int, day: int | None) -> int:
    return day if day is not None else number


def next_days(days: Sequence[PracticeDay]) -> dict[int, PracticeDay]:
    """For each track number that is the last session of its course day, the first session of
    the next course day (the smallest later day); the last day gets none."""
    out: dict[int, PracticeDay] = {}
    for d in days:
        later = [x for x in days if x.day > d.day]
        same_after = [x for x in days if x.day == d.day and x.number > d.number]
        if later and not same_after:
            out[d.number] = min(later, key=lambda x: (x.day, x.number))
    return out


_DAY_PREFIX = re.compile(r"^\s*(day|tag)\s*\d+\s*[:.,\-–—]\s*", re.IGNORECASE)

_LINES = {
    "en": ("Tomorrow: {title}.", "Next time, on day {day}: {title}."),
    "de-du": ("Morgen übst du: {title}.", "Beim nächsten Mal, an Tag {day}, übst du: {title}."),
    "de-Sie": ("Morgen üben Sie: {title}.", "Beim nächsten Mal, an Tag {day}, üben Sie: {title}."),
}


def closing_line(language: str, address: str, this_day: int, nxt: PracticeDay) -> str:
    """The spoken line naming the next course day's session, in the listener's language and form
    of address. A ``Day 2:`` / ``Tag 2:`` prefix of the title is left out (the line says when)."""
    key = "en" if language != "de" else f"de-{address}"
    tomorrow, later = _LINES.get(key, _LINES["en"])
    title = _DAY_PREFIX.sub("", nxt.title).strip().rstrip(".!?") or nxt.title
    template = tomorrow if nxt.day == this_day + 1 else later
    return template.format(title=title, day=nxt.day)


def with_closing(segments: list[Segment], line: str) -> list[Segment]:
    """``segments`` with ``line`` spoken as the last speech of the last chapter: after the last
    speech, breathing or chapter mark, before the trailing pauses, bells and bed changes."""
    if not line:
        return segments
    at = max((i for i, s in enumerate(segments) if isinstance(s, Speech | Breathe | Chapter)), default=-1) + 1
    opened = [i for i, s in enumerate(segments[:at]) if isinstance(s, OptionalStart | OptionalEnd)]
    if opened and isinstance(segments[opened[-1]], OptionalStart):  # never inside a piece that may be left out
        at = next(i for i in range(at, len(segments)) if isinstance(segments[i], OptionalEnd)) + 1
    before = [s for s in segments[:at] if not isinstance(s, OptionalStart | OptionalEnd)]
    lead: list[Segment] = [Gap("paragraph")] if before and isinstance(before[-1], Speech) else []
    return [*segments[:at], *lead, Speech(line), *segments[at:]]
