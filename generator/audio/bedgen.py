"""The built-in beds' sound: seeded noise shaped in the frequency domain, droplets, a
drone and the ocean's swell, generated once per (name, sample rate, seed).

Each loop is circular (FFT-shaped noise has no seam); :mod:`.beds` stores the loops
in the cache folder and renders them at any position.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..model import BED_NAMES
from .levels import db_to_gain

TARGET_RMS_DBFS = -20.0  # every bed renders at about this RMS per channel

Shape = Callable[[np.ndarray], np.ndarray]


def _scipy_fft() -> Any:
    """scipy.fft, imported only when a bed is generated (then stored): builds stay light."""
    import scipy.fft

    return scipy.fft


# -- spectral shapes (magnitude responses as functions of frequency in Hz) ---------------


def _hp(f: np.ndarray, fc: float, order: int = 2) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return 1.0 / np.sqrt(1.0 + (fc / np.maximum(f, 1e-9)) ** (2 * order))


def _lp(f: np.ndarray, fc: float, order: int = 1) -> np.ndarray:
    return 1.0 / np.sqrt(1.0 + (f / fc) ** (2 * order))


def _tilt(f: np.ndarray, slope: float) -> np.ndarray:
    """Power-law amplitude: slope 1 is brown (-6 dB/oct), 0.5 pink (-3 dB/oct)."""
    return 1.0 / np.maximum(f, 1.0) ** slope


def _shaped_noise(
    rng: np.random.Generator, n: int, sr: int, shape: Shape, corr: float = 0.3
) -> np.ndarray:
    """Circular (seamless) stereo noise of length ``n`` with the given magnitude spectrum,
    partly correlated between channels, unit RMS per channel (float32)."""
    sfft = _scipy_fft()
    w = rng.standard_normal((n, 2), dtype=np.float32)
    w *= np.float32(math.sqrt(1.0 - corr))
    w += np.float32(math.sqrt(corr)) * rng.standard_normal(n, dtype=np.float32)[:, None]
    spec = sfft.rfft(w, axis=0, workers=-1)
    del w
    spec *= shape(np.fft.rfftfreq(n, 1.0 / sr)).astype(np.float32)[:, None]
    spec[0] = 0.0
    x = sfft.irfft(spec, n=n, axis=0, workers=-1)
    x /= np.sqrt(np.mean(np.square(x, dtype=np.float64), axis=0, keepdims=True)).astype(np.float32)
    return x


def _loop_len(sr: int, s: float) -> int:
    """About ``s`` seconds, rounded up to a length the FFT handles fast."""
    sfft = _scipy_fft()
    return int(sfft.next_fast_len(int(round(s * sr)), real=True))


# -- the built-in beds ---------------------------------------------------------------------

_BROWN: Shape = lambda f: _tilt(f, 1.0) * _hp(f, 25.0) * _lp(f, 5000.0)  # noqa: E731
_PINK: Shape = lambda f: _tilt(f, 0.5) * _hp(f, 20.0) * _lp(f, 9000.0)  # noqa: E731
_RAIN: Shape = lambda f: _tilt(f, 0.4) * _hp(f, 450.0) * _lp(f, 8000.0, 2)  # noqa: E731
_SURF: Shape = lambda f: _tilt(f, 0.8) * _hp(f, 50.0) * _lp(f, 1400.0)  # noqa: E731
_FOAM: Shape = lambda f: _tilt(f, 0.5) * _hp(f, 1200.0) * _lp(f, 7000.0, 2)  # noqa: E731


def _noise_pair(rng: np.random.Generator, sr: int, shape: Shape, gain: float) -> list[np.ndarray]:
    """Two independent loops (29.3 s and 37.7 s) that together have RMS ``gain``."""
    g = gain / math.sqrt(2.0)
    return [g * _shaped_noise(rng, _loop_len(sr, s), sr, shape) for s in (29.3, 37.7)]


def _droplets(rng: np.random.Generator, sr: int, gain: float) -> np.ndarray:
    """A seamless ~24 s loop of soft droplets: dense random impulses circularly convolved
    with short, gently started, decaying resonances (three pitches), then softly
    saturated so no single drop stands out (an element-wise curve keeps it seamless)."""
    sfft = _scipy_fft()
    n = _loop_len(sr, 23.9)
    t = np.arange(int(0.03 * sr)) / sr
    imp = np.zeros((3, 2, n), dtype=np.float32)
    for g in range(3):
        count = int(60 * n / sr)
        pos = rng.integers(0, n, count)
        amp = rng.lognormal(0.0, 0.35, count)
        pan = rng.uniform(0.15, 0.85, count)
        np.add.at(imp[g, 0], pos, amp * np.sqrt(1.0 - pan))
        np.add.at(imp[g, 1], pos, amp * np.sqrt(pan))
    spec = sfft.rfft(imp, axis=-1, workers=-1)
    del imp
    for g, f0 in enumerate((2300.0, 3400.0, 4700.0)):
        kern = (1.0 - np.exp(-t / 0.0006)) * np.exp(-t / 0.004) * np.sin(2 * np.pi * f0 * t)
        spec[g] *= sfft.rfft(kern, n=n).astype(np.complex64)
    x = sfft.irfft(spec.sum(axis=0), n=n, axis=-1, workers=-1).T
    x /= np.sqrt(np.mean(x * x, axis=0, keepdims=True))
    x = 2.5 * np.tanh(x / 2.5)
    x /= np.sqrt(np.mean(x * x, axis=0, keepdims=True))
    return (gain * x).astype(np.float32)


def _add_sine(spec: np.ndarray, k: int, amp: float, phase: float, n: int) -> None:
    """Add ``amp * sin(2 pi k i / n + phase)`` to a real-FFT spectrum (k cycles per loop)."""
    spec[k] += 0.5 * n * amp * np.exp(1j * (phase - 0.5 * np.pi))


def _drone(rng: np.random.Generator, sr: int, gain: float) -> np.ndarray:
    """A 60 s loop of a soft pad: low partials, each a pair of slightly detuned sines
    (slow beating, never a full cancellation) with a slow swell.  Every frequency is a
    whole number of cycles per loop, so the loop is seamless by construction; it is built
    as a sparse spectrum and one inverse FFT."""
    sfft = _scipy_fft()
    secs = 60
    n = secs * sr
    spec = np.zeros((2, n // 2 + 1), dtype=np.complex64)
    base = round(65.4 * secs)  # C2, in cycles per loop
    expected = 0.0
    depth = 0.15  # slow amplitude swell of each partial
    for ratio, amp in ((1.0, 1.0), (1.5, 0.55), (2.0, 0.5), (3.0, 0.22), (4.0, 0.12), (5.0, 0.05)):
        k = round(base * ratio)
        beat = int(rng.integers(4, 11))  # 4..10 beats a minute: a 6-15 s swell, no rhythm
        lfo = int(rng.integers(1, 3))
        ph = rng.uniform(0, 2 * np.pi, 3)
        for kk, p0, mix in ((k, ph[0], (0.8, 0.45)), (k + beat, ph[1], (0.45, 0.8))):
            for ch in range(2):
                a = amp * mix[ch]
                # a (1 + depth sin(lfo)) sin(carrier) = carrier + two sidebands
                _add_sine(spec[ch], kk, a, p0, n)
                _add_sine(spec[ch], kk - lfo, 0.5 * depth * a, p0 - ph[2] + 0.5 * np.pi, n)
                _add_sine(spec[ch], kk + lfo, 0.5 * depth * a, p0 + ph[2] - 0.5 * np.pi, n)
        expected += amp * amp * (0.8**2 + 0.45**2) / 2.0 * (1.0 + depth**2 / 2.0)
    x = sfft.irfft(spec, n=n, axis=-1).T
    return (x * (gain / math.sqrt(expected))).astype(np.float32)


class Swell:
    """Slow ocean swells as a pure function of absolute time: time is cut into 66 s sets;
    each set holds six waves of 9-13 s (rescaled to fill the set) with a smooth raised-
    cosine rise and a longer fall, drawn from ``(seed, set index)``.  Never repeats."""

    FLOOR = 0.3
    GRID = 32

    def __init__(self, seed: int, sr: int, power: int = 1, base: Swell | None = None) -> None:
        self.seed = seed
        self.sr = sr
        self.set_len = 66 * sr
        self.power = int(power)
        self._base = base  # a swell with the same seed: its grid values are reused
        self._memo: tuple[int, int, np.ndarray] | None = None
        self._moments: dict[int, float] | None = None
        if self.power not in (1, 2, 3):
            raise ValueError(f"swell power must be 1, 2 or 3, not {power}")
        self._frac = (np.arange(self.GRID, dtype=np.float64) / self.GRID).astype(np.float32)
        self.norm = 1.0 / math.sqrt((base or self)._moment(2 * self.power))

    def _moment(self, k: int) -> float:
        """The mean of curve**k (k = 2, 4 or 6) over twelve sets, sampled every 50 samples;
        the curve is evaluated once (a crest built on this swell reuses it)."""
        if self._moments is None:
            probe = np.concatenate([self._set(s, np.arange(0, self.set_len, 50)) for s in range(12)])
            sq = probe * probe
            self._moments = {2: float(np.mean(sq)), 4: float(np.mean(sq * sq)), 6: float(np.mean(sq * sq * sq))}
        return self._moments[k]

    @functools.lru_cache(maxsize=8)  # noqa: B019 - a handful of instances per process
    def _waves(self, set_idx: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rng = np.random.default_rng([self.seed, 0x5EA, set_idx])
        periods = rng.uniform(9.0, 13.0, 6)
        edges = np.concatenate([[0.0], np.cumsum(periods)])
        edges *= self.set_len / edges[-1]
        rises, amps = rng.uniform(0.35, 0.5, 6), rng.uniform(0.6, 1.0, 6)
        # scale this set's wave heights so its mean square is the same as every other set's
        # (the floor between waves is untouched, so sets still join smoothly).  A raised-
        # cosine rise and fall has mean 1/2 and mean square 3/8 whatever the rise fraction.
        f, frac = self.FLOOR, np.diff(edges) / self.set_len
        m1, m2 = float(np.sum(frac * amps)) * 0.5, float(np.sum(frac * amps**2)) * 0.375
        target = f * f + 2 * f * (1 - f) * 0.8 * 0.5 + (1 - f) ** 2 * 0.64 * 0.375
        qa, qb, qc = (1 - f) ** 2 * m2, 2 * f * (1 - f) * m1, f * f - target
        scale = (-qb + math.sqrt(qb * qb - 4 * qa * qc)) / (2 * qa)
        return edges, rises, amps * scale

    def _set(self, set_idx: int, local: np.ndarray) -> np.ndarray:
        edges, rises, amps = self._waves(set_idx)
        w = np.clip(np.searchsorted(edges, local, side="right") - 1, 0, 5)
        ph = (local - edges[w]) / (edges[w + 1] - edges[w])
        r = rises[w]
        up = 0.5 - 0.5 * np.cos(np.pi * np.minimum(ph / r, 1.0))
        down = 0.5 + 0.5 * np.cos(np.pi * np.clip((ph - r) / (1.0 - r), 0.0, 1.0))
        shape = np.where(ph < r, up, down)
        return self.FLOOR + (1.0 - self.FLOOR) * amps[w] * shape

    def _exact(self, t: np.ndarray) -> np.ndarray:
        """The curve at sorted samples ``t``."""
        out = np.empty(len(t))
        sets = t // self.set_len
        for s in range(int(sets[0]), int(sets[-1]) + 1) if len(t) else ():
            lo, hi = np.searchsorted(sets, [s, s + 1])
            out[lo:hi] = self._set(s, (t[lo:hi] - s * self.set_len).astype(np.float64))
        return out

    def _grid(self, g0: int, count: int) -> np.ndarray:
        """The curve on ``count`` grid points from ``g0`` (kept for the next caller: the
        crest envelope asks for the same points right after the swell)."""
        if self._base is not None:
            return self._base._grid(g0, count)
        if self._memo is None or self._memo[:2] != (g0, count):
            grid = g0 + self.GRID * np.arange(count, dtype=np.int64)
            self._memo = (g0, count, self._exact(grid))
        return self._memo[2]

    def __call__(self, start: int, n: int) -> np.ndarray:
        """Gain (float32) at absolute samples [start, start+n): exact on a 32-sample grid of
        absolute time, linear in between (the curve is smooth on a scale of seconds)."""
        if n <= 0:
            return np.zeros(0, dtype=np.float32)
        g0 = start // self.GRID * self.GRID
        env = self._grid(g0, (start + n - 1 - g0) // self.GRID + 2)
        env = (env**self.power * self.norm if self.power != 1 else env * self.norm).astype(np.float32)
        # linear between grid points, cell by cell (what np.interp does, without its search)
        cells = (env[:-1, None] + np.diff(env)[:, None] * self._frac[None, :]).ravel()
        lo = start - g0
        return cells[lo : lo + n]


@functools.lru_cache(maxsize=4)
def builtin_loops(name: str, sr: int, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng([seed, BED_NAMES.index(name)])
    g = db_to_gain(TARGET_RMS_DBFS)
    loops: list[np.ndarray]
    if name == "brown-noise":
        loops = _noise_pair(rng, sr, _BROWN, g)
    elif name == "pink-noise":
        loops = _noise_pair(rng, sr, _PINK, g)
    elif name == "rain":
        # hiss at -1.2 dB and droplets at -7 dB of the total power
        loops = _noise_pair(rng, sr, _RAIN, g * math.sqrt(0.76)) + [
            _droplets(rng, sr, g * math.sqrt(0.24))
        ]
    elif name == "ocean":
        # surf (85 % of the power) swells with the wave; foam (15 %) only near the crest
        loops = _noise_pair(rng, sr, _SURF, g * math.sqrt(0.85))
        loops += [_shaped_noise(rng, _loop_len(sr, 31.1), sr, _FOAM) * g * math.sqrt(0.15)]
    else:
        loops = [_drone(rng, sr, g)]
    out = []
    for lp in loops:
        a = lp.astype(np.float32)
        a.setflags(write=False)
        out.append(a)
    return tuple(out)
