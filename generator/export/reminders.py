"""``reminders.ics``: one calendar event a course day, at the listener's practice time.

Written with the ``icalendar`` library (RFC 5545): one VEVENT per session with the
session's title, its length as the duration, what to do and the safety line as the
description, and a VALARM a few minutes before; the VTIMEZONE of the listener's time
zone is generated from the IANA database. UIDs are derived from the pack, the
listener and the course day, so importing an updated pack updates the events instead
of adding them twice.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping

import icalendar

from ..errors import ExportError
from ..script.practice import Schedule

REMINDERS_NAME = "reminders.ics"
ALARM_MINUTES = 10
START_PROP = "X-RELAXGEN-START"  # the schedule's first day, read back when no start was given
PRODID = "-//relaxgen//practice reminders//EN"

TEXT = {
    "en": {
        "do": "Time for your relaxation practice: play \u201c{title}\u201d ({minutes} min) from the "
              "pack folder (index.html or playlist.m3u8). Lie or sit comfortably somewhere quiet.",
        "alarm": "Relaxation practice in {n} minutes: {title}",
        "calendar": "{album} \u2013 practice",
    },
    "de": {
        "do": "Zeit f\u00fcr die Entspannungs\u00fcbung: \u201e{title}\u201c ({minutes} Min.) aus dem "
              "Ordner der Sammlung abspielen (index.html oder playlist.m3u8). Bequem liegen oder "
              "sitzen, an einem ruhigen Ort.",
        "alarm": "Entspannungs\u00fcbung in {n} Minuten: {title}",
        "calendar": "{album} \u2013 \u00dcben",
    },
}


def _text(language: str) -> dict[str, str]:
    return TEXT.get(language, TEXT["en"])


def reminders_ics(schedule: Schedule, album: str, start: dt.date, safety: str,
                  durations: Mapping[int, float], stamp: dt.datetime) -> bytes:
    """The calendar for ``schedule`` starting on ``start``. ``durations``: built lengths in
    seconds by track number (planned minutes for the others); ``stamp``: DTSTAMP (UTC)."""
    try:
        tz = zoneinfo.ZoneInfo(schedule.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ExportError(f"unknown time zone '{schedule.timezone}' for the reminders; "
                          "set timezone to an IANA name such as Europe/Berlin") from None
    text = _text(schedule.language)
    hour, minute = (int(x) for x in schedule.practice_time.split(":"))
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", text["calendar"].format(album=album))
    cal.add("x-wr-timezone", schedule.timezone)
    cal.add(START_PROP, start.isoformat())
    stamp = stamp.astimezone(dt.UTC).replace(microsecond=0)
    first = last = None
    for d in schedule.days:
        seconds = durations.get(d.number) or d.minutes * 60.0
        minutes = max(1, round(seconds / 60.0))
        when = dt.datetime.combine(schedule.date_of(d.day, start), dt.time(hour, minute), tz)
        first, last = first or when, when
        ev = icalendar.Event()
        ev.add("uid", f"{schedule.key}-day{d.day}-{d.number}@relaxgen")
        ev.add("dtstamp", stamp)
        ev.add("dtstart", when)
        ev.add("duration", dt.timedelta(minutes=minutes))
        ev.add("summary", d.title)
        ev.add("description", text["do"].format(title=d.title, minutes=minutes) + "\n\n" + safety)
        ev.add("categories", ["relaxgen"])
        ev.add("transp", "OPAQUE")
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", dt.timedelta(minutes=-ALARM_MINUTES))
        alarm.add("description", text["alarm"].format(n=ALARM_MINUTES, title=d.title))
        ev.add_component(alarm)
        cal.add_component(ev)
    if first is not None and last is not None:
        cal.add_missing_timezones(first_date=first.date() - dt.timedelta(days=366),
                                  last_date=last.date() + dt.timedelta(days=366))
    return bytes(cal.to_ical())


def read_ics(data: bytes) -> icalendar.Calendar:
    """Parse a calendar (as written here) back; raises :class:`ExportError` when it is not one."""
    try:
        cal = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError) as e:
        raise ExportError(f"{REMINDERS_NAME} is not a valid iCalendar file ({e})") from None
    if not isinstance(cal, icalendar.Calendar):
        raise ExportError(f"{REMINDERS_NAME} holds more than one calendar")
    return cal


def previous(data: bytes | None) -> tuple[dt.date | None, dt.datetime | None]:
    """The start day and DTSTAMP of a calendar written before (``None`` where unknown)."""
    if not data:
        return None, None
    try:
        cal = read_ics(data)
        start = dt.date.fromisoformat(str(cal.get(START_PROP, "")))
    except (ExportError, ValueError):
        return None, None
    stamps = [ev.decoded("dtstamp") for ev in cal.walk("VEVENT") if "dtstamp" in ev]
    return start, (stamps[0] if stamps else None)
