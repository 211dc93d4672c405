"""What a listener hears, built with the real default voices and measured on the decoded MP3s
(issues 29 and 30): the shortest sessions and a short three-day course land on their lengths,
and the method's quiet phases are there at the default length.

English speaks with the neural voice (Piper) where it is installed, German with espeak-ng.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from generator.api import BuildOptions, build_session
from generator.audio.clips import SR
from generator.audio.ffmpeg import decode
from generator.batch.course import build_course
from generator.batch.executors import InlineExecutor
from generator.batch.manifest import load_manifest, read_listeners
from generator.batch.pack import PackSettings
from generator.library_report import Measure, judge, measure, method_measures, method_of
from generator.profile import Profile
from generator.script.render import parse_front_matter, resolve_template

pytestmark = [pytest.mark.engine, pytest.mark.slow]


def _decoded_seconds(mp3: Path) -> float:
    return len(decode(mp3, SR, 1)) / SR


def _close(seconds: float, minutes: float) -> bool:
    return abs(seconds - minutes * 60) <= max(0.01 * minutes * 60, 2.0)


@pytest.mark.parametrize(("name", "lang"), [("desk-break", "en"), ("belly-breathing", "en"), ("breathing-478", "de")])
def test_the_shortest_session_builds_to_its_length(tmp_path: Path, shared_cache: Path, name: str, lang: str) -> None:
    path = resolve_template(name, lang)
    front = parse_front_matter(path.read_text(encoding="utf-8"), str(path))
    assert front.min_minutes is not None and front.min_minutes <= 2.0
    out = tmp_path / f"{name}.mp3"
    res = build_session(name, out, Profile(name="Alex", language=lang), front.min_minutes,
                        BuildOptions(cache_dir=shared_cache))
    assert _close(_decoded_seconds(out), front.min_minutes), (name, lang)
    assert res.prepared.taken is not None


THREE_DAYS = """title = { en = "Three days", de = "Drei Tage" }

[[session]]
day = 1
script = "belly-breathing"
minutes = 3
title = { en = "Day 1: Belly breathing", de = "Tag 1: Bauchatmung" }

[[session]]
day = 2
script = "desk-break"
minutes = 2
title = { en = "Day 2: A desk break", de = "Tag 2: Pause am Schreibtisch" }

[[session]]
day = 3
script = "breathing-478"
minutes = 2
title = { en = "Day 3: 4-7-8 breathing", de = "Tag 3: Vier-sieben-acht-Atmung" }
"""


def test_a_three_day_course_lands_on_every_length(tmp_path: Path, shared_cache: Path) -> None:
    """Two English listeners and one German one; each day's "tomorrow" line is inside the length."""
    (tmp_path / "c.toml").write_text(THREE_DAYS, encoding="utf-8")
    # Alex as in the other real-engine tests: the shared cache has many of his sentences already
    rows = [{"id": "a", "name": "Alex", "language": "en"}, {"id": "b", "name": "Ben", "language": "en", "rate": "0.9"},
            {"id": "c", "name": "Clara", "language": "de", "address": "du"}]
    with (tmp_path / "l.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["id", "name", "language", "address", "rate"])
        w.writeheader()
        w.writerows(rows)
    manifest = load_manifest(tmp_path / "c.toml")
    summary = build_course(manifest, read_listeners(tmp_path / "l.csv"), tmp_path / "out",
                           PackSettings(str(shared_cache)), InlineExecutor())
    assert not summary.failed and len(summary.built) == 9, summary.failed
    mp3s = sorted((tmp_path / "out").rglob("*.mp3"))
    assert len(mp3s) == 9
    minutes = [s.minutes for s in manifest.sessions]
    for mp3 in mp3s:
        day = int(mp3.name.split(" ")[0]) - 1
        assert _close(_decoded_seconds(mp3), minutes[day]), (mp3, minutes[day])


@pytest.mark.parametrize(("name", "lang"), [("pmr-4", "en"), ("autogenic", "de")])
def test_the_method_is_quiet_where_it_works(tmp_path: Path, shared_cache: Path, name: str, lang: str) -> None:
    """At the default length with the default voice: the method's targets (docs/scripts.md)."""
    path = resolve_template(name, lang)
    front = parse_front_matter(path.read_text(encoding="utf-8"), str(path))
    out = tmp_path / f"{name}.mp3"
    built = build_session(name, out, Profile(name="Alex", language=lang, bed="none"), front.minutes,
                          BuildOptions(cache_dir=shared_cache, mono=True, encoders=1))
    audio = decode(out, SR, 1)
    m = Measure(name, lang, front.minutes, "default", method_of(name, front.tags), length_met=True)
    for k, v in {**measure(audio, built.timeline), **method_measures(audio, built.timeline, m.method)}.items():
        setattr(m, k, v)
    judge(m)
    assert m.problems == [], m.problems
