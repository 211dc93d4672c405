"""Speech clips: raw engine output -> trimmed, declicked 44.1 kHz mono; WAV I/O."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from ..errors import AudioError, SynthesisError
from .filters import resample_poly
from .levels import SR

TRIM_DBFS = -45.0  # below this a clip's edges count as silence
EDGE_PAD_MS = 8.0  # kept before the first and after the last sound
EDGE_FADE_MS = 5.0


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Read a PCM WAV as float32 mono (channels averaged) and its rate."""
    try:
        with wave.open(str(path), "rb") as w:
            sr = w.getframerate()
            ch = w.getnchannels()
            width = w.getsampwidth()
            raw = w.readframes(w.getnframes())
    except (OSError, EOFError, wave.Error) as e:
        raise AudioError(f"{path}: not a readable WAV file ({e})") from None
    if width == 2:
        a = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    elif width == 4:
        a = np.frombuffer(raw, dtype="<i4").astype(np.float32) / 2147483648.0
    elif width == 1:
        a = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    else:
        raise AudioError(f"{path}: unsupported WAV sample width {width}")
    if ch > 1:
        a = a.reshape(-1, ch).mean(axis=1)
    return a, sr


def write_wav(path: str | Path, samples: np.ndarray, sr: int = SR) -> None:
    """Write float mono samples as 16-bit PCM WAV."""
    pcm = np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(pcm.tobytes())


def wav_frames(path: str | Path) -> int:
    with wave.open(str(path), "rb") as w:
        return w.getnframes()


def resample(a: np.ndarray, sr_in: int, sr_out: int = SR) -> np.ndarray:
    if sr_in == sr_out:
        return a.astype(np.float32, copy=False)
    from math import gcd

    g = gcd(sr_in, sr_out)
    return resample_poly(a, sr_out // g, sr_in // g).astype(np.float32)


def trim(a: np.ndarray, sr: int = SR) -> np.ndarray:
    """Cut leading/trailing silence consistently, keep a short pad, fade the edges."""
    if a.size == 0:
        return a
    thr = 10 ** (TRIM_DBFS / 20.0)
    win = max(1, int(sr * 0.005))
    n = a.size // win
    if n == 0:
        return a
    env = np.abs(a[: n * win]).reshape(n, win).max(axis=1)
    loud = np.nonzero(env > thr)[0]
    if loud.size == 0:
        return a[:0]
    pad = int(sr * EDGE_PAD_MS / 1000)
    start = max(0, loud[0] * win - pad)
    end = min(a.size, (loud[-1] + 1) * win + pad)
    out = a[start:end].astype(np.float32, copy=True)
    f = min(int(sr * EDGE_FADE_MS / 1000), out.size // 2)
    if f > 0:
        ramp = np.linspace(0.0, 1.0, f, dtype=np.float32)
        out[:f] *= ramp
        out[-f:] *= ramp[::-1]
    return out


def process_engine_output(path: Path, text: str) -> np.ndarray:
    """Load an engine's WAV and make it a clip: checked, 44.1 kHz, trimmed."""
    if not path.is_file() or path.stat().st_size <= 44:
        raise SynthesisError(f"the speech engine wrote no audio for: {text!r}")
    try:
        a, sr = read_wav(path)
    except AudioError as e:
        raise SynthesisError(f"the speech engine wrote a broken file for {text!r}: {e}") from None
    if not np.all(np.isfinite(a)):
        raise SynthesisError(f"the speech engine wrote invalid samples for: {text!r}")
    clip = trim(resample(a, sr, SR))
    if clip.size < SR * 0.05:
        raise SynthesisError(f"the speech engine produced silence for: {text!r}")
    return clip


def rms_dbfs(a: np.ndarray) -> float:
    if a.size == 0:
        return float("-inf")
    r = float(np.sqrt(np.mean(np.square(a, dtype=np.float64))))
    return 20 * np.log10(r) if r > 0 else float("-inf")
