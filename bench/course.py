"""Course throughput: every (listener, day) session of a course built by a process pool.

relaxgen's own course command did not exist when this was written, so this is
the obvious implementation over the library API: a ``ProcessPoolExecutor``
with ``jobs`` workers, one shared clip cache, one synthesizer (and speech
engine) per worker, sessions submitted listener by listener, day by day.
The clock runs from creating the pool to the last MP3 (worker start-up
included, as a course command would pay it).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SYNTHS: dict[str, Any] = {}


@dataclass(frozen=True)
class Job:
    template: str
    out: str
    cache: str
    minutes: float
    engine: str | None
    listener: int
    day: int
    days: int
    profile: dict[str, Any]
    pool_jobs: int = 1


def _synth(cache: str, pool_jobs: int) -> Any:
    """This worker's synthesizer; one speech worker per session when sessions run in parallel."""
    from generator.tts.cache import ClipCache
    from generator.tts.synth import Synthesizer

    if cache not in _SYNTHS:
        _SYNTHS[cache] = Synthesizer(ClipCache(Path(cache)), jobs=1 if pool_jobs > 1 else None)
    return _SYNTHS[cache]


def build_job(job: Job) -> dict[str, Any]:
    """One session (runs in a pool worker)."""
    from bench.one import profile_from
    from generator.api import BuildOptions, build_session

    start = time.monotonic()
    opts = BuildOptions(
        cache_dir=Path(job.cache), engine=job.engine, album="Bench course", track=(job.day, job.days)
    )
    res = build_session(
        job.template, job.out, profile_from({"profile": job.profile}), job.minutes, opts, synth=_synth(job.cache, job.pool_jobs)
    )
    end = time.monotonic()
    return {
        "listener": job.listener, "day": job.day, "pid": os.getpid(), "start": start, "end": end,
        "seconds": end - start, "audio_s": res.timeline.total_ms / 1000.0,
        "synthesized": res.synthesized, "cached": res.cached,
    }


def jobs_for(spec: dict[str, Any]) -> list[Job]:
    days = int(spec["days"])
    out_dir = Path(spec["out_dir"])
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = []
    for li, listener in enumerate(spec["listeners"], 1):
        for day in range(1, days + 1):
            prof = {**spec.get("base_profile", {}), **listener}
            prof["day"] = day
            prof["minutes"] = float(spec["minutes"])
            jobs.append(Job(
                spec["template"], str(out_dir / f"listener{li}-day{day:02d}.mp3"), spec["cache"],
                float(spec["minutes"]), spec.get("engine"), li, day, days, prof, int(spec["jobs"]),
            ))
    return jobs


def expected_hits(jobs: list[Job]) -> list[tuple[int, int]]:
    """For each job in order: (unique clips, clips an earlier job already asked for)."""
    from bench.one import profile_from
    from generator.api import prepare
    from generator.tts.cache import ClipCache
    from generator.tts.synth import Synthesizer

    seen: set[tuple[str, ...]] = set()
    out = []
    syn = Synthesizer(ClipCache(Path(jobs[0].cache)))
    for j in jobs:
        # the fake engine gives the same texts, voices and rates without starting espeak-ng
        prep = prepare(j.template, profile_from({"profile": j.profile}), j.minutes, "fake", synth=syn)
        keys = [(r.voice, str(r.rate_wpm), str(r.pitch), r.text) for r in prep.requests]
        out.append((len(keys), sum(1 for k in keys if k in seen)))
        seen.update(keys)
    return out


def _context() -> Any:
    """forkserver (imports once, workers fork from it; never a plain fork of this process), else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["bench.course", "generator.api"])
        return ctx
    return multiprocessing.get_context("spawn")


def run_course(spec: dict[str, Any]) -> dict[str, Any]:
    jobs = jobs_for(spec)
    expected = expected_hits(jobs)
    n_workers = int(spec["jobs"])
    ctx = _context()
    t0 = time.monotonic()
    with ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx) as ex:
        results = list(ex.map(build_job, jobs))
    seconds = time.monotonic() - t0
    for r, (n, hits) in zip(results, expected, strict=True):
        r["expected_unique"] = n
        r["expected_hits"] = hits
    return {
        "seconds": seconds,
        "sessions": len(results),
        "audio_s": sum(r["audio_s"] for r in results),
        "sessions_per_min": 60.0 * len(results) / seconds,
        "per_session": results,
    }
