"""Executors: where a batch's sessions run - in this process, a local process pool, or a Dask cluster.

Each takes the tasks to build and yields their results as they finish, reporting start
and progress to a :class:`Reporter`; :func:`generator.batch.course.run_packs` records them.
:func:`make_executor` picks one from ``--executor`` and ``-j``.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import time
from collections.abc import Generator, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Protocol

from ..errors import RelaxgenError
from ..interrupts import check, child_init, shielded, start_mp_helpers, watch
from ..policy import PROGRESS_STAGES as STAGES
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
    local = True  # on this machine: a neural voice speaks first (generator.batch.speakfirst)

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

    local = True  # on this machine: a neural voice speaks first (generator.batch.speakfirst)

    def __init__(self, jobs: int | None = None) -> None:
        self.workers = max(1, jobs or os.cpu_count() or 1)

    def run(self, tasks: list[SessionTask], reporter: Reporter) -> Generator[TaskResult, None, None]:
        if not tasks:
            return
        methods = multiprocessing.get_all_start_methods()
        ctx: Any
        if "forkserver" in methods:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["generator.batch.task"])  # import once, fork workers from a clean server
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
