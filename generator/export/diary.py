"""The practice diary a pack page exports (CSV), read back and summarised (pure; no I/O).

The pack page (``index.html``) keeps, per session and day, the listener's own tension
ratings before and after practising (0 to 10), the minutes practised and an optional
note, and exports them as UTF-8 CSV with the header :data:`HEADER`. ``relaxgen diary``
reads such files from one or many listeners: :func:`parse_diary` checks one file,
:func:`merge_entries` joins files (one device's rows exported twice count once; the same
listener, day and session with other values is an error), :func:`summarise` gives the
figures of the report. Every problem is a :class:`~generator.errors.DiaryError` naming the
file and the row (the header is row 1).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..errors import DiaryError, did_you_mean

COLUMNS = ("listener", "date", "session", "minutes", "before", "after", "note")
HEADER = ",".join(COLUMNS)
MAX_MINUTES = 1440.0
MAX_TEXT = 2000
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RATING = re.compile(r"^\d{1,2}$")


@dataclass(frozen=True)
class Entry:
    """One diary row: one session practised on one day."""

    listener: str
    date: dt.date
    session: str
    minutes: float
    before: int | None  # the listener's own tension rating, 0-10 (None: not given)
    after: int | None
    note: str
    source: str  # the file, as the user should read its path
    row: int  # 1-based; the header is row 1

    @property
    def key(self) -> tuple[str, dt.date, str]:
        return (self.listener, self.date, self.session)

    def values(self) -> tuple[float, int | None, int | None, str]:
        return (self.minutes, self.before, self.after, self.note)


@dataclass(frozen=True)
class Day:
    """One day of a listener's diary: its sessions' minutes and mean ratings."""

    date: dt.date
    sessions: int
    minutes: float
    before: float | None
    after: float | None

    def to_dict(self) -> dict[str, object]:
        return {"date": self.date.isoformat(), "sessions": self.sessions, "minutes": _r(self.minutes),
                "before": _r(self.before), "after": _r(self.after)}


@dataclass(frozen=True)
class ListenerSummary:
    """One listener's figures. The means are over the sessions rated both before and after
    (``rated`` of them), so ``mean_change == mean_after - mean_before``."""

    listener: str
    files: tuple[str, ...]
    entries: tuple[Entry, ...]  # date, then session order
    days: tuple[Day, ...]
    days_planned: int | None  # from the course manifest, when given
    rated: int
    mean_before: float | None
    mean_after: float | None
    mean_change: float | None  # after - before: below 0 is less tension after practising

    @property
    def days_practised(self) -> int:
        return len(self.days)

    @property
    def minutes(self) -> float:
        return sum(e.minutes for e in self.entries)

    def to_dict(self) -> dict[str, object]:
        return {
            "listener": self.listener, "files": list(self.files),
            "first": self.days[0].date.isoformat(), "last": self.days[-1].date.isoformat(),
            "days_practised": self.days_practised, "days_planned": self.days_planned,
            "sessions": len(self.entries), "minutes": _r(self.minutes), "rated": self.rated,
            "mean_before": _r(self.mean_before), "mean_after": _r(self.mean_after),
            "mean_change": _r(self.mean_change), "days": [d.to_dict() for d in self.days],
        }


@dataclass(frozen=True)
class Report:
    listeners: tuple[ListenerSummary, ...]
    files: tuple[str, ...]
    course: str | None = None  # the course manifest's title
    days_planned: int | None = None

    def to_dict(self) -> dict[str, object]:
        course = {"title": self.course, "days_planned": self.days_planned} if self.course else None
        return {"ratings": "the listeners' own tension ratings, 0 (none) to 10 (the most)",
                "files": list(self.files), "course": course,
                "listeners": [x.to_dict() for x in self.listeners]}


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


# ---------------------------------------------------------------- one file


def decode_diary(data: bytes, source: str) -> str:
    """The file's text (UTF-8, with or without a BOM); not UTF-8 is an error naming the row."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        row = data[:e.start].count(b"\n") + 1
        raise DiaryError(f"not valid UTF-8 (byte {e.start}); export the diary again from the pack page, "
                         "or save the file as UTF-8", source, row) from None


def _header(cells: list[str], source: str) -> list[str]:
    cols = [c.strip() for c in cells]
    seen: set[str] = set()
    for c in cols:
        if c not in COLUMNS:
            name = f"'{c}'" if c else "an empty name"
            raise DiaryError(f"unknown column {name}{did_you_mean(c, COLUMNS)}; a diary has the columns "
                             f"{HEADER}", source, 1)
        if c in seen:
            raise DiaryError(f"column '{c}' appears twice; a diary has the columns {HEADER}", source, 1)
        seen.add(c)
    missing = [c for c in COLUMNS if c not in seen]
    if missing:
        raise DiaryError(f"column '{missing[0]}' is missing; a diary has the columns {HEADER}", source, 1)
    return cols


def _text(value: str, column: str, source: str, row: int, required: bool) -> str:
    v = value.strip()
    if required and not v:
        raise DiaryError(f"{column}: is empty", source, row)
    if len(v) > MAX_TEXT or "\x00" in v:
        raise DiaryError(f"{column}: must be text without NUL characters, at most {MAX_TEXT} characters",
                         source, row)
    return v


def _date(value: str, source: str, row: int) -> dt.date:
    v = value.strip()
    try:
        if not _DATE.match(v):
            raise ValueError(v)
        day = dt.date.fromisoformat(v)
    except ValueError:
        raise DiaryError(f"date: '{v}' is not a date; write it as YYYY-MM-DD (ISO 8601), e.g. 2026-03-02",
                         source, row) from None
    if not 2000 <= day.year <= 2200:
        raise DiaryError(f"date: {v} is out of range (years 2000 to 2200)", source, row)
    return day


def _minutes(value: str, source: str, row: int) -> float:
    v = value.strip()
    if not v:
        return 0.0
    try:
        m = float(v)
    except ValueError:
        m = math.nan
    if not (math.isfinite(m) and 0 <= m <= MAX_MINUTES):
        raise DiaryError(f"minutes: '{v}' is not a number of minutes from 0 to {MAX_MINUTES:g}", source, row)
    return m


def _rating(value: str, column: str, source: str, row: int) -> int | None:
    v = value.strip()
    if not v:
        return None
    if _RATING.match(v) and int(v) <= 10:
        return int(v)
    what = "is outside 0-10" if _RATING.match(v) or re.match(r"^-\d+$", v) else "is not a rating"
    raise DiaryError(f"{column}: '{v}' {what}; ratings are whole numbers from 0 (no tension) to 10 "
                     "(the most tension), or empty", source, row)


def _entry(cols: list[str], cells: list[str], source: str, row: int) -> Entry:
    if len(cells) != len(cols):
        raise DiaryError(f"has {len(cells)} cells but the header has {len(cols)} columns "
                         "(a note with a comma needs quotes)", source, row)
    c = dict(zip(cols, cells, strict=True))
    return Entry(
        listener=_text(c["listener"], "listener", source, row, True),
        date=_date(c["date"], source, row),
        session=_text(c["session"], "session", source, row, True),
        minutes=_minutes(c["minutes"], source, row),
        before=_rating(c["before"], "before", source, row),
        after=_rating(c["after"], "after", source, row),
        note=_text(c["note"], "note", source, row, False),
        source=source,
        row=row,
    )


def parse_diary(text: str, source: str) -> list[Entry]:
    """The entries of one exported diary (``source`` names the file in errors)."""
    if not text.strip():
        raise DiaryError(f"the file is empty; a diary exported from the pack page starts with the header "
                         f"{HEADER}", source, 1)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    entries: list[Entry] = []
    line = 0  # the last line of the rows read so far: a row starts on the next one
    try:
        cols = _header(next(reader), source)
        line = reader.line_num
        for cells in reader:
            row, line = line + 1, reader.line_num
            if any(c.strip() for c in cells):
                entries.append(_entry(cols, cells, source, row))
    except csv.Error as e:
        raise DiaryError(f"not valid CSV ({e}); check the quotes (\") in this row", source, line + 1) from None
    if not entries:
        raise DiaryError("the header is not followed by any entry; export the diary again once it has some",
                         source, 2)
    return entries


# ---------------------------------------------------------------- many files


def _values_text(e: Entry) -> str:
    def n(x: int | None) -> str:
        return "empty" if x is None else str(x)

    return f"minutes {e.minutes:g}, before {n(e.before)}, after {n(e.after)}, note '{e.note}'"


def merge_entries(files: Iterable[Sequence[Entry]]) -> list[Entry]:
    """All entries once: a row that repeats another (the same listener, date, session and
    values: a diary exported twice, or from two devices) counts once; the same listener,
    date and session with other values is an error at the later row."""
    first: dict[tuple[str, dt.date, str], Entry] = {}
    for entries in files:
        for e in entries:
            old = first.get(e.key)
            if old is None:
                first[e.key] = e
            elif old.values() != e.values():
                raise DiaryError(
                    f"listener '{e.listener}', {e.date.isoformat()}, session '{e.session}' has "
                    f"{_values_text(e)}, but {old.source} row {old.row} has {_values_text(old)} for it; "
                    "keep one of the two rows", e.source, e.row)
    return sorted(first.values(), key=lambda e: (e.listener, e.date, e.session))


def _mean(xs: Sequence[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def _days(entries: Sequence[Entry]) -> tuple[Day, ...]:
    by_date: dict[dt.date, list[Entry]] = {}
    for e in entries:
        by_date.setdefault(e.date, []).append(e)
    return tuple(
        Day(d, len(es), sum(e.minutes for e in es),
            _mean([e.before for e in es if e.before is not None]),
            _mean([e.after for e in es if e.after is not None]))
        for d, es in sorted(by_date.items()))


def summarise_listener(listener: str, entries: Sequence[Entry], days_planned: int | None = None) -> ListenerSummary:
    es = tuple(sorted(entries, key=lambda e: (e.date, e.session)))
    both = [(e.before, e.after) for e in es if e.before is not None and e.after is not None]
    before = _mean([float(b) for b, _ in both])
    after = _mean([float(a) for _, a in both])
    change = _mean([float(a - b) for b, a in both])
    files = tuple(dict.fromkeys(e.source for e in es))
    return ListenerSummary(listener, files, es, _days(es), days_planned, len(both), before, after, change)


def summarise(entries: Sequence[Entry], files: Sequence[str], course: str | None = None,
              days_planned: int | None = None) -> Report:
    """The report's figures for every listener in ``entries`` (merged: :func:`merge_entries`)."""
    by_listener: dict[str, list[Entry]] = {}
    for e in entries:
        by_listener.setdefault(e.listener, []).append(e)
    listeners = tuple(summarise_listener(name, es, days_planned) for name, es in sorted(by_listener.items()))
    return Report(listeners, tuple(files), course, days_planned)
