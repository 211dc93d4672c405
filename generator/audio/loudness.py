"""Streaming loudness (ITU-R BS.1770-4 / EBU R128) and the gain for a target.

The meter works block by block with state carried between calls, so a 60-minute
session is measured with flat memory, and splitting the signal into blocks
anywhere gives the same result as one block. The limiter and the ducking are
in :mod:`.dynamics`.
"""

from __future__ import annotations

import math

import numpy as np

from ..policy import TARGET_LUFS
from .filters import DENORMAL_BIAS, sosfilt
from .levels import SR, TP_HIST, interval_peaks

ABS_GATE_LUFS = -70.0
REL_GATE_LU = -10.0
_CH_WEIGHTS = (1.0, 1.0, 1.0, 1.41, 1.41)  # L, R, C, Ls, Rs


def k_weighting_sos(sr: int) -> np.ndarray:
    """The two K-weighting biquads (high shelf, then high pass) as second-order sections.

    Same design as pyloudnorm's default (RBJ cookbook with BS.1770's parameters:
    +4 dB shelf at 1500 Hz, Q 1/sqrt(2); high pass at 38 Hz, Q 0.5), so both agree.
    """
    w0 = 2.0 * math.pi * 1500.0 / sr
    a = 10.0 ** (4.0 / 40.0)
    alpha = math.sin(w0) / (2.0 * (1.0 / math.sqrt(2.0)))
    c, sa = math.cos(w0), 2.0 * math.sqrt(a) * alpha
    shelf_b = [
        a * ((a + 1) + (a - 1) * c + sa),
        -2 * a * ((a - 1) + (a + 1) * c),
        a * ((a + 1) + (a - 1) * c - sa),
    ]
    shelf_a = [(a + 1) - (a - 1) * c + sa, 2 * ((a - 1) - (a + 1) * c), (a + 1) - (a - 1) * c - sa]
    w0 = 2.0 * math.pi * 38.0 / sr
    alpha = math.sin(w0) / (2.0 * 0.5)
    c = math.cos(w0)
    hp_b = [(1 + c) / 2, -(1 + c), (1 + c) / 2]
    hp_a = [1 + alpha, -2 * c, 1 - alpha]
    rows = []
    for b, a_ in ((shelf_b, shelf_a), (hp_b, hp_a)):
        rows.append([v / a_[0] for v in b] + [v / a_[0] for v in a_])
    return np.array(rows)


def meter_hop(sr: int) -> int:
    """Samples per 100 ms step of :class:`LoudnessMeter` (400 ms blocks with 75 % overlap)."""
    return int(round(0.1 * sr))


class LoudnessMeter:
    """Integrated loudness (gated) and true peak of a signal fed in order, in blocks of any size.

    Memory: one float per 100 ms of signal (about 290 KB for an hour).
    """

    def __init__(self, sr: int = SR, channels: int = 2, true_peak: bool = True) -> None:
        if not 1 <= channels <= len(_CH_WEIGHTS):
            raise ValueError(
                f"LoudnessMeter supports 1 to {len(_CH_WEIGHTS)} channels, not {channels}"
            )
        self.sr = sr
        self.channels = channels
        self._sos = k_weighting_sos(sr)
        self._zi = np.zeros((self._sos.shape[0], 2, channels))
        self._w = np.array(_CH_WEIGHTS[:channels])
        self._hop = meter_hop(sr)
        self._hops: list[float] = []  # weighted energy per complete 100 ms hop
        self._acc = 0.0
        self._acc_n = 0
        self._tp_hist = np.zeros((TP_HIST, channels))
        self._peak = 0.0
        self._measure_peak = true_peak  # False: loudness only (true_peak_dbtp then gives the sample peak)

    def feed(self, block: np.ndarray) -> None:
        x = np.asarray(block)
        if x.dtype.kind != "f":
            x = x.astype(np.float64)
        if x.ndim == 1:
            x = x[:, None]
        if x.ndim != 2 or x.shape[1] != self.channels:
            raise ValueError(f"expected a block of shape (n, {self.channels}), got {block.shape}")
        if len(x) == 0:
            return
        if self._measure_peak:
            self._true_peak_feed(x.astype(np.float64, copy=False))
        else:
            self._peak = max(self._peak, float(np.abs(x).max()))
        y, self._zi = sosfilt(self._sos, x, self._zi, DENORMAL_BIAS)  # a new float64 array: squared in place
        e = self._w @ np.square(y, out=y).T
        i = 0
        if self._acc_n:
            take = min(self._hop - self._acc_n, len(e))
            self._acc += float(e[:take].sum())
            self._acc_n += take
            i = take
            if self._acc_n == self._hop:
                self._hops.append(self._acc)
                self._acc, self._acc_n = 0.0, 0
        full = (len(e) - i) // self._hop
        if full:
            self._hops.extend(
                e[i : i + full * self._hop].reshape(full, self._hop).sum(axis=1).tolist()
            )
            i += full * self._hop
        if i < len(e):
            self._acc = float(e[i:].sum())
            self._acc_n = len(e) - i

    def _true_peak_feed(self, x: np.ndarray) -> None:
        cat = np.concatenate([self._tp_hist, x])
        self._peak = max(self._peak, float(np.abs(x).max()))
        self._peak = max(self._peak, float(interval_peaks(cat, 5, len(cat) - 6, self._peak).max()))
        self._tp_hist = cat[-TP_HIST:]

    @property
    def hop(self) -> int:
        """Samples per 100 ms step: the unit of :meth:`integrated_lufs`'s spans."""
        return self._hop

    def spliced(self, at_hop: int, other: LoudnessMeter, other_hop: int) -> LoudnessMeter:
        """A meter of a signal measured in two overlapping parts: this meter's first
        ``at_hop`` steps, then ``other``'s from its step ``other_hop`` on (loudness and
        sample peak; the true peak is not kept)."""
        m = LoudnessMeter(self.sr, self.channels, true_peak=False)
        m._hops = self._hops[:at_hop] + other._hops[other_hop:]
        m._peak = max(self._peak, other._peak)
        return m

    def block_loudness(self, first_hop: int = 0, hops: int | None = None) -> np.ndarray:
        """Loudness (LUFS) of every complete 400 ms gating block so far (of the blocks
        inside the span of ``hops`` 100 ms steps from ``first_hop`` when given)."""
        h = np.asarray(self._hops[first_hop : None if hops is None else first_hop + hops])
        if len(h) < 4:
            return np.zeros(0)
        ms = (h[:-3] + h[1:-2] + h[2:-1] + h[3:]) / (4 * self._hop)
        with np.errstate(divide="ignore"):
            return -0.691 + 10.0 * np.log10(ms)

    def integrated_lufs(self, first_hop: int = 0, hops: int | None = None) -> float:
        """Gated integrated loudness: absolute gate -70 LUFS, relative gate -10 LU; -inf for silence.
        ``first_hop``/``hops``: of that span only (in 100 ms steps, see :attr:`hop`)."""
        lk = self.block_loudness(first_hop, hops)
        if len(lk) == 0:
            return -math.inf
        ms = 10.0 ** ((lk + 0.691) / 10.0)
        above = lk >= ABS_GATE_LUFS
        if not above.any():
            return -math.inf
        rel = -0.691 + 10.0 * math.log10(float(ms[above].mean())) + REL_GATE_LU
        gated = above & (lk > rel)
        if not gated.any():
            return -math.inf
        return -0.691 + 10.0 * math.log10(float(ms[gated].mean()))

    def true_peak_dbtp(self) -> float:
        """4x-oversampled peak in dBTP, including the ring-out after the last sample; -inf for silence."""
        tail = np.concatenate([self._tp_hist, np.zeros((TP_HIST + 1, self.channels))])
        peak = max(self._peak, float(interval_peaks(tail, 5, len(tail) - 6, self._peak).max()))
        return 20.0 * math.log10(peak) if peak > 0 else -math.inf


def gain_for_target(
    integrated_lufs: float,
    true_peak_dbtp: float,
    target_lufs: float = TARGET_LUFS,
    ceiling_dbtp: float = -1.0,
) -> tuple[float, bool]:
    """The one gain (dB) that brings the signal to ``target_lufs``, and whether the
    true peak after that gain would pass ``ceiling_dbtp`` (then run the :class:`Limiter`).

    Silence (-inf LUFS) gets 0 dB and no limiter.
    """
    if not math.isfinite(integrated_lufs):
        return 0.0, False
    gain = target_lufs - integrated_lufs
    return gain, true_peak_dbtp + gain > ceiling_dbtp
