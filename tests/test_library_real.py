"""Every built-in script, in each language, fitted to its default length with the
real speech engine (real clip lengths, not the words-per-minute estimate)."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.api import plan
from generator.check import library_templates
from generator.profile import Profile
from generator.render import parse_front_matter

pytestmark = [pytest.mark.engine, pytest.mark.slow]

TEMPLATES = library_templates()


@pytest.mark.parametrize("path", TEMPLATES, ids=[f"{p.parent.name}/{p.stem}" for p in TEMPLATES])
def test_script_fits_its_default_length_with_real_speech(path: Path) -> None:
    front = parse_front_matter(path.read_text(encoding="utf-8"), path.name)
    assert front.minutes is not None
    profile = Profile(name="Alex", language=path.parent.name)
    _, tl = plan(path, profile, front.minutes, engine=None)
    target = front.minutes * 60000
    assert abs(tl.total_ms - target) <= 0.02 * target, (tl.total_ms, target)
    assert tl.speech and all(s.dur_ms > 0 for s in tl.speech)
