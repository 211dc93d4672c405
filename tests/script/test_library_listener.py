"""The library as a listener lives with it (issues 29 and 30), by the calibrated estimate:

- every length of every declared range is reachable, in 0.5-minute steps, in en and de (du and
  Sie), at every default voice's rate and the listener's rate 0.8-1.2, in sleep mode, with
  each declared option and with any one body area left out;
- no sentence of more than three words is said more than twice in a session;
- from the second session of a course on, at most half of the sentences of a session's first
  minute were in the first minute of an earlier session of another script.

The sweep renders each length once and plans each distinct rendering once per rate (the
planner's reach is a property of the rendering), so it stays fast.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections import Counter
from dataclasses import replace
from functools import cache

import pytest

from generator.api import course_context, plan, prepare, reach, template_variables
from generator.build.manifest import load_manifest
from generator.build.pack import PackSettings, plan_pack
from generator.check import listener_voices
from generator.paths import scripts_dir
from generator.profile import BODY_AREAS, Profile, apply_overrides
from generator.script.render import parse_front_matter, render_template, resolve_template
from generator.script.timeline import BREATH_PROMPTS

SCRIPTS = ("belly-breathing", "box-breathing", "breathing-478", "resonance-breathing", "desk-break",
           "pmr-4", "pmr-7", "pmr-16", "pmr-recall", "autogenic", "body-scan", "beach-walk")
# the methods' natural ranges (issue 29): each script's declared range covers at least these
NATURAL = {"belly-breathing": (2, 20), "box-breathing": (2, 15), "breathing-478": (2, 10),
           "resonance-breathing": (5, 20), "desk-break": (2, 10), "pmr-4": (8, 20), "pmr-7": (12, 30),
           "pmr-16": (25, 45), "pmr-recall": (5, 15), "autogenic": (5, 25), "body-scan": (8, 45),
           "beach-walk": (8, 30)}
REGISTERS = (("en", "Sie"), ("de", "Sie"), ("de", "du"))
LISTENER_RATES = (0.8, 1.0, 1.2)


def _base(lang: str, address: str) -> Profile:
    return Profile(name="Alex", language=lang, address=address)


@cache
def _front(name: str, lang: str):  # type: ignore[no-untyped-def]
    path = resolve_template(name, lang)
    return parse_front_matter(path.read_text(encoding="utf-8"), str(path))


# (voice profiles, names): every voice a listener may get by default, each with its own rate and
# speech-time estimate, as relaxgen check plans them
VOICES = {lang: listener_voices(lang) for lang in ("en", "de")}


def _voicings(lang: str) -> list[tuple[str, float]]:
    """(voice, listener rate): every default voice at the listener's rates 0.8-1.2 (a voice
    speaks no slower than its slowest rate: Piper's neural voice about 116 words a minute)."""
    return [(v, r) for v in VOICES[lang][1] for r in LISTENER_RATES]


def _whole(lo: float, hi: float) -> list[float]:
    return sorted({lo, hi, *range(math.ceil(lo), math.floor(hi) + 1)})


def _steps(lo: float, hi: float) -> list[float]:
    return sorted({lo, hi, *(x / 2 for x in range(math.ceil(lo * 2), math.floor(hi * 2) + 1))})


_reach_cache: dict[tuple[object, ...], list[object]] = {}


def _reachable(name: str, p: Profile, minutes: float, voice: str, rate: float) -> bool:
    """Whether ``p`` spoken by ``voice`` at ``rate`` can fill ``minutes`` (its rendering planned
    once per voice and rate)."""
    path = resolve_template(name, p.language)
    variables = template_variables(p)
    variables["minutes"] = minutes
    variables["course"] = course_context(p.earlier, path)
    text = render_template(path, variables).text
    key = (name, text, repr(replace(p, rate=1.0)), voice, rate)
    if key not in _reach_cache:
        voiced = replace(p, rate=p.rate * rate, voice=voice)
        _reach_cache[key] = reach(prepare(path, voiced, minutes, engine="fake", voices=VOICES[p.language][0]))
    target = minutes * 60000
    return any(r.reaches(target) for r in _reach_cache[key])  # type: ignore[attr-defined]


def _variants(name: str, lang: str, address: str) -> list[tuple[str, Profile, float, float, bool]]:
    """(label, profile, lowest, highest, at every rate) for the combinations a listener has (a
    skipped area's label starts with "skip=": those are swept in whole minutes, to keep the
    suite's time; their ends are always checked)."""
    front = _front(name, lang)
    lo, hi = front.range_for(None)
    assert lo is not None and hi is not None, f"{name} ({lang}) declares no range"
    base = _base(lang, address)
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
@pytest.mark.parametrize("name", SCRIPTS)
def test_every_length_of_the_range_is_reachable(name: str, lang: str, address: str) -> None:
    lo, hi = _front(name, lang).range_for(None)
    natural = NATURAL[name]
    assert lo is not None and hi is not None and lo <= natural[0] and hi >= natural[1], \
        f"{name} ({lang}) declares {lo}-{hi} min; its method's natural range is {natural[0]}-{natural[1]}"
    misses = []
    for label, p, vlo, vhi, every_rate in _variants(name, lang, address):
        for voice, rate in (_voicings(lang) if every_rate else [(v, 1.0) for v in VOICES[lang][1]]):
            for m in (_steps(vlo, vhi) if not label.startswith("skip=") else _whole(vlo, vhi)):
                if not _reachable(name, p, m, voice, rate):
                    misses.append(f"{label} at {m:g} min, {voice} at rate x{rate:g}")
    assert not misses, f"{name} ({lang}/{address}) cannot reach: " + "; ".join(misses[:20])


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
@pytest.mark.parametrize("name", SCRIPTS)
def test_no_line_is_said_more_than_twice(name: str, lang: str, address: str) -> None:
    lo, hi = _front(name, lang).range_for(None)
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


# ---------------------------------------------------------------- a full opening once

COURSES = ("courses/back-relief-14-days.toml", "packs/back-relief-starter.toml")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


@pytest.mark.parametrize(("lang", "address"), REGISTERS)
@pytest.mark.parametrize("manifest", COURSES)
def test_after_the_first_session_the_opening_is_short_and_new(manifest: str, lang: str, address: str,
                                                            tmp_path) -> None:  # type: ignore[no-untyped-def]
    m = load_manifest(scripts_dir() / manifest)
    p = plan_pack(m, _base(lang, address), tmp_path / "out", PackSettings(str(tmp_path / "c"), engine="fake"))
    firsts: list[tuple[str, set[str]]] = []  # (script, sentences of its first minute)
    problems = []
    for i, t in enumerate(p.tasks):
        prof = Profile(**{**t.profile, "skip": tuple(t.profile["skip"]), "gentle": tuple(t.profile["gentle"]),
                          "earlier": tuple(t.profile["earlier"])})
        _prep, tl = plan(t.template, prof, t.minutes, engine="fake", closing=t.closing)
        opening = {s for sp in tl.speech if sp.start_ms < 60000 for s in _sentences(sp.text)}
        script = t.template.rsplit("/", 1)[-1].removesuffix(".j2")
        if i:
            heard = set().union(*(f for s, f in firsts if s != script))
            shared = opening & heard
            if opening and len(shared) > len(opening) / 2:
                problems.append(f"{t.name}: {len(shared)} of {len(opening)} sentences of its first minute "
                                f"were heard before: {sorted(shared)[:4]}")
        firsts.append((script, opening))
    assert not problems, "\n".join(problems)


def test_the_natural_ranges_are_documented() -> None:
    doc = (scripts_dir().parent / "docs" / "scripts.md").read_text(encoding="utf-8")
    for name, (lo, hi) in NATURAL.items():
        assert re.search(rf"\| {name} \| {lo}–{hi} \|", doc), name
    assert tomllib  # the manifests are TOML (load_manifest)
