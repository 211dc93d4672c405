"""A deterministic fake engine for fast tests: speech-like tone bursts at the voice's rate."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ..audio.clips import write_wav
from ..model import ClipRequest
from ..script.timeline import estimate_ms
from .base import EngineVoice

SR = 22050


class FakeEngine:
    name = "fake"
    voice_from_profile = True  # any voice id is spoken (see generator.tts.base.voice_from_profile)
    speaks_estimates = True  # each clip lasts its estimate_ms (see generator.tts.base.speaks_estimates)

    def version(self) -> str:
        return "fake-2"  # a new estimate model needs a new version: cached tones are keyed by it

    def voices(self) -> list[EngineVoice]:
        return [
            EngineVoice("fake/en", "Fake English", ("en", "en-gb", "en-us")),
            EngineVoice("fake/de", "Fake German", ("de",)),
        ]

    def synthesize(self, req: ClipRequest, out_wav: Path) -> None:
        write_wav(out_wav, fake_samples(req), SR)


def fake_samples(req: ClipRequest) -> np.ndarray:
    """``estimate_ms`` long (exactly), a voiced tone with syllable-rate modulation."""
    n = int(round(estimate_ms(req) * SR / 1000))
    seed = int.from_bytes(hashlib.sha256(req.text.encode()).digest()[:4], "little")
    f0 = 110 + seed % 60
    t = np.arange(n, dtype=np.float64) / SR
    tone = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in (1, 2, 3, 4))
    syll = 0.55 + 0.45 * np.abs(np.sin(np.pi * 4.0 * t))
    a = (0.12 * tone * syll).astype(np.float32)
    edge = min(int(SR * 0.004), n // 2)
    if edge:
        a[:edge] *= np.linspace(0.3, 1.0, edge, dtype=np.float32)
        a[-edge:] *= np.linspace(1.0, 0.3, edge, dtype=np.float32)
    return a
