"""Batch builds: listeners × sessions, incremental, on a local process pool or a Dask cluster.

:func:`run_packs` is the machinery ``relaxgen pack`` and ``relaxgen course``
share: it checks every task against the pack folder's build state, runs the
outdated ones on an executor, records each finished output at once (so a
killed build resumes where it stopped), and writes each pack's playlist, page
and README when its last session is done.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import multiprocessing
import os
import queue
import time
from collections.abc import Generator, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..errors import RelaxgenError
from ..export.names import safe_filename, unique_names
from ..fsutil import atomic_write_text, remove_stale_temps
from ..interrupts import check, child_init, owned_signals, shielded, start_mp_helpers, watch
from ..profile import Profile
from .buildstate import (
    BuildState,
    DepChecker,
    Record,
    code_fingerprint,
    digest,
    output_hash,
    program_version,
)
from .lock import locked
from .manifest import ListenerTable, Manifest
from .pack import PackPlan, PackSettings, pack_file_names, plan_pack, write_pack_files
from .speakfirst import speech_first
from .task import SessionTask, TaskResult, run_task, worker_name

# ---------------------------------------------------------------- progress events


class Reporter(Protocol):
    def begin(self, total: int, up_to_date: int, workers: int) -> None: ...
    def started(self, worker: str, label: str) -> None: ...
    def progress(self, worker: str, label: str, frac: float) -> None: ...
    def finished(self, result: TaskResult, label: str) -> None: ...


class NullReporter:
    def begin(self, total: int, up_to_date: int, workers: int) -> None: ...
    def started(self, worker: str, label: str) -> None: ...
    def progress(self, worker: str, label: str, frac: float) -> None: ...
    def finished(self, result: TaskResult, label: str) -> None: ...


def task_label(task: SessionTask) -> str:
    return f"{task.label}/{task.name}" if task.label else task.name


STAGES = {"speech": (0.0, 0.4), "mix": (0.4, 1.0)}
WAIT_S = 0.2  # the longest wait for a session before the next check for a stop request

# ---------------------------------------------------------------- executors
#
# Stopping (Ctrl-C, SIGTERM, SIGHUP; see generator.interrupts): the executors check for a
# stop request between sessions and while they wait. A session stops at its next safe point
# (a clip, a mix block, a chapter) unless its MP3 is already in place: what follows takes
# milliseconds and has no safe point, so it completes and is handed on, and the caller
# records it. Then the executor raises Interrupted.

_EVENTS: Any = None  # the worker's event queue (set by the pool initializer)


def _init_worker(events: Any, stop: Any) -> None:
    global _EVENTS
    _EVENTS = events
    child_init()  # the parent owns the stop signals ...
    watch(stop)  # ... and sets this event to stop the sessions running here


def _pool_task(task: SessionTask) -> TaskResult:
    """Run one task in a pool worker, reporting start and progress."""
    me, label = worker_name(), task_label(task)
    last = [0.0]

    def prog(stage: str, frac: float) -> None:
        now = time.monotonic()
        if _EVENTS is not None and now - last[0] > 0.25:
            last[0] = now
            lo, hi = STAGES.get(stage, (0.0, 1.0))
            with contextlib.suppress(Exception):
                _EVENTS.put_nowait(("progress", me, label, lo + (hi - lo) * frac))

    check()
    if _EVENTS is not None:
        with contextlib.suppress(Exception):
            _EVENTS.put_nowait(("start", me, label))
    return run_task(task, prog)


class Executor(Protocol):
    workers: int

    def run(self, tasks: list[SessionTask], reporter: Reporter) -> Generator[TaskResult, None, None]: ...


class InlineExecutor:
    """Runs tasks one after another in this process (``-j 1``)."""

    workers = 1
    local = True  # on this machine: a neural voice speaks first (generator.build.speakfirst)

    def run(self, tasks: list[SessionTask], reporter: Reporter) -> Generator[TaskResult, None, None]:
        me = worker_name()
        for t in tasks:
            check()
            label = task_label(t)
            reporter.started(me, label)

            def prog(stage: str, frac: float, label: str = label) -> None:
                lo, hi = STAGES.get(stage, (0.0, 1.0))
                reporter.progress(me, label, lo + (hi - lo) * frac)

            yield run_task(t, prog)


class LocalExecutor:
    """A process pool ("forkserver" or "spawn": speech engines are not fork-safe)."""

    local = True  # on this machine: a neural voice speaks first (generator.build.speakfirst)

    def __init__(self, jobs: int | None = None) -> None:
        self.workers = max(1, jobs or os.cpu_count() or 1)

    def run(self, tasks: list[SessionTask], reporter: Reporter) -> Generator[TaskResult, None, None]:
        if not tasks:
            return
        methods = multiprocessing.get_all_start_methods()
        ctx: Any
        if "forkserver" in methods:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["generator.build.task"])  # import once, fork workers from a clean server
        else:
            ctx = multiprocessing.get_context("spawn")
        start_mp_helpers(ctx)  # workers fork from them deaf to the terminal
        events, stop = ctx.Queue(), ctx.Event()
        n = min(self.workers, len(tasks))
        pool = ProcessPoolExecutor(n, mp_context=ctx, initializer=_init_worker, initargs=(events, stop))
        pending: dict[Future[TaskResult], SessionTask] = {}
        todo = iter(tasks)

        def submit(k: int) -> None:
            for t in _take(todo, k):
                with shielded():  # (spawn: workers start here)
                    pending[pool.submit(_pool_task, t)] = t

        try:
            submit(2 * n)
            while pending:
                check()
                done, _ = wait(pending, timeout=WAIT_S, return_when=FIRST_COMPLETED)
                _drain(events, reporter)
                check()  # (a SIGTERM to the process group may have ended workers too)
                submit(len(done))  # keep the workers busy while the results are recorded
                for f in done:
                    t = pending.pop(f)
                    exc = f.exception()
                    yield f.result() if exc is None else _failed(t, exc)
        except KeyboardInterrupt:
            # Sessions still running stop at their next safe point; those past it finish and
            # are handed on, so the caller records them (the next run does not build them again).
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)  # (cancels the tasks not started)
            for f in pending:
                if f.done() and not f.cancelled() and f.exception() is None:
                    yield f.result()
            raise
        finally:
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            _drain(events, reporter)
            events.close()


def _take(it: Iterator[SessionTask], n: int) -> list[SessionTask]:
    out: list[SessionTask] = []
    for t in it:
        out.append(t)
        if len(out) >= n:
            break
    return out


def _drain(events: Any, reporter: Reporter) -> None:
    while True:
        try:
            ev = events.get_nowait()
        except (queue.Empty, OSError, ValueError):
            return
        if ev[0] == "start":
            reporter.started(ev[1], ev[2])
        elif ev[0] == "progress":
            reporter.progress(ev[1], ev[2], ev[3])


def _failed(task: SessionTask, exc: BaseException) -> TaskResult:
    return TaskResult(task.key, task.folder, task.name, ok=False, error=f"{type(exc).__name__}: {exc}")


class DaskExecutor:
    """Runs the same tasks on an existing Dask distributed cluster (``dask://HOST:PORT``).

    Workers import relaxgen and read the templates, the cover and the synthesis
    cache at the same paths, and write into the same output folder: use a
    shared filesystem mounted at the same path everywhere.
    """

    local = False  # its workers, on other machines, speak for themselves

    def __init__(self, address: str) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise RelaxgenError("the Dask executor needs the optional extra: pip install 'relaxgen[dask]'") from None
        addr = address.removeprefix("dask://")
        self.address = addr if "://" in addr else f"tcp://{addr}"
        try:
            self.client = Client(self.address, timeout="20s")
        except (OSError, TimeoutError) as e:
            raise RelaxgenError(f"cannot reach the Dask scheduler at {self.address} ({e}); start it with "
                                "'dask scheduler' and check the address") from None
        self.workers = max(1, sum(int(w.get("nthreads", 1)) for w in
                                  self.client.scheduler_info().get("workers", {}).values()))

    def run(self, tasks: list[SessionTask], reporter: Reporter) -> Generator[TaskResult, None, None]:
        """Tasks stream to the cluster: at most two per worker thread are submitted at once
        (a course of 28,000 sessions never holds 28,000 futures)."""
        from distributed import wait as dask_wait

        pending: dict[Any, SessionTask] = {}
        todo = iter(tasks)

        def submit(k: int) -> None:
            for t in _take(todo, k):
                pending[self.client.submit(run_task, t, pure=False)] = t

        try:
            submit(2 * self.workers)
            while pending:
                check()
                try:
                    done = dask_wait(list(pending), timeout=WAIT_S, return_when="FIRST_COMPLETED").done
                except TimeoutError:
                    continue
                check()
                submit(len(done))
                for f in done:
                    t = pending.pop(f)
                    try:
                        res: TaskResult = f.result()
                    except Exception as e:  # a worker died or the task could not be unpickled
                        res = _failed(t, e)
                    yield res
        except KeyboardInterrupt:
            # as the local pool: sessions the cluster finished meanwhile are recorded
            self.client.cancel([f for f in pending if not f.done()])
            for f in pending:
                if f.status != "finished":
                    continue
                try:
                    finished: TaskResult = f.result(timeout=10)
                except Exception:  # the cluster went away meanwhile: built again next run
                    continue
                yield finished
            raise
        finally:
            self.client.cancel([f for f in pending if not f.done()])

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close()


def make_executor(spec: str, jobs: int | None) -> Executor:
    """``local`` (with ``jobs``) or ``dask://HOST:PORT``."""
    if spec.startswith(("dask://", "tcp://")):
        return DaskExecutor(spec)
    if spec != "local":
        raise RelaxgenError(f"unknown executor '{spec}'; use local or dask://HOST:PORT")
    j = jobs or os.cpu_count() or 1
    return InlineExecutor() if j == 1 else LocalExecutor(j)


# ---------------------------------------------------------------- the shared run


@dataclass
class Summary:
    built: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)  # {"output"|"row", "error"}
    seconds: float = 0.0
    interrupted: bool = False
    synthesized: int = 0
    cached: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed and not self.interrupted

    def to_dict(self) -> dict[str, Any]:
        return {"program": program_version(), "ok": self.ok, "interrupted": self.interrupted,
                "seconds": round(self.seconds, 2),
                "counts": {"built": len(self.built), "skipped": len(self.skipped), "failed": len(self.failed)},
                "clips": {"synthesized": self.synthesized, "cached": self.cached},
                "built": self.built, "skipped": self.skipped, "failed": self.failed}

    def write_json(self, path: str | Path) -> None:
        atomic_write_text(path, json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n")


def _record(res: TaskResult, t: SessionTask, state: BuildState, summ: Summary) -> None:
    """One session's result into its folder's build state and the summary."""
    if res.ok:
        state.put(res.name, Record(output_hash(t.static_hash, res.deps), t.static_hash, res.deps,
                                   res.files, res.size, res.track))
        summ.built.append(res.key)
        summ.synthesized += res.synthesized
        summ.cached += res.cached
    else:
        state.forget(res.name)
        summ.failed.append({"output": res.key, "error": res.error})


def _prune(plan: PackPlan, state: BuildState) -> None:
    """Forget (and delete) outputs this folder no longer plans, e.g. after a title change."""
    wanted = {t.name for t in plan.tasks}
    stale = [n for n in state.records if n not in wanted] if not plan.errors else []  # keep on doubt
    for name in stale:
        for f in [name, *state.records[name].files]:
            with contextlib.suppress(OSError):
                (plan.folder / f).unlink()
        state.forget(name)
    _sweep(plan.folder)


def _sweep(folder: Path) -> None:
    """Remove temp files in a pack folder and its chapter folders (the caller holds its lock)."""
    remove_stale_temps(folder)
    with contextlib.suppress(OSError):
        for sub in folder.iterdir():
            if sub.is_dir():
                remove_stale_temps(sub)


def _finish_pack(plan: PackPlan, state: BuildState, summ: Summary) -> None:
    """Write the pack's playlist, README and page; a failure there fails the pack, not the run.

    Skipped when the records, the plan and relaxgen's code are those the files were last
    written from and the files are as written then (rendering the page is most of the cost
    of checking an up-to-date pack)."""
    fields = {f.name: getattr(plan, f.name) for f in dataclasses.fields(plan) if f.name not in ("tasks", "errors")}
    key = digest({"records": state.outputs_sha, "plan": fields, "tasks": [t.name for t in plan.tasks],
                  "code": code_fingerprint()})
    if state.pack_files_current(key):
        return
    try:
        write_pack_files(plan, [state.records[t.name].track for t in plan.tasks if t.name in state.records])
        state.pack_files_written(key, pack_file_names())
    except RelaxgenError as e:
        summ.failed.append({"output": str(plan.folder), "error": f"pack files: {e}"})


def run_packs(plans: list[PackPlan], executor: Executor, force: bool = False,
              reporter: Reporter | None = None, summary: Summary | None = None) -> Summary:
    """Build every outdated session of ``plans``; record and finish each pack as it completes.

    The caller holds the output folder's lock (:func:`generator.build.lock.locked`). A stop
    signal (:mod:`generator.interrupts`) ends the run with :class:`~.interrupts.Interrupted`
    once the sessions that finished are recorded and no temp file is left.
    """
    with owned_signals():
        return _run_packs(plans, executor, force, reporter or NullReporter(), summary or Summary())


def _run_packs(plans: list[PackPlan], executor: Executor, force: bool, rep: Reporter, summ: Summary) -> Summary:
    t0 = time.monotonic()
    states: dict[Path, BuildState] = {}  # the packs with sessions to build (finished packs are let go)
    checker = DepChecker(plans[0].tasks[0].options.get("engine") if plans and plans[0].tasks else None)
    todo: list[SessionTask] = []
    remaining: dict[Path, int] = {}
    for p in plans:
        check()
        st = BuildState(p.folder)
        _prune(p, st)
        summ.failed += [{"output": str(p.folder), "error": f"{what}: {why}"} for what, why in p.errors]
        for t in p.tasks:
            if not force and st.up_to_date(t.name, t.static_hash, checker):
                summ.skipped.append(t.key)
            else:
                todo.append(t)
                remaining[p.folder] = remaining.get(p.folder, 0) + 1
        if p.folder in remaining:
            states[p.folder] = st
        else:
            _finish_pack(p, st, summ)
    by_folder = {p.folder: p for p in plans}
    tasks = {t.key: t for t in todo}
    rep.begin(len(todo) + len(summ.skipped), len(summ.skipped), executor.workers)
    try:
        for batch, spoken in speech_first(todo, executor, rep):  # (one batch but for a local neural run)
            # closed at once on any error, so its workers never outlive this loop
            with contextlib.closing(executor.run(batch, rep)) as results:
                for res in results:
                    t = tasks[res.key]
                    folder = Path(res.folder)
                    _record(res, t, states[folder], summ)
                    rep.finished(res, task_label(t))
                    remaining[folder] -= 1
                    if remaining[folder] == 0:
                        _finish_pack(by_folder[folder], states.pop(folder), summ)
            # the sessions found what was spoken for them first in the cache: spoken in this run
            summ.synthesized += spoken
            summ.cached = max(0, summ.cached - spoken)
    except KeyboardInterrupt:
        summ.interrupted = True
        for p in plans:  # what a stopped session (or a worker killed with it) left half-written
            _sweep(p.folder)
        raise
    finally:
        summ.seconds = time.monotonic() - t0
    return summ


# ---------------------------------------------------------------- courses


def listener_folders(table: ListenerTable) -> list[str]:
    """A safe, unique folder name per listener from its id and name."""
    names = [f"{x.id} {x.profile.name}".strip() for x in table.listeners]
    return unique_names([safe_filename(n) for n in names], "")


def plan_course(manifest: Manifest, table: ListenerTable, out: Path, settings: PackSettings,
                summary: Summary, write: bool = True) -> list[PackPlan]:
    """One pack plan per good listener; the CSV's bad rows go into ``summary.failed``
    (``write=False``: a dry run, nothing is created)."""
    for e in table.errors:
        summary.failed.append({"row": e.row, "id": e.id, "error": f"{table.path.name}: {e}"})
    plans = []
    for listener, folder in zip(table.listeners, listener_folders(table), strict=True):
        plans.append(plan_pack(manifest, listener.profile, out / folder, settings, label=folder, write=write))
    return plans


def _per_task_speech(settings: PackSettings, executor: Executor) -> PackSettings:
    """Several tasks at once: each speaks with one process (parallelism is across tasks)."""
    return dataclasses.replace(settings, synth_jobs=1) if executor.workers > 1 else settings


def build_course(manifest: Manifest, table: ListenerTable, out: str | Path, settings: PackSettings,
                 executor: Executor, force: bool = False, reporter: Reporter | None = None,
                 summary: Summary | None = None) -> Summary:
    """Build a course: one pack folder per listener under ``out``."""
    root = Path(out).resolve()
    summ = summary or Summary()
    settings = dataclasses.replace(_per_task_speech(settings, executor), reminders=True)
    with locked(root):
        plans = plan_course(manifest, table, root, settings, summ)
        return run_packs(plans, executor, force, reporter, summ)


def build_pack(manifest: Manifest, profile: Profile, out: str | Path, settings: PackSettings,
               executor: Executor, force: bool = False, reporter: Reporter | None = None) -> Summary:
    """Build one pack for one listener into the folder ``out``."""
    root = Path(out).resolve()
    settings = _per_task_speech(settings, executor)
    with locked(root):
        plan = plan_pack(manifest, profile, root, settings)
        return run_packs([plan], executor, force, reporter)
