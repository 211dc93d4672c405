"""Mix a timeline into audio, block by block: speech, cues and beds (ducked under
speech), with the session's fades - a pure function of time.

Memory does not grow with the session's length: clips are read when they play.
The gain, limiter, meter and encoders are in :mod:`.master`.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import AudioError
from ..interrupts import check
from ..model import ClipRequest, TimedBed, TimedCue, TimedSpeech, Timeline
from ..policy import FADE_OUT_MS, LEAD_IN_MS, TARGET_LUFS
from . import beds as beds_mod
from . import cues as cues_mod
from .clips import SR, read_wav
from .dynamics import Ducker

BED_REF_DBFS = -20.0  # a bed at level 0 dB renders at this RMS

ClipLevels = tuple[float, float, int]  # a clip's energy, K-weighted energy and sample count
# (clip path, size, mtime) -> levels: a course's sessions share most of their clips, so each is
# measured (or read from the clip cache) once per process
_CLIP_LEVELS: dict[tuple[str, int, int], ClipLevels] = {}
MAX_CLIP_LEVELS = 50_000


def measure_clip(path: Path, sr: int = SR) -> ClipLevels:
    """A speech clip's energy, K-weighted energy (BS.1770) and sample count."""
    from .filters import DENORMAL_BIAS, sosfilt
    from .loudness import k_weighting_sos

    a, _ = read_wav(path)
    k = sosfilt(k_weighting_sos(sr), a, bias=DENORMAL_BIAS)[0]
    return float(np.sum(np.square(a, dtype=np.float64))), float(np.sum(np.square(k))), int(a.size)


@dataclass(frozen=True)
class MixSettings:
    sr: int = SR
    channels: int = 2
    target_lufs: float = TARGET_LUFS
    ceiling_dbtp: float = -1.0
    duck_db: float = 6.0
    bed_level_db: float = -24.0  # relative to speech
    bed_fade_ms: float = 3000.0
    cue_level_db: float = 4.0  # cue peak relative to speech RMS
    tone_level_db: float = -6.0
    fade_in_ms: float = LEAD_IN_MS  # over the lead-in
    fade_out_ms: float = FADE_OUT_MS
    block_ms: float = 1000.0
    # the listener's bed: None the script decides, "none", a built-in bed's name, or the path of
    # its sound file as found by the caller (:meth:`generator.script.sounds.SoundFolders.find`)
    bed_override: str | None = None


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
        sound_file: Callable[[str], Path] | None = None,
        levels: Callable[[Path], ClipLevels] | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        """``sound_file`` finds the file a ``[cue file=…]`` or ``[bed file=…]`` names, inside
        the folders it may come from (the session's :meth:`generator.api.Prepared.sound_file`;
        default: none may be named); ``levels`` gives a clip's :data:`ClipLevels` (default:
        :func:`measure_clip`; a clip cache can keep them so a warm build need not read every
        clip first); ``cache_dir`` is where built-in bed loops are kept (default: the default cache)."""
        self._cache_dir = cache_dir
        self._sound_file = sound_file
        self.tl = timeline
        self._measure = levels or (lambda p: measure_clip(p, settings.sr))
        self.s = settings
        self.sr = settings.sr
        self.total = int(round(timeline.total_ms * self.sr / 1000))
        self.speech: list[tuple[int, TimedSpeech, Path]] = sorted(
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
            if not isinstance(it, TimedCue):
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
        if self._sound_file is None:
            raise AudioError(f"{f}: this mix was given no folders to read sound files from")
        return self._sound_file(f)

    # -- beds
    def _bed_spans(self, tl: Timeline) -> list[_BedSpan]:
        events = [i for i in tl.items if isinstance(i, TimedBed)]
        ov = self.s.bed_override
        if ov == "none":
            return []
        ov_file = ov is not None and bool(Path(ov).suffix)  # then every bed that plays is this file
        if ov is not None:
            name, file = (None, ov) if ov_file else (ov, None)
            if not any(not e.off for e in events):
                events = [TimedBed(0.0, name, file)]
            else:
                events = [e if e.off else TimedBed(e.start_ms, name, file, e.level_db, e.fade_ms) for e in events]
        spans: list[_BedSpan] = []
        sources: dict[tuple[str | None, str | None], beds_mod.BedSource] = {}
        for idx, e in enumerate(events):
            if e.off:
                continue
            key = (e.name, e.file)
            if key not in sources:
                if e.file is not None:
                    path = Path(e.file) if ov_file else self._resolve(e.file)
                    sources[key] = beds_mod.file_bed(path, self.sr)
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
        """The mix from ``start`` to ``end`` (default: all of it) in blocks; each block is a
        safe point for a stop (:func:`generator.interrupts.check`)."""
        step = max(1024, self._smp(self.s.block_ms))
        stop = self.total if end is None else min(end, self.total)
        for pos in range(start, stop, step):
            check()
            yield pos, self.render(pos, min(step, stop - pos))
