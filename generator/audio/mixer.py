"""Mix a timeline into audio, block by block, with one loudness gain for the whole file.

The gain is guessed from the clips' loudness (plus what the codec usually
removes); the blocks are rendered once at that gain, through a true-peak
limiter, measured (BS.1770) and handed to the sink - the MP3 encoder, a
separate process fed by a thread, so mixing and encoding overlap. Then 15 s of
the written file are decoded to measure the codec's real loss; only a file more
than 0.25 LU off target is rendered again. Memory does not grow with the
session's length: clips are read when they play.
"""

from __future__ import annotations

import bisect
import ctypes
import functools
import math
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ..errors import AudioError
from ..model import ClipRequest, TBed, TCue, Timeline, TSpeech
from . import beds as beds_mod
from . import cues as cues_mod
from .clips import SR, read_wav
from .loudness import Ducker, Limiter, LoudnessMeter, meter_hop

BED_REF_DBFS = -20.0  # a bed at level 0 dB renders at this RMS

ClipLevels = tuple[float, float, int]  # a clip's energy, K-weighted energy and sample count
# (clip path, size, mtime) -> levels: a course's sessions share most of their clips, so each is
# measured (or read from the clip cache) once per process
_CLIP_LEVELS: dict[tuple[str, int, int], ClipLevels] = {}
MAX_CLIP_LEVELS = 50_000


def measure_clip(path: Path, sr: int = SR) -> ClipLevels:
    """A speech clip's energy, K-weighted energy (BS.1770) and sample count."""
    from .loudness import k_weighting_sos
    from .sigproc import DENORMAL_BIAS, sosfilt

    a, _ = read_wav(path)
    k = sosfilt(k_weighting_sos(sr), a, bias=DENORMAL_BIAS)[0]
    return float(np.sum(np.square(a, dtype=np.float64))), float(np.sum(np.square(k))), int(a.size)


@dataclass(frozen=True)
class MixSettings:
    sr: int = SR
    channels: int = 2
    target_lufs: float = -16.0
    ceiling_dbtp: float = -1.0
    duck_db: float = 6.0
    bed_level_db: float = -24.0  # relative to speech
    bed_fade_ms: float = 3000.0
    cue_level_db: float = 4.0  # cue peak relative to speech RMS
    tone_level_db: float = -6.0
    fade_in_ms: float = 1500.0
    fade_out_ms: float = 4000.0
    block_ms: float = 1000.0
    bed_override: str | None = None  # profile bed: None script decides, "none", a name or file


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


@dataclass(frozen=True)
class _BedSpan:
    start: int
    end: int  # exclusive: where this bed has faded out completely
    fade_in: int
    fade_out: int  # length of the fade-out ending at ``end``
    source: beds_mod.BedSource
    gain: float


def _db(x: float) -> float:
    return 10 ** (x / 20.0)


class SessionMix:
    """Renders any block of a timeline; a pure function of time."""

    def __init__(
        self,
        timeline: Timeline,
        clips: Mapping[ClipRequest, Path],
        settings: MixSettings = MixSettings(),
        base_dir: Path | None = None,
        levels: Callable[[Path], ClipLevels] | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        """``levels`` gives a clip's :data:`ClipLevels` (default: :func:`measure_clip`;
        a clip cache can keep them so a warm build need not read every clip first);
        ``cache_dir`` is where built-in bed loops are kept (default: the default cache)."""
        self._cache_dir = cache_dir
        self.tl = timeline
        self._measure = levels or (lambda p: measure_clip(p, settings.sr))
        self.s = settings
        self.sr = settings.sr
        self.base = base_dir or Path.cwd()
        self.total = int(round(timeline.total_ms * self.sr / 1000))
        self.speech: list[tuple[int, TSpeech, Path]] = sorted(
            ((self._smp(i.start_ms), i, clips[i.clip]) for i in timeline.speech), key=lambda x: x[0]
        )
        self._clip_cache: dict[Path, np.ndarray] = {}
        self.speech_rms, self.speech_lufs = self._speech_level(clips, timeline)
        lengths = {p: self._clip_len(p) for p in {p for _, _, p in self.speech}}
        self.intervals = [(s, s + lengths[p]) for s, _, p in self.speech]
        self._starts = [s for s, _ in self.intervals]
        self._longest = max((e - s for s, e in self.intervals), default=0)
        self.cues = self._place_cues(timeline.items)
        self.beds = self._bed_spans(timeline)
        self._ducker = Ducker(self.intervals, depth_db=settings.duck_db, sr=self.sr)

    def _smp(self, ms: float) -> int:
        return int(round(ms * self.sr / 1000))

    # -- speech
    def _clip(self, path: Path) -> np.ndarray:
        a = self._clip_cache.get(path)
        if a is None:
            a, sr = read_wav(path)
            if sr != self.sr:
                raise AudioError(f"{path}: clip at {sr} Hz, expected {self.sr} Hz; clear the cache")
            self._clip_cache[path] = a
        return a

    def _clip_len(self, path: Path) -> int:
        from .clips import wav_frames

        return wav_frames(path)

    def _speech_level(self, clips: Mapping[ClipRequest, Path], tl: Timeline) -> tuple[float, float]:
        """RMS of the speech (for the bed level) and its K-weighted loudness (LUFS, as stereo)."""
        energy = k_energy = 0.0
        count = 0
        for p in {clips[i.clip] for i in tl.speech}:
            try:
                st = p.stat()
                memo_key = (str(p), st.st_size, st.st_mtime_ns)
            except OSError:
                memo_key = None
            got = _CLIP_LEVELS.get(memo_key) if memo_key else None
            if got is None:
                got = self._measure(p)
                if memo_key:
                    if len(_CLIP_LEVELS) >= MAX_CLIP_LEVELS:
                        _CLIP_LEVELS.clear()
                    _CLIP_LEVELS[memo_key] = got
            energy += got[0]
            k_energy += got[1]
            count += got[2]
        if count == 0:
            return _db(-20.0), -20.0
        lufs = -0.691 + 10 * math.log10(max(self.s.channels * k_energy / count, 1e-12))  # centred speech
        return max(math.sqrt(energy / count), 1e-4), lufs

    # -- cues
    def _place_cues(self, items: Sequence[object]) -> list[tuple[int, np.ndarray]]:
        cache: dict[tuple[str | None, str | None], np.ndarray] = {}
        out: list[tuple[int, np.ndarray]] = []
        cue_gain = self.speech_rms * _db(self.s.cue_level_db) / _db(-6.0)
        for it in items:
            if not isinstance(it, TCue):
                continue
            k = (it.name, it.file)
            if k not in cache:
                if it.file is not None:
                    a = cues_mod.file_cue(self._resolve(it.file), self.sr) * cue_gain
                elif it.name in ("breath-in", "breath-out"):
                    a = cues_mod.breath_tone(it.name.split("-")[1], self.sr) * cue_gain * _db(self.s.tone_level_db)
                else:
                    a = cues_mod.cue(it.name or "bell", self.sr) * cue_gain
                cache[k] = np.asarray(a, dtype=np.float32).reshape(len(a), -1)
            out.append((self._smp(it.start_ms), cache[k]))
        return sorted(out, key=lambda x: x[0])

    def _resolve(self, f: str) -> Path:
        p = Path(f).expanduser()
        return p if p.is_absolute() else self.base / p

    # -- beds
    def _bed_spans(self, tl: Timeline) -> list[_BedSpan]:
        events = [i for i in tl.items if isinstance(i, TBed)]
        ov = self.s.bed_override
        if ov == "none":
            return []
        if ov is not None:
            if not any(not e.off for e in events):
                events = [TBed(0.0, None if Path(ov).suffix else ov, ov if Path(ov).suffix else None)]
            else:
                events = [
                    e if e.off else TBed(e.start_ms, None if Path(ov).suffix else ov, ov if Path(ov).suffix else None, e.level_db, e.fade_ms)
                    for e in events
                ]
        spans: list[_BedSpan] = []
        sources: dict[tuple[str | None, str | None], beds_mod.BedSource] = {}
        for idx, e in enumerate(events):
            if e.off:
                continue
            key = (e.name, e.file)
            if key not in sources:
                if e.file is not None:
                    sources[key] = beds_mod.file_bed(self._resolve(e.file), self.sr)
                else:
                    sources[key] = beds_mod.builtin_bed(e.name or "brown-noise", self.sr, cache_dir=self._cache_dir)
            fade_in = self._smp(e.fade_ms if e.fade_ms is not None else self.s.bed_fade_ms)
            start = self._smp(e.start_ms)
            nxt = events[idx + 1] if idx + 1 < len(events) else None
            if nxt is None:
                end, fade_out = self.total, 0
            else:
                fade_out = self._smp(nxt.fade_ms if nxt.fade_ms is not None else self.s.bed_fade_ms)
                end = self._smp(nxt.start_ms) + fade_out
            level = e.level_db if e.level_db is not None else self.s.bed_level_db
            gain = self.speech_rms * _db(level) / _db(BED_REF_DBFS)
            spans.append(_BedSpan(start, max(end, start), fade_in, fade_out, sources[key], gain))
        return spans

    # -- rendering
    def render(self, start: int, n: int) -> np.ndarray:
        """Samples [start, start+n) of the raw mix, float32 (n, 2)."""
        out = np.empty((n, 2), dtype=np.float32)
        end = start + n
        self._mix_beds(out, start, end)
        live: set[Path] = set()
        first = bisect.bisect_left(self._starts, start - self._longest)
        last = bisect.bisect_left(self._starts, end)
        for k in range(first, last):
            s0, s1 = self.intervals[k]
            if s1 <= start:
                continue
            path = self.speech[k][2]
            a = self._clip(path)
            live.add(path)
            lo, hi = max(start, s0), min(end, s1, s0 + a.size)
            out[lo - start : hi - start] += a[lo - s0 : hi - s0, None]  # centred: both channels
        for p in list(self._clip_cache):
            if p not in live:
                del self._clip_cache[p]
        for s0, a in self.cues:
            if s0 >= end:
                break
            s1 = s0 + len(a)
            if s1 <= start:
                continue
            lo, hi = max(start, s0), min(end, s1)
            out[lo - start : hi - start] += a[lo - s0 : hi - s0]
        self._apply_fades(out, start)
        return out

    def _mix_beds(self, out: np.ndarray, start: int, end: int) -> None:
        """Fill ``out`` (uninitialised) with the beds of [start, end): a block inside one
        bed (most) is rendered straight into it, others start from silence."""
        n = end - start
        spans = [b for b in self.beds if b.end > start and b.start < end]
        whole = len(spans) == 1 and spans[0].start <= start and spans[0].end >= end
        if not whole:
            out.fill(0.0)
        if not spans:
            return
        duck = self._ducker.envelope(start, n)
        for b in spans:
            lo, hi = max(start, b.start), min(end, b.end)
            g = duck[lo - start : hi - start] * np.float32(b.gain)
            if b.fade_in > 0 and lo < b.start + b.fade_in:  # only blocks inside a fade pay for it
                pos = np.arange(lo, hi)
                g *= np.sin(0.5 * np.pi * np.clip((pos - b.start) / b.fade_in, 0.0, 1.0)).astype(np.float32)
            if b.fade_out > 0 and hi > b.end - b.fade_out:
                pos = np.arange(lo, hi)
                g *= np.sin(0.5 * np.pi * np.clip((b.end - pos) / b.fade_out, 0.0, 1.0)).astype(np.float32)
            # the bed applies the gain curve itself, together with its own envelopes
            if whole:
                b.source.render(lo - b.start, hi - lo, g, out=out)
            else:
                out[lo - start : hi - start] += b.source.render(lo - b.start, hi - lo, g)

    def _apply_fades(self, out: np.ndarray, start: int) -> None:
        n = len(out)
        fi = self._smp(self.s.fade_in_ms)
        fo = self._smp(self.s.fade_out_ms)
        fade_in, fade_out = fi > 0 and start < fi, fo > 0 and start + n > self.total - fo
        if not (fade_in or fade_out):
            return  # most blocks: nothing to do
        pos = np.arange(start, start + n)
        g = np.ones(n, dtype=np.float32)
        if fade_in:
            g *= np.sin(0.5 * np.pi * np.clip(pos / fi, 0.0, 1.0)).astype(np.float32)
        if fade_out:
            g *= np.sin(0.5 * np.pi * np.clip((self.total - pos) / fo, 0.0, 1.0)).astype(np.float32)
        out *= g[:, None]

    def blocks(self, start: int = 0, end: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
        """The mix from ``start`` to ``end`` (default: all of it) in blocks."""
        step = max(1024, self._smp(self.s.block_ms))
        stop = self.total if end is None else min(end, self.total)
        for pos in range(start, stop, step):
            yield pos, self.render(pos, min(step, stop - pos))


@functools.lru_cache(maxsize=1)
def keep_block_memory() -> bool:
    """Let glibc keep the memory of freed blocks for the next ones (once per process).

    By default glibc hands every freed array of more than about 1-4 MB back to the system
    and the next block's arrays fault the same pages in again: some 240 page faults per
    3 s block (a few percent of a mix's CPU time, more on virtual machines). Allocations
    up to 16 MB now stay in the heap and up to 32 MB of free heap is kept; the peak
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
    g = np.float32(_db(gain_db))
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
