"""Plans of the built-in scripts for the library tests (test_library, test_library_sweep and the
tests of each method): profiles, the voices a listener may get by default, and timed plans by
the calibrated words-per-minute estimate (no speech engine), each rendered and timed once per
test process."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache

import numpy as np

from generator.api import Prepared, estimated, prepare, template_variables, timed
from generator.api import plan as api_plan
from generator.check import ADDED_VOICE, listener_voices
from generator.measures import FRAME_S
from generator.model import ClipRequest, Speech, TimedBreath, TimedCue, TimedSpeech, Timeline
from generator.profile import Profile, apply_overrides, profile_from_mapping
from generator.script.markers import parse_script
from generator.script.render import (
    FrontMatter,
    parse_front_matter,
    render_template,
    resolve_template,
)
from generator.script.timeline import estimate_ms

SCRIPTS = (
    "safety-intro", "belly-breathing", "breathing-478", "box-breathing", "resonance-breathing",
    "pmr-16", "pmr-7", "pmr-4", "pmr-recall", "autogenic", "body-scan", "beach-walk", "desk-break",
)
LANGS = ("en", "de")
REGISTERS = (("en", "Sie"), ("de", "Sie"), ("de", "du"))
PMR = ("pmr-16", "pmr-7", "pmr-4")
DE_PLANNER = ("pmr-16", "pmr-7", "pmr-4", "pmr-recall", "autogenic")  # German scripts on the planner's rules
# every script but PMR (and PMR by recall) and autogenic training: the breathing practices, the
# movement break, the body scan, the imagery and the safety introduction
OTHER_SCRIPTS = ("belly-breathing", "box-breathing", "breathing-478", "resonance-breathing", "desk-break",
                 "body-scan", "beach-walk", "safety-intro")
SIE_FORMS = re.compile(r"\b(Sie|Ihnen|Ihr|Ihre|Ihren|Ihrem|Ihrer|Ihres)\b")
DU_FORMS = re.compile(r"\b(du|Du|dich|Dich|dir|Dir|dein\w*|Dein\w*)\b")
# the English breathing prompts (short, said with every breath)
EN_PROMPTS = {"Breathe in", "Hold", "And out", "Hold."}
# the German autogenic formulas (repeated: that is the method)
DE_FORMULAS = {"Ich bin ganz ruhig.", "Der rechte Arm ist ganz schwer.", "Der linke Arm ist ganz schwer.",
               "Arme und Beine sind ganz schwer.", "Arme und Beine sind angenehm warm.",
               "Die Atmung ist ganz ruhig.", "Es atmet mich.", "Das Herz schlägt ruhig und regelmäßig.",
               "Das Sonnengeflecht ist strömend warm.", "Die Stirn ist angenehm kühl."}
ANNOUNCED = re.compile(r"on your own|quietly|for a while|a minute|eine Weile|allein|eine Minute|für dich", re.I)
TAKING_BACK = re.compile(
    r"open your eyes|eyes open|Augen (auf|öffnen)|(öffnen Sie|öffne) die Augen|Arms firm|Arme fest|stretch your arms"
    r"|Stretch gently|räkel", re.I
)


# (voice profiles, names): every voice a listener may get by default, each with its own rate and
# speech-time estimate, as relaxgen check plans them
VOICES = {lang: listener_voices(lang) for lang in LANGS}
# (voice, listener rate): the default English voice
NEURAL = ("neural-en", 1.0)
# every default English voice (neural 120 wpm, espeak-ng 135) at listener rate 0.8-1.2: the slowest
# and the fastest a listener hears: the neural voice at 0.8 (it speaks no slower than about 116 words
# a minute) and 1.0, espeak-ng at 1.0 and 1.2
EN_VOICINGS = (("neural-en", 0.8), NEURAL, ("calm-en", 1.0), ("calm-en", 1.2))
# German: the slowest and the fastest a listener hears (espeak-ng at 0.8 and 1.2) and a voice the
# listener adds (120 words a minute)
DE_VOICINGS = (("calm-de", 0.8), ("calm-de", 1.0), ("calm-de", 1.2), (ADDED_VOICE, 1.0))


def prof(lang: str = "en", sets: dict[str, str] | None = None, **kw: object) -> Profile:
    p = profile_from_mapping({"language": lang, **kw})
    return apply_overrides(p, sets or {})


def listener(lang: str, address: str) -> Profile:
    """A listener named Alex."""
    return Profile(name="Alex", language=lang, address=address)


def de(sets: dict[str, str] | None = None, **kw: object) -> Profile:
    return prof("de", sets, **kw)


def _key(p: Profile) -> tuple[object, ...]:
    # the voice by name: no voice means the language's default voice profile, which plans the same
    return (p.language, p.address, p.name, p.voice_name, p.rate, p.skip, p.gentle, p.sleep, p.bell,
            p.heart_formula, p.dominant_side, tuple(sorted(p.extra.items())))


_PREPS: dict[tuple[object, ...], tuple[Prepared, dict[ClipRequest, float]]] = {}
_TEXTS: dict[tuple[object, ...], str] = {}
_ENGLISH: dict[tuple[object, ...], Timeline] = {}


def plan(name: str, p: Profile, minutes: float) -> Timeline:
    """What ``plan_session(name, p, minutes, engine="fake")`` returns (the optional pieces chosen
    by the planner), rendering once per profile and length (templates see ``minutes`` and may
    choose how many rounds to do)."""
    key = (name, minutes, *_key(p))
    if key not in _PREPS:
        # the optional pieces the planner takes, each voice timed by its own estimate
        prep = estimated(prepare(name, p, minutes, "fake", voices=VOICES[p.language][0]))
        _PREPS[key] = (prep, {c: estimate_ms(c) for c in prep.requests})
    prep, durations = _PREPS[key]
    return timed(prep, durations)


def english(name: str, minutes: float, sets: dict[str, str] | None = None,
            voicing: tuple[str, float] = NEURAL, earlier: tuple[str, ...] = ()) -> Timeline:
    """An English session spoken by ``voicing`` (voice, listener rate), after the ``earlier``
    sessions of a course, as ``relaxgen plan --engine fake`` times it."""
    key = (name, minutes, tuple(sorted((sets or {}).items())), voicing, earlier)
    if key not in _ENGLISH:
        p = replace(prof("en", dict(sets or {})), earlier=earlier)
        p = replace(p, rate=p.rate * voicing[1], voice=voicing[0])
        _ENGLISH[key] = api_plan(name, p, minutes, engine="fake", voices=VOICES["en"][0])[1]
    return _ENGLISH[key]


@cache
def front_matter(name: str, lang: str = "en") -> FrontMatter:
    path = resolve_template(name, lang)
    return parse_front_matter(path.read_text(encoding="utf-8"), str(path))


@cache
def front(name: str, lang: str) -> tuple[float, float, float]:
    fm = front_matter(name, lang)
    assert fm.minutes and fm.min_minutes and fm.max_minutes, f"{lang}/{name}: front matter lengths"
    return fm.min_minutes, fm.minutes, fm.max_minutes


@cache
def sleep_range(name: str, lang: str) -> tuple[float, float, float]:
    """min, default and max in sleep mode: the sleep option's declared lengths where it has them."""
    fm = front_matter(name, lang)
    case = next((c for c in fm.options if dict(c.sets) == {"sleep": "true"}), None)
    lo, hi = fm.range_for(case)
    assert lo is not None and hi is not None and fm.minutes is not None
    return lo, min(max(fm.minutes, lo), hi), hi


def text(name: str, p: Profile) -> str:
    key = (name, *_key(p))
    if key not in _TEXTS:
        r = render_template(resolve_template(name, p.language), template_variables(p))
        segs = parse_script(r.text, r.name, r.anchors)
        _TEXTS[key] = "\n".join(s.text for s in segs if isinstance(s, Speech))
    return _TEXTS[key]


def said(tl: Timeline) -> list[str]:
    return [i.text for i in tl.speech]


def silences(tl: Timeline) -> list[tuple[float, str]]:
    """(length, text spoken right before) for every stretch without speech or cue."""
    sounds = sorted(
        [(i.start_ms, i.start_ms + i.dur_ms, i.text) for i in tl.items if isinstance(i, TimedSpeech)]
        + [(i.start_ms, i.start_ms + max(i.dur_ms, 1.0), "") for i in tl.items if isinstance(i, TimedCue)]
    )
    out, end, last = [], 0.0, ""
    for start, stop, spoken in sounds:
        if start > end:
            out.append((start - end, last))
        if stop > end:
            end = stop
        last = spoken or last
    out.append((tl.total_ms - end, last))
    return out


def quiet_after(tl: Timeline, start_ms: float, end_ms: float) -> float:
    """The longest unbroken silence (no speech, no cue) between two times, in seconds."""
    sounds = sorted((i.start_ms, i.start_ms + i.dur_ms) for i in tl.items
                    if isinstance(i, TimedSpeech | TimedCue) and i.start_ms + i.dur_ms > start_ms and i.start_ms < end_ms)
    longest, t = 0.0, start_ms
    for a, b in sounds:
        longest = max(longest, a - t)
        t = max(t, b)
    return max(longest, end_ms - t) / 1000


def guided_ms(tl: Timeline) -> float:
    """Speech outside breathing blocks plus voice-guided breathing cycles."""
    blocks = [i for i in tl.items if isinstance(i, TimedBreath)]
    inside = sum(
        s.dur_ms for s in tl.items if isinstance(s, TimedSpeech)
        for b in blocks if b.start_ms <= s.start_ms < b.end_ms
    )
    cycles = sum(b.spec.guided * b.spec.cycle_ms for b in blocks)
    return tl.speech_ms - inside + cycles


def sound_frames(tl: Timeline) -> np.ndarray:
    """The 20 ms frames the voice is heard in (speech only: the plan's audio, without a bed), as
    the library report measures them."""
    frames = np.zeros(int(tl.total_ms / 1000 / FRAME_S) + 1, dtype=bool)
    for s in tl.speech:
        frames[int(s.start_ms / 1000 / FRAME_S):int(s.end_ms / 1000 / FRAME_S)] = True
    return frames
