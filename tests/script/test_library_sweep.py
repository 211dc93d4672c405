"""The library as a listener lives with it (issues 29 and 30), by the calibrated estimate:

- every length of every declared range is reachable, in 0.5-minute steps, in en and de (Sie; the
  du form, whose text differs only in its pronouns, and a body area left out in whole minutes and
  at both ends), at every default voice's rate and the listener's rate 0.8-1.2, in sleep mode,
  with each declared option and with any one body area left out;
- the English scripts other than PMR and autogenic training land on every length of each range
  (and each option's) at every default voice and listener rate 0.8-1.2, nameless;
- no sentence of more than three words is said more than twice in a session (German PMR and
  autogenic training also with their options).

The sweep renders each length once and plans each distinct rendering once per voice and rate
(the planner's reach is a property of the rendering), so it stays fast.
"""

from __future__ import annotations

import collections
import math
import re
from collections import Counter
from dataclasses import replace

import pytest

from generator.api import course_context, plan, prepare, reach, template_variables
from generator.errors import ScriptError
from generator.paths import scripts_dir
from generator.profile import BODY_AREAS, Profile, apply_overrides
from generator.script.render import render_template, resolve_template
from generator.script.timeline import BREATH_PROMPTS

from . import library_plans
from .library_plans import (
    DE_FORMULAS,
    DE_PLANNER,
    EN_VOICINGS,
    OTHER_SCRIPTS,
    REGISTERS,
    VOICES,
    de,
    english,
    front,
    front_matter,
    listener,
)

# ---------------------------------------------------------------- every length of every range


# every script with a method's natural range (all but the safety introduction)
SWEPT = ("belly-breathing", "box-breathing", "breathing-478", "resonance-breathing", "desk-break",
         "pmr-4", "pmr-7", "pmr-16", "pmr-recall", "autogenic", "body-scan", "beach-walk")
# the methods' natural ranges (issue 29): each script's declared range covers at least these
NATURAL = {"belly-breathing": (2, 20), "box-breathing": (2, 15), "breathing-478": (2, 10),
           "resonance-breathing": (5, 20), "desk-break": (2, 10), "pmr-4": (8, 20), "pmr-7": (12, 30),
           "pmr-16": (25, 45), "pmr-recall": (5, 15), "autogenic": (5, 25), "body-scan": (8, 45),
           "beach-walk": (8, 30)}
LISTENER_RATES = (0.8, 1.0, 1.2)


def _voicings(lang: str) -> list[tuple[str, float]]:
    """(voice, listener rate): every default voice at the listener's rates 0.8-1.2 (a voice
    speaks no slower than its slowest rate: Piper's neural voice about 116 words a minute)."""
    return [(v, r) for v in VOICES[lang][1] for r in LISTENER_RATES]


def _whole(lo: float, hi: float) -> list[float]:
    return sorted({lo, hi, *range(math.ceil(lo), math.floor(hi) + 1)})


def _steps(lo: float, hi: float) -> list[float]:
    return sorted({lo, hi, *(x / 2 for x in range(math.ceil(lo * 2), math.floor(hi * 2) + 1))})


_reach_cache: dict[tuple[object, ...], list[object]] = {}


_last_rendering: dict[tuple[str, str, float], str] = {}


def _rendering(name: str, p: Profile, minutes: float) -> str:
    """The template rendered for ``p`` at ``minutes`` (the last one kept: the sweep asks for
    each length at every voicing in a row)."""
    key = (name, repr(p), minutes)
    if key not in _last_rendering:
        path = resolve_template(name, p.language)
        variables = template_variables(p)
        variables["minutes"] = minutes
        variables["course"] = course_context(p.earlier, path)
        _last_rendering.clear()
        _last_rendering[key] = render_template(path, variables).text
    return _last_rendering[key]


def _reachable(name: str, p: Profile, minutes: float, voice: str, rate: float) -> bool:
    """Whether ``p`` spoken by ``voice`` at ``rate`` can fill ``minutes`` (its rendering planned
    once per voice and rate)."""
    text = _rendering(name, p, minutes)
    key = (name, text, repr(replace(p, rate=1.0)), voice, rate)
    if key not in _reach_cache:
        voiced = replace(p, rate=p.rate * rate, voice=voice)
        _reach_cache[key] = reach(prepare(resolve_template(name, p.language), voiced, minutes, engine="fake", voices=VOICES[p.language][0]))
    target = minutes * 60000
    return any(r.reaches(target) for r in _reach_cache[key])  # type: ignore[attr-defined]


def _variants(name: str, lang: str, address: str) -> list[tuple[str, Profile, float, float, bool]]:
    """(label, profile, lowest, highest, at every rate) for the combinations a listener has (a
    skipped area's label starts with "skip=": those are swept in whole minutes, to keep the
    suite's time; their ends are always checked)."""
    front = front_matter(name, lang)
    lo, hi = front.range_for(None)
    assert lo is not None and hi is not None, f"{name} ({lang}) declares no range"
    base = listener(lang, address)
    out = [("default", base, lo, hi, True), ("sleep", replace(base, sleep=True), lo, hi, False)]
    for case in front.options:
        olo, ohi = front.range_for(case)
        prof = apply_overrides(base, dict(case.sets), case.label)
        out.append((case.label, prof, olo or lo, ohi or hi, False))
    skips: set[tuple[str, ...]] = set()
    for area in BODY_AREAS:
        p = replace(base, skip=(area,))
        rendered = render_template(resolve_template(name, lang), {**template_variables(p), "minutes": lo,
                                                                   "course": course_context((), resolve_template(name, lang))}).text
        if rendered in skips:
            continue
        skips.add(rendered)
        out.append((f"skip={area}", p, lo, hi, False))
    return out


@pytest.mark.parametrize(("lang", "address"), REGISTERS)
@pytest.mark.parametrize("name", SWEPT)
def test_every_length_of_the_range_is_reachable(name: str, lang: str, address: str) -> None:
    lo, hi = front_matter(name, lang).range_for(None)
    natural = NATURAL[name]
    assert lo is not None and hi is not None and lo <= natural[0] and hi >= natural[1], \
        f"{name} ({lang}) declares {lo}-{hi} min; its method's natural range is {natural[0]}-{natural[1]}"
    misses = []
    for label, p, vlo, vhi, every_rate in _variants(name, lang, address):
        whole = label.startswith("skip=") or address == "du"
        for m in (_whole(vlo, vhi) if whole else _steps(vlo, vhi)):
            for voice, rate in (_voicings(lang) if every_rate else [(v, 1.0) for v in VOICES[lang][1]]):
                if not _reachable(name, p, m, voice, rate):
                    misses.append(f"{label} at {m:g} min, {voice} at rate x{rate:g}")
    assert not misses, f"{name} ({lang}/{address}) cannot reach: " + "; ".join(misses[:20])


# ---------------------------------------------------------------- English, nameless, at every voicing


# resonance breathing after PMR (pmr=4/7): the PMR part is pmr_en.j2's (the PMR scripts' rules and
# tests); relaxgen check builds those options at every default voice's rate
OTHERS = ({"pmr": "4"}, {"pmr": "7"})


def cases(name: str) -> list[tuple[dict[str, str], float, float]]:
    """The script's own range and every declared option with its range."""
    fm = front_matter(name)
    out = []
    for c in (None, *fm.options):
        lo, hi = fm.range_for(c)
        assert lo is not None and hi is not None
        out.append((dict(c.sets) if c else {}, lo, hi))
    return out


def lengths(lo: float, hi: float, step: float) -> list[float]:
    n = math.floor((hi - lo) / step + 1e-9)
    return sorted({round(lo + k * step, 2) for k in range(n + 1)} | {hi})


@pytest.mark.parametrize("name", OTHER_SCRIPTS)
def test_english_every_length_of_every_declared_range(name: str) -> None:
    """Every half minute of the range (and of each option's), at every default voice's rate and
    listener rate 0.8-1.2: the session lands on its length."""
    for sets, lo, hi in cases(name):
        if sets in OTHERS:
            continue
        for m in lengths(lo, hi, 0.5 if hi - lo <= 10 else 1.0):
            for f in EN_VOICINGS:
                try:
                    tl = english(name, m, sets, f)
                except ScriptError as e:
                    raise AssertionError((name, sets, m, f, str(e))) from None
                assert abs(tl.total_ms - m * 60000) <= 0.02 * m * 60000, (name, sets, m, f)


# ---------------------------------------------------------------- no line three times


PROMPTS = {w.lower().rstrip(".") for words in BREATH_PROMPTS.values() for w in words.values()}
FORMULA = re.compile(r"\b(heavy|warm|calm|cool|breath\w*|beats|schwer|warm|ruhig|kühl|atme\w*|schlägt|Sonnengeflecht"
                     r"|solar plexus|Stirn|forehead)\b", re.I)


def _repeated(name: str, texts: list[str]) -> dict[str, int]:
    counts = Counter(t.strip() for t in texts if len(t.split()) > 3 and t.strip().lower().rstrip(".") not in PROMPTS)
    if name == "autogenic":  # its formulas are repeated: that is the method
        counts = Counter({t: n for t, n in counts.items() if not (len(t.split()) <= 8 and FORMULA.search(t))})
    return {t: n for t, n in counts.items() if n > 2}


@pytest.mark.parametrize(("lang", "address"), REGISTERS)
@pytest.mark.parametrize("name", SWEPT)
def test_no_line_is_said_more_than_twice(name: str, lang: str, address: str) -> None:
    lo, hi = front_matter(name, lang).range_for(None)
    assert lo is not None and hi is not None
    found = {}
    for label, p, vlo, vhi, _every in _variants(name, lang, address):
        for m in sorted({vlo, (vlo + vhi) / 2, vhi}):
            try:
                _prep, tl = plan(name, p, m, engine="fake")
            except Exception:  # lengths out of reach are the sweep's concern
                continue
            rep = _repeated(name, [s.text for s in tl.speech])
            if rep:
                found[f"{label} at {m:g} min"] = rep
    assert not found, f"{name} ({lang}/{address}) says lines three times or more: {found}"


CASES = [{}, {"strength": "gentle"}, {"skip": "neck"}, {"gentle": "hands,legs"}, {"sleep": "true"},
         {"safety": "yes"}, {"imagery": "beach"}, {"breathing": "1:2"}]


@pytest.mark.parametrize("name", DE_PLANNER)
def test_german_pmr_and_autogenic_say_no_line_more_than_twice(name: str) -> None:
    lo, default, hi = front(name, "de")
    for case in CASES:
        sets = {k: v for k, v in case.items() if k not in ("skip", "gentle", "sleep")}
        kw = {k: v for k, v in case.items() if k in ("skip", "gentle")}
        p = de(sets, sleep=case.get("sleep") == "true", **kw)
        for m in (default, hi):
            counts = collections.Counter(s.text for s in library_plans.plan(name, p, m).speech
                                         if len(s.text.split()) > 3 and s.text not in DE_FORMULAS)
            assert not [t for t, n in counts.items() if n > 2], (case, m, counts.most_common(3))


# ---------------------------------------------------------------- the natural ranges


def test_the_natural_ranges_are_documented() -> None:
    doc = (scripts_dir().parent / "docs" / "scripts.md").read_text(encoding="utf-8")
    for name, (lo, hi) in NATURAL.items():
        assert re.search(rf"\| {name} \| {lo}–{hi} \|", doc), name
