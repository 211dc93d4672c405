"""The breathing practices (belly, box, 4-7-8 and resonance breathing), in English and German:
the counts of each practice, box breathing's fourth side and its variant without holds, the
shortest 4-7-8 session and its limit of breaths, and resonance breathing after PMR."""

from __future__ import annotations

import pytest

from generator.api import template_variables
from generator.model import Breathe, TimedBreath, TimedSpeech
from generator.profile import Profile
from generator.script.markers import parse_script
from generator.script.render import render_template, resolve_template

from .library_plans import (
    DU_FORMS,
    LANGS,
    SIE_FORMS,
    TAKING_BACK,
    english,
    front,
    plan,
    prof,
    silences,
    text,
)


def _blocks(name: str, p: Profile) -> list[TimedBreath]:
    return [i for i in plan(name, p, front(name, p.language)[1]).items if isinstance(i, TimedBreath)]


@pytest.mark.parametrize("lang", ["en", "de"])
def test_breathing_counts(lang: str) -> None:
    p = prof(lang)
    assert {(b.spec.in_s, b.spec.hold_s, b.spec.out_s) for b in _blocks("breathing-478", p)} == {(4, 7, 8)}
    box = {(b.spec.in_s, b.spec.hold_s, b.spec.out_s, b.spec.rest_s) for b in _blocks("box-breathing", p)}
    # English guided boxes speak their fourth side ("Hold." and its pause after the block)
    assert box == ({(4, 4, 4, 4), (4, 4, 4, 0)} if lang == "en" else {(4, 4, 4, 4)})
    res = _blocks("resonance-breathing", p)
    assert {(b.spec.in_s + b.spec.out_s) for b in res} == {10}  # six breaths a minute
    belly = [(b.spec.in_s, b.spec.out_s) for b in _blocks("belly-breathing", p)]
    assert belly[0] == (4, 4) and (4, 8) in belly  # the out-breath grows to twice the in-breath
    said = text("box-breathing", p)
    # the fourth side (the hold after the out-breath) is prompted in English (test_box_prompts_the_fourth_side)
    assert ("Hold." in said.splitlines()) if lang == "en" else ("vierte Seite" in said)


def test_box_breathing_no_hold_variant() -> None:
    def holds(p: Profile) -> set[float]:
        r = render_template(resolve_template("box-breathing", p.language), template_variables(p))
        return {s.hold_s for s in parse_script(r.text, r.name, r.anchors) if isinstance(s, Breathe)}

    assert holds(prof()) == {4.0}
    assert holds(prof(sets={"variant": "no-hold"})) == {0.0}


def test_box_prompts_the_fourth_side() -> None:
    """Each guided box prompts all four sides: 'Hold' after the out-breath too; nothing promises a count."""
    tl = english("box-breathing", 4)
    items = [i for i in tl.items if isinstance(i, TimedSpeech)]
    outs = [k for k, i in enumerate(items) if i.text == "And out"]
    assert len(outs) >= 2
    for k in outs:
        nxt = items[k + 1]
        assert nxt.text == "Hold.", nxt.text
        assert 3900 <= nxt.start_ms - items[k].start_ms <= 4100  # on the beat of the fourth side
        after = items[k + 2]
        if after.text == "Breathe in":  # the next guided box: the fourth side lasts about 4 s
            assert 3800 <= after.start_ms - nxt.start_ms <= 4600, after.start_ms - nxt.start_ms
    assert "count with you" not in " ".join(i.text for i in items)


@pytest.mark.parametrize("lang,address", [("en", "Sie"), ("de", "Sie"), ("de", "du")])
def test_478_fits_two_minutes(lang: str, address: str) -> None:
    """The shortest 4-7-8 session: a compact greeting and way back, the safety line, four cycles."""
    p = prof(lang, address=address)
    tl = plan("breathing-478", p, 2.0)
    assert abs(tl.total_ms - 120000) <= 0.02 * 120000, tl.total_ms
    blocks = [i for i in tl.items if isinstance(i, TimedBreath)]
    # German: three breaths under 2.5 minutes (the first session's opening, the bells and four breaths of
    # 19 s do not fit into two minutes at every voice rate)
    assert sum(b.spec.cycles for b in blocks) == (3 if lang == "de" else 4)
    assert all((b.spec.in_s, b.spec.hold_s, b.spec.out_s) == (4, 7, 8) for b in blocks)
    said = " ".join(i.text for i in tl.items if isinstance(i, TimedSpeech))
    if lang == "en":
        assert "light-headed" in said and "Sitting or lying" in said
    else:
        assert "Schwindel" in said
        assert ("legen Sie sich" if address == "Sie" else "leg dich") in said
    assert TAKING_BACK.search(said)
    assert max(length for length, _ in silences(tl)) <= 60000
    if lang == "de":
        sie, du = SIE_FORMS.search(said), DU_FORMS.search(said)
        assert not (du if address == "Sie" else sie), said
    longer = plan("breathing-478", p, 3.0)  # from 3 minutes on the full introduction
    assert longer.speech_ms > tl.speech_ms


def test_478_never_more_than_eight_cycles() -> None:
    for n in ("2", "4", "20"):
        p = prof(sets={"cycles": n})
        r = render_template(resolve_template("breathing-478", "en"), template_variables(p))
        total = sum(s.cycles for s in parse_script(r.text, r.name, r.anchors) if isinstance(s, Breathe))
        assert total == min(int(n), 8)


def test_478_never_more_breaths_with_a_longer_session() -> None:
    """The length never adds 4-7-8 breaths: four at 2 and at 10 minutes."""
    for m in (2, 4, 10):
        tl = english("breathing-478", m)
        assert sum(b.spec.cycles for b in tl.items if isinstance(b, TimedBreath)) == 4


# resonance breathing after PMR: the session is longer than the script's own range
PMR_FIRST = {"4": (14.0, 17.0, 30.0), "7": (20.0, 22.0, 30.0)}


@pytest.mark.parametrize("sleep", [False, True], ids=["awake", "sleep"])
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("groups", sorted(PMR_FIRST))
def test_resonance_after_pmr_fits(groups: str, lang: str, sleep: bool) -> None:
    for m in PMR_FIRST[groups]:
        tl = plan("resonance-breathing", prof(lang, {"pmr": groups}, sleep=sleep), m)
        assert abs(tl.total_ms - m * 60000) <= 0.02 * m * 60000, (groups, lang, sleep, m, tl.total_ms)
