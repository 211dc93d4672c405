"""Decode what was written and measure it: silences, speech regions, loudness."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from generator.audio.ffmpeg import decode

SR = 44100


def load(path: str | Path, channels: int = 1) -> np.ndarray:
    a = decode(path, SR, channels)
    return a[:, 0] if channels == 1 else a


def regions(a: np.ndarray, thr_db: float = -45.0, win_ms: float = 5.0) -> list[tuple[bool, float, float]]:
    """(loud, start_s, end_s) runs of a mono signal, by peak level per window."""
    w = max(1, int(SR * win_ms / 1000))
    n = len(a) // w
    env = np.abs(a[: n * w]).reshape(n, w).max(axis=1)
    loud = env > 10 ** (thr_db / 20)
    out = []
    t = 0
    for k, g in itertools.groupby(loud):
        m = len(list(g))
        out.append((bool(k), t * w / SR, (t + m) * w / SR))
        t += m
    return out


def silences(a: np.ndarray, min_s: float = 0.3, thr_db: float = -45.0) -> list[tuple[float, float]]:
    """Silent runs of at least ``min_s`` seconds, excluding the start and the end."""
    rs = regions(a, thr_db)
    return [(s, e) for i, (loud, s, e) in enumerate(rs) if not loud and e - s >= min_s and 0 < i < len(rs) - 1]


def onsets(a: np.ndarray, thr_db: float = -45.0, min_gap_s: float = 0.3) -> list[float]:
    """Start times of sound after at least ``min_gap_s`` of silence."""
    rs = regions(a, thr_db)
    out = []
    for i, (loud, s, _) in enumerate(rs):
        if loud and (i == 0 or rs[i - 1][2] - rs[i - 1][1] >= min_gap_s):
            out.append(s)
    return out
