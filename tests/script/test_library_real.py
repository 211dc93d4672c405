"""Every built-in script, in each language, fitted to its default length with the
real speech engine (real clip lengths, not the words-per-minute estimate)."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.api import plan
from generator.check import library_templates
from generator.profile import Profile
from generator.script.render import parse_front_matter

pytestmark = [pytest.mark.engine, pytest.mark.slow]

TEMPLATES = library_templates()

# Scripts that still speak for less than a third of their default length with the real
# engine (none at the moment); remove an entry once its text is fixed. Only
# the speech-share check is excused for them (the fit is always checked), and a listed
# script that reaches a third fails the test, so the list cannot go stale.
TOO_QUIET: set[str] = set()


@pytest.mark.parametrize("path", TEMPLATES, ids=[f"{p.parent.name}/{p.stem}" for p in TEMPLATES])
def test_script_fits_its_default_length_with_real_speech(path: Path) -> None:
    """Fits its default length, and is guided rather than mostly silence: speech for at
    least a third of the time (one plan call serves both checks)."""
    front = parse_front_matter(path.read_text(encoding="utf-8"), path.name)
    assert front.minutes is not None
    profile = Profile(name="Alex", language=path.parent.name)
    _, tl = plan(path, profile, front.minutes, engine="pyttsx3")
    target = front.minutes * 60000
    assert abs(tl.total_ms - target) <= 0.02 * target, (tl.total_ms, target)
    assert tl.speech and all(s.dur_ms > 0 for s in tl.speech)
    share = sum(s.dur_ms for s in tl.speech) / tl.total_ms
    if f"{path.parent.name}/{path.stem}" in TOO_QUIET:
        assert share < 1 / 3, f"speech share {share:.3f} now reaches a third: remove it from TOO_QUIET"
        pytest.xfail(f"speech share {share:.3f} < 1/3 with the real engine (known, see TOO_QUIET)")
    assert share >= 1 / 3, f"speech share {share:.3f} < 1/3"
