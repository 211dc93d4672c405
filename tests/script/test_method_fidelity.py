"""Method fidelity of the built-in scripts (see docs/scripts.md, "Method checks"): PMR timing
(tension about 5-7 s, relaxation at least 20 s, at the shortest lengths too), autogenic
training (formula silences, dominant arm first, "it breathes me" inside the breathing formula),
and the counts of the breathing practices. Timed with the words-per-minute estimate."""

from __future__ import annotations

import pytest

from generator.model import TBreath, Timeline, TSpeech
from generator.profile import Profile

from .. import issue29
from .test_library import front, plan, prof, text

LET_GO = ("And let go", "Und mit dem Ausatmen")
HOLD = ("Hold, and breathe on", "Halten, und ruhig weiteratmen", "Tense, and hold", "Anspannen und halten")
RELEASE = ("And let go", "Und mit dem Ausatmen", "And release", "Und lösen")
NEXT = ("Now ", "Jetzt ", "Once more", "Noch einmal", "Let this part", "Dieser Bereich")


def _speech(tl: Timeline) -> list[TSpeech]:
    return [i for i in tl.items if isinstance(i, TSpeech)]


def pmr_phases(tl: Timeline) -> tuple[list[float], list[float]]:
    """(tension, relaxation) lengths in seconds: tension from the end of the hold line to the
    release; relaxation from the release to the next instruction (or the next group)."""
    said = _speech(tl)
    tense, relax = [], []
    for k, s in enumerate(said):
        if s.text.startswith(HOLD) and k + 1 < len(said):
            tense.append((said[k + 1].start_ms - s.start_ms) / 1000)
        if s.text.startswith(RELEASE):
            nxt = next((t for t in said[k + 1:] if t.text.startswith(NEXT) and not t.text.startswith(LET_GO)
                        and "part of your body rest" not in t.text and "darf jetzt ruhen" not in t.text), None)
            if nxt is not None:
                relax.append((nxt.start_ms - s.start_ms) / 1000)
    return tense, relax


@pytest.mark.parametrize("name, lang, strength", [
    pytest.param(name, lang, strength, marks=issue29.ISSUE29 if (name, lang, strength) in issue29.PMR_TIMING else ())
    for name in ("pmr-16", "pmr-7", "pmr-4") for lang in ("en", "de") for strength in ("", "gentle")])
def test_pmr_timing_at_the_shortest_length(name: str, lang: str, strength: str) -> None:
    p = prof(lang, {"strength": strength} if strength else None)
    tense, relax = pmr_phases(plan(name, p, front(name, lang)[0]))
    assert tense and relax
    assert all(4.5 <= t <= 8.5 for t in tense), tense  # the hold line and 4 s, or "hold" and 5 s
    assert min(relax) >= 20, relax


@pytest.mark.parametrize("lang", ["en", "de"])
def test_pmr_care_before_the_instruction(lang: str) -> None:
    t = text("pmr-7", prof(lang))
    care = "Only at about half strength" if lang == "en" else "Nur mit etwa halber Kraft"
    neck = "Bring your chin" if lang == "en" else "das Kinn ein wenig zur Brust"
    assert t.index(care) < t.index(neck)
    assert "the both" not in text("pmr-4", prof("en"))


@pytest.mark.parametrize("lang", ["en", "de"])
@pytest.mark.parametrize("stage", ["2", "full"])
def test_autogenic_order_and_silences(lang: str, stage: str) -> None:
    p = prof(lang, {"stage": stage})
    tl = plan("autogenic", p, front("autogenic", lang)[0])
    said = _speech(tl)
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
        assert ("My breathing is calm and even. It breathes me." in joined
                or "Die Atmung ist ganz ruhig. Es atmet mich." in joined)
        no_forehead = text("autogenic", prof(lang, {"forehead": "no"}))
        assert "cool" not in no_forehead and "kühl" not in no_forehead


def _blocks(name: str, p: Profile) -> list[TBreath]:
    return [i for i in plan(name, p, front(name, p.language)[1]).items if isinstance(i, TBreath)]


@pytest.mark.parametrize("lang", ["en", "de"])
def test_breathing_counts(lang: str) -> None:
    p = prof(lang)
    assert {(b.spec.in_s, b.spec.hold_s, b.spec.out_s) for b in _blocks("breathing-478", p)} == {(4, 7, 8)}
    assert {(b.spec.in_s, b.spec.hold_s, b.spec.out_s, b.spec.rest_s)
            for b in _blocks("box-breathing", p)} == {(4, 4, 4, 4)}
    res = _blocks("resonance-breathing", p)
    assert {(b.spec.in_s + b.spec.out_s) for b in res} == {10}  # six breaths a minute
    belly = [(b.spec.in_s, b.spec.out_s) for b in _blocks("belly-breathing", p)]
    assert belly[0] == (4, 4) and (4, 8) in belly  # the out-breath grows to twice the in-breath
    said = text("box-breathing", p)
    assert ("fourth side" in said) if lang == "en" else ("vierte Seite" in said)
