"""German register: every German built-in script, rendered in both forms of address under many
option combinations, speaks only the listener's form (no ``Sie``/``Ihnen``/``Ihr…`` in a du
session, no ``du``/``dich``/``dir``/``dein…`` in a Sie session) with matching verb forms, and
reads well aloud (no digits, no clipped du imperatives). Rendering only: no speech engine."""

from __future__ import annotations

import re
from functools import cache

import pytest

from generator.api import template_variables
from generator.model import Speech
from generator.profile import apply_overrides, profile_from_mapping
from generator.script.markers import parse_script
from generator.script.render import (
    builtin_names,
    parse_front_matter,
    render_template,
    resolve_template,
)

# Profile fields and --set extras that change what a German script says.
OPTIONS: tuple[dict[str, object], ...] = (
    {},
    {"name": "Anna", "bell": False},
    {"skip": "hands, lower-back, neck", "gentle": "shoulders, legs"},
    {"skip": "shoulders, face, feet"},
    {"sleep": True, "dominant_side": "left"},
    {"heart_formula": True, "set": {"safety": "yes", "reflect_course": "yes"}},
    {"set": {"stage": "1"}}, {"set": {"stage": "2", "recall": "yes"}}, {"set": {"stage": "3"}},
    {"set": {"pmr": "4", "breathing": "1:2", "imagery": "beach"}},
    {"set": {"pmr": "7", "strength": "gentle"}},
    {"set": {"variant": "no-hold", "scan": "short", "cycles": "1"}},
    {"set": {"cycles": "8"}, "sleep": True},
)

# the other register's pronouns and possessives (a capitalised "Sie"/"Ihr…" is the polite form:
# the scripts never start a sentence with "sie"/"ihr" meaning "they"/"their")
SIE_FORMS = re.compile(r"\b(Sie|Ihnen|Ihr|Ihre|Ihren|Ihrem|Ihrer|Ihres|Euch|euch)\b")
DU_FORMS = re.compile(r"\b([Dd]u|[Dd]ich|[Dd]ir|[Dd]ein\w*)\b")
# verb forms of the other register next to the pronoun ("atmen du", "kannst", "Sie atmest")
DU_VERB_WRONG = re.compile(r"\b\w+en du\b|\b(Sie|sich) \w+st\b(?<!\bist)")
SIE_VERB_WRONG = re.compile(r"\b(kannst|magst|darfst|musst|willst|sollst|wirst|bist|hast|weißt)\b")
# clipped du imperatives that a voice says badly or that sound like nouns ("Ball die Faust")
CLIPPED = re.compile(r"\b(Ball|Bemerk|Ruh|räkel|Räkel|lausch|Lausch|rümpf|beginn|Beginn|Genieß|beug|Beug)\b")
QUOTED = re.compile(r"„[^“]*“|\"[^\"]*\"")
LISTEN_ONLY = re.compile(r"\d|\b(z\. ?B|ca|bzw|usw|ggf|min|Min|Sek)\b\.?")


@cache
def spoken(name: str, address: str, option: int, minutes: float) -> str:
    opts = dict(OPTIONS[option])
    sets = {k: str(v) for k, v in dict(opts.pop("set", {})).items()}  # type: ignore[call-overload]
    p = apply_overrides(profile_from_mapping({"language": "de", "address": address, "minutes": minutes,
                                              **opts}), sets)
    r = render_template(resolve_template(name, "de"), template_variables(p))
    said = "\n".join(s.text for s in parse_script(r.text, r.name, r.anchors) if isinstance(s, Speech))
    return QUOTED.sub("", said)


def lengths(name: str) -> tuple[float, ...]:
    fm = parse_front_matter(resolve_template(name, "de").read_text(encoding="utf-8"), name)
    return tuple(m for m in (fm.min_minutes, fm.minutes, fm.max_minutes) if m is not None)


def _sentence(text: str, at: int) -> str:
    start = max(text.rfind(".", 0, at), text.rfind("\n", 0, at)) + 1
    return text[start:text.find(".", at) + 1].strip()


NAMES = builtin_names("de")


@pytest.mark.parametrize("name", NAMES)
def test_one_form_of_address(name: str) -> None:
    for minutes in lengths(name):
        for option in range(len(OPTIONS)):
            du = spoken(name, "du", option, minutes)
            sie = spoken(name, "Sie", option, minutes)
            for text, wrong, what in ((du, SIE_FORMS, "Sie form in a du session"),
                                      (du, DU_VERB_WRONG, "Sie verb form with du"),
                                      (sie, DU_FORMS, "du form in a Sie session"),
                                      (sie, SIE_VERB_WRONG, "du verb form in a Sie session"),
                                      (du, CLIPPED, "clipped du imperative")):
                m = wrong.search(text)
                assert not m, f"{name} {minutes} min, {OPTIONS[option]}: {what}: {_sentence(text, m.start())!r}"


@pytest.mark.parametrize("name", NAMES)
def test_read_aloud_cleanly(name: str) -> None:
    """Numbers are written as words and nothing is abbreviated, so the voice reads them right."""
    for address in ("du", "Sie"):
        for option in range(len(OPTIONS)):
            text = spoken(name, address, option, lengths(name)[1])
            m = LISTEN_ONLY.search(text)
            assert not m, f"{name}: {_sentence(text, m.start())!r}"
            assert "hinübergleiten" not in text and "Zählzeit" not in text


def test_the_checks_catch_what_they_should() -> None:
    """The patterns find the faults the review found (a check that cannot fail proves nothing)."""
    assert DU_VERB_WRONG.search("Wenn eine Welle heranrollt, atmen du ein.")
    assert not DU_VERB_WRONG.search("Wenn eine Welle heranrollt, atmest du ein. Sie ist still.")
    assert SIE_FORMS.search("Lass Ihren Arm sinken.") and DU_FORMS.search("Legen Sie dich hin.")
    assert SIE_VERB_WRONG.search("Das kannst Sie jederzeit tun.")
    assert CLIPPED.search("Ball die rechte Hand zur Faust.")
    assert not CLIPPED.search("Balle die rechte Hand zur Faust.")
    assert LISTEN_ONLY.search("Atme 4 Sekunden ein.") and LISTEN_ONLY.search("z. B. im Sitzen")
    assert QUOTED.sub("", 'Sag: „Du bist ruhig.“') == "Sag: "
