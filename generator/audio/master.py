"""Master a session's mix with one loudness gain and write it into the encoder(s).

The gain is guessed from the clips' loudness (plus what the codec usually
removes); the blocks of :class:`~.mixer.SessionMix` are rendered once at that
gain, through a true-peak limiter, measured (BS.1770) and handed to the sink -
the MP3 encoder, a separate process fed by a thread, so mixing and encoding
overlap (on two cores: two parts into two encoders, joined). Then 15 s of the
written file are decoded to measure the codec's real loss; only a file more
than 0.25 LU off target is rendered again.
"""

from __future__ import annotations

import ctypes
import functools
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .dynamics import Limiter
from .levels import db_to_gain
from .loudness import LoudnessMeter, meter_hop
from .mixer import SessionMix


@dataclass(frozen=True)
class MixReport:
    gain_db: float
    input_lufs: float
    output_lufs_estimate: float
    true_peak_dbtp: float
    limited: bool
    speech_rms_dbfs: float
    samples: int
    passes: int = 1  # render passes (more when the first guess missed the target by more than 0.25 LU)
    two_part: bool = False  # encoded as two parts on two cores and joined


class Sink(Protocol):
    def write(self, block: np.ndarray) -> None: ...


@dataclass(frozen=True)
class Parts:
    """A session rendered as two overlapping parts, each into its own encoder (two cores):
    A is [0, a_end), B is [b_start, total); the file goes over from A to B near ``joint``."""

    b_start: int
    joint: int
    a_end: int
    total: int


class PartSink(Protocol):
    """Where the two parts go; ``joined`` tells after closing whether they became one
    file (else nothing was written and the mix is encoded again in one stream)."""

    joined: bool

    def write_part(self, part: int, block: np.ndarray) -> None: ...


@functools.lru_cache(maxsize=1)
def keep_block_memory() -> bool:
    """Let glibc keep the memory of freed blocks for the next ones (once per process).

    By default glibc hands every freed array of more than about 1-4 MB back to the system
    and the next block's arrays fault the same pages in again: some 240 page faults per
    3 s block (a few percent of a mix's CPU time, more on virtual machines). Allocations
    up to 16 MB stay in the heap and up to 32 MB of free heap is kept; the peak
    memory is the same (measured on a 60-minute build). Elsewhere than glibc: nothing.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(mallopt(m_mmap_threshold, 16 << 20)) and bool(mallopt(m_trim_threshold, 32 << 20))


def _mastered(mix: SessionMix, gain_db: float, limit: bool, start: int = 0, end: int | None = None,
              ) -> Iterator[np.ndarray]:
    """The mix with one gain applied (and the limiter, latency removed), block by block;
    from ``start`` to ``end`` only when given (the limiter starts afresh at ``start``)."""
    g = np.float32(db_to_gain(gain_db))
    limiter = Limiter(mix.s.ceiling_dbtp, mix.s.sr) if limit else None
    skip = limiter.latency if limiter else 0
    for _, b in mix.blocks(start, end):
        y = np.multiply(b, g, out=b)  # a fresh block: scaled in place
        if limiter is not None:
            y = limiter.process(y)
            if skip:
                cut = min(skip, len(y))
                y = y[cut:]
                skip -= cut
        yield y
    if limiter is not None:
        yield limiter.flush()[skip:]


SPLIT_MIN_S = 60.0  # shorter sessions are encoded in one stream
SPLIT_LEAD_S = 3.0  # part B starts this long before the joint (its limiter and encoder settle)
SPLIT_TAIL_S = 3.0  # part A goes on this long after it


def split_parts(mix: SessionMix, grid: int) -> Parts | None:
    """Where to cut a session into two parts for two encoders, or None when too short.

    Part B starts on a multiple of ``grid`` (the encoder's frame) and of the meter's
    100 ms step, and its first 3 s are as free of speech as the choice near the middle
    allows: in a pause both limiters settle to the same state, so B's samples after the
    joint are the ones a single pass gives.
    """
    sr = mix.sr
    hop = meter_hop(sr)
    unit = math.lcm(grid, hop)
    lead, tail = round(SPLIT_LEAD_S * sr / hop) * hop, round(SPLIT_TAIL_S * sr / hop) * hop
    if mix.total < SPLIT_MIN_S * sr:
        return None
    mid = mix.total // 2
    starts = [c * unit for c in range(1, mix.total // unit + 1)
              if c * unit + lead + tail + grid <= mix.total and abs(c * unit + lead - mid) <= mix.total // 6]
    if not starts:
        return None

    def speech(lo: int, hi: int) -> int:
        return sum(min(e, hi) - max(s, lo) for s, e in mix.intervals if e > lo and s < hi)

    b = min(starts, key=lambda b: (speech(b, b + lead), abs(b + lead - mid)))
    return Parts(b, b + lead, b + lead + tail, mix.total)


def excerpt_start(mix: SessionMix, n: int, step: int = 1) -> int:
    """Where ``n`` samples hold the most speech (sampled at about 20 sentence starts),
    rounded down to a multiple of ``step``."""
    starts = [s for s, _ in mix.intervals]
    best, best_cover = 0, -1
    for s0 in starts[:: max(1, len(starts) // 20)]:
        lo = max(0, min(s0, mix.total - n))
        lo -= lo % step
        cover = sum(min(e, lo + n) - max(s, lo) for s, e in mix.intervals if e > lo and s < lo + n)
        if cover > best_cover:
            best, best_cover = lo, cover
    return best


def codec_loss_db(written_lufs: float, decoded: np.ndarray, sr: int, channels: int) -> float:
    """How much integrated loudness the lossy codec removed: ``written_lufs`` (of the
    samples that went into the encoder) against ``decoded`` (the same span read back from
    the file)."""
    m_out = LoudnessMeter(sr, channels, true_peak=False)
    m_out.feed(decoded[:, :channels])
    b = m_out.integrated_lufs()
    if not (math.isfinite(written_lufs) and math.isfinite(b)):
        return 0.0
    return max(0.0, min(2.0, written_lufs - b))


ReadBack = Callable[[int, int], np.ndarray]  # (start, n) -> samples decoded from the file just written
EXCERPT_S = 15.0  # the span read back to measure the codec's loss


SPECULATIVE_TOLERANCE_LU = 0.25  # keep the speculative encode when it is this close to the target
MAX_PASSES = 3  # a heavily limited mix may need a second correction
GUESS_OFFSET_LU = 0.45  # measured: a session (at -16) needs about this much more gain than its speech loudness says


def render_to(
    mix: SessionMix,
    open_sink: Callable[[], AbstractContextManager[Sink]],
    on_block: Callable[[float], None] | None = None,
    read_back: ReadBack | None = None,
    expected_loss_db: float = 0.0,
    parts: Parts | None = None,
    open_parts: Callable[[], AbstractContextManager[PartSink]] | None = None,
) -> MixReport:
    """Render the mix with one gain into a sink opened by ``open_sink`` (the MP3 encoder).

    The gain is guessed from the clips' loudness plus what the lossy codec usually
    removes (``expected_loss_db``), and the mix is encoded at that gain while it is
    measured (through the true-peak limiter, which always runs: it is an exact delay
    wherever the signal stays under the ceiling). Then ``read_back`` decodes 15 s of
    the file just written, around its densest speech, and its loudness against the
    samples that went in gives this file's real codec loss. When the decoded file is
    within 0.25 LU of the target it is kept: one pass, nothing before the encoder
    starts. Otherwise the mix is rendered again into a fresh sink with the corrected
    gain (at most three passes in all).

    With ``parts`` (see :func:`split_parts`) and ``open_parts``, each pass renders the
    two parts side by side into the two encoders of a :class:`PartSink`; when those
    cannot be joined into one file, the pass is done again into ``open_sink``.
    """
    s = mix.s
    keep_block_memory()
    hop = meter_hop(s.sr)
    n_ex = min(mix.total, int(EXCERPT_S * mix.sr)) // hop * hop  # whole 100 ms steps of the meter
    ex_start = excerpt_start(mix, n_ex, hop) if (read_back is not None and mix.intervals and n_ex) else None
    loss = expected_loss_db
    gain_db = s.target_lufs - mix.speech_lufs + GUESS_OFFSET_LU + loss
    passes = 0
    while True:
        passes += 1
        if parts is not None and open_parts is not None:
            meter = _render_parts(mix, gain_db, parts, open_parts, on_block)
            if meter is None:  # no joint between the two streams: one stream it is
                parts = None
                passes -= 1
                continue
        else:
            meter = _render_pass(mix, gain_db, open_sink, on_block)
        lufs = meter.integrated_lufs()
        if read_back is not None and ex_start is not None:
            # the excerpt's loudness as written comes from the pass's own meter (its 100 ms steps)
            written = meter.integrated_lufs(ex_start // hop, n_ex // hop)
            loss = codec_loss_db(written, read_back(ex_start, n_ex), mix.sr, s.channels)
        target = s.target_lufs + loss
        if not math.isfinite(lufs) or abs(target - lufs) <= SPECULATIVE_TOLERANCE_LU or passes >= MAX_PASSES:
            break
        gain_db += target - lufs  # progress starts over
    if not math.isfinite(lufs):
        lufs = s.target_lufs + loss  # silence: nothing to correct
    raw_lufs = lufs - gain_db
    return MixReport(gain_db, raw_lufs, lufs - loss, s.ceiling_dbtp, True, 20 * math.log10(mix.speech_rms),
                     mix.total, passes, parts is not None and open_parts is not None)


def _render_pass(
    mix: SessionMix,
    gain_db: float,
    open_sink: Callable[[], AbstractContextManager[Sink]],
    on_block: Callable[[float], None] | None,
) -> LoudnessMeter:
    """Render at ``gain_db`` through the limiter into a new sink; the meter that measured
    what was written (the file's own channels: a mono file is measured as mono)."""
    ch = mix.s.channels
    meter = LoudnessMeter(mix.s.sr, ch, true_peak=False)
    done = 0
    with open_sink() as sink:
        for y in _mastered(mix, gain_db, True):
            done += _emit(y, ch, meter, sink.write)
            if on_block:
                on_block(min(1.0, done / max(1, mix.total)))
    return meter


def _render_parts(
    mix: SessionMix,
    gain_db: float,
    parts: Parts,
    open_parts: Callable[[], AbstractContextManager[PartSink]],
    on_block: Callable[[float], None] | None,
) -> LoudnessMeter | None:
    """:func:`_render_pass` for two parts rendered side by side (the one behind gets
    the next block, so both encoders stay busy); None when they were not joined."""
    ch = mix.s.channels
    streams = [_mastered(mix, gain_db, True, 0, parts.a_end), _mastered(mix, gain_db, True, parts.b_start)]
    meters = [LoudnessMeter(mix.s.sr, ch, true_peak=False) for _ in streams]
    done = [0, 0]
    live = [0, 1]
    with open_parts() as sink:
        while live:
            i = min(live, key=lambda i: done[i])
            y = next(streams[i], None)
            if y is None:
                live.remove(i)
                continue
            done[i] += _emit(y, ch, meters[i], functools.partial(sink.write_part, i))
            if on_block:
                covered = min(done[0], parts.joint) + max(0, done[1] - (parts.joint - parts.b_start))
                on_block(min(1.0, covered / max(1, mix.total)))
    if not sink.joined:
        return None
    hop = meters[0].hop
    return meters[0].spliced(parts.joint // hop, meters[1], (parts.joint - parts.b_start) // hop)


def _emit(y: np.ndarray, channels: int, meter: LoudnessMeter, write: Callable[[np.ndarray], None]) -> int:
    """One mastered block into the file's channels (a mono file gets the downmix), its
    meter and its encoder; the number of samples."""
    if channels == 1:
        y = y.mean(axis=1, keepdims=True)
    meter.feed(y)
    if len(y):
        write(np.ascontiguousarray(y, dtype=np.float32))
    return len(y)
