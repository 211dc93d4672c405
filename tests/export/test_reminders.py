"""Daily practice: schedule fields, ``reminders.ics`` (parsed back, by a second parser and
by a real calendar client), and the spoken "Tomorrow: ..." line at the end of a course day."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zoneinfo
from pathlib import Path

import numpy as np
import pytest

from generator.api import plan
from generator.audio.ffmpeg import decode
from generator.batch.course import build_course, plan_course
from generator.batch.executors import InlineExecutor
from generator.batch.manifest import load_manifest, manifest_from_mapping, read_listeners
from generator.batch.pack import PackSettings, plan_pack, write_pack_files
from generator.errors import ManifestError, ProfileError
from generator.export.readme import readme_text
from generator.export.reminders import REMINDERS_NAME, read_ics, reminders_ics
from generator.model import Chapter, Cue, Gap, Pause, Speech
from generator.profile import Profile, profile_from_mapping
from generator.script.practice import PracticeDay, closing_line, next_days, with_closing

HERE = Path(__file__).parents[1]
ROOT = HERE.parent
COURSE = ROOT / "scripts" / "courses" / "back-relief-14-days.toml"
TINY = HERE / "templates" / "course"
VOICES = ["calm-en", "calm-de"]


def _csv(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(["id,name,language,address,start,practice_time,timezone", *rows]) + "\n",
                    encoding="utf-8")
    return path


TWO = ["001,Ben Carter,en,,2026-03-23,07:30,America/New_York",
       "002,Anna Schmidt,de,Sie,2026-03-23,19:30,Europe/Berlin"]


# ---------------------------------------------------------------- profile, CSV and manifest fields


def test_schedule_fields_are_validated_and_never_reach_the_audio() -> None:
    p = profile_from_mapping({"start": dt.date(2026, 3, 2), "practice_time": "7.05", "timezone": "Europe/Berlin"})
    assert (p.start, p.practice_time, p.timezone) == ("2026-03-02", "07:05", "Europe/Berlin")
    assert profile_from_mapping({"practice_time": dt.time(19, 30)}).practice_time == "19:30"
    assert Profile().practice_time == "19:00" and Profile().start is None and Profile().timezone is None
    # not template variables, not part of the build hash
    assert not {"start", "practice_time", "timezone"} & set(p.template_vars())
    assert p.used_fields() == Profile().used_fields()
    with pytest.raises(ProfileError, match=r"start: '2026-13-01' is not a date; write it as YYYY-MM-DD"):
        profile_from_mapping({"start": "2026-13-01"})
    with pytest.raises(ProfileError, match=r"practice_time: '25:00' is not a time of day"):
        profile_from_mapping({"practice_time": "25:00"})
    with pytest.raises(ProfileError, match=r"unknown time zone 'Europe/Berln' \(did you mean 'Europe/Berlin'\?\)"):
        profile_from_mapping({"timezone": "Europe/Berln"})


def test_csv_columns_with_row_numbers(tmp_path: Path) -> None:
    csv = _csv(tmp_path / "l.csv", [*TWO, "003,C,en,,2026-02-30,,", "004,D,en,,,7:61,", "005,E,en,,,,Mars/Base",
                                    "006,F,en,,,,"])
    table = read_listeners(csv, VOICES)
    assert [x.id for x in table.listeners] == ["001", "002", "006"]
    assert table.listeners[1].profile.timezone == "Europe/Berlin"
    assert table.listeners[2].profile.practice_time == "19:00"
    errors = [str(e) for e in table.errors]
    assert errors[0].startswith("row 4 (id 003): start: '2026-02-30' is not a date")
    assert errors[1].startswith("row 5 (id 004): practice_time: '7:61' is not a time of day")
    assert errors[2].startswith("row 6 (id 005): timezone: unknown time zone 'Mars/Base'")


def test_manifest_start(tmp_path: Path) -> None:
    data = {"title": "T", "start": dt.date(2026, 5, 4),
            "session": [{"script": str(TINY / "day1.j2"), "minutes": 1}]}
    assert manifest_from_mapping(data, tmp_path / "m.toml").start == "2026-05-04"
    with pytest.raises(ManifestError, match=r"m.toml: start: 'soon' is not a date"):
        manifest_from_mapping({**data, "start": "soon"}, tmp_path / "m.toml")


# ---------------------------------------------------------------- reminders.ics


def _events(folder: Path) -> list:  # type: ignore[type-arg]
    return sorted(read_ics((folder / REMINDERS_NAME).read_bytes()).walk("VEVENT"),
                  key=lambda e: e.decoded("dtstart"))


def test_fourteen_day_course_calendars_for_two_listeners(tmp_path: Path) -> None:
    manifest = load_manifest(COURSE)
    table = read_listeners(_csv(tmp_path / "l.csv", TWO), VOICES)
    plans = plan_course(manifest, table, tmp_path / "out", PackSettings(str(tmp_path / "c"), reminders=True),
                        summary=_summary())
    uids: set[str] = set()
    for p, (tz, hour, minute, lang) in zip(plans, [("America/New_York", 7, 30, "en"),
                                                   ("Europe/Berlin", 19, 30, "de")], strict=True):
        assert not p.errors
        assert REMINDERS_NAME in write_pack_files(p, [])
        cal = read_ics((p.folder / REMINDERS_NAME).read_bytes())
        events = _events(p.folder)
        assert len(events) == 14
        assert [str(tzc["TZID"]) for tzc in cal.walk("VTIMEZONE")] == [tz]
        for i, (ev, s) in enumerate(zip(events, manifest.for_language(lang).sessions, strict=True)):
            start = ev.decoded("dtstart")
            assert start.tzinfo == zoneinfo.ZoneInfo(tz) and (start.hour, start.minute) == (hour, minute)
            assert start.date() == dt.date(2026, 3, 23) + dt.timedelta(days=i)
            assert str(ev["summary"]) == s.title
            assert ev.decoded("duration") == dt.timedelta(minutes=round(s.minutes))
            assert ("Sicherheit" if lang == "de" else "Safety") in str(ev["description"])
            alarms = ev.walk("VALARM")
            assert len(alarms) == 1 and alarms[0].decoded("trigger") == dt.timedelta(minutes=-10)
            uids.add(str(ev["uid"]))
        # the clock change in Europe (29 March) keeps the local practice time
        assert events[-1].decoded("dtstart").utcoffset() != events[0].decoded("dtstart").utcoffset() or \
            tz != "Europe/Berlin"
        # unchanged on a rebuild: same bytes, not even a new DTSTAMP
        before = (p.folder / REMINDERS_NAME).read_bytes()
        assert write_pack_files(p, []) == []
        assert (p.folder / REMINDERS_NAME).read_bytes() == before
        assert "reminders.ics" in (p.folder / "README.txt").read_text(encoding="utf-8")
    assert len(uids) == 28  # unique per listener and day


def _summary():  # type: ignore[no-untyped-def]
    from generator.batch.course import Summary

    return Summary()


def test_uids_are_stable_and_the_first_build_day_stays_the_start(tmp_path: Path) -> None:
    manifest = load_manifest(TINY / "course.toml")
    settings = PackSettings(str(tmp_path / "c"), reminders=True)
    p = plan_pack(manifest, Profile(name="Ben", timezone="UTC"), tmp_path / "p", settings)
    sch = p.schedule
    assert sch is not None and sch.start is None
    # a calendar written on an earlier day, without a start: that day stays the start
    old = reminders_ics(sch, p.title, dt.date(2026, 1, 5), "Safety.", {}, dt.datetime(2026, 1, 5, tzinfo=dt.UTC))
    (p.folder / REMINDERS_NAME).write_bytes(old)
    write_pack_files(p, [])
    events = _events(p.folder)
    assert [e.decoded("dtstart").date().isoformat() for e in events] == ["2026-01-05", "2026-01-06", "2026-01-07"]
    uids = [str(e["uid"]) for e in events]
    # a start given later moves the events and keeps their UIDs (a re-import updates them)
    later = plan_pack(manifest, Profile(name="Ben", timezone="UTC", start="2026-02-01", practice_time="08:00"),
                      tmp_path / "p", settings)
    assert REMINDERS_NAME in write_pack_files(later, [])
    events = _events(p.folder)
    assert [str(e["uid"]) for e in events] == uids
    assert events[0].decoded("dtstart") == dt.datetime(2026, 2, 1, 8, 0, tzinfo=zoneinfo.ZoneInfo("UTC"))
    # no reminders for a plain pack (no --reminders)
    plain = plan_pack(manifest, Profile(name="Ben"), tmp_path / "q", PackSettings(str(tmp_path / "c")))
    write_pack_files(plain, [])
    assert not (tmp_path / "q" / REMINDERS_NAME).exists()


def test_readme_explains_android_and_iphone(tmp_path: Path) -> None:
    p = plan_pack(load_manifest(TINY / "course.toml"), Profile(), tmp_path / "p",
                  PackSettings(str(tmp_path / "c"), reminders=True))
    from generator.batch.pack import pack_export

    text = readme_text(pack_export(p, []), 3, "Safety: x")
    assert "reminders.ics" in text and "Android" in text and "iPhone" in text and "Add All" in text


@pytest.mark.parametrize(("address", "words", "not_words"), [
    ("Sie", ("Ihr Fortschritt", "Schicken Sie sich", "Sicherheit"), ("du ", "dein")),
    ("du", ("Dein Fortschritt", "Schicke dir", "Sicherheit"), ("Sie ", "Ihr")),
])
def test_readme_and_page_speak_the_listeners_register(tmp_path: Path, address: str, words: tuple[str, ...],
                                                      not_words: tuple[str, ...]) -> None:
    """A German listener reads German in the form of address they hear: README.txt and index.html."""
    p = plan_pack(load_manifest(TINY / "course.toml"), Profile(language="de", address=address), tmp_path / "p",
                  PackSettings(str(tmp_path / "c"), reminders=True))
    write_pack_files(p, [])
    readme = (p.folder / "README.txt").read_text(encoding="utf-8")
    page = (p.folder / "index.html").read_text(encoding="utf-8")
    assert all(w in readme for w in words), readme
    assert not any(re.search(rf"\b{w}", readme) for w in not_words), readme
    assert ("Ihr Fortschritt" in page) == (address == "Sie") and ("Dein Fortschritt" in page) == (address == "du")
    assert "Bevor du beginnst" not in page or address == "du"


def test_a_second_parser_reads_it(tmp_path: Path) -> None:
    vobject = pytest.importorskip("vobject")
    p = plan_pack(load_manifest(TINY / "course.toml"), Profile(timezone="Europe/Berlin", start="2026-10-24"),
                  tmp_path / "p", PackSettings(str(tmp_path / "c"), reminders=True))
    write_pack_files(p, [])
    cal = vobject.readOne((p.folder / REMINDERS_NAME).read_text(encoding="utf-8"))
    starts = [ev.dtstart.value for ev in cal.vevent_list]
    assert [s.isoformat() for s in starts] == ["2026-10-24T19:00:00+02:00", "2026-10-25T19:00:00+01:00",
                                               "2026-10-26T19:00:00+01:00"]
    assert all(len(ev.valarm_list) == 1 for ev in cal.vevent_list)


@pytest.mark.skipif(shutil.which("khal") is None, reason="khal (Debian package) is not installed")
def test_imports_into_a_real_calendar_client(tmp_path: Path) -> None:
    """khal (a calendar client) imports it twice: the second import updates, never doubles."""
    p = plan_pack(load_manifest(TINY / "course.toml"),
                  Profile(timezone="America/New_York", start="2026-03-07", practice_time="07:30"),
                  tmp_path / "p", PackSettings(str(tmp_path / "c"), reminders=True))
    write_pack_files(p, [])
    (tmp_path / "cal").mkdir()
    conf = tmp_path / "khal.conf"
    conf.write_text(
        f"[calendars]\n[[practice]]\npath = {tmp_path / 'cal'}\ntype = calendar\n"
        "[locale]\ntimeformat = %H:%M\ndateformat = %Y-%m-%d\nlongdateformat = %Y-%m-%d\n"
        "datetimeformat = %Y-%m-%d %H:%M\nlongdatetimeformat = %Y-%m-%d %H:%M\n"
        "local_timezone = UTC\ndefault_timezone = UTC\n"
        f"[sqlite]\npath = {tmp_path / 'khal.db'}\n", encoding="utf-8")
    khal = ["khal", "-c", str(conf)]
    for _ in range(2):
        subprocess.run([*khal, "import", "--batch", "-a", "practice", str(p.folder / REMINDERS_NAME)],
                       check=True, capture_output=True, timeout=60)
    assert len(list((tmp_path / "cal").glob("*.ics"))) == 3
    out = subprocess.run([*khal, "list", "--format", "{start} {title} {alarm-symbol}", "2026-03-06", "5d"],
                         check=True, capture_output=True, text=True, timeout=60).stdout
    # 07:30 in New York: 12:30 UTC before the clock change on 8 March, 11:30 after it
    assert "2026-03-07 12:30 Arrive" in out and "2026-03-08 11:30 Day 2: hands" in out
    assert "2026-03-09 11:30 Rest" in out and out.count("\u23f0") == 3


# ---------------------------------------------------------------- "Tomorrow: ..."


def test_closing_lines() -> None:
    nxt = PracticeDay(2, 2, "Day 2: Gentle muscle relaxation, 16 groups", 22, "02 x.mp3")
    assert closing_line("en", "Sie", 1, nxt) == "Tomorrow: Gentle muscle relaxation, 16 groups."
    assert closing_line("de", "Sie", 1, nxt) == "Morgen üben Sie: Gentle muscle relaxation, 16 groups."
    assert closing_line("de", "du", 1, nxt) == "Morgen übst du: Gentle muscle relaxation, 16 groups."
    assert closing_line("en", "Sie", 0, nxt) == "Next time, on day 2: Gentle muscle relaxation, 16 groups."
    days = [PracticeDay(1, 1, "a", 1, ""), PracticeDay(2, 1, "b", 1, ""), PracticeDay(3, 3, "c", 1, "")]
    assert {k: v.number for k, v in next_days(days).items()} == {2: 3}
    segs = [Chapter("End"), Speech("Open your eyes."), Pause(2000, 2000), Cue("bell")]
    assert with_closing(segs, "Tomorrow: x.") == [Chapter("End"), Speech("Open your eyes."), Gap("paragraph"),
                                                  Speech("Tomorrow: x."), Pause(2000, 2000), Cue("bell")]
    assert with_closing(segs, "") == segs


def test_the_last_words_of_a_course_day_name_the_next(tmp_path: Path) -> None:
    manifest = load_manifest(TINY / "course.toml")
    settings = PackSettings(str(tmp_path / "c"), engine="fake")
    cases = [(Profile(language="en"), "Tomorrow: hands.", "Tomorrow: Rest."),
             (Profile(language="de", address="Sie"), "Morgen üben Sie: hands.", "Morgen üben Sie: Rest."),
             (Profile(language="de", address="du"), "Morgen übst du: hands.", "Morgen übst du: Rest.")]
    for profile, first, second in cases:
        p = plan_pack(manifest, profile, tmp_path / profile.language / profile.address, settings)
        assert [t.closing for t in p.tasks] == [first, second, ""]
        for t in p.tasks[:2]:
            prep, tl = plan(t.template, profile, t.minutes, engine="fake", cache_dir=tmp_path / "c",
                            closing=t.closing)
            speech = sorted(tl.speech, key=lambda s: s.start_ms)
            last_chapter = max(tl.chapters, key=lambda c: c.start_ms)
            assert speech[-1].text == t.closing and speech[-1].start_ms >= last_chapter.start_ms
            # the session lands on the manifest's length with the line inside it
            assert t.minutes is not None and abs(tl.total_ms - t.minutes * 60000) <= 50
    # no line in the sleep variant
    sleepy = plan_pack(manifest, Profile(sleep=True), tmp_path / "s", settings)
    assert [t.closing for t in sleepy.tasks] == ["", "", ""]


def test_course_build_speaks_the_line(tmp_path: Path) -> None:
    """Built for two listeners: the line is the last of the transcript and is audible in the MP3."""
    src = tmp_path / "src"
    shutil.copytree(TINY, src)
    table = read_listeners(_csv(tmp_path / "l.csv", TWO), VOICES)
    s = build_course(load_manifest(src / "course.toml"), table, tmp_path / "out",
                     PackSettings(str(tmp_path / "c"), engine="fake"), InlineExecutor())
    assert s.ok, s.failed
    for folder, line in (("001 Ben Carter", "Tomorrow: hands."), ("002 Anna Schmidt", "Morgen üben Sie: hands.")):
        d = tmp_path / "out" / folder
        assert (d / REMINDERS_NAME).is_file()
        lrc = (d / "01 Arrive.lrc").read_text(encoding="utf-8").strip().splitlines()
        assert lrc[-1].endswith(line)
        m, sec = lrc[-1][1:9].split(":")
        at = int(m) * 60 + float(sec)
        audio = decode(d / "01 Arrive.mp3", 44100, 1)
        spoken = audio[int((at + 0.1) * 44100):int((at + 0.6) * 44100)]
        assert float(np.sqrt(np.mean(spoken ** 2))) > 0.01
        assert "Tomorrow" not in (d / "03 Rest.lrc").read_text(encoding="utf-8")
