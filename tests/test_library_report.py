"""The library report (relaxgen check --library-report): measured on built, decoded audio."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from generator.api import BuildOptions, build_session, plan
from generator.audio.clips import SR
from generator.audio.ffmpeg import decode
from generator.library_report import Measure, judge, measure, method_of
from generator.model import Pause
from generator.profile import Profile

REPO = Path(__file__).resolve().parents[1]


def _built(tmp_path: Path, text: str) -> tuple[np.ndarray, object]:
    (tmp_path / "t.j2").write_text(text, encoding="utf-8")
    built = build_session(tmp_path / "t.j2", tmp_path / "t.mp3", Profile(bed="none"), None,
                          BuildOptions(engine="fake", cache_dir=tmp_path / "cache", mono=True, encoders=1))
    return decode(tmp_path / "t.mp3", SR, 1), built.timeline


def test_a_declared_hold_is_not_an_unguided_silence(tmp_path: Path) -> None:
    text = '[chapter "Start"]\nBreathe in gently. [pause 20s]\n[chapter "Hold"]\nNow rest. [pause 50s{}] Welcome back.\n'
    audio, tl = _built(tmp_path, text.format(""))
    got = measure(audio, tl)  # type: ignore[arg-type]
    assert 49.5 < float(got["longest_silence_s"]) < 50.5
    assert got["longest_silence_chapter"] == "Hold"
    rest = next(s for s in tl.speech if s.text == "Now rest.")  # type: ignore[attr-defined]
    assert abs(float(got["longest_silence_at_s"]) - rest.end_ms / 1000) < 0.1
    audio, tl = _built(tmp_path, text.format(" hold"))
    got = measure(audio, tl)  # type: ignore[arg-type]
    assert 19.5 < float(got["longest_silence_s"]) < 20.5 and got["longest_silence_chapter"] == "Start"
    speech_s = sum(s.dur_ms for s in tl.speech) / 1000  # type: ignore[attr-defined]
    assert abs(float(got["speech_share"]) - speech_s / float(got["length_s"])) < 0.02  # the tones are audible
    m = Measure("x", "en", None, "default", "guided", **got, length_met=True)  # type: ignore[arg-type]
    judge(m)
    assert m.problems == [f"speech share {100 * m.speech_share:.0f} % outside 30-65 %"]


def test_the_plan_shows_a_hold(tmp_path: Path) -> None:
    (tmp_path / "t.j2").write_text("Rest now. [pause 40s hold] Back.", encoding="utf-8")
    prep, tl = plan(tmp_path / "t.j2", Profile(), None, engine="fake")
    holds = [it for it in tl.items if getattr(it, "hold", False)]
    assert len(holds) == 1 and holds[0].dur_ms == 40000
    assert any(isinstance(s, Pause) and s.hold for s in prep.segments)


def test_methods() -> None:
    assert method_of("box-breathing") == "breathing" and method_of("my-own", ["breathing"]) == "breathing"
    assert method_of("pmr-7") == "pmr" and method_of("safety-intro") == "introduction"
    assert method_of("pmr-recall") == "recall"  # no tensing: no tension or release timing
    assert method_of("autogenic") == "autogenic" and method_of("beach-walk") == "imagery"
    assert method_of("desk-break") == "guided"


PMR = """[chapter "Hand"]
Make a fist with your right hand, and now tense. [pause 6s]
And let go. [pause 3s]
Notice the warmth in the hand. [pause 22s hold]
[chapter "Arm"]
Bend the arm, and now tense. [pause 4s]
And let go. [pause 3s]
Notice the arm, heavy and loose. [pause 12s hold]
Now rest.
"""


def test_pmr_tension_and_release_silence_are_measured_on_the_audio(tmp_path: Path) -> None:
    """From the end of the now-cue to the release cue, and the unbroken silence after each
    release: read from the decoded audio and the timeline; a short one is a problem."""
    from generator.library_report import method_measures

    audio, tl = _built(tmp_path, PMR)
    got = method_measures(audio, tl, "pmr")  # type: ignore[arg-type]
    assert [round(t) for t in got["tension_s"]] == [6, 4]  # type: ignore[union-attr]
    assert [round(t) for t in got["release_silence_s"]] == [22, 12]  # type: ignore[union-attr]
    assert round(got["chapter_silence_s"]["Hand"]) == 22  # type: ignore[index]
    m = Measure("pmr-7", "en", None, "default", "pmr", length_met=True, speech_share=0.4,
                **{k: v for k, v in got.items() if k in ("tension_s", "release_silence_s")})  # type: ignore[arg-type]
    judge(m)
    assert any("tension [4.0" in p or "tension [3.9" in p or "tension [4" in p for p in m.problems), m.problems
    assert any("release silence 12" in p and "under 20 s" in p for p in m.problems), m.problems


AT = """I am completely calm. [pause 12s]
My right arm is heavy. [pause 11s]
My right arm is heavy. [pause 6s]
Breathe on quietly, and let the words work by themselves, without effort. [pause 3s]
My right arm is heavy. [pause 12s]
"""


def test_autogenic_formulas_silence_and_repetitions(tmp_path: Path) -> None:
    from generator.library_report import method_measures

    audio, tl = _built(tmp_path, AT + "Breathe on quietly, and let the words work by themselves, without effort.\n"
                                      "Breathe on quietly, and let the words work by themselves, without effort.\n")
    got = method_measures(audio, tl, "autogenic")  # type: ignore[arg-type]
    assert [round(x) for x in got["formula_silence_s"]] == [12, 11, 6, 12]  # type: ignore[union-attr]
    assert got["heaviness_said"] == 3 and got["first_formula_s"] == 1.5
    assert got["repeated"] == {"Breathe on quietly, and let the words work by themselves, without effort.": 3}
    m = Measure("autogenic", "en", None, "default", "autogenic", length_met=True, speech_share=0.3,
                **got)  # type: ignore[arg-type]
    judge(m)
    assert any("followed by 6.0 s, under 10 s" in p for p in m.problems), m.problems
    assert any("said more than twice" in p for p in m.problems), m.problems


@pytest.mark.engine
def test_report_on_the_real_engine(tmp_path: Path) -> None:
    """The report builds and measures with the language's default voice (German: espeak-ng, a few
    times faster than the neural English voice, whose sessions the listening tests measure)."""
    res = subprocess.run([sys.executable, "-m", "generator", "check", "--library-report", "--script", "safety-intro",
                          "--language", "de", "--lengths", "min", "--json", str(tmp_path / "r.json"),
                          "--cache-dir", str(tmp_path / "cache")],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path,
                         env={**__import__("os").environ, "PYTHONPATH": str(REPO)})
    rows = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert len(rows) == 1, res.stderr
    r = rows[0]
    assert (r["script"], r["language"], r["which"], r["method"]) == ("safety-intro", "de", "min", "introduction")
    assert r["length_met"] == (abs(r["length_s"] - 60 * r["minutes"]) < 3)
    assert r["length_met"] or any("cannot last" in p for p in r["problems"])
    if r["length_met"]:  # built and measured
        assert 0.2 < r["speech_share"] < 0.9 and 80 < r["words_per_minute"] < 250
        assert r["longest_silence_s"] < 60
    assert res.returncode == (0 if r["ok"] else 1), res.stderr
    assert "1 build(s)" in res.stdout
