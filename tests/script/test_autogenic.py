"""Autogenic training on the planner, in English and German (docs/scripts.md, "Method checks"),
timed with the words-per-minute estimate: the heaviness formula first, for the dominant arm, at
least three times; quiet after every formula at every length and stage (at least 10 s); at most
45 s before the first formula; a beginner's stage without `stage`; the heart formula only when
asked, no "cold"; the breathing formula ("flows by itself", "Es atmet mich") in the full
sequence; and the library report's own measures."""

from __future__ import annotations

import dataclasses
import re

import pytest

from generator.library_report import FIRST_FORMULA_S, FORMULA_SILENCE_S
from generator.measures import formula_timing
from generator.model import Timeline

from .library_plans import (
    DE_FORMULAS,
    DE_VOICINGS,
    LANGS,
    de,
    english,
    front,
    plan,
    prof,
    quiet_after,
    sound_frames,
    text,
)

# ---------------------------------------------------------------- both languages


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("stage", ["1", "2", "3", "full"])
def test_autogenic_rules(lang: str, stage: str) -> None:
    for heart in (False, True):
        t = text("autogenic", prof(lang, {"stage": stage}, heart_formula=heart))
        assert "kalt" not in t.lower() and "cold" not in t.lower()
        has_heart = ("heart beats" in t) or ("Herz schlägt" in t)
        assert has_heart == (heart and stage == "full")
    full = text("autogenic", prof(lang, {"stage": "full"}))
    assert ("cool" in full) or ("kühl" in full)


@pytest.mark.parametrize("lang", ["en", "de"])
@pytest.mark.parametrize("stage", ["2", "full"])
def test_autogenic_order_and_silences(lang: str, stage: str) -> None:
    p = prof(lang, {"stage": stage})
    tl = plan("autogenic", p, front("autogenic", lang)[1])  # the default length (the full sequence needs more than the shortest)
    said = tl.speech
    arm, limbs = (("My right arm is heavy.", "Arms and legs are heavy.") if lang == "en"
                  else ("Der rechte Arm ist ganz schwer.", "Arme und Beine sind ganz schwer."))
    lines = [s.text for s in said]
    assert lines.index(arm) < lines.index(limbs)  # heaviness starts with the dominant arm
    formulas = {arm, limbs, "I am completely calm.", "Ich bin ganz ruhig."}
    for k, s in enumerate(said[:-1]):
        if s.text in formulas:
            assert said[k + 1].start_ms - s.end_ms >= 6000, s.text  # room to repeat it inwardly
    if stage == "full":
        joined = " ".join(lines)
        assert ("My breathing is calm and flows by itself." in joined
                or "Die Atmung ist ganz ruhig. Es atmet mich." in joined)
        no_forehead = text("autogenic", prof(lang, {"forehead": "no"}))
        assert "cool" not in no_forehead and "kühl" not in no_forehead


# ---------------------------------------------------------------- English


FORMULA = re.compile(r"^(I am completely calm|My \w+ arm is heavy|Arms and legs are|My breathing|My heart|"
                     r"My solar plexus|My forehead)")


@pytest.mark.parametrize("stage", ["", "1", "2", "3", "full"])
def test_autogenic_quiet_after_every_formula_at_every_length(stage: str) -> None:
    sets = {"stage": stage} if stage else {}
    lo = {"": 5, "1": 5, "2": 5, "3": 6, "full": 8}[stage]
    hi = 15 if stage == "1" else 25
    for m in (lo, 10, hi):
        tl = english("autogenic", m, sets)
        said = tl.speech
        formulas = [k for k, s in enumerate(said) if FORMULA.match(s.text)]
        for k in formulas[:-1] if formulas[-1] == len(said) - 1 else formulas:
            assert said[k + 1].start_ms - said[k].end_ms >= 10000, (stage, m, said[k].text)
        heavy = [s for s in said if s.text in ("My right arm is heavy.", "Arms and legs are heavy.")]
        assert len(heavy) >= 3, (stage, m)
        share = tl.speech_ms / tl.total_ms
        if m == 10:
            assert 0.20 <= share <= 0.45, (stage, share)


def test_autogenic_first_formula_within_45_seconds_and_a_beginners_stage_by_default() -> None:
    for earlier in ((), ("belly-breathing", "pmr-16")):
        tl = english("autogenic", front("autogenic", "en")[1], earlier=earlier)
        first = next(s for s in tl.speech if FORMULA.match(s.text))
        assert first.start_ms <= 45000, first.start_ms
    heard = " ".join(s.text for s in english("autogenic", 10).speech)
    assert "My right arm is heavy." in heard and "Arms and legs are heavy." in heard
    assert not re.search(r"breathing is|solar plexus is|forehead is|heart beats", heard)
    assert "pleasantly warm" not in " ".join(s.text for s in english("autogenic", 6).speech)
    full = " ".join(s.text for s in english("autogenic", 15, {"stage": "full"}).speech)
    assert all(f in full for f in ("My breathing is calm and flows by itself.", "My solar plexus is warm.",
                                   "My forehead is pleasantly cool."))
    assert "forehead is" not in " ".join(s.text for s in english("autogenic", 15, {"stage": "full", "forehead": "no"}).speech)


@pytest.mark.parametrize("stage", ["", "1", "3", "full"])
def test_autogenic_as_the_library_report_measures_it(stage: str) -> None:
    tl = english("autogenic", 10, {"stage": stage} if stage else {})
    after, heavy, first = formula_timing(sound_frames(tl), tl)
    assert min(after) >= FORMULA_SILENCE_S, after
    assert heavy >= 3 and first is not None and first <= FIRST_FORMULA_S


# ---------------------------------------------------------------- German


def _formula_silences(tl: Timeline) -> list[float]:
    items = tl.speech
    return [quiet_after(tl, s.end_ms, items[k + 1].start_ms if k + 1 < len(items) else tl.total_ms)
            for k, s in enumerate(items) if s.text in DE_FORMULAS and s.text != "Die Atmung ist ganz ruhig."]


@pytest.mark.parametrize("stage", ["", "1", "2", "3", "full"])
def test_autogenic_silences_heaviness_and_intro(stage: str) -> None:
    lo, default, hi = front("autogenic", "de")
    sets = {"stage": stage} if stage else {}
    lengths = (lo, default, hi) if not stage else (default, hi) if stage != "full" else (12, hi)
    for m in lengths:
        for voice, rate in DE_VOICINGS:
            tl = plan("autogenic", dataclasses.replace(de(sets, rate=rate), voice=voice), m)
            assert min(_formula_silences(tl)) >= 10
            lines = [s.text for s in tl.speech]
            assert lines.count("Der rechte Arm ist ganz schwer.") >= 3
            assert lines.index("Der rechte Arm ist ganz schwer.") < (
                lines.index("Arme und Beine sind ganz schwer.") if "Arme und Beine sind ganz schwer." in lines else 10**6)
    tl = plan("autogenic", de(sets), default if stage != "full" else 12)
    first = next(s for s in tl.speech if s.text == "Ich bin ganz ruhig.")
    assert first.start_ms <= 45000 + 1500  # the intro (after the lead-in) is 45 s or less


def test_autogenic_beginner_stage_without_stage() -> None:
    for m in (5, 10, 25):
        t = " ".join(s.text for s in plan("autogenic", de(), m).speech)
        assert "Sonnengeflecht" not in t and "Stirn ist" not in t and "Es atmet mich" not in t
        assert ("angenehm warm" in t) == (m >= 12)
    full = " ".join(s.text for s in plan("autogenic", de({"stage": "6"}), 15).speech)
    assert "Sonnengeflecht ist strömend warm" in full and "Stirn ist angenehm kühl" in full
    assert "Stirn ist" not in " ".join(s.text for s in plan("autogenic", de({"stage": "full", "forehead": "no"}), 15).speech)
    t = text("autogenic", de())
    for wording in ("Nichts muss anders sein.", "Ganz von allein breitet sich die Schwere vom rechten Arm",
                    "wie breit und sicher der Rücken aufliegt", "stützt Sie überall"):
        assert wording in t
    assert "Arme fest" in " ".join(s.text for s in plan("autogenic", de(), 5).speech)
    assert "Arme fest" not in text("autogenic", de(sleep=True))
