"""Openings (the shared macros of scripts/_lib): the full opening (the driving line, a cushion
under the knees) on a session on its own and the first of a course; from the second session on
a short opening of one or two sentences, mostly new, and varied endings."""

from __future__ import annotations

import re

import pytest

from generator.api import plan
from generator.batch.manifest import load_manifest
from generator.batch.pack import PackSettings, plan_pack
from generator.model import TimedSpeech, Timeline
from generator.paths import scripts_dir
from generator.profile import Profile

from .library_plans import (
    EN_PROMPTS,
    OTHER_SCRIPTS,
    REGISTERS,
    english,
    front_matter,
    listener,
    said,
)


def first_minute(tl: Timeline) -> set[str]:
    return {i.text for i in tl.items if isinstance(i, TimedSpeech) and i.start_ms < 60000 and i.text not in EN_PROMPTS}


@pytest.mark.parametrize("name", [s for s in OTHER_SCRIPTS if s != "safety-intro"])  # the safety notes themselves
def test_opened_once(name: str) -> None:
    """The full opening (a cushion under the knees where lying is offered, the driving line) on the
    first session and on a session on its own; a short opening of one or two sentences after."""
    fm = front_matter(name)
    alone = " ".join(said(english(name, fm.minutes)))
    assert "Never listen to this while driving" in alone
    if name not in ("desk-break",):
        assert "cushion under your knees" in alone or fm.min_minutes < 3.5 and name == "breathing-478"
    later = english(name, fm.minutes, earlier=("pmr-7",))
    text = " ".join(said(later))
    assert "driving" not in text and "cushion under your knees" not in text
    opening = [i.text for i in later.items if isinstance(i, TimedSpeech)
               and i.start_ms < next(c.start_ms for c in later.chapters if c.title != "Arriving")]
    assert 1 <= len(opening) <= 2, opening


def test_short_openings_vary_across_a_course() -> None:
    """From the second session on, at most half of the sentences of a session's first minute were
    in the first minute of an earlier session of another script; the endings vary too."""
    course = [OTHER_SCRIPTS[k % len(OTHER_SCRIPTS)] for k in range(2 * len(OTHER_SCRIPTS))]
    heard: list[tuple[str, set[str]]] = []
    endings: list[tuple[str, ...]] = []
    for k, name in enumerate(course):
        earlier = tuple(course[:k])
        tl = english(name, front_matter(name).minutes, earlier=earlier)
        first = first_minute(tl)
        if k:
            seen = set().union(*(f for n, f in heard if n != name))
            assert len(first & seen) <= len(first) / 2, (name, k, first & seen)
        heard.append((name, first))
        endings.append(tuple(i.text for i in tl.items if isinstance(i, TimedSpeech)
                             and i.start_ms >= tl.chapters[-1].start_ms))
    assert len(set(endings)) > len(endings) / 2, endings


COURSES = ("courses/back-relief-14-days.toml", "packs/back-relief-starter.toml")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


@pytest.mark.parametrize(("lang", "address"), REGISTERS)
@pytest.mark.parametrize("manifest", COURSES)
def test_after_the_first_session_the_opening_is_short_and_new(manifest: str, lang: str, address: str,
                                                            tmp_path) -> None:  # type: ignore[no-untyped-def]
    m = load_manifest(scripts_dir() / manifest)
    p = plan_pack(m, listener(lang, address), tmp_path / "out", PackSettings(str(tmp_path / "c"), engine="fake"))
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
