"""``relaxgen check``: declared lengths, documented option combinations ([[options]]) and every
default voice (its rate and speech-time estimate)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from generator.api import plan
from generator.check import ADDED_VOICE, check_template, library_templates, listener_voices
from generator.errors import ScriptError
from generator.profile import Profile
from generator.script.render import OptionCase, parse_front_matter

BODY = """{% if (long | default("no")) == "yes" %}
{% for i in range(40) %}This is a longer part of the session, and it goes on for a while.
{% endfor %}
{% endif %}
Breathe in slowly, and let the breath go. [pause 2s-40s]
Notice how your shoulders rest. [pause 2s-40s]
"""


LONG = BODY.replace('(long | default("no")) == "yes"', "true")


def _template(tmp_path: Path, front: str, body: str = BODY) -> Path:
    p = tmp_path / "t.j2"
    p.write_text("{#---\n" + front + "\n---#}\n" + body, encoding="utf-8")
    return p


def _floor_min(path: Path, profile: Profile) -> float:
    """The shortest length the template reaches (from the fit error's range)."""
    with pytest.raises(ScriptError) as e:
        plan(path, profile, 0.05, engine="fake")
    m = re.search(r"can last (\d+):(\d+) min", str(e.value))
    assert m, str(e.value)
    return int(m[1]) + int(m[2]) / 60


def test_front_matter_reads_options(tmp_path: Path) -> None:
    p = _template(tmp_path, 'minutes = 1\n[[options]]\nset = { long = "yes", sleep = true }\nmin_minutes = 3')
    front = parse_front_matter(p.read_text(encoding="utf-8"), "t.j2")
    assert front.options == (OptionCase((("long", "yes"), ("sleep", "true")), 3.0, None),)
    assert front.options[0].label == "long=yes sleep=true"


@pytest.mark.parametrize("options, message", [
    ('[[options]]\nmin_minutes = 3', "every [[options]] table needs set ="),
    ('[[options]]\nset = { long = "yes" }\nminimum = 3', "unknown key 'minimum' in [[options]]"),
    ('options = "long"', "options must be [[options]] tables"),
])
def test_bad_options_are_front_matter_errors_at_their_line(tmp_path: Path, options: str, message: str) -> None:
    p = _template(tmp_path, "minutes = 1\n" + options)
    with pytest.raises(ScriptError) as e:
        parse_front_matter(p.read_text(encoding="utf-8"), "t.j2")
    assert str(e.value).startswith("t.j2:2:") and message in str(e.value)


def test_an_option_is_checked_at_the_lengths_declared_for_it(tmp_path: Path) -> None:
    short = _template(tmp_path, "minutes = 1\nmin_minutes = 0.8\nmax_minutes = 1.5")
    floor = _floor_min(short, Profile(language="en", voice="neural-en", extra={"long": "yes"}))  # the slowest voice
    assert floor > 1.5  # the long part does not fit the script's own range
    undeclared = _template(tmp_path, 'minutes = 1\nmin_minutes = 0.8\nmax_minutes = 1.5\n'
                                     '[[options]]\nset = { long = "yes" }')
    problems = check_template(undeclared)
    assert problems and all(p.option == "long=yes" for p in problems)
    assert "declare the lengths it reaches with this option" in str(problems[0])
    assert "with long=yes" in str(problems[0])
    lo = round(floor + 0.1, 1)
    declared = _template(tmp_path, f'minutes = 1\nmin_minutes = 0.8\nmax_minutes = 1.5\n'
                                   f'[[options]]\nset = {{ long = "yes" }}\nmin_minutes = {lo:g}\n'
                                   f'max_minutes = {lo + 0.3:g}')
    assert check_template(declared) == []


def test_an_unknown_option_value_is_reported(tmp_path: Path) -> None:
    p = _template(tmp_path, 'minutes = 1\n[[options]]\nset = { rate = "fast" }')
    problems = check_template(p)
    assert len(problems) == 1 and problems[0].option == "rate=fast" and "rate" in problems[0].message


def test_every_default_voice_is_checked(tmp_path: Path) -> None:
    """calm-en prefers an added voice or the neural voice (both 120 wpm, with the neural voice's
    estimate) over its own espeak-ng (135): a length only the faster voice reaches is a problem,
    named with the slower voice. In German an added voice stands for the voices still to be added."""
    voices, names = listener_voices("en")
    assert names == ("calm-en", "neural-en")  # an added voice plans like neural-en
    assert [voices[n].rate_wpm for n in names] == [135, 120]
    voices_de, names_de = listener_voices("de")
    assert names_de == ("calm-de", ADDED_VOICE)
    added = voices_de[ADDED_VOICE]
    assert (added.engine, added.language, added.rate_wpm) == ("piper", "de", 120)
    assert added.estimate == replace(voices_de["calm-de"].estimate, slowest_wpm=voices["neural-en"].estimate.slowest_wpm)  # type: ignore[union-attr]
    p = _template(tmp_path, "minutes = 1", LONG)
    fast = _floor_min(p, Profile(language="en"))
    slow = _floor_min(p, Profile(language="en", voice="neural-en"))
    assert slow > fast
    between = round((fast + slow) / 2, 3)
    assert fast < between < slow
    problems = check_template(_template(tmp_path, f"minutes = {between}", LONG))
    assert [(x.minutes, x.wpm, x.voice) for x in problems] == [(between, 120, "neural-en")]
    assert str(problems[0]).endswith(f"[en at {between:g} min, at 120 wpm (neural-en)]")
    assert check_template(_template(tmp_path, f"minutes = {slow + 0.05:.3f}", LONG)) == []


@pytest.mark.parametrize("path", library_templates(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_the_built_in_library_passes_check(path: Path) -> None:
    """Every built-in script reaches its declared lengths with every declared option, with every
    default voice (its rate and estimate), in both German forms of address, and has no hole."""
    assert check_template(path) == []


def test_a_hole_in_the_declared_range_names_its_piece(tmp_path: Path) -> None:
    """The ends reach, the middle does not: check names the piece whose addition jumps past
    what the elastic pauses before it reach."""
    t = tmp_path / "h.j2"
    t.write_text("""{#---
title = "Hole"
minutes = 0.5
min_minutes = 0.3
max_minutes = 1
---#}
Hello there. [pause 2-12s]
[optional]
This piece is far too long for the pauses around it to absorb, so there are lengths no choice reaches at all, none at all. [pause 20s]
[/optional]
Goodbye. [pause 2-12s]
""", encoding="utf-8")
    problems = check_template(t)
    assert problems and all("a hole in the declared range" in p.message for p in problems)
    assert all(f"{t}:8:1 [optional 1]" in p.message and "widen the elastic pauses" in p.message for p in problems)
    # widened pauses absorb the piece: no problem left
    t.write_text(t.read_text(encoding="utf-8").replace("[pause 2-12s]", "[pause 2-24s]"), encoding="utf-8")
    assert check_template(t) == []
