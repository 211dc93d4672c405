"""English wording (the English review of December 2026): contractions, no "the support", no
exclamation marks, no commas as pauses, no clinical terms in PMR and autogenic training; and
what a line promises, the silence after it gives."""

from __future__ import annotations

import re

import pytest

from generator.model import TimedCue, TimedSpeech

from .library_plans import OTHER_SCRIPTS, english, front, front_matter, said

# what a native speaker contracts ("as it is" at the end of a clause stays)
UNCONTRACTED = re.compile(r"\b(do not|does not|(?<!as )it is|you are|let us|that is|there is|you will|I will)\b")


@pytest.mark.parametrize("name", OTHER_SCRIPTS)
def test_english_wording_of_the_other_scripts(name: str) -> None:
    """Contractions, no 'the support', no exclamation marks, no commas as pauses ('In, and out')."""
    for sets in ({}, {"sleep": "true"}, {"safety": "yes"}, {"reflect_course": "yes"}):
        fm = front_matter(name)
        lo, hi = fm.range_for(next((c for c in fm.options if dict(c.sets) == sets), None))
        t = " ".join(said(english(name, hi, sets)))
        assert not UNCONTRACTED.search(t), UNCONTRACTED.search(t)
        assert "the support" not in t and "!" not in t and "In, and out" not in t


@pytest.mark.parametrize("name", ("pmr-16", "pmr-7", "pmr-4", "pmr-recall", "autogenic"))
def test_english_wording_of_pmr_and_autogenic(name: str) -> None:
    for sets in ({}, {"stage": "full", "heart_formula": "true"} if name == "autogenic" else {"scan": "short"}):
        tl = english(name, front(name, "en")[2], sets if name in ("autogenic", "pmr-recall") else {})
        # the lines of these scripts and their PMR macros (the shared opening and ending in en.j2
        # have their own tests)
        heard = " ".join(s.text for s in tl.speech if not (s.pos and s.pos.file.endswith("_lib/en.j2")))
        assert "the support" not in heard and "It breathes me" not in heard
        assert not re.search(r"\b(Let us|[Dd]o not|does not|I will|You are|There is|It is)\b", heard), name
        assert "!" not in heard
        assert "contraindicat" not in heard and "psychosis" not in heard and "depression" not in heard


@pytest.mark.parametrize("name", OTHER_SCRIPTS)
def test_said_time_is_given(name: str) -> None:
    """What a line promises, the silence after it gives: "for a minute" about a minute, "three
    slow breaths" time for three breaths (review item 10)."""
    fm = front_matter(name)
    for m in (fm.min_minutes, fm.minutes, fm.max_minutes):
        tl = english(name, m)
        items = [i for i in tl.items if isinstance(i, TimedSpeech | TimedCue)]
        for k, i in enumerate(items[:-1]):
            if not isinstance(i, TimedSpeech):
                continue
            quiet = items[k + 1].start_ms - i.end_ms
            if "for a minute" in i.text:
                assert quiet >= 50000, (name, m, i.text, quiet)
            if "three slow breaths" in i.text.lower():
                assert quiet >= 15000, (name, m, i.text, quiet)
