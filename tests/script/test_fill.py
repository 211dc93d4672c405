"""Optional guidance the planner chooses: the markers, the choice, holes, and real clips that
differ from their estimate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from generator.api import BuildOptions, build_session, plan
from generator.audio.clips import write_wav
from generator.errors import ScriptError
from generator.model import ClipRequest
from generator.profile import Profile
from generator.script.fill import ROOM, choose, holes, order, pieces, reaches
from generator.script.markers import parse_script
from generator.script.timeline import estimate_ms
from generator.tts.cache import ClipCache
from generator.tts.fake import SR as FAKE_SR
from generator.tts.fake import FakeEngine
from generator.tts.synth import Synthesizer

from ..audio_utils import SR, load

HERE = "tests.script.test_fill"

SCRIPT = """{#---
title = "Pieces"
---#}
[chapter "One"]
Hello, and welcome. Settle in. [pause 3-8s]
[optional 2]
Feel the floor under you, and let it carry you. [pause 3-8s]
[/optional]
Breathe in slowly, and out. [pause 10-30s hold]
[optional 1]
Notice the air, cool as it comes in, warm as it leaves. [pause 3-8s]
[/optional]
[optional 3]
There is nothing you need to do right now, nothing to change. [pause 3-8s]
[/optional]
Now come back slowly. [pause 2-5s]
"""
FIRST, SECOND, THIRD = "Notice the air", "Feel the floor", "There is nothing"


def _write(tmp_path: Path, text: str = SCRIPT) -> Path:
    p = tmp_path / "t.j2"
    p.write_text(text, encoding="utf-8")
    return p


def _said(tl: object) -> str:
    return " ".join(s.text for s in tl.speech)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("text", "message", "where"), [
    ("Hi. [optional 2] More. [optional 3] Even more. [/optional] [/optional]", "do not nest", "1:24"),
    ("Hi. [/optional]", "without an [optional N]", "1:5"),
    ("Hi.\n[optional 2]\nMore.", "never closed", "2:1"),
    ("Hi. [optional] [/optional]", "is empty", "1:5"),
    ("Hi. [optional] [bed rain] More. [/optional]", "[bed] inside an optional piece", "1:16"),
    ("Hi. [optional] [rate 90%] More. [/optional]", "[rate] inside", "1:16"),
    ("Hi. [optional 0] More. [/optional]", "from 1 (added first) to 99", "1:5"),
    ("Hi. [optional two] More. [/optional]", "a whole number", "1:5"),
    ("Hi. [optional 2] More. [/optional 2]", "[/optional] takes nothing", "1:24"),
    ("Hi. [optionl 2] More.", "did you mean 'optional'", "1:5"),
])
def test_marker_errors_point_at_the_marker(text: str, message: str, where: str) -> None:
    with pytest.raises(ScriptError) as e:
        parse_script(text, "t.j2")
    assert message in str(e.value)
    assert str(e.value).startswith(f"t.j2:{where}: "), str(e.value)


def test_pieces_are_added_in_priority_order_while_they_fit(tmp_path: Path) -> None:
    t = _write(tmp_path)
    taken_by_length = []
    for seconds in range(30, 96, 3):
        prep, tl = plan(t, Profile(), seconds / 60, engine="fake")
        assert abs(tl.total_ms - seconds * 1000) <= 2000
        said = _said(tl)
        taken_by_length.append(tuple(x in said for x in (FIRST, SECOND, THIRD)))
        # a prefix of the order 1, 2, 3: a later piece only with every earlier one
        assert taken_by_length[-1] in {(False, False, False), (True, False, False), (True, True, False),
                                       (True, True, True)}
    assert taken_by_length[0] == (False, False, False) and taken_by_length[-1] == (True, True, True)
    counts = [sum(x) for x in taken_by_length]
    assert counts == sorted(counts), "a longer session never says less"


def test_the_choice_keeps_the_pauses_half_way_into_their_ranges(tmp_path: Path) -> None:
    t = _write(tmp_path)
    for seconds in range(40, 95, 5):
        prep, _tl = plan(t, Profile(), seconds / 60, engine="fake")
        rs = reaches(prep.steps, estimate_ms, lambda c: 4000.0)
        chosen = next(r for r in rs if r.taken == prep.taken)
        feasible = [r for r in rs if r.reaches(seconds * 1000)]
        if chosen.room(seconds * 1000) < ROOM:  # only when no prefix with more room can reach it
            assert chosen == feasible[0]
        else:  # the most guidance that leaves the pauses half their room
            assert not [r for r in feasible if len(r.taken) > len(chosen.taken) and r.room(seconds * 1000) >= ROOM]


def test_plan_shows_pieces_taken_and_left_out(tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    t = _write(tmp_path)
    r = run("plan", str(t), "--engine", "fake", "--minutes", "1")
    assert "optional pieces: 1 of 3 taken" in r.output
    lines = r.output.splitlines()
    assert any(line.strip().startswith("taken") and "t.j2:10:1 [optional 1]" in line for line in lines)
    assert any(line.strip().startswith("left out") and "[optional 3]" in line for line in lines)
    import json

    data = json.loads(run("plan", str(t), "--engine", "fake", "--minutes", "1", "--json").output)
    assert [(p["priority"], p["taken"]) for p in data["pieces"]] == [(1, True), (2, False), (3, False)]


def test_a_hole_names_the_piece_that_leaves_it(tmp_path: Path) -> None:
    text = """Hello there. [pause 2-4s]
[optional]
This piece is far too long for the pauses around it to absorb, so there are lengths no choice reaches at all, none. [pause 20s]
[/optional]
Goodbye. [pause 2-4s]
"""
    t = _write(tmp_path, text)
    prep, _ = plan(t, Profile(), None, engine="fake")
    rs = reaches(prep.steps, estimate_ms, lambda c: 4000.0)
    (hole,) = holes(rs, pieces(prep.steps))
    assert hole.piece.priority == 1 and "far too long" in hole.piece.text
    middle = (hole.after_ms + hole.before_ms) / 2 / 60000
    with pytest.raises(ScriptError) as e:
        plan(t, Profile(), middle, engine="fake")
    msg = str(e.value)
    assert "but not" in msg and "t.j2:2:1 [optional 1]" in msg and "widen the elastic pauses" in msg
    # both sides of the hole build
    plan(t, Profile(), hole.after_ms / 60000, engine="fake")
    plan(t, Profile(), hole.before_ms / 60000, engine="fake")


def test_the_same_inputs_take_the_same_pieces(tmp_path: Path) -> None:
    t = _write(tmp_path)
    a = [plan(t, Profile(), m, engine="fake")[0].taken for m in (0.8, 1.0, 1.2, 1.4)]
    b = [plan(t, Profile(), m, engine="fake")[0].taken for m in (0.8, 1.0, 1.2, 1.4)]
    assert a == b and len(set(a)) > 1


def test_without_a_target_every_piece_is_spoken(tmp_path: Path) -> None:
    prep, tl = plan(_write(tmp_path), Profile(), None, engine="fake")
    assert all(x in _said(tl) for x in (FIRST, SECOND, THIRD)) and prep.left_out() == []


def test_order_is_priority_then_script_order() -> None:
    segs = parse_script("A. [optional 2] B. [/optional] [optional 1] C. [/optional] [optional 2] D. [/optional]")
    from generator.script.timeline import resolve

    steps = resolve(segs, _voice(), {}, 1.0, lambda v: "x", lambda t, lang: t)
    assert [p.index for p in order(pieces(steps))] == [1, 0, 2]
    assert choose(reaches(steps, estimate_ms, lambda c: 0.0), None) is not None


def _voice():  # type: ignore[no-untyped-def]
    from generator.model import VoiceProfile

    return VoiceProfile("v", engine="fake", rate_wpm=120.0)


# ---------------------------------------------------------------- real clips differ from the estimate


class _Scaled(FakeEngine):
    factor = 1.0

    def version(self) -> str:
        return f"scaled-{self.factor}"

    def synthesize(self, req: ClipRequest, out_wav: Path) -> None:
        n = int(round(estimate_ms(req) * self.factor * FAKE_SR / 1000))
        t = np.arange(n) / FAKE_SR
        write_wav(out_wav, (0.2 * np.sin(2 * np.pi * 150 * t)).astype(np.float32), FAKE_SR)


class SlowEngine(_Scaled):
    factor = 1.6


class FastEngine(_Scaled):
    factor = 0.55


TIGHT = """Hello there, and welcome to this short practice. [pause 2s]
[optional 1]
Let the whole of your back rest on the floor, heavy and broad, and let the breath come and go by itself. [pause 1s]
[/optional]
[optional 2]
There is nothing you need to do or change right now; simply notice how the body feels as it rests here. [pause 1s]
[/optional]
Rest. [pause 5-25s]
Goodbye now. [pause 1s]
"""


@pytest.mark.parametrize(("engine", "minutes", "dropped"), [("SlowEngine", 52 / 60, True), ("FastEngine", 0.8, False)])
def test_real_clips_that_differ_from_the_estimate_still_land_on_the_target(
        tmp_path: Path, engine: str, minutes: float, dropped: bool) -> None:
    """Chosen from the estimate, fitted to the real clips: a voice much slower than its estimate
    leaves the last piece out again, a much faster one speaks the next piece too (pieces long
    beside the pauses' room, so the real clips do not fit the estimate's choice)."""
    t = _write(tmp_path, TIGHT)
    estimated, _ = plan(t, Profile(), minutes, engine="fake")
    syn = Synthesizer(ClipCache(tmp_path / "c"), engine_specs={"fake": f"{HERE}:{engine}"}, isolate=False)
    out = tmp_path / "o.mp3"
    res = build_session(t, out, Profile(), minutes, BuildOptions(engine="fake"), synth=syn)
    assert res.prepared.taken is not None and estimated.taken is not None
    if dropped:
        assert len(res.prepared.taken) < len(estimated.taken)
    else:
        assert len(res.prepared.taken) > len(estimated.taken)
    assert res.prepared.taken == tuple(p.index for p in order(pieces(res.prepared.steps)))[:len(res.prepared.taken)]
    seconds = len(load(out)) / SR
    assert abs(seconds - minutes * 60) <= 2.0, seconds
    # only the pieces taken are in the transcript
    spoken = {s.text for s in res.timeline.speech}
    for p in pieces(res.prepared.steps):
        assert (p.text in spoken) == (p.index in res.prepared.taken)
