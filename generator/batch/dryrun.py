"""What a pack or course run would do, without speaking or encoding (``--dry-run``).

For every planned session it decides, as :func:`generator.batch.course.run_packs` would,
whether the output is up to date; the others are prepared as a build prepares
them (rendered, parsed, sound files checked, voices resolved to clip requests), so
a session that would fail that validation fails here with the same message. From
the clip requests it counts the run's unique sentences and how many the cache
already has (the cache key is the synthesizer's own), and from the timed plan
(cached clips at their real length, the others estimated from their words) the
hours of audio, the disk space of the MP3s (bitrate x duration) and a time.

The time estimate comes from a short calibration encode on this machine (20 s of
noise through the project's encoder; ``calibrate=False``: the bench's encode
floor, 79x real time) and documented factors from the bench (``docs/performance.md``,
"Dry runs"). Nothing is written: no folder, no cover, no build state, no lock.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..api import timed
from ..audio.clips import SR
from ..audio.encode import DEFAULT_QUALITY
from ..errors import RelaxgenError
from ..model import ClipRequest
from ..profile import Profile
from ..script.timeline import estimate_ms
from ..tts.cache import ClipCache
from ..tts.synth import Synthesizer
from .buildstate import BuildState, DepChecker
from .course import Summary, plan_course
from .manifest import ListenerTable, Manifest
from .pack import PackPlan, PackSettings, plan_pack
from .task import SessionTask, prepare_task

ENCODE_X = 79.0  # one libmp3lame stream, 128 kbps stereo, x real time (bench encode floor, 2026-11-28)
SESSION_FACTOR = 1.8  # a course session at -j 1 takes ~1.8x its encode alone (mix, read-back, files)
EXTRA_WORKER = 0.6  # each worker beyond the first adds ~0.6 of one (bench: course -j 2 / -j 1 = 1.5-1.6x)
SPEECH_X = {"pyttsx3": 200.0, "piper": 20.0, "fake": 2000.0}  # seconds of speech per second of work
CALIBRATION_S = 20.0


@dataclass
class DryRun:
    """The plan of a run: counts, sizes and an estimate (``to_dict`` for ``--json``)."""

    to_build: list[str] = field(default_factory=list)
    up_to_date: list[str] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)  # as Summary.failed: {"output"|"row", "error"}
    audio_s: float = 0.0  # every planned session that is or will be there
    build_audio_s: float = 0.0  # the sessions to build
    sentences: int = 0  # unique clips the sessions to build ask for
    sentences_cached: int = 0
    speech_s: float = 0.0  # estimated speech of the clips still to speak
    disk_bytes: int = 0  # the MP3s once built (up-to-date ones at their real size)
    build_bytes: int = 0  # the MP3s to build (bitrate x duration)
    workers: int = 1
    encode_x: float = ENCODE_X
    basis: str = ""
    estimate_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "counts": {"sessions": len(self.to_build) + len(self.up_to_date), "to_build": len(self.to_build),
                       "up_to_date": len(self.up_to_date), "failed": len(self.failed)},
            "hours": {"all": round(self.audio_s / 3600, 4), "to_build": round(self.build_audio_s / 3600, 4)},
            "sentences": {"unique": self.sentences, "cached": self.sentences_cached,
                          "to_speak": self.sentences - self.sentences_cached,
                          "speech_minutes": round(self.speech_s / 60, 2)},
            "disk_bytes": {"all": self.disk_bytes, "to_build": self.build_bytes},
            "estimate": {"seconds": round(self.estimate_s, 1), "workers": self.workers,
                         "encode_x_realtime": round(self.encode_x, 1), "basis": self.basis},
            "to_build": self.to_build, "up_to_date": self.up_to_date, "failed": self.failed,
        }


def dry_run(plans: list[PackPlan], workers: int = 1, force: bool = False,
            failed: Iterable[dict[str, Any]] = (), calibrate: bool = True) -> DryRun:
    """What ``run_packs(plans, …)`` would do; ``failed``: what failed before planning (CSV rows)."""
    out = DryRun(failed=list(failed), workers=max(1, workers))
    engine = plans[0].tasks[0].options.get("engine") if plans and plans[0].tasks else None
    checker = DepChecker(engine)
    synths: dict[str, Synthesizer] = {}
    seen: dict[str, int] = {}  # clip key -> its frames in the cache (0: not there)
    speech: dict[str, float] = {}  # engine -> seconds of speech to make
    bitrate, quality = 128, None
    for p in plans:
        state = BuildState(p.folder)
        out.failed += [{"output": str(p.folder), "error": f"{what}: {why}"} for what, why in p.errors]
        for t in p.tasks:
            if not force and state.up_to_date(t.name, t.static_hash, checker):
                rec = state.records[t.name]
                out.up_to_date.append(t.key)
                out.audio_s += float(rec.track.get("duration_s", 0.0))
                out.disk_bytes += rec.size
                continue
            bitrate = int(t.options.get("bitrate_kbps", 128))
            quality = t.options.get("encoder_quality")
            syn = synths.setdefault(str(t.options["cache_dir"]), Synthesizer(ClipCache(t.options["cache_dir"])))
            try:
                secs = _session(t, syn, seen, speech)
            except RelaxgenError as e:
                out.failed.append({"output": t.key, "error": str(e)})
                continue
            out.to_build.append(t.key)
            out.audio_s += secs
            out.build_audio_s += secs
            size = int(secs * bitrate * 125)
            out.build_bytes += size
            out.disk_bytes += size
    out.sentences = len(seen)
    out.sentences_cached = sum(1 for f in seen.values() if f)
    out.speech_s = sum(speech.values())
    _estimate(out, speech, bitrate, quality, calibrate and bool(out.to_build))
    return out


def _session(t: SessionTask, syn: Synthesizer, seen: dict[str, int], speech: dict[str, float]) -> float:
    """Prepare one session as its build would; count its clips (``seen``: key -> frames in the
    cache, 0 when not there; ``speech``: engine -> seconds to speak); its planned length in seconds."""
    prep = prepare_task(t, syn)
    durations: dict[ClipRequest, float] = {}
    for r in dict.fromkeys(prep.requests):
        key = syn.key(r)
        if key not in seen:
            hit = syn.cache.get(key)
            seen[key] = hit[1] if hit else 0
            if not hit:
                speech[r.engine] = speech.get(r.engine, 0.0) + estimate_ms(r) / 1000.0
        durations[r] = seen[key] * 1000.0 / SR if seen[key] else estimate_ms(r)
    return timed(prep, durations).total_ms / 1000.0


def _estimate(out: DryRun, speech: dict[str, float], bitrate: int, quality: int | None, calibrate: bool) -> None:
    """Seconds for the sessions to build: their encode (calibrated or the bench's figure) times
    the session factor, plus their new speech, over the workers' combined speed."""
    if calibrate:  # unset: the quality of stereo under a bed (the slowest of the outputs' own)
        out.encode_x = calibrate_encoder(bitrate, DEFAULT_QUALITY if quality is None else quality)
        out.basis = (f"calibrated: this machine's encoder ran at {out.encode_x:.0f}x real time just now; "
                     f"x{SESSION_FACTOR} per session, +{EXTRA_WORKER} per extra worker (bench figures)")
    else:
        out.basis = (f"documented constants: encoder {ENCODE_X:.0f}x real time, x{SESSION_FACTOR} per session, "
                     f"+{EXTRA_WORKER} per extra worker (bench figures)")
    speak_s = sum(s / SPEECH_X.get(e, 20.0) for e, s in speech.items())
    speed = 1.0 + EXTRA_WORKER * (min(out.workers, os.cpu_count() or 1) - 1)
    out.estimate_s = (out.build_audio_s * SESSION_FACTOR / out.encode_x + speak_s) / speed


def calibrate_encoder(bitrate_kbps: int = 128, quality: int | None = DEFAULT_QUALITY,
                      seconds: float = CALIBRATION_S) -> float:
    """This machine's encode speed now (x real time): ``seconds`` of stereo noise through
    the project's encoder, ffmpeg's start included (as every session pays it)."""
    import numpy as np

    from ..audio.encode import Mp3Encoder

    rng = np.random.default_rng(1)
    block = (0.1 * rng.standard_normal((SR, 2))).astype(np.float32)
    with tempfile.TemporaryDirectory(prefix="relaxgen-dry-") as d:
        t0 = time.monotonic()
        with Mp3Encoder(Path(d) / "cal.mp3", SR, 2, bitrate_kbps, quality=quality) as enc:
            for _ in range(int(seconds)):
                enc.write(block)
        return seconds / max(1e-3, time.monotonic() - t0)


def dry_run_course(manifest: Manifest, table: ListenerTable, out: str | Path, settings: PackSettings,
                   workers: int = 1, force: bool = False, calibrate: bool = True) -> DryRun:
    """``relaxgen course --dry-run``: the CSV's bad rows fail as in a real run."""
    summ = Summary()
    plans = plan_course(manifest, table, Path(out).resolve(), settings, summ, write=False)
    return dry_run(plans, workers, force, summ.failed, calibrate)


def dry_run_pack(manifest: Manifest, profile: Profile, out: str | Path, settings: PackSettings,
                 workers: int = 1, force: bool = False, calibrate: bool = True) -> DryRun:
    """``relaxgen pack --dry-run``."""
    return dry_run([plan_pack(manifest, profile, Path(out).resolve(), settings, write=False)], workers, force,
                   calibrate=calibrate)
