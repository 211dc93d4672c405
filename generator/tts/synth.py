"""Synthesise the unique clips of a build (or pack, or course) through the cache.

Each clip is spoken once per cache key, across ``jobs`` worker processes
(:mod:`generator.tts.pool`) with a per-clip timeout. Engines handed in as
instances, and the plain fake engine, run in this process instead: they
cannot hang and need no start-up.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import tempfile
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from ..audio.clips import SR, process_engine_output
from ..errors import SynthesisError
from ..interrupts import check
from ..model import ClipRequest
from .base import Engine, engine_from_spec, model_identity, use_threads, worker_threads
from .cache import ClipCache
from .claims import MAX_WAIT_S, POLL_S, Claims
from .pool import DEFAULT_TIMEOUT_S, Task, WorkerPool, render_clip


@dataclass(frozen=True)
class Clip:
    path: Path
    frames: int

    @property
    def dur_ms(self) -> float:
        return self.frames * 1000.0 / SR


@dataclass
class SynthStats:
    requested: int = 0
    synthesized: int = 0
    cached: int = 0
    texts: list[str] = field(default_factory=list)


ProgressFn = Callable[[int, int], None]


def default_jobs() -> int:
    env = os.environ.get("RELAXGEN_JOBS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    return os.cpu_count() or 1


def default_timeout() -> float:
    env = os.environ.get("RELAXGEN_TTS_TIMEOUT")
    try:
        return float(env) if env else DEFAULT_TIMEOUT_S
    except ValueError:
        raise SynthesisError(f"RELAXGEN_TTS_TIMEOUT={env!r} is not a number of seconds") from None


def _close_pools(pools: dict[str, WorkerPool]) -> None:
    for p in pools.values():
        p.close()
    pools.clear()


class Synthesizer:
    """Turns clip requests into cached, processed clips.

    ``jobs``: worker processes (default: the number of cores, or ``RELAXGEN_JOBS``); a
    multithreaded engine (Piper) gets fewer with several threads each (:func:`worker_threads`).
    ``timeout``: seconds allowed per clip before its worker counts as hung (scaled
    with the text's length; default 60, or ``RELAXGEN_TTS_TIMEOUT``).
    ``engine_specs``: engine name -> ``"module:factory"`` to build that engine from
    (in workers and here), e.g. a test engine. ``isolate``: True runs every engine in
    workers (even the fake one), False none (no timeouts), None decides per engine.
    """

    def __init__(
        self,
        cache: ClipCache,
        engines: dict[str, Engine] | None = None,
        jobs: int | None = None,
        timeout: float | None = None,
        engine_specs: Mapping[str, str] | None = None,
        isolate: bool | None = None,
    ) -> None:
        self.cache = cache
        self._engines: dict[str, Engine] = dict(engines or {})
        self._inproc = set(self._engines)
        self._specs = dict(engine_specs or {})
        self._versions: dict[tuple[str, str], str] = {}
        self.jobs = max(1, jobs if jobs is not None else default_jobs())
        self.timeout = timeout if timeout is not None else default_timeout()
        self.isolate = isolate
        self.stats = SynthStats()
        self._pools: dict[str, WorkerPool] = {}
        self._finalizer = weakref.finalize(self, _close_pools, self._pools)

    # -- engines and keys

    def engine(self, name: str) -> Engine:
        """This process's instance of an engine (voice lists, versions, in-process synthesis)."""
        if name not in self._engines:
            self._engines[name] = engine_from_spec(self._specs.get(name, name))
        return self._engines[name]

    def engine_version(self, name: str, model: str | None = None) -> str:
        k = (name, model or "")
        if k not in self._versions:
            eng = self.engine(name)
            ident = model_identity(eng, model)
            self._versions[k] = eng.version() + (f"/{ident}" if ident else "")
        return self._versions[k]

    def key(self, req: ClipRequest) -> str:
        return self.cache.key(req, self.engine_version(req.engine, req.model))

    def lookup(self, req: ClipRequest) -> Clip | None:
        hit = self.cache.get(self.key(req))
        return Clip(*hit) if hit else None

    def in_workers(self, engine: str) -> bool:
        if mp.current_process().daemon:  # e.g. a Dask worker: it may not start processes
            return False
        if self.isolate is not None:
            return self.isolate and engine not in self._inproc
        return engine not in self._inproc and not (engine == "fake" and engine not in self._specs)

    # -- synthesis

    def synthesize_all(self, reqs: Sequence[ClipRequest], progress: ProgressFn | None = None) -> dict[ClipRequest, Clip]:
        """Every request's clip: from the cache, else spoken once per unique key."""
        unique = list(dict.fromkeys(reqs))
        out: dict[ClipRequest, Clip] = {}
        by_key: dict[str, list[ClipRequest]] = {}
        for r in unique:
            k = self.key(r)
            hit = self.cache.get(k)
            if hit is None:
                by_key.setdefault(k, []).append(r)
            else:
                out[r] = Clip(*hit)
        self.stats.requested += len(unique)
        self.stats.cached += len(out)
        tasks = [Task(i, rs[0], k) for i, (k, rs) in enumerate(by_key.items())]
        total = len(tasks)
        done = 0

        def finished(task: Task, path: Path, frames: int) -> None:
            nonlocal done
            clip = Clip(path, frames)
            for r in by_key[task.key]:
                out[r] = clip
            self.stats.synthesized += 1
            self.stats.texts.append(task.req.text)
            done += 1
            if progress:
                progress(done, total)

        def arrived(task: Task, path: Path, frames: int) -> None:  # spoken by another process meanwhile
            nonlocal done
            for r in by_key[task.key]:
                out[r] = Clip(path, frames)
            self.stats.cached += 1
            done += 1
            if progress:
                progress(done, total)

        claims = Claims(self.cache.root)
        pending, overdue = tasks, set[str]()
        while pending:  # speak what no other process is speaking, then wait for the rest
            mine = [t for t in pending if claims.take(t.key)]
            forced = [t for t in pending if t.key in overdue and t not in mine]
            try:
                self._speak(mine + forced, finished)
            finally:
                for t in mine:
                    claims.release(t.key)
            spoken = {t.key for t in mine + forced}
            pending, late = self._await([t for t in pending if t.key not in spoken], claims, arrived)
            overdue |= late
        return out

    def _speak(self, tasks: Sequence[Task], finished: Callable[[Task, Path, int], None]) -> None:
        for engine in dict.fromkeys(t.req.engine for t in tasks):
            batch = [t for t in tasks if t.req.engine == engine]
            if self.in_workers(engine):
                self._pool(engine).run(batch, finished)
            else:
                self._inline(engine, batch, finished)

    def _await(self, tasks: Sequence[Task], claims: Claims,
               arrived: Callable[[Task, Path, int], None]) -> tuple[list[Task], set[str]]:
        """Wait for clips other processes claimed. The tasks whose claim went away
        without a clip (its process failed or died) come back to be spoken here, and
        so do all after ``MAX_WAIT_S`` (their keys: the second value) - a live but
        stuck process does not stop this one."""
        left, orphans = list(tasks), list[Task]()
        t0 = time.monotonic()
        rounds = 0
        while left:
            if time.monotonic() - t0 > MAX_WAIT_S:
                return orphans + left, {t.key for t in left}
            still = []
            for t in left:
                hit = self.cache.get(t.key) if self.cache.path(t.key).is_file() else None
                if hit is None and rounds % 10 == 0 and not claims.held(t.key):  # claims: 5 looks a second
                    hit = self.cache.get(t.key)  # it may have landed just before the claim went
                    if hit is None:
                        orphans.append(t)
                        continue
                if hit is None:
                    still.append(t)
                else:
                    arrived(t, *hit)
            left = still
            rounds += 1
            if left:
                check()
                time.sleep(POLL_S)
        return orphans, set()

    def _inline(self, engine: str, tasks: Sequence[Task], finished: Callable[[Task, Path, int], None]) -> None:
        eng = self.engine(engine)
        use_threads(eng, worker_threads(eng, self.jobs))
        with tempfile.TemporaryDirectory(prefix="relaxgen-tts-") as d:
            for t in tasks:
                check()
                path, frames = render_clip(eng, t.req, t.key, self.cache, Path(d) / f"clip{t.id}.wav")
                finished(t, path, frames)

    def _pool(self, engine: str) -> WorkerPool:
        """The engine's workers: ``jobs`` of them, or for a multithreaded engine fewer with several
        threads each (Piper: one with ``jobs`` threads, one model in memory instead of ``jobs``)."""
        if engine not in self._pools:
            threads = worker_threads(self.engine(engine), self.jobs)
            self._pools[engine] = WorkerPool(engine, self._specs.get(engine, engine), self._store_raw,
                                             max(1, self.jobs // threads), self.timeout, threads)
        return self._pools[engine]

    def _store_raw(self, task: Task, raw: Path) -> tuple[Path, int]:
        """A worker's raw engine output -> checked, 44.1 kHz, trimmed clip in the cache."""
        return self.cache.put(task.key, process_engine_output(raw, task.req.text))

    # -- lifetime

    def close(self) -> None:
        """Stop the worker processes (they are also stopped when this object is collected)."""
        _close_pools(self._pools)

    def __enter__(self) -> Synthesizer:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
