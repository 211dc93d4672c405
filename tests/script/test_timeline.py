"""Timing: exact layout, fit-to-length, breathing beats, golden plans (fake engine)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.api import plan, plan_session
from generator.errors import RelaxgenError, ScriptError
from generator.model import TimedBreath, TimedPause, TimedSpeech
from generator.profile import Profile
from generator.script.planio import timeline_dict

from ..conftest import GOLDEN, TEMPLATES


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "t.j2"
    p.write_text(text, encoding="utf-8")
    return p


def test_items_are_contiguous(tmp_path: Path) -> None:
    _, tl = plan(write(tmp_path, "One. Two.\n\nThree. [pause 2s] Four. [bell] Five."), Profile())
    seq = [i for i in tl.items if isinstance(i, TimedSpeech | TimedPause) or i.kind == "cue"]
    for a, b in zip(seq, seq[1:], strict=False):
        assert b.start_ms == pytest.approx(a.start_ms + a.dur_ms)  # type: ignore[union-attr]
    assert tl.total_ms == pytest.approx(seq[-1].start_ms + seq[-1].dur_ms + 4000)  # type: ignore[union-attr]


@pytest.mark.parametrize("minutes", [1.5, 2.5, 3.5])
def test_fit_to_length(tmp_path: Path, minutes: float) -> None:
    src = "Settle in. [pause 10-60s]\n{% for i in range(4) %}Breathe slowly. [pause 5-40s]\n{% endfor %}Welcome back."
    _, tl = plan(write(tmp_path, src), Profile(), minutes)
    assert abs(tl.total_ms - minutes * 60000) <= max(0.01 * minutes * 60000, 2000)


def test_unreachable_length_says_what_is_reachable(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match=r"cannot last 30:00 min: .* can last 0:\d\d min to 0:\d\d min"):
        plan(write(tmp_path, "Hi. [pause 3-8s] Bye."), Profile(), 30)


def test_length_error_shows_a_range_that_excludes_the_target(tmp_path: Path) -> None:
    t = tmp_path / "t.j2"
    t.write_text("Hello there. [pause 1s]", encoding="utf-8")  # about 7 s
    with pytest.raises(RelaxgenError) as e:
        plan_session(t, minutes=0.05, estimate=True)  # 3 s (a manifest allows such lengths)
    msg = str(e.value)
    target = msg.split("cannot last ", 1)[1].split(" min", 1)[0]
    shortest = msg.split("it can last ", 1)[1].split(" min", 1)[0]
    assert target != shortest, msg


def test_a_session_longer_than_three_hours_is_refused_before_speech(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tpl = tmp_path / "long.j2"
    tpl.write_text("{% for i in range(400) %}Rest here. [pause 30s]\n{% endfor %}", encoding="utf-8")
    res = run("build", str(tpl), "-o", str(tmp_path / "long.mp3"), "--engine", "fake", "-q")
    assert res.exit_code == 1
    # 400 x (30 s + "Rest here." at calm-en's estimate, 1.04 s) + 5.5 s lead-in and tail: 207 min
    assert "the session would last 3 h 27 min; a session can be at most 3 hours" in res.output
    assert not (tmp_path / "long.mp3").exists()
    assert run("plan", str(tpl), "--estimate").exit_code == 1


def test_breathing_beats(tmp_path: Path) -> None:
    _, tl = plan(write(tmp_path, "Now. [breathe in=4 hold=2 out=6 cycles=3 guide=1] Done."), Profile())
    br = next(i for i in tl.items if isinstance(i, TimedBreath))
    assert [b - br.start_ms for b in br.beats_ms] == pytest.approx([0, 12000, 24000])
    prompts = [i for i in tl.items if isinstance(i, TimedSpeech) and br.start_ms <= i.start_ms < br.end_ms]
    assert [p.start_ms - br.start_ms for p in prompts] == pytest.approx([0, 4000, 6000])
    tones = [i for i in tl.items if i.kind == "cue"]
    assert [t.start_ms - br.start_ms for t in tones] == pytest.approx([12000, 18000, 24000, 30000])  # type: ignore[union-attr]


@pytest.mark.parametrize("name", sorted(p.stem for p in TEMPLATES.glob("*.j2")))
def test_golden_plans(name: str, request: pytest.FixtureRequest) -> None:
    _, tl = plan(TEMPLATES / f"{name}.j2", Profile(name="Alex"))
    got = timeline_dict(tl, name)
    for item in got["items"]:
        item.pop("voice", None)
    golden = GOLDEN / f"{name}.json"
    if request.config.getoption("--update-golden") or not golden.exists():
        golden.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        if not request.config.getoption("--update-golden"):
            pytest.fail(f"golden file {golden.name} was missing and has been written; review and commit it")
    assert got == json.loads(golden.read_text(encoding="utf-8"))
