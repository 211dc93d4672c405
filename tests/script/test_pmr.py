"""Progressive muscle relaxation (pmr-16, pmr-7, pmr-4; PMR by recall) on the planner
(docs/scripts.md, "How a script fills its length" and "Quiet where the method works"), timed
with the words-per-minute estimate:

- both languages: gentle wording, the dominant side first, the back's care before the
  instruction, and every minute of the range with any one painful area left out;
- English (the neural voice, 120 words a minute): the instruction first, then a "now" cue and
  5-7 s of tension to the release cue; after each release its guidance, then a practice hold of
  at least 20 s (15 s at the shortest length); the closing rest about two minutes at the default
  length; the short explanation once PMR was heard; the library report's own measures;
- German (the default voice at listener rates 0.8-1.2, and an added voice): tension 5-7 s from
  "Und jetzt anspannen." to "Und loslassen.", unbroken silence after each release's guidance,
  each group twice in the full form, a final rest of about two minutes, the back-care wording
  and the full explanation once in a course.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import replace

import pytest

from generator.api import plan as api_plan
from generator.library_report import RELEASE_SILENCE_S, TENSION_S
from generator.measures import pmr_timing
from generator.model import TimedChapter, TimedPause, TimedSpeech, Timeline
from generator.profile import Profile
from generator.script.library import muscle_groups

from .library_plans import (
    DE_VOICINGS,
    LANGS,
    PMR,
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
def test_gentle_changes_wording(lang: str) -> None:
    normal = text("pmr-7", prof(lang))
    gentle = text("pmr-7", prof(lang, gentle="hands"))
    assert normal != gentle
    g = next(g for g in muscle_groups(prof(lang, gentle="hands"), "7") if g["group"] == "arm")
    assert g["gentle"] and g["half"]
    neck = next(g for g in muscle_groups(prof(lang), "7") if g["group"] == "neck")
    assert neck["soft"] and not neck["gentle"]


def test_left_handed_mirrors_pmr_order() -> None:
    right = [g["id"] for g in muscle_groups(prof(), "16")]
    left = [g["id"] for g in muscle_groups(prof(dominant_side="left"), "16")]
    assert right[0] == "right-hand" and left[0] == "left-hand"
    assert left == [i.replace("right", "@").replace("left", "right").replace("@", "left") for i in right]
    assert [g["id"] for g in muscle_groups(prof(dominant_side="left"), "7")][:2] == ["left-arm", "right-arm"]
    t = text("pmr-7", prof(dominant_side="left"))
    assert t.index("left hand") < t.index("right hand")


def test_pmr_safety_rules_in_text() -> None:
    t = text("pmr-16", prof())
    assert "never arched" in t and "half strength" in t
    assert "curled down" in t  # toes pulled up, not curled
    d = text("pmr-16", prof("de"))
    assert "Hohlkreuz" in d and "halber Kraft" in d and "krallen" in d


@pytest.mark.parametrize("lang", ["en", "de"])
def test_pmr_care_before_the_instruction(lang: str) -> None:
    t = text("pmr-7", prof(lang))
    care = "Only half strength for the neck" if lang == "en" else "Nur mit etwa halber Kraft"
    neck = "bring your chin" if lang == "en" else "das Kinn ein wenig zur Brust"
    assert t.index(care) < t.index(neck)
    assert "the both" not in text("pmr-4", prof("en"))


# ---------------------------------------------------------------- English


NOW_CUE = re.compile(r"^(And now tense|Now tense|Now tense gently|Now tense again)\.$")
RELEASE_CUE = re.compile(r"^(And let go|And release|Let go|Let it go|Release)\b")


def _chapter_s(tl: Timeline, title: str) -> float:
    marks = sorted([(c.start_ms, c.title) for c in tl.items if isinstance(c, TimedChapter)] + [(tl.total_ms, "")])
    return next((b[0] - a[0]) / 1000 for a, b in zip(marks, marks[1:], strict=False) if a[1] == title)


@pytest.mark.parametrize("sets", [{}, {"strength": "gentle"}, {"skip": "lower-back"}], ids=["plain", "gentle", "skip"])
@pytest.mark.parametrize("name", PMR)
def test_pmr_now_cue_tension_and_quiet_after_each_release(name: str, sets: dict[str, str]) -> None:
    lo, default, hi = front(name, "en")
    for m in (lo, default, hi):
        tl = english(name, m, sets)
        said = tl.speech
        cues = [k for k, s in enumerate(said) if NOW_CUE.match(s.text)]
        assert cues, (name, m)
        for k in cues:
            assert RELEASE_CUE.match(said[k + 1].text), said[k + 1].text  # the release comes next
            tension = (said[k + 1].start_ms - said[k].start_ms) / 1000
            assert 5.0 <= tension <= 7.0, (name, m, said[k].text, tension)  # the cue and 5 s
            assert said[k + 1].start_ms - said[k].end_ms >= 4999
        for k in cues[::2]:  # each group's first round: the instruction, just before its cue
            assert len(said[k - 1].text.split()) >= 6, (name, m, said[k - 1].text)
        holds = [i.dur_ms / 1000 for i in tl.items if isinstance(i, TimedPause) and i.hold]
        # every release but the last has its practice hold; the last flows into the closing rest
        assert len(holds) >= len(cues), (name, m, len(holds), len(cues))
        assert min(holds) >= (15 if m == lo else 20), (name, m, min(holds))


@pytest.mark.parametrize("name", PMR)
def test_pmr_closing_rest_is_about_two_minutes_at_the_default_length(name: str) -> None:
    rest = _chapter_s(english(name, front(name, "en")[1]), "Resting")
    assert 90 <= rest <= 150, rest


@pytest.mark.parametrize("name", (*PMR, "pmr-recall"))
def test_pmr_speech_share_at_the_default_length(name: str) -> None:
    tl = english(name, front(name, "en")[1])
    assert 0.30 <= tl.speech_ms / tl.total_ms <= 0.55, tl.speech_ms / tl.total_ms


@pytest.mark.parametrize("name", PMR)
def test_pmr_explains_fully_the_first_time_and_briefly_after(name: str) -> None:
    def how(earlier: tuple[str, ...]) -> list[str]:
        tl = english(name, front(name, "en")[1], earlier=earlier)
        start = next(c.start_ms for c in tl.items if isinstance(c, TimedChapter) and c.title == "How it works")
        end = min(c.start_ms for c in tl.items if isinstance(c, TimedChapter) and c.start_ms > start)
        return [s.text for s in tl.speech if start <= s.start_ms < end]

    full, short = how(()), how(("belly-breathing", "pmr-16"))
    assert len(" ".join(short)) < 0.7 * len(" ".join(full))
    for said in (full, short):  # the back rules and the sharp-pain rule, every time
        heard = " ".join(said)
        assert "half strength" in heard.lower() and "sharp" in heard and "flat" in heard
    later = how(("belly-breathing", "pmr-16", "pmr-16", "pmr-7"))
    assert later != short  # the talk around the cues varies from day to day


def test_pmr_skipped_areas_are_never_tensed_and_named_once() -> None:
    tl = english("pmr-7", 20, {"skip": "neck"})
    heard = " ".join(s.text for s in tl.speech)
    assert "chin" not in heard and heard.count("leave out the neck") == 1
    assert "Tightening the belly also works the lower back" in " ".join(
        s.text for s in english("pmr-4", 14, {"skip": "lower-back"}).speech)


def test_pmr_gentle_strength_keeps_the_back_flat() -> None:
    heard = " ".join(s.text for s in english("pmr-16", 36, {"strength": "gentle"}).speech)
    assert "Firmly" not in heard and heard.count("Keep your back flat.") == 2  # chest-shoulders and belly


@pytest.mark.parametrize("name", PMR)
def test_pmr_as_the_library_report_measures_it(name: str) -> None:
    lo, default, _hi = front(name, "en")
    for m, sets in ((lo, {}), (default, {}), (default, {"strength": "gentle"})):
        tl = english(name, m, sets)
        # the lines of the PMR macros (the shared ending in en.j2 is measured with its own scripts)
        mine = replace(tl, items=tuple(i for i in tl.items if not (
            isinstance(i, TimedSpeech) and i.pos and i.pos.file.endswith("_lib/en.j2"))))
        tensions, silences = pmr_timing(sound_frames(tl), mine)
        n = len([s for s in tl.speech if NOW_CUE.match(s.text)])
        assert len(tensions) == n and all(TENSION_S[0] <= t <= TENSION_S[1] for t in tensions), tensions
        floor = RELEASE_SILENCE_S[1] if m == lo else RELEASE_SILENCE_S[0]
        assert len(silences) >= n and min(silences) >= floor, (m, sets, silences)


# ---------------------------------------------------------------- German


NOW, RELEASE = "Und jetzt anspannen.", "Und loslassen."


def releases(tl: Timeline) -> list[float]:
    """For every release: the longest silence before the next instruction (or the closing rest)."""
    items = tl.speech
    chapters = [c.start_ms for c in tl.items if isinstance(c, TimedChapter)]
    out = []
    for k, s in enumerate(items):
        if s.text == RELEASE:
            nxt = next((t.start_ms for t in items[k + 1:] if t.text == NOW), tl.total_ms)
            nxt = min([nxt, *[c for c in chapters if c > s.start_ms]])
            out.append(quiet_after(tl, s.end_ms, nxt))
    return out


def tensions(tl: Timeline) -> list[float]:
    items = tl.speech
    out = []
    for k, s in enumerate(items):
        if s.text == NOW:
            rel = next(t for t in items[k + 1:] if t.text == RELEASE)
            out.append((rel.start_ms - s.end_ms) / 1000)
    return out


def course_plan(name: str, p: Profile, minutes: float) -> Timeline:
    """A plan for a session in a course (library_plans.plan's cache does not key on ``earlier``)."""
    return api_plan(name, p, minutes, engine="fake", estimate=True)[1]


@pytest.mark.parametrize("sets", [{}, {"strength": "gentle"}], ids=["plain", "gentle"])
@pytest.mark.parametrize("name", PMR)
def test_pmr_tension_and_release(name: str, sets: dict[str, str]) -> None:
    lo, default, hi = front(name, "de")
    for m in (lo, default, hi):
        for voice, rate in DE_VOICINGS:
            tl = plan(name, dataclasses.replace(de(sets, rate=rate), voice=voice), m)
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
    assert sum(1 for s in tl.speech if s.text == NOW) == 2 * len(muscle_groups(p, name.removeprefix("pmr-")))


@pytest.mark.parametrize("name", PMR)
def test_pmr_final_rest_about_two_minutes(name: str) -> None:
    tl = plan(name, de(), front(name, "de")[1])
    chapters = [c for c in tl.items if isinstance(c, TimedChapter)]
    rest = next(k for k, c in enumerate(chapters) if c.title == "Nachruhen")
    length = (chapters[rest + 1].start_ms - chapters[rest].start_ms) / 1000
    assert 100 <= length <= 150, length


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
        later = " ".join(s.text for s in tl.speech)
        assert "Bei der Progressiven Muskelentspannung" not in later and "jetzt" in later
    p = dataclasses.replace(de(), earlier=("belly-breathing",))
    assert "Bei der Progressiven Muskelentspannung" in " ".join(s.text for s in course_plan("pmr-7", p, 20).speech)


@pytest.mark.parametrize("name", PMR)
def test_pmr_structure_by_minutes(name: str) -> None:
    """Short sessions tense each group once (said in the front matter); the full form from the
    length the description names."""
    lo, default, _ = front(name, "de")
    assert sum(1 for s in plan(name, de(), lo).speech if s.text == NOW) == int(name.removeprefix("pmr-"))
    assert "jede Gruppe einmal" in open(f"scripts/de/{name}.j2", encoding="utf-8").read().split("---#}")[0]
