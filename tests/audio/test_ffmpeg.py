"""The one decoder: a whole file, a span of it, and what it says about files it cannot use."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from generator.audio import ffmpeg
from generator.audio.ffmpeg import decode
from generator.errors import AudioError

SR = 44100


def _wav(path: Path, x: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(np.round(x * 32767).astype("<i2").tobytes())
    return path


def test_a_whole_file_and_a_span_of_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    x = 0.5 * np.sin(np.arange(3 * SR) * 0.01)
    p = _wav(tmp_path / "a.wav", x)
    monkeypatch.setattr(ffmpeg, "GROW_FROM_S", 0.25)  # the buffer grows three times on the way
    whole = decode(p, SR, 1)
    assert whole.shape == (3 * SR, 1) and whole.dtype == np.float32
    assert np.allclose(whole[:, 0], x, atol=1 / 32767)
    span = decode(p, SR, 1, max_seconds=1.0, start_s=0.5)
    assert np.array_equal(span, whole[SR // 2 : SR // 2 + SR])
    assert decode(p, SR, 2, max_seconds=1.0).shape == (SR, 2)


def test_the_messages_name_the_file_and_what_to_use(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match=r"gone\.wav: bed file not found$"):
        decode(tmp_path / "gone.wav", what="bed")
    (tmp_path / "zero.wav").write_bytes(b"")
    with pytest.raises(AudioError, match=r"zero\.wav: the file is empty; use a sound file with audio in it"):
        decode(tmp_path / "zero.wav")
    (tmp_path / "text.wav").write_text("not audio", encoding="utf-8")
    with pytest.raises(AudioError, match=r"text\.wav: not a readable audio file \(invalid data: not audio, "
                                         r"or a damaged file\); use a WAV, FLAC, OGG or MP3 file"):
        decode(tmp_path / "text.wav", what="cue")
    with pytest.raises(AudioError, match=r"none\.wav: contains no audio; use a sound file with audio in it"):
        decode(_wav(tmp_path / "none.wav", np.zeros(0)))
