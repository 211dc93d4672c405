"""Cue sounds: synthesised bells, chimes, a gong and a soft tone; breathing tones; user files.

Every cue starts sounding on its first sample (a short raised-cosine attack, no leading
silence: it is audible within 5 ms), decays naturally, and ends in exact silence.
Cues are mono content duplicated to both channels, float32 (n, 2), peaking at -6 dBFS
(breathing tones at -18 dBFS) before the mixer's own gain.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import AudioError, did_you_mean
from ..paths import display
from ..policy import CUE_MAX_S
from .ffmpeg import decode
from .levels import SR, db_to_gain, fade_edges

CUE_NAMES = ("bell", "chime", "gong", "tone")
CUE_PEAK_DBFS = -6.0
BREATH_PEAK_DBFS = -18.0
ATTACK_MS = 4.0  # raised-cosine attack: audible from the first samples, done within 5 ms
END_FADE_MS = 150.0


@dataclass(frozen=True)
class _Partial:
    ratio: float  # frequency relative to the fundamental
    amp: float
    t60: float  # seconds to decay by 60 dB
    detune_hz: float = 0.0  # a second, quieter copy this far off: the slow shimmer of real bells


@dataclass(frozen=True)
class _Voice:
    f0: float
    seconds: float
    partials: tuple[_Partial, ...]
    swell_ms: float = 0.0  # for the soft tone: rise from the attack level to the peak


_VOICES: dict[str, _Voice] = {
    # a small meditation bell: hum, prime, minor-third tierce, fifth, nominal and upper partials
    "bell": _Voice(
        392.0,
        4.0,
        (
            _Partial(0.5, 0.45, 3.6, 0.7),
            _Partial(1.0, 1.0, 3.0, 1.1),
            _Partial(1.19, 0.45, 2.3, 0.9),
            _Partial(1.5, 0.3, 2.0),
            _Partial(2.0, 0.5, 1.6, 1.7),
            _Partial(2.51, 0.2, 1.1),
            _Partial(3.01, 0.12, 0.8),
            _Partial(4.07, 0.06, 0.5),
        ),
    ),
    # a tubular chime: free-free bar partials 1 : 2.76 : 5.40 : 8.93
    "chime": _Voice(
        784.0,
        3.0,
        (
            _Partial(1.0, 1.0, 2.5, 0.8),
            _Partial(2.756, 0.35, 1.4),
            _Partial(5.404, 0.12, 0.7),
            _Partial(8.933, 0.04, 0.35),
        ),
    ),
    # a soft-mallet gong: low, many inharmonic partials, long decay
    "gong": _Voice(
        98.0,
        6.0,
        (
            _Partial(1.0, 1.0, 5.5, 0.35),
            _Partial(1.47, 0.6, 5.0, 0.5),
            _Partial(1.93, 0.45, 4.4),
            _Partial(2.41, 0.35, 3.8, 0.6),
            _Partial(2.86, 0.25, 3.2),
            _Partial(3.34, 0.18, 2.6),
            _Partial(3.95, 0.12, 2.0),
            _Partial(4.52, 0.08, 1.5),
            _Partial(5.63, 0.04, 1.0),
        ),
    ),
    # a soft sine with its octave, a gentle swell after the short attack
    "tone": _Voice(
        528.0,
        1.2,
        (_Partial(1.0, 1.0, 2.0), _Partial(2.0, 0.08, 1.0)),
        swell_ms=60.0,
    ),
}


def _check(name: str) -> _Voice:
    v = _VOICES.get(name)
    if v is None:
        raise AudioError(
            f"unknown cue '{name}'{did_you_mean(name, CUE_NAMES)}; "
            f"choose one of {', '.join(CUE_NAMES)}, or give a sound file"
        )
    return v


def _length(v: _Voice, sr: int) -> int:
    return int(round(v.seconds * sr))


def cue_length_ms(name: str, sr: int = SR) -> float:
    """Exact length of ``cue(name, sr)`` in milliseconds, without synthesising it."""
    return _length(_check(name), sr) * 1000.0 / sr


def _attack(n: int, sr: int, swell_ms: float) -> np.ndarray:
    """Gain curve: a raised-cosine attack over ATTACK_MS (to full level, or to a third of it
    followed by a raised-cosine swell over ``swell_ms``), then 1."""
    env = np.ones(n)
    a = min(n, max(2, int(round(ATTACK_MS * sr / 1000))))
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(1, a + 1) / a)  # first sample > 0, last = 1
    if swell_ms <= 0:
        env[:a] = ramp
        return env
    s = min(n - a, int(round(swell_ms * sr / 1000)))
    low = 1.0 / 3.0
    env[:a] = low * ramp
    env[a : a + s] = low + (1.0 - low) * (0.5 - 0.5 * np.cos(np.pi * np.arange(1, s + 1) / s))
    return env


def _synth(v: _Voice, sr: int) -> np.ndarray:
    n = _length(v, sr)
    t = np.arange(n) / sr
    x = np.zeros(n)
    for p in v.partials:
        f = v.f0 * p.ratio
        if f >= 0.45 * sr:
            continue
        decay = np.exp(-t * (math.log(1000.0) / p.t60))  # -60 dB after t60 seconds
        x += p.amp * decay * np.sin(2 * np.pi * f * t)
        if p.detune_hz:
            x += 0.3 * p.amp * decay * np.sin(2 * np.pi * (f + p.detune_hz) * t + 1.0)
    x *= _attack(n, sr, v.swell_ms)
    fade_edges(x, 0, min(n // 4, int(round(END_FADE_MS * sr / 1000))))
    return x


def _stereo(x: np.ndarray, peak_dbfs: float) -> np.ndarray:
    peak = float(np.max(np.abs(x)))
    y = x * (db_to_gain(peak_dbfs) / peak) if peak > 0 else x
    return np.repeat(y.astype(np.float32)[:, None], 2, axis=1)


@functools.lru_cache(maxsize=16)
def _cue_cached(name: str, sr: int) -> np.ndarray:
    a = _stereo(_synth(_check(name), sr), CUE_PEAK_DBFS)
    a.setflags(write=False)
    return a


def cue(name: str, sr: int = SR) -> np.ndarray:
    """A synthesised cue (one of ``CUE_NAMES``): float32 (n, 2), peak -6 dBFS.

    bell ~4 s, chime ~3 s, gong ~6 s, tone 1.2 s.  Additive inharmonic partials, each
    with its own exponential decay (higher partials die sooner), a 4 ms attack and a
    150 ms fade to exact silence at the end.
    """
    return _cue_cached(name, sr).copy()


@functools.lru_cache(maxsize=8)
def _breath_cached(phase: str, sr: int) -> np.ndarray:
    # in: 0.9 s gliding up a whole tone from G4; out: 1.0 s gliding down from E4
    secs, f_start, f_end = (0.9, 392.0, 440.0) if phase == "in" else (1.0, 329.6, 293.7)
    n = int(round(secs * sr))
    u = np.arange(n) / n
    f = f_start + (f_end - f_start) * (0.5 - 0.5 * np.cos(np.pi * u))
    ph = 2 * np.pi * np.cumsum(f) / sr
    x = np.sin(ph) + 0.06 * np.sin(2 * ph)
    # gentle hump: audible at once, fullest near 40 %, dying away smoothly
    body = np.sin(np.pi * np.minimum(u / 0.8, 1.0)) ** 0.7 * 0.75 + 0.25 * np.exp(-u * 4.0)
    x *= body * _attack(n, sr, 0.0)
    fade_edges(x, 0, int(0.1 * sr))
    a = _stereo(x, BREATH_PEAK_DBFS)
    a.setflags(write=False)
    return a


def breath_tone(phase: str, sr: int = SR) -> np.ndarray:
    """A very soft tone for unguided breathing: ``"in"`` (0.9 s, rising, higher) or
    ``"out"`` (1.0 s, falling, lower); float32 (n, 2), peak -18 dBFS."""
    if phase not in ("in", "out"):
        raise AudioError(f"breath tone phase must be 'in' or 'out', not '{phase}'")
    return _breath_cached(phase, sr).copy()


def file_cue(path: str | Path, sr: int = SR, max_s: float = CUE_MAX_S) -> np.ndarray:
    """A user's sound file as a cue: decoded to stereo at ``sr``, leading and trailing
    silence (below -60 dB of its peak) trimmed, a 2 ms fade-in and a 20 ms fade-out,
    peak-normalised to -6 dBFS.  Raises :class:`AudioError` for a missing, empty,
    unreadable or silent file, or one longer than ``max_s`` seconds."""
    p = Path(path)
    x = decode(p, sr, max_seconds=max_s + 0.5, what="cue")
    if len(x) > max_s * sr + 0.01 * sr:
        raise AudioError(
            f"{display(p)}: cue is longer than {max_s:g} s; cues are short sounds "
            "(trim it, or use it as a bed with [bed file=…])"
        )
    mag = np.max(np.abs(x), axis=1)
    peak = float(mag.max())
    if peak < db_to_gain(-60.0):
        raise AudioError(
            f"{display(p)}: cue is silent (peak below -60 dBFS); use a recording with sound in it"
        )
    loud = np.flatnonzero(mag >= peak * db_to_gain(-60.0))
    y = x[loud[0] : loud[-1] + 1].astype(np.float64)
    fade_edges(y, min(len(y) // 4, int(0.002 * sr)), min(len(y) // 2, int(0.02 * sr)))
    out = (y * (db_to_gain(CUE_PEAK_DBFS) / peak)).astype(np.float32)
    # re-normalise in case the fades lowered a peak sitting at the very edge
    got = float(np.max(np.abs(out)))
    if got > 0:
        out *= np.float32(db_to_gain(CUE_PEAK_DBFS) / got)
    return out
