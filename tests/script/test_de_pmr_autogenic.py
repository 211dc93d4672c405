"""The German PMR scripts (pmr-4, pmr-7, pmr-16, pmr-recall) and autogenic training on the planner
(docs/scripts.md, "How a script fills its length" and "Quiet where the method works"): tension
5-7 s from "Und jetzt anspannen." to "Und loslassen.", unbroken silence after each release's
guidance, a final rest of about two minutes, the speech share at the default length, no line
said more than twice, the autogenic formulas' silences and the beginner's stage. Timed with the
words-per-minute estimate at the default voice and listener rates 0.8-1.2."""

from __future__ import annotations

import collections
import dataclasses

import pytest

from generator.api import plan as api_plan
from generator.check import ADDED_VOICE
from generator.model import TChapter, TCue, Timeline, TPause, TSpeech
from generator.profile import Profile
from generator.script.library import muscle_groups

from .test_library import front, plan, prof, text

PMR = ("pmr-4", "pmr-7", "pmr-16")
# (voice, listener rate): the slowest and the fastest a listener hears (espeak-ng at 0.8 and 1.2)
# and a voice the listener adds (120 words a minute)
VOICINGS = (("calm-de", 0.8), ("calm-de", 1.0), ("calm-de", 1.2), (ADDED_VOICE, 1.0))
NOW, RELEASE = "Und jetzt anspannen.", "Und loslassen."
FORMULAS = {"Ich bin ganz ruhig.", "Der rechte Arm ist ganz schwer.", "Der linke Arm ist ganz schwer.",
            "Arme und Beine sind ganz schwer.", "Arme und Beine sind angenehm warm.",
            "Die Atmung ist ganz ruhig.", "Es atmet mich.", "Das Herz schlägt ruhig und regelmäßig.",
            "Das Sonnengeflecht ist strömend warm.", "Die Stirn ist angenehm kühl."}


def said(tl: Timeline) -> list[TSpeech]:
    return [i for i in tl.items if isinstance(i, TSpeech)]


def quiet_after(tl: Timeline, start_ms: float, end_ms: float) -> float:
    """The longest unbroken silence (no speech, no cue) between two times, in seconds."""
    sounds = sorted((i.start_ms, i.start_ms + i.dur_ms) for i in tl.items
                    if isinstance(i, TSpeech | TCue) and i.start_ms + i.dur_ms > start_ms and i.start_ms < end_ms)
    longest, t = 0.0, start_ms
    for a, b in sounds:
        longest = max(longest, a - t)
        t = max(t, b)
    return max(longest, end_ms - t) / 1000


def releases(tl: Timeline) -> list[float]:
    """For every release: the longest silence before the next instruction (or the closing rest)."""
    items = said(tl)
    chapters = [c.start_ms for c in tl.items if isinstance(c, TChapter)]
    out = []
    for k, s in enumerate(items):
        if s.text == RELEASE:
            nxt = next((t.start_ms for t in items[k + 1:] if t.text == NOW), tl.total_ms)
            nxt = min([nxt, *[c for c in chapters if c > s.start_ms]])
            out.append(quiet_after(tl, s.end_ms, nxt))
    return out


def tensions(tl: Timeline) -> list[float]:
    items = said(tl)
    out = []
    for k, s in enumerate(items):
        if s.text == NOW:
            rel = next(t for t in items[k + 1:] if t.text == RELEASE)
            out.append((rel.start_ms - s.end_ms) / 1000)
    return out


def course_plan(name: str, p: Profile, minutes: float) -> Timeline:
    """A plan for a session in a course (test_library's cache does not key on ``earlier``)."""
    return api_plan(name, p, minutes, engine="fake", estimate=True)[1]


def de(sets: dict[str, str] | None = None, **kw: object) -> Profile:
    return prof("de", sets, **kw)


@pytest.mark.parametrize("name", PMR)
def test_pmr_tension_and_release(name: str) -> None:
    lo, default, hi = front(name, "de")
    for m in (lo, default, hi):
        for voice, rate in VOICINGS:
            tl = plan(name, dataclasses.replace(de(rate=rate), voice=voice), m)
            t = tensions(tl)
            assert t and all(5 <= x <= 7 for x in t), (m, voice, rate, t)
            r = releases(tl)
            assert len(r) == len(t)
            assert min(r) >= (15 if m == lo else 20), (m, voice, rate, r)
    # the instruction comes before the cue: "Gleich …" / "Beim Wort „jetzt“ …", never an imperative
    t = text(name, de())
    for line in t.splitlines():
        if line == NOW:
            continue
        assert "anspannen" not in line or line.startswith(("Bei der", "Nacken,", "Angespannt", "Wie ")), line


@pytest.mark.parametrize("name", PMR)
def test_pmr_each_group_twice_in_the_full_form(name: str) -> None:
    p = de()
    tl = plan(name, p, front(name, "de")[1])
    assert sum(1 for s in said(tl) if s.text == NOW) == 2 * len(muscle_groups(p, name.removeprefix("pmr-")))


@pytest.mark.parametrize("name", PMR)
def test_pmr_final_rest_about_two_minutes(name: str) -> None:
    tl = plan(name, de(), front(name, "de")[1])
    chapters = [c for c in tl.items if isinstance(c, TChapter)]
    rest = next(k for k, c in enumerate(chapters) if c.title == "Nachruhen")
    length = (chapters[rest + 1].start_ms - chapters[rest].start_ms) / 1000
    assert 100 <= length <= 150, length


@pytest.mark.parametrize("name", [*PMR, "pmr-recall", "autogenic"])
def test_speech_share_at_the_default_length(name: str) -> None:
    lo_share, hi_share = (0.20, 0.45) if name == "autogenic" else (0.30, 0.55)
    for address in ("Sie", "du"):
        tl = plan(name, de(address=address), front(name, "de")[1])
        assert lo_share <= tl.speech_ms / tl.total_ms <= hi_share, (address, tl.speech_ms / tl.total_ms)
        # no unbroken silence over a minute except a declared practice hold
        for p in tl.items:
            if isinstance(p, TPause) and not p.hold:
                assert p.dur_ms <= 60000


CASES = [{}, {"strength": "gentle"}, {"skip": "neck"}, {"gentle": "hands,legs"}, {"sleep": "true"},
         {"safety": "yes"}, {"imagery": "beach"}, {"breathing": "1:2"}]


@pytest.mark.parametrize("name", [*PMR, "pmr-recall", "autogenic"])
def test_no_line_said_more_than_twice(name: str) -> None:
    lo, default, hi = front(name, "de")
    for case in CASES:
        sets = {k: v for k, v in case.items() if k not in ("skip", "gentle", "sleep")}
        kw = {k: v for k, v in case.items() if k in ("skip", "gentle")}
        p = de(sets, sleep=case.get("sleep") == "true", **kw)
        for m in (default, hi):
            counts = collections.Counter(s.text for s in said(plan(name, p, m))
                                         if len(s.text.split()) > 3 and s.text not in FORMULAS)
            assert not [t for t, n in counts.items() if n > 2], (case, m, counts.most_common(3))


def test_pmr_back_care_wording() -> None:
    t = text("pmr-7", de())
    back = "Nur mit etwa halber Kraft; der Rücken bleibt entspannt auf der Unterlage, ohne Hohlkreuz."
    assert t.count(back) == 1
    neck = t.index("Nun der Nacken und der Hals.")
    assert t.index("Nur mit etwa halber Kraft.", neck) < t.index("das Kinn ein wenig zur Brust", neck)
    assert t.index(back) > t.index("das Kinn ein wenig zur Brust")  # not for the neck, said at the trunk
    trunk = t[t.index("die Schultern, die Brust, der Rücken und der Bauch."):]
    instruction = trunk[:trunk.index(NOW)]
    for part in ("Schultern", "Brust", "Rücken", "Bauchdecke"):
        assert part in instruction  # the group tenses what it names
    legs = t[t.index("das rechte Bein."):]
    legs = legs[:legs.index(NOW)]
    assert "sanft" not in legs and "Knie nach unten" in legs  # consistent: firm, pressing down
    for old in ("Halten, und", "Dieser Bereich darf jetzt ruhen.\n" * 3, "weit und locker", "durchstreck"):
        assert old not in t
    assert "krallen" in text("pmr-16", de()) and "nach oben" in text("pmr-16", de())  # toes up
    gentle = text("pmr-16", de({"strength": "gentle"}))
    assert "Kräftig" not in gentle and "Ganz sanft, höchstens mit halber Kraft" in gentle
    assert "zur Faust" not in text("pmr-7", de(skip="hands"))
    assert "die Schultern ein wenig zu den Ohren" not in text("pmr-7", de(skip="shoulders"))


def test_pmr_dominant_side_first() -> None:
    t = text("pmr-16", de(dominant_side="left"))
    assert t.index("linke Hand") < t.index("rechte Hand")


def test_pmr_explanation_full_once_in_a_course() -> None:
    first = text("pmr-7", de())
    assert "Bei der Progressiven Muskelentspannung" in first
    for earlier in (("pmr-16",), ("belly-breathing", "pmr-recall")):
        p = dataclasses.replace(de(), earlier=earlier)
        tl = course_plan("pmr-7", p, 20)
        later = " ".join(s.text for s in said(tl))
        assert "Bei der Progressiven Muskelentspannung" not in later and "jetzt" in later
    p = dataclasses.replace(de(), earlier=("belly-breathing",))
    assert "Bei der Progressiven Muskelentspannung" in " ".join(s.text for s in said(course_plan("pmr-7", p, 20)))


@pytest.mark.parametrize("name", PMR)
def test_pmr_structure_by_minutes(name: str) -> None:
    """Short sessions tense each group once (said in the front matter); the full form from the
    length the description names."""
    lo, default, _ = front(name, "de")
    assert sum(1 for s in said(plan(name, de(), lo)) if s.text == NOW) == int(name.removeprefix("pmr-"))
    assert "jede Gruppe einmal" in open(f"scripts/de/{name}.j2", encoding="utf-8").read().split("---#}")[0]


def _formula_silences(tl: Timeline) -> list[float]:
    items = said(tl)
    return [quiet_after(tl, s.end_ms, items[k + 1].start_ms if k + 1 < len(items) else tl.total_ms)
            for k, s in enumerate(items) if s.text in FORMULAS and s.text != "Die Atmung ist ganz ruhig."]


@pytest.mark.parametrize("stage", ["", "1", "2", "3", "full"])
def test_autogenic_silences_heaviness_and_intro(stage: str) -> None:
    lo, default, hi = front("autogenic", "de")
    sets = {"stage": stage} if stage else {}
    lengths = (lo, default, hi) if not stage else (default, hi) if stage != "full" else (12, hi)
    for m in lengths:
        for voice, rate in VOICINGS:
            tl = plan("autogenic", dataclasses.replace(de(sets, rate=rate), voice=voice), m)
            assert min(_formula_silences(tl)) >= 10
            lines = [s.text for s in said(tl)]
            assert lines.count("Der rechte Arm ist ganz schwer.") >= 3
            assert lines.index("Der rechte Arm ist ganz schwer.") < (
                lines.index("Arme und Beine sind ganz schwer.") if "Arme und Beine sind ganz schwer." in lines else 10**6)
    tl = plan("autogenic", de(sets), default if stage != "full" else 12)
    first = next(s for s in said(tl) if s.text == "Ich bin ganz ruhig.")
    assert first.start_ms <= 45000 + 1500  # the intro (after the lead-in) is 45 s or less


def test_autogenic_beginner_stage_without_stage() -> None:
    for m in (5, 10, 25):
        t = " ".join(s.text for s in said(plan("autogenic", de(), m)))
        assert "Sonnengeflecht" not in t and "Stirn ist" not in t and "Es atmet mich" not in t
        assert ("angenehm warm" in t) == (m >= 12)
    full = " ".join(s.text for s in said(plan("autogenic", de({"stage": "6"}), 15)))
    assert "Sonnengeflecht ist strömend warm" in full and "Stirn ist angenehm kühl" in full
    assert "Stirn ist" not in " ".join(s.text for s in said(plan("autogenic", de({"stage": "full", "forehead": "no"}), 15)))
    t = text("autogenic", de())
    for wording in ("Nichts muss anders sein.", "Ganz von allein breitet sich die Schwere vom rechten Arm",
                    "wie breit und sicher der Rücken aufliegt", "stützt Sie überall"):
        assert wording in t
    assert "Arme fest" in " ".join(s.text for s in said(plan("autogenic", de(), 5)))
    assert "Arme fest" not in text("autogenic", de(sleep=True))
