"""Cue sounds: immediate onset, natural decay to silence, no clipping, exact lengths."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from generator.audio.cues import CUE_NAMES, breath_tone, cue, cue_length_ms, file_cue
from generator.errors import AudioError

SR = 44100


def _onset_ms(x: np.ndarray) -> float:
    mag = np.abs(x).max(axis=1)
    return float(np.argmax(mag >= 0.1 * mag.max())) * 1000 / SR


def _db(x: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64))) + 1e-12))


@pytest.mark.parametrize("name", CUE_NAMES)
def test_cue_shape_onset_decay(name: str) -> None:
    x = cue(name, SR)
    assert x.dtype == np.float32 and x.ndim == 2 and x.shape[1] == 2
    assert len(x) * 1000 / SR == cue_length_ms(name)
    assert abs(x[0]).max() < 0.05  # a ramp, not a click …
    assert abs(x[1]).max() > 0  # … that starts on the first sample
    assert _onset_ms(x) <= 5.0
    peak = float(np.abs(x).max())
    assert abs(20 * np.log10(peak) + 6.0) < 0.01  # -6 dBFS, never clips
    assert np.all(x[-1] == 0.0)
    assert _db(x[-SR // 20 :]) < 20 * np.log10(peak) - 40  # last 50 ms: near silence


@pytest.mark.parametrize(
    "name,seconds", [("bell", 4.0), ("chime", 3.0), ("gong", 6.0), ("tone", 1.2)]
)
def test_cue_lengths(name: str, seconds: float) -> None:
    assert cue_length_ms(name) == seconds * 1000
    assert cue_length_ms(name, 48000) == len(cue(name, 48000)) * 1000 / 48000


@pytest.mark.parametrize("name", ["bell", "chime", "gong"])
def test_cue_decays_naturally(name: str) -> None:
    x = cue(name, SR)[:, 0]
    quarters = [_db(q) for q in np.array_split(x, 4)]
    assert all(a > b for a, b in zip(quarters, quarters[1:], strict=False))


def test_cue_is_a_fresh_copy() -> None:
    a = cue("bell")
    a *= 0
    assert np.abs(cue("bell")).max() > 0.4


def test_unknown_cue() -> None:
    with pytest.raises(AudioError, match="did you mean 'bell'"):
        cue("bel")
    with pytest.raises(AudioError):
        cue_length_ms("harp")


def test_breath_tones() -> None:
    inn, out = breath_tone("in"), breath_tone("out")
    for x in (inn, out):
        assert x.shape[1] == 2 and 0.6 * SR <= len(x) <= 1.0 * SR
        assert abs(20 * np.log10(np.abs(x).max()) + 18.0) < 0.01
        assert _onset_ms(x) <= 5.0 and np.all(x[-1] == 0.0)

    def pitch(x: np.ndarray) -> float:  # zero crossings per second
        s = np.signbit(x[:, 0])
        return float(np.count_nonzero(s[1:] != s[:-1])) / 2 / (len(x) / SR)

    assert pitch(inn) > pitch(out)
    with pytest.raises(AudioError):
        breath_tone("hold")


def _write_wav(path: Path, x: np.ndarray) -> Path:
    pcm = np.clip(np.round(x * 32767), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(pcm.tobytes())
    return path


def test_file_cue_trims_and_normalises(tmp_path: Path) -> None:
    t = np.arange(SR) / SR
    sound = 0.9 * np.exp(-3 * t) * np.sin(2 * np.pi * 660 * t)
    p = _write_wav(
        tmp_path / "ding.wav", np.concatenate([np.zeros(SR // 2), sound, np.zeros(SR // 2)])
    )
    x = file_cue(p)
    assert x.shape[1] == 2
    assert abs(20 * np.log10(np.abs(x).max()) + 6.0) < 0.01
    assert _onset_ms(x) <= 5.0  # leading silence removed
    assert len(x) < 1.05 * SR and np.all(x[-1] == 0.0)


def test_file_cue_errors(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="gone.wav.*not found"):
        file_cue(tmp_path / "gone.wav")
    bad = tmp_path / "text.wav"
    bad.write_text("hello")
    with pytest.raises(AudioError, match="text.wav.*not a readable audio file"):
        file_cue(bad)
    empty = tmp_path / "empty.mp3"
    empty.write_bytes(b"")
    with pytest.raises(AudioError, match="empty.mp3"):
        file_cue(empty)
    long = _write_wav(tmp_path / "long.wav", 0.1 * np.ones(3 * SR))
    with pytest.raises(AudioError, match="long.wav.*longer than 2 s"):
        file_cue(long, max_s=2.0)
    silent = _write_wav(tmp_path / "quiet.wav", np.zeros(SR))
    with pytest.raises(AudioError, match="quiet.wav.*silent"):
        file_cue(silent)
