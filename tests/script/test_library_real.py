"""Every built-in script, in each language, fitted to its default length with the
real speech engine (real clip lengths, not the words-per-minute estimate)."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.api import plan
from generator.check import library_templates
from generator.library_report import SHARE_TARGETS, method_of
from generator.profile import Profile
from generator.script.render import parse_front_matter

pytestmark = [pytest.mark.engine, pytest.mark.slow]

TEMPLATES = library_templates()


@pytest.mark.parametrize("path", TEMPLATES, ids=[f"{p.parent.name}/{p.stem}" for p in TEMPLATES])
def test_script_fits_its_default_length_with_real_speech(path: Path) -> None:
    """Fits its default length with espeak-ng (the voice of a base install), and speaks for at
    least its method's share of the time (docs/scripts.md, "Guidance density": 40 % for guided
    practices and the safety notes, 30 % for breathing). The clips' time is measured here; the
    library report measures the audible frames of the built audio, which is a little less."""
    front = parse_front_matter(path.read_text(encoding="utf-8"), path.name)
    assert front.minutes is not None
    profile = Profile(name="Alex", language=path.parent.name)
    _, tl = plan(path, profile, front.minutes, engine="pyttsx3")
    target = front.minutes * 60000
    assert abs(tl.total_ms - target) <= 0.02 * target, (tl.total_ms, target)
    assert tl.speech and all(s.dur_ms > 0 for s in tl.speech)
    share = sum(s.dur_ms for s in tl.speech) / tl.total_ms
    lo, _ = SHARE_TARGETS[method_of(path.stem, front.tags)]
    assert share >= lo, f"speech share {share:.3f} < {lo:.2f}"
