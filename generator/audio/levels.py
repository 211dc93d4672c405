"""Levels: the sample rate, gains and levels, ramps, the true-peak interpolator."""

from __future__ import annotations

import math

import numpy as np

from .filters import firwin, sliding_max

SR = 44100  # every signal relaxgen mixes and writes: speech clips, beds, cues, the session

# 4x true-peak interpolator (BS.1770-4 Annex 2 style): a 49-tap windowed sinc with its
# cut-off at the original Nyquist, i.e. 12 taps per phase.  Its zeros at every 4th tap
# make phase 0 the input samples themselves; phases 1-3 are 12-tap FIRs, and
# phase r at input position c is the signal at time c + r/4:
#     p_r[c] = sum_q TP_PHASES[r-1][q] * x[c + 6 - q]      (needs x[c-5 .. c+6])
TP_UP = 4
_fir = firwin(TP_UP * 12 + 1, 1.0 / TP_UP)
TP_FIR: np.ndarray = _fir / _fir[len(_fir) // 2]
TP_PHASES: tuple[np.ndarray, ...] = tuple(TP_FIR[r::TP_UP][:12].copy() for r in range(1, TP_UP))
TP_HIST = 11  # input samples of history the phases need
TP_GAIN = max(float(np.abs(h).sum()) for h in TP_PHASES)  # |p_r[c]| <= TP_GAIN * max|x[c-5..c+6]|
_TP_ROWS = np.stack(TP_PHASES)[:, ::-1].copy()  # (3, 12): phase r applied to x[c-5 .. c+6]


def db_to_gain(db: float) -> float:
    return float(10.0 ** (db / 20.0))


def gain_to_db(g: float) -> float:
    return 20.0 * math.log10(g) if g > 0 else -math.inf


def rms(x: np.ndarray) -> float:
    """RMS over all samples (all channels together)."""
    if x.size == 0:
        return 0.0
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def rms_dbfs(x: np.ndarray) -> float:
    return gain_to_db(rms(x))


def rise(n: int) -> np.ndarray:
    """A raised-cosine ramp of ``n`` samples from 0 (first sample) towards 1 (float64)."""
    if n <= 0:
        return np.zeros(0)
    return 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)


def fade_edges(x: np.ndarray, in_n: int, out_n: int) -> np.ndarray:
    """Raised-cosine fade-in over ``in_n`` and fade-out over ``out_n`` samples (in place; returns x).

    The first sample becomes exactly 0 and the last sample exactly 0.
    """
    n = len(x)
    in_n = min(in_n, n)
    out_n = min(out_n, n)
    shape = (-1,) + (1,) * (x.ndim - 1)
    if in_n > 0:
        x[:in_n] *= rise(in_n).reshape(shape)
    if out_n > 0:
        x[n - out_n :] *= rise(out_n)[::-1].reshape(shape)
    return x


def interval_peaks(cat: np.ndarray, lo: int, hi: int, floor: float) -> np.ndarray:
    """Peak magnitude over all channels of the signal on [c, c+1) (the sample and its
    three 4x-interpolated values) for c in [lo, hi); float64, shape (hi - lo,).

    Where that peak cannot exceed ``floor`` the sample magnitude is returned instead
    (also <= floor), which skips the interpolation for most of a typical signal.
    ``cat`` is (n, channels); needs ``5 <= lo`` and ``hi <= len(cat) - 6``.
    """
    ch = cat.shape[1]
    mag = np.abs(cat[:, 0])
    for c in range(1, ch):
        np.maximum(mag, np.abs(cat[:, c]), out=mag)
    out = mag[lo:hi].astype(np.float64)
    near = sliding_max(mag, 12)[lo - 5 : hi - 5]  # max over [c-5, c+6]
    cand = np.flatnonzero(near * TP_GAIN > floor)
    if len(cand):
        # every channel's 12-sample windows [c-5, c+6] as rows (a strided view, gathered by
        # rows): one matrix product gives the three phases of all of them
        planar = np.ascontiguousarray(cat.T)
        step = planar.strides[1]
        rows = np.ndarray((ch, planar.shape[1] - 11, 12), planar.dtype, planar, 0,
                          (planar.strides[0], step, step))  # (ch, len-11, 12), read only here
        for i in range(0, len(cand), 1 << 15):
            cc = cand[i : i + (1 << 15)]
            win = rows[:, cc + lo - 5].reshape(-1, 12).astype(np.float64, copy=False)  # (ch*m, 12)
            phases = np.abs(_TP_ROWS @ win.T)  # (3, ch*m)
            best = phases.max(axis=0).reshape(ch, len(cc)).max(axis=0)
            out[cc] = np.maximum(out[cc], best)
    return out
