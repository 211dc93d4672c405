"""Gain over time: the look-ahead true-peak limiter and the ducking of beds under speech.

Both work block by block with state carried between calls, so a 60-minute
session is limited with flat memory, and splitting the signal into blocks
anywhere gives the same result as one block.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

import numpy as np

from .filters import sliding_min
from .levels import SR, TP_GAIN, db_to_gain, interval_peaks


def _out_dtype(x: np.ndarray) -> type[np.floating]:
    """The limiter returns float blocks as they came, anything else as float32."""
    return x.dtype.type if x.dtype.kind == "f" else np.float32


class Limiter:
    """Streaming look-ahead peak limiter that keeps the true peak under ``ceiling_dbtp``.

    ``process`` returns as many samples as it gets, delayed by ``latency`` samples (the
    look-ahead plus 7 samples for the true-peak interpolator): the first ``latency``
    output samples are silence, and ``flush()`` returns the last ``latency`` samples
    (call it once, at the end).  The gain comes down over the look-ahead with a
    smooth (moving-average) curve so it is fully down at each peak, and recovers with an
    exponential release of ``release_ms`` (in dB).
    """

    MARGIN_DB = 0.1  # head-room for gain changes between interpolated samples
    CHUNK = 16384  # longer blocks are limited piecewise (measured: a third less time than 3 s blocks)
    EPS_DB = 1e-7  # an attenuation this small changes no float32 sample: the release ends there
    _K = 7  # the interpolator needs 6 samples after a position, plus one
    _DB_TO_LN = -math.log(10.0) / 20.0  # gain = exp(attenuation_db * _DB_TO_LN)

    def __init__(
        self,
        ceiling_dbtp: float = -1.0,
        sr: int = SR,
        lookahead_ms: float = 5.0,
        release_ms: float = 80.0,
    ) -> None:
        self.sr = sr
        self.ceiling = db_to_gain(ceiling_dbtp - self.MARGIN_DB)
        self._la = max(1, int(round(lookahead_ms * sr / 1000.0)))
        self._ln_alpha = -1.0 / max(1e-9, release_ms * sr / 1000.0)
        self._decay = np.exp(self._ln_alpha * np.arange(1, self.CHUNK + 1, dtype=np.float64))  # alpha^(j+1)
        self.latency = self._la + self._K
        self._ch: int | None = None
        self._dt: type[np.floating] = np.float64
        self._xh = np.zeros((0, 0))
        self._gh = np.ones(self._la)
        self._hh = np.ones(self._la)
        self._att = 0.0
        self._flushed = False

    def process(self, block: np.ndarray) -> np.ndarray:
        x = np.asarray(block)
        if x.ndim != 2:
            raise ValueError(f"expected a block of shape (n, channels), got {x.shape}")
        if self._ch is None:
            self._ch = x.shape[1]
            # float32 blocks (the mixer's) stay float32 in the delay line: the same values, half the copying
            self._dt = np.float32 if x.dtype == np.float32 else np.float64
            self._xh = np.zeros((self._la + 2 * self._K, self._ch), dtype=self._dt)
        elif x.shape[1] != self._ch:
            raise ValueError(f"expected {self._ch} channels, got {x.shape[1]}")
        n = len(x)
        if n == 0:
            return np.zeros_like(x)
        below: bool | None = None  # the cheap bound, where it was needed already
        if n >= len(self._xh) and self._idle():
            below = self._bound(x) <= self.ceiling
            if below:
                return self._delayed(x)  # most blocks: nothing near the ceiling, no gain pending
        if n > self.CHUNK:  # in pieces: the quiet ones take the fast path (same samples)
            return np.concatenate([self.process(x[i : i + self.CHUNK]) for i in range(0, n, self.CHUNK)])
        return self._piece(x, below)

    def _bound(self, x: np.ndarray) -> float:
        """An upper bound of the true peak over the positions this block makes final."""
        tail = self._xh[len(self._xh) - 2 * self._K - 1 :]
        peak = max(float(x.max()), -float(x.min()), float(np.abs(tail).max()))
        return peak * TP_GAIN

    def _delayed(self, x: np.ndarray) -> np.ndarray:
        """The block as a pure delay (exactly what the general path gives at unit gain)."""
        n, hx, lat = len(x), len(self._xh), self.latency
        out = np.empty((n, x.shape[1]), dtype=self._dt)
        out[:lat] = self._xh[self._K :]
        out[lat:] = x[: n - lat]
        self._xh = np.array(x[n - hx :], dtype=self._dt)
        return out.astype(_out_dtype(x), copy=False)

    def _piece(self, x: np.ndarray, below: bool | None) -> np.ndarray:
        """One piece (at most CHUNK samples); ``below``: the cheap bound, if known."""
        n = len(x)
        la, k = self._la, self._K
        if below is None:
            below = self._bound(x) <= self.ceiling
        hx = len(self._xh)
        cat = np.empty((hx + n, x.shape[1]), dtype=self._dt)
        cat[:hx] = self._xh
        cat[hx:] = x
        ip: np.ndarray | None = None
        if not below:
            # per-sample peak: the sample and the interpolated curve over (c-1, c+1), for the
            # positions c that are final after this block: cat indices [hx-k, hx-k+n)
            ip = interval_peaks(cat, hx - k - 1, hx - k + n, self.ceiling)
            # most loud pieces still stay under the ceiling: then no gain is required anywhere
            # in them and the fast paths below give what the general one would (exactly)
            below = float(ip.max()) <= self.ceiling
        if below and self._idle():
            # nothing near the ceiling and no gain reduction pending: a pure delay (exact)
            out = cat[hx - k - la : hx - k - la + n]
            self._xh = cat[-hx:]
            return out.astype(_out_dtype(x), copy=False)
        if below and bool(np.all(self._gh == 1.0)):
            # no new peak and none in the look-ahead: only the release of the last one,
            # hold[j] = att * alpha^(j+1) (what the general path computes, in closed form),
            # needed only while it is above EPS_DB
            att = self._att
            live = 0 if att < self.EPS_DB else min(n, int(math.log(self.EPS_DB / att) / self._ln_alpha) + 1)
            gtail: np.ndarray | None = None
            hold = att * self._decay[: min(n, live + la)]
            last = att * float(self._decay[n - 1])
        else:
            if ip is None:
                ip = interval_peaks(cat, hx - k - 1, hx - k + n, self.ceiling)
            p = np.maximum(ip[:-1], ip[1:])
            with np.errstate(divide="ignore"):
                g_req = np.minimum(1.0, self.ceiling / p)
            gcat = np.concatenate([self._gh, g_req])
            m = sliding_min(gcat, la + 1)[:n]  # the smallest required gain over [j-la, j]
            att_db = -20.0 * np.log10(np.maximum(m, 1e-12))
            full = self._release(att_db)
            above = np.flatnonzero(full >= self.EPS_DB)
            live = int(above[-1]) + 1 if len(above) else 0
            gtail = gcat[-la:]
            hold = full[: min(n, live + la)]
            last = float(full[-1])
        # the gain: the moving average over the look-ahead of the held gain; past the last
        # attenuation over EPS_DB (plus the look-ahead) every window is at unit gain
        done = len(hold)
        hg = np.exp(hold * self._DB_TO_LN)
        hcat = np.concatenate([self._hh, hg])
        cs = np.concatenate([[0.0], np.cumsum(hcat)])
        s = (cs[la + 1 : la + 1 + done] - cs[:done]) / (la + 1)
        src = cat[hx - k - la : hx - k - la + n]
        out = np.empty_like(src)
        np.multiply(src[:done], s.astype(self._dt, copy=False)[:, None], out=out[:done])  # float32 stays float32
        out[done:] = src[done:]
        self._xh = cat[-hx:]
        if gtail is not None:
            self._gh = gtail
        if done == n:
            self._hh = hcat[-la:]
            self._att = last
        else:  # released: the state is exactly idle again
            self._hh = np.ones(la)
            self._att = 0.0
        return out.astype(_out_dtype(x), copy=False)

    def _idle(self) -> bool:
        return self._att < self.EPS_DB and bool(np.all(self._gh == 1.0)) and bool(np.all(self._hh == 1.0))

    def _release(self, att: np.ndarray) -> np.ndarray:
        """hold[j] = max(att[j], alpha * hold[j-1]) (attenuation in dB, exponential release),
        vectorised: log hold[j] = j ln(alpha) + max over k <= j of (log att[k] - k ln(alpha))."""
        la = self._ln_alpha
        j = np.arange(len(att), dtype=np.float64)
        with np.errstate(divide="ignore"):
            lg = np.log(att) - j * la
            prev = math.log(self._att) + la if self._att > 0 else -math.inf
        run = np.maximum.accumulate(np.maximum(lg, prev))
        hold = np.exp(run + j * la)
        self._att = float(hold[-1])
        return hold

    def flush(self) -> np.ndarray:
        """The last ``latency`` samples still held in the look-ahead (call once, at the end)."""
        if self._ch is None or self._flushed:
            return np.zeros((0, self._ch or 2), dtype=np.float32)
        self._flushed = True
        return self.process(np.zeros((self.latency, self._ch), dtype=np.float32))


def _merge(speech: Sequence[tuple[int, int]], bridge: int) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in sorted((int(a), int(b)) for a, b in speech):
        if e <= s:
            continue
        if merged and s - merged[-1][1] < bridge:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def duck_envelope(
    speech: Sequence[tuple[int, int]],
    start: int,
    n: int,
    depth_db: float = 6.0,
    attack_ms: float = 300.0,
    release_ms: float = 600.0,
    bridge_ms: float = 1500.0,
    sr: int = SR,
) -> np.ndarray:
    """Bed gain (linear float32, shape (n,)) over absolute samples [start, start+n).

    1.0 away from speech, ``10**(-depth_db/20)`` while speech plays.  The dip starts
    ``attack_ms`` before each speech interval (raised-cosine, reaching full depth at the
    first word) and releases over ``release_ms`` after it ends.  Intervals less than
    ``bridge_ms`` apart are merged first, so the bed stays down between close sentences.
    A pure function of absolute time: any block split gives identical samples.
    """
    return Ducker(speech, depth_db, attack_ms, release_ms, bridge_ms, sr).envelope(start, n)


class Ducker:
    """:func:`duck_envelope` for one session: the speech intervals are merged once and
    found by bisection, so each block costs only the intervals near it."""

    def __init__(
        self,
        speech: Sequence[tuple[int, int]],
        depth_db: float = 6.0,
        attack_ms: float = 300.0,
        release_ms: float = 600.0,
        bridge_ms: float = 1500.0,
        sr: int = SR,
    ) -> None:
        self.low = db_to_gain(-abs(depth_db))
        self.att = max(1, int(round(attack_ms * sr / 1000.0)))
        self.rel = max(1, int(round(release_ms * sr / 1000.0)))
        self.merged = _merge(speech, int(round(bridge_ms * sr / 1000.0)))
        self._ends = [e for _, e in self.merged]
        self._full = np.full(4 * sr, np.float32(1.0 - (1.0 - self.low) * 1.0))  # full depth (a view per block)

    def envelope(self, start: int, n: int) -> np.ndarray:
        g = np.ones(n, dtype=np.float32)
        end = start + n
        att, rel = self.att, self.rel
        for k in range(bisect.bisect_right(self._ends, start - rel), len(self.merged)):
            s, e = self.merged[k]
            if e + rel <= start:
                continue
            if s - att >= end:
                break
            # depth fraction w (1 = fully ducked): a raised-cosine attack over [s-att, s),
            # full depth over [s, e], a raised-cosine release over (e, e+rel)
            lo, hi = max(start, s - att), min(end, s)
            if lo < hi:
                w = 0.5 - 0.5 * np.cos(np.pi * (np.arange(lo, hi, dtype=np.int64) - (s - att)) / att)
                self._lower(g, start, lo, (1.0 - (1.0 - self.low) * w).astype(np.float32))
            lo, hi = max(start, s), min(end, e + 1)
            if lo < hi:
                self._lower(g, start, lo, self._full[: hi - lo] if hi - lo <= len(self._full)
                            else np.full(hi - lo, self._full[0]))
            lo, hi = max(start, e + 1), min(end, e + rel)
            if lo < hi:
                w = 0.5 + 0.5 * np.cos(np.pi * (np.arange(lo, hi, dtype=np.int64) - e) / rel)
                self._lower(g, start, lo, (1.0 - (1.0 - self.low) * w).astype(np.float32))
        return g

    @staticmethod
    def _lower(g: np.ndarray, start: int, lo: int, v: np.ndarray) -> None:
        np.minimum(g[lo - start : lo - start + len(v)], v, out=g[lo - start : lo - start + len(v)])
