"""The English breathing, desk-break, body-scan, beach-walk and safety-intro scripts and the shared
macros (scripts/_lib/en.j2) on the planner (docs/scripts.md, "How a script fills its length" and
"Quiet where the method works, said once, opened once"): every length of the declared range at
every voice and listener rate, the method's speech share at the default length, no unannounced
silence over a minute, no line said three times, the full opening once and a short, varied one
after, and the English wording rules of the December review."""

from __future__ import annotations

import collections
import dataclasses
import math
import re
from functools import cache

import pytest

from generator.api import plan
from generator.check import listener_voices
from generator.errors import ScriptError
from generator.model import TBreath, TCue, Timeline, TPause, TSpeech
from generator.script.render import FrontMatter, parse_front_matter, resolve_template

from .test_library import prof

VOICES = listener_voices("en")[0]  # each voice with its own rate and speech-time estimate
NEURAL = ("neural-en", 1.0)  # (voice, listener rate): the default English voice
# every default voice (neural 120 wpm, espeak-ng 135) at listener rate 0.8-1.2
# the slowest and the fastest a listener hears: the neural voice at 0.8 (it speaks no slower than
# about 116 words a minute) and 1.0, espeak-ng at 1.0 and 1.2
VOICINGS = (("neural-en", 0.8), NEURAL, ("calm-en", 1.0), ("calm-en", 1.2))
SHARE = {
    "belly-breathing": (0.20, 0.50), "box-breathing": (0.20, 0.50), "breathing-478": (0.20, 0.50),
    "resonance-breathing": (0.20, 0.50),
    # a guided movement break: each movement is said, then done in the pause after it
    "desk-break": (0.30, 0.55),
    "body-scan": (0.40, 0.70),
    "beach-walk": (0.40, 0.65),
    "safety-intro": (0.40, 0.80),  # mostly information
}
# resonance breathing after PMR (pmr=4/7): the PMR part is pmr_en.j2's (the PMR scripts' rules and
# tests); relaxgen check builds those options at every default voice's rate
OTHERS = ({"pmr": "4"}, {"pmr": "7"})
SCRIPTS = tuple(SHARE)
PROMPTS = {"Breathe in", "Hold", "And out", "Hold."}
# what a native speaker contracts ("as it is" at the end of a clause stays)
UNCONTRACTED = re.compile(r"\b(do not|does not|(?<!as )it is|you are|let us|that is|there is|you will|I will)\b")


@cache
def front(name: str) -> FrontMatter:
    return parse_front_matter(resolve_template(name, "en").read_text(encoding="utf-8"), name)


def cases(name: str) -> list[tuple[dict[str, str], float, float]]:
    """The script's own range and every declared option with its range."""
    fm = front(name)
    out = []
    for c in (None, *fm.options):
        lo, hi = fm.range_for(c)
        assert lo is not None and hi is not None
        out.append((dict(c.sets) if c else {}, lo, hi))
    return out


def lengths(lo: float, hi: float, step: float) -> list[float]:
    n = math.floor((hi - lo) / step + 1e-9)
    return sorted({round(lo + k * step, 2) for k in range(n + 1)} | {hi})


def session(name: str, sets: dict[str, str], minutes: float, voicing: tuple[str, float] = NEURAL,
            earlier: tuple[str, ...] = ()) -> Timeline:
    p = dataclasses.replace(prof("en", dict(sets)), earlier=earlier)
    p = dataclasses.replace(p, rate=p.rate * voicing[1], voice=voicing[0])
    return plan(name, p, minutes, engine="fake", voices=VOICES)[1]


def said(tl: Timeline) -> list[str]:
    return [i.text for i in tl.items if isinstance(i, TSpeech)]


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_length_of_every_declared_range(name: str) -> None:
    """Every half minute of the range (and of each option's), at every default voice's rate and
    listener rate 0.8-1.2: the session lands on its length."""
    for sets, lo, hi in cases(name):
        if sets in OTHERS:
            continue
        for m in lengths(lo, hi, 0.5 if hi - lo <= 10 else 1.0):
            for f in VOICINGS:
                try:
                    tl = session(name, sets, m, f)
                except ScriptError as e:
                    raise AssertionError((name, sets, m, f, str(e))) from None
                assert abs(tl.total_ms - m * 60000) <= 0.02 * m * 60000, (name, sets, m, f)


@pytest.mark.parametrize("name", SCRIPTS)
def test_measures_at_min_default_and_max(name: str) -> None:
    """The method's speech share at the default length (neural voice); at min, default and max
    no silence over 60 s but a declared practice hold, and no sentence of more than three words
    spoken more than twice (short breath prompts are exempt)."""
    fm = front(name)
    lo, hi = SHARE[name]
    tl = session(name, {}, fm.minutes)
    assert lo <= tl.speech_ms / tl.total_ms <= hi, (name, tl.speech_ms / tl.total_ms)
    for sets in ({}, {"sleep": "true"}):
        for m in (fm.min_minutes, fm.minutes, fm.max_minutes):
            for f in (("neural-en", 0.8), ("calm-en", 1.2)):
                try:
                    tl = session(name, sets, m, f)
                except ScriptError:
                    continue  # the range test names it
                holds = [(i.start_ms, i.end_ms) for i in tl.items if isinstance(i, TPause) and i.hold]
                for length, start in _gaps(tl):
                    held = any(s <= start + 1 and start + length <= e + 1 for s, e in holds)
                    assert length <= 60000 or held, (name, sets, m, f, length, start)
                counts = collections.Counter(t for t in said(tl) if len(t.split()) > 3 and t not in PROMPTS)
                assert not [t for t, n in counts.items() if n > 2], (name, sets, m, counts.most_common(3))


def _gaps(tl: Timeline) -> list[tuple[float, float]]:
    """(length, start) of every stretch without speech or cue (the fade-out tail not counted)."""
    sounds = sorted([(i.start_ms, i.end_ms) for i in tl.items if isinstance(i, TSpeech)]
                    + [(i.start_ms, i.start_ms + max(i.dur_ms, 1.0)) for i in tl.items if isinstance(i, TCue)])
    out, end = [], 0.0
    for s, e in sounds:
        if s > end:
            out.append((s - end, end))
        end = max(end, e)
    return out


# a course of other scripts before this one (names as course.earlier has them)
BEFORE = ("safety-intro", "pmr-16", "body-scan", "pmr-7", "beach-walk", "autogenic", "pmr-recall")


def first_minute(tl: Timeline) -> set[str]:
    return {i.text for i in tl.items if isinstance(i, TSpeech) and i.start_ms < 60000 and i.text not in PROMPTS}


@pytest.mark.parametrize("name", [s for s in SCRIPTS if s != "safety-intro"])  # the safety notes themselves
def test_opened_once(name: str) -> None:
    """The full opening (a cushion under the knees where lying is offered, the driving line) on the
    first session and on a session on its own; a short opening of one or two sentences after."""
    fm = front(name)
    alone = " ".join(said(session(name, {}, fm.minutes)))
    assert "Never listen to this while driving" in alone
    if name not in ("desk-break",):
        assert "cushion under your knees" in alone or fm.min_minutes < 3.5 and name == "breathing-478"
    later = session(name, {}, fm.minutes, earlier=("pmr-7",))
    text = " ".join(said(later))
    assert "driving" not in text and "cushion under your knees" not in text
    opening = [i.text for i in later.items if isinstance(i, TSpeech)
               and i.start_ms < next(c.start_ms for c in later.chapters if c.title != "Arriving")]
    assert 1 <= len(opening) <= 2, opening


def test_short_openings_vary_across_a_course() -> None:
    """From the second session on, at most half of the sentences of a session's first minute were
    in the first minute of an earlier session of another script; the endings vary too."""
    course = [SCRIPTS[k % len(SCRIPTS)] for k in range(2 * len(SCRIPTS))]
    heard: list[tuple[str, set[str]]] = []
    endings: list[tuple[str, ...]] = []
    for k, name in enumerate(course):
        earlier = tuple(course[:k])
        tl = session(name, {}, front(name).minutes, earlier=earlier)
        first = first_minute(tl)
        if k:
            seen = set().union(*(f for n, f in heard if n != name))
            assert len(first & seen) <= len(first) / 2, (name, k, first & seen)
        heard.append((name, first))
        endings.append(tuple(i.text for i in tl.items if isinstance(i, TSpeech)
                             and i.start_ms >= tl.chapters[-1].start_ms))
    assert len(set(endings)) > len(endings) / 2, endings


@pytest.mark.parametrize("name", SCRIPTS)
def test_english_wording(name: str) -> None:
    """Contractions, no 'the support', no exclamation marks, no commas as pauses ('In, and out')."""
    for sets in ({}, {"sleep": "true"}, {"safety": "yes"}, {"reflect_course": "yes"}):
        fm = front(name)
        lo, hi = fm.range_for(next((c for c in fm.options if dict(c.sets) == sets), None))
        t = " ".join(said(session(name, sets, hi)))
        assert not UNCONTRACTED.search(t), UNCONTRACTED.search(t)
        assert "the support" not in t and "!" not in t and "In, and out" not in t


def test_box_prompts_the_fourth_side() -> None:
    """Each guided box prompts all four sides: 'Hold' after the out-breath too; nothing promises a count."""
    tl = session("box-breathing", {}, 4)
    items = [i for i in tl.items if isinstance(i, TSpeech)]
    outs = [k for k, i in enumerate(items) if i.text == "And out"]
    assert len(outs) >= 2
    for k in outs:
        nxt = items[k + 1]
        assert nxt.text == "Hold.", nxt.text
        assert 3900 <= nxt.start_ms - items[k].start_ms <= 4100  # on the beat of the fourth side
        after = items[k + 2]
        if after.text == "Breathe in":  # the next guided box: the fourth side lasts about 4 s
            assert 3800 <= after.start_ms - nxt.start_ms <= 4600, after.start_ms - nxt.start_ms
    assert "count with you" not in " ".join(said(tl))


def test_478_never_more_breaths_with_a_longer_session() -> None:
    """The length never adds 4-7-8 breaths: four at 2 and at 10 minutes."""
    for m in (2, 4, 10):
        tl = session("breathing-478", {}, m)
        assert sum(b.spec.cycles for b in tl.items if isinstance(b, TBreath)) == 4


@pytest.mark.parametrize("name", SCRIPTS)
def test_said_time_is_given(name: str) -> None:
    """What a line promises, the silence after it gives: "for a minute" about a minute, "three
    slow breaths" time for three breaths (review item 10)."""
    fm = front(name)
    for m in (fm.min_minutes, fm.minutes, fm.max_minutes):
        tl = session(name, {}, m)
        items = [i for i in tl.items if isinstance(i, TSpeech | TCue)]
        for k, i in enumerate(items[:-1]):
            if not isinstance(i, TSpeech):
                continue
            quiet = items[k + 1].start_ms - i.end_ms
            if "for a minute" in i.text:
                assert quiet >= 50000, (name, m, i.text, quiet)
            if "three slow breaths" in i.text.lower():
                assert quiet >= 15000, (name, m, i.text, quiet)
