"""Ambient beds: procedural (seeded) or a user's file, rendered at any absolute position.

Level convention: a bed renders at about -20 dBFS RMS per channel (the level of active
speech); the mixer applies the bed level (default -24 dB relative) and the ducking.

Every bed is a pure function of the absolute sample index in its own time, so
``render(0, 10000)`` equals ``render(0, 3000)`` followed by ``render(3000, 7000)``.
Built-in beds sum two or three seamless loops of different, incommensurate lengths
(circular, FFT-shaped noise has no seam), so the sum does not repeat within a session.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from ..errors import AudioError, did_you_mean
from ..paths import display
from .bedgen import BED_NAMES, TARGET_RMS_DBFS, Swell, builtin_loops
from .ffmpeg import decode
from .levels import SR, db_to_gain

MAX_FILE_BED_S = 600.0  # a user's bed longer than 10 minutes is cut to its first 10 minutes
SILENT_DBFS = -70.0

Envelope = Callable[[int, int], np.ndarray]  # (start, n) -> float32 gain over samples [start, start+n)


class BedSource(Protocol):
    def render(
        self, start: int, n: int, gain: np.ndarray | None = None, out: np.ndarray | None = None
    ) -> np.ndarray:
        """Samples [start, start+n) of the bed in its own time: float32 (n, 2), multiplied
        by ``gain`` (float32, shape (n,)) when given; written into ``out`` when given."""
        ...


class LoopBed:
    """A sum of stereo loops, each indexed modulo its own length, optionally shaped by
    per-loop gain envelopes that are functions of absolute time."""

    def __init__(self, loops: Sequence[np.ndarray], envelopes: Sequence[Envelope | None] | None = None) -> None:
        if not loops or any(len(lp) == 0 for lp in loops):
            raise ValueError("a bed needs at least one non-empty loop")
        self._loops = tuple(loops)
        self._envs = tuple(envelopes) if envelopes is not None else (None,) * len(loops)
        # loops sharing an envelope are summed first, then shaped once (with the caller's
        # gain folded into the envelope: one pass over the samples per group)
        groups: dict[int, tuple[Envelope | None, list[np.ndarray]]] = {}
        for loop, env in zip(self._loops, self._envs, strict=True):
            groups.setdefault(id(env), (env, []))[1].append(loop)
        self._groups = tuple((env, tuple(lps)) for env, lps in groups.values())

    @property
    def loop_lengths(self) -> tuple[int, ...]:
        return tuple(len(lp) for lp in self._loops)

    def render(
        self, start: int, n: int, gain: np.ndarray | None = None, out: np.ndarray | None = None
    ) -> np.ndarray:
        if start < 0 or n < 0:
            raise ValueError(f"render(start={start}, n={n}): both must be >= 0")
        if out is None:
            out = np.empty((n,) + self._loops[0].shape[1:], dtype=np.float32)
        tmp: np.ndarray | None = None
        for i, (env, loops) in enumerate(self._groups):
            if i == 0:
                dest = out
            else:
                tmp = dest = np.empty_like(out) if tmp is None else tmp
            _loop_sum(loops, start, n, dest)
            w = gain if env is None else (env(start, n) if gain is None else env(start, n) * gain)
            if w is not None:
                dest *= w[:, None]
            if i:
                out += dest
        return out


def _loop_sum(loops: Sequence[np.ndarray], start: int, n: int, out: np.ndarray) -> None:
    """out = the sum of the loops at [start, start+n), each indexed modulo its length."""
    spans = [(lp, start % len(lp)) for lp in loops]
    if len(spans) > 1 and all(pos + n <= len(lp) for lp, pos in spans):  # no loop wraps here
        np.add(spans[0][0][spans[0][1] : spans[0][1] + n], spans[1][0][spans[1][1] : spans[1][1] + n], out=out)
        rest = loops[2:]
    else:
        _wrapped(loops[0], start, n, out)
        rest = loops[1:]
    for lp in rest:
        _wrapped(lp, start, n, out, add=True)


def _wrapped(loop: np.ndarray, start: int, n: int, out: np.ndarray, add: bool = False) -> None:
    """out = loop[(start + i) % len(loop)] for i in range(n) (or ``+=`` with ``add``), by
    contiguous slices."""
    size = len(loop)
    pos, done = start % size, 0
    while done < n:
        take = min(n - done, size - pos)
        if add:
            out[done : done + take] += loop[pos : pos + take]
        else:
            out[done : done + take] = loop[pos : pos + take]
        done += take
        pos = 0


LOOP_FORMAT = "1"  # bump when the procedural beds change


@functools.lru_cache(maxsize=4)
def _stored_loops(name: str, sr: int, seed: int, cache_dir: str, fallback: str | None) -> tuple[np.ndarray, ...]:
    """The loops of a built-in bed, kept in ``cache_dir/beds`` (the speech cache's folder) so a
    build doesn't regenerate them; loops stored in ``fallback/beds`` (the default cache) are
    used as they are. Generated loops go to ``cache_dir``."""
    file = f"{name}-{sr}-{seed}-v{LOOP_FORMAT}.npz"
    path = Path(cache_dir) / "beds" / file
    for where in (path, *([Path(fallback) / "beds" / file] if fallback else [])):
        try:
            with np.load(where) as z:
                loops = tuple(z[f"arr_{i}"] for i in range(len(z.files)))
            for lp in loops:
                lp.setflags(write=False)
            return loops
        except (OSError, ValueError, KeyError):
            pass
    loops = builtin_loops(name, sr, seed)
    try:
        import io

        from ..fsutil import atomic_write_bytes

        buf = io.BytesIO()
        np.savez(buf, *loops)
        atomic_write_bytes(path, buf.getvalue())
    except Exception:  # a cache we cannot write only costs time
        pass
    return loops


def builtin_bed(name: str, sr: int = SR, seed: int = 0, cache_dir: str | Path | None = None) -> LoopBed:
    """A procedural bed (one of ``BED_NAMES``), deterministic for (name, sr, seed).

    The loops are generated once per (name, sr, seed) and shared (read-only) between
    instances; generation takes about a second.  They are kept in ``cache_dir/beds``
    (default: relaxgen's default cache folder), beside the speech clips of that cache,
    so ``relaxgen cache info/clear`` count and remove them; loops already stored in the
    default cache are used from there.
    """
    if name not in BED_NAMES:
        raise AudioError(
            f"unknown bed '{name}'{did_you_mean(name, BED_NAMES)}; "
            f"choose one of {', '.join(BED_NAMES)}, or give a sound file"
        )
    from ..paths import default_cache_dir

    default = str(default_cache_dir())
    here = default if cache_dir is None else str(cache_dir)
    loops = _stored_loops(name, sr, seed, here, default if here != default else None)
    if name == "ocean":
        swell = Swell(seed, sr)
        crest = Swell(seed, sr, power=3, base=swell)
        return LoopBed(loops, [swell, swell, crest])
    return LoopBed(loops)


def file_bed(path: str | Path, sr: int = SR, crossfade_s: float = 2.0) -> LoopBed:
    """A user's sound file (anything ffmpeg decodes: WAV, FLAC, OGG, MP3 …) as a looping bed.

    The file is decoded to stereo at ``sr``; only its first 10 minutes are kept (memory:
    about 212 MB for a full 10 minutes).  The loop is the file with its last
    ``crossfade_s`` seconds equal-power crossfaded into its start, so the wrap point joins
    two consecutive original samples (no seam).  The loop is normalised to -20 dBFS RMS,
    unless that would push a peak past full scale, in which case it peaks at 0 dBFS.
    Raises :class:`AudioError` for a missing, empty, unreadable, silent or too short file.
    """
    p = Path(path)
    x = decode(p, sr, max_seconds=MAX_FILE_BED_S, what="bed")
    c = int(round(crossfade_s * sr))
    if len(x) < 2 * max(c, 1):
        raise AudioError(
            f"{display(p)}: bed is {len(x) / sr:.2f} s long; a looping bed needs at least "
            f"{2 * crossfade_s:g} s (use a longer recording)"
        )
    level = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
    if level <= db_to_gain(SILENT_DBFS):
        raise AudioError(
            f"{display(p)}: bed is silent (below {SILENT_DBFS:g} dBFS); use a recording with sound in it"
        )
    if c > 0:
        u = np.arange(c, dtype=np.float64) / c
        fin = np.sin(0.5 * np.pi * u)[:, None]
        fout = np.cos(0.5 * np.pi * u)[:, None]
        x[:c] = (x[:c] * fin + x[len(x) - c :] * fout).astype(np.float32)
        x = x[: len(x) - c]
    level = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
    peak = float(np.max(np.abs(x)))
    g = min(db_to_gain(TARGET_RMS_DBFS) / max(level, 1e-12), 1.0 / max(peak, 1e-12))
    x *= np.float32(g)
    x.setflags(write=False)
    return LoopBed([x])
