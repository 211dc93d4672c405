"""Speech synthesis in worker processes, each owning one engine instance.

Speech engines can hang (a stuck audio driver, a voice that never returns) or
crash the interpreter (a native library). Every clip therefore runs in a
worker process with a deadline: a worker that misses it is killed and
replaced, a worker that dies is replaced, and the clip is tried once more in
a fresh worker; after that the build stops with an error naming the text.

Workers are started with ``forkserver`` (Linux) or ``spawn``, never a plain
fork: espeak-ng and the OS speech APIs are not fork-safe once initialised.
A worker's stdout and stderr go to the null device, so the drivers' chatter
never reaches the command line. Workers only run the engine
(:mod:`generator.tts.worker`, no numpy: a light process); this process checks,
resamples and trims each raw clip and stores it in the cache while the workers
speak the next ones - the same code as the in-process path, so results are
identical either way.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import shutil
import sys
import tempfile
import threading
import time
import types
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from ..audio.clips import process_engine_output
from ..errors import RelaxgenError, SynthesisError, VoiceError
from ..interrupts import check, shielded, start_mp_helpers
from ..model import ClipRequest
from .base import Engine
from .cache import ClipCache
from .worker import worker_main

DEFAULT_TIMEOUT_S = 60.0  # per clip, plus PER_CHAR_S for each character of text
PER_CHAR_S = 0.1
STARTUP_TIMEOUT_S = 60.0  # a new worker must import and build its engine within this
RECYCLE_AFTER = 400  # clips per worker before it is replaced (bounds slow leaks in engines)
ATTEMPTS = 2
WAIT_S = 0.1  # the longest wait for a worker before the next check for a stop request


def clip_timeout(base_s: float, text: str) -> float:
    """The deadline for one clip: the base, scaled with the length of the text."""
    return base_s + PER_CHAR_S * len(text)


@dataclass(frozen=True)
class Task:
    id: int
    req: ClipRequest
    key: str


def render_clip(engine: Engine, req: ClipRequest, key: str, cache: ClipCache, tmp: Path) -> tuple[Path, int]:
    """Speak one clip, check and process it, store it in the cache: (path, frames)."""
    try:
        engine.synthesize(req, tmp)
        samples = process_engine_output(tmp, req.text)
    finally:
        tmp.unlink(missing_ok=True)
    return cache.put(key, samples)


def _context() -> Any:
    if sys.platform.startswith("linux") and "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        # The fork server imports the (numpy-free) worker module once; workers fork from it.
        ctx.set_forkserver_preload([worker_main.__module__])
        return ctx
    return mp.get_context("spawn")


def mp_helpers() -> tuple[int | None, int | None]:
    """Process ids of multiprocessing's fork server and resource tracker (None: not running)."""
    from multiprocessing import forkserver, resource_tracker

    return (getattr(getattr(forkserver, "_forkserver", None), "_forkserver_pid", None),
            getattr(getattr(resource_tracker, "_resource_tracker", None), "_pid", None))


def stop_mp_helpers(before: tuple[int | None, int | None]) -> None:
    """Stop the fork server and the resource tracker if they were started after ``before``
    (a :func:`mp_helpers` taken then) and no worker of ours runs: a build's speech needed
    them, its mix and encode do not (about 28 MB; they start again when needed). Our
    workers hold no semaphores or shared memory, so the tracker has nothing to clean up."""
    from multiprocessing import forkserver, resource_tracker

    now = mp_helpers()
    with contextlib.suppress(Exception):  # private hooks (Python 3.8+): at worst both keep running
        if now[0] is not None and before[0] is None:
            forkserver._forkserver._stop()  # type: ignore[attr-defined]
        if now[1] is not None and before[1] is None:
            resource_tracker._resource_tracker._stop()  # type: ignore[attr-defined]


_START_LOCK = threading.Lock()


@contextlib.contextmanager
def _without_main() -> Iterator[None]:
    """Start workers without re-running the caller's main script in them.

    ``spawn`` and ``forkserver`` re-import ``__main__`` in each child, which breaks
    (or re-runs) a user's script that lacks an ``if __name__ == "__main__"`` guard.
    Workers need nothing from it (their target and engines are named by module),
    so a bare module stands in for ``__main__`` while a worker starts.
    """
    with _START_LOCK:
        real = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            if real is not None:
                sys.modules["__main__"] = real


class _Worker:
    def __init__(self, ctx: Any, spec: str, threads: int = 1) -> None:
        parent, child = ctx.Pipe(duplex=True)
        self.conn: Connection = parent
        self.proc = ctx.Process(target=worker_main, args=(child, spec, threads), daemon=True,
                                name="relaxgen-tts")
        start_mp_helpers(ctx)  # (again: they are stopped after each build's speech)
        with _without_main(), shielded():  # the worker starts deaf to the terminal
            self.proc.start()
        child.close()
        self.ready = False
        self.done = 0
        self.task: Task | None = None
        self.attempt = 0
        self.deadline = time.monotonic() + STARTUP_TIMEOUT_S

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.proc.kill()
        with contextlib.suppress(Exception):
            self.proc.join(5)
        with contextlib.suppress(Exception):
            self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.send(None)
        with contextlib.suppress(Exception):
            self.proc.join(2)
        if self.proc.is_alive():
            self.kill()
        with contextlib.suppress(Exception):
            self.conn.close()


OnDone = Callable[[Task, Path, int], None]
PostFn = Callable[[Task, Path], tuple[Path, int]]  # raw engine WAV -> (cached clip, frames)


class WorkerPool:
    """Up to ``jobs`` workers for one engine, each giving a multithreaded engine ``threads``
    threads; :meth:`run` speaks a batch of tasks."""

    def __init__(self, engine_name: str, spec: str, post: PostFn, jobs: int,
                 timeout_s: float = DEFAULT_TIMEOUT_S, threads: int = 1) -> None:
        self.engine_name = engine_name
        self.spec = spec
        self.post = post
        self.jobs = max(1, jobs)
        self.threads = max(1, threads)
        self.timeout_s = timeout_s
        self._ctx = _context()
        self._idle: list[_Worker] = []
        self._tmp: Path | None = None  # where workers write raw clips
        self.started = 0  # workers started so far (tests read it)

    def _take_idle(self) -> _Worker:
        while self._idle:
            w = self._idle.pop()
            if w.proc.is_alive():
                return w
            w.kill()
        self.started += 1
        return _Worker(self._ctx, self.spec, self.threads)

    def _raw_path(self, task: Task) -> Path:
        if self._tmp is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="relaxgen-tts-"))
        return self._tmp / f"clip{task.id}.wav"

    def run(self, tasks: Sequence[Task], on_done: OnDone) -> None:
        """Speak every task; raise SynthesisError/VoiceError when one fails twice or fatally.

        Raw clips are post-processed here (``post``) right after the next tasks went out,
        so this process works while the workers speak.
        """
        pending: deque[tuple[Task, int]] = deque((t, 1) for t in tasks)
        busy: list[_Worker] = []
        spoken: list[tuple[Task, int, Path]] = []
        # the first failure stops new work, but what the other workers are speaking is
        # finished and stored (a rerun need not speak it again); then it is raised
        failure: RelaxgenError | None = None
        try:
            while (pending and failure is None) or busy or spoken:
                while failure is None and pending and len(busy) < self.jobs:
                    task, attempt = pending.popleft()
                    w = self._take_idle()
                    w.task, w.attempt = task, attempt
                    if w.ready:
                        w.deadline = time.monotonic() + clip_timeout(self.timeout_s, task.req.text)
                    try:
                        w.conn.send((task.id, task.req, str(self._raw_path(task))))
                    except OSError:
                        pass  # a dead worker: noticed below through its sentinel
                    busy.append(w)
                if spoken:
                    task, attempt, raw = spoken.pop(0)
                    try:
                        path, frames = self.post(task, raw)
                    except SynthesisError as e:
                        if attempt >= ATTEMPTS:
                            failure = failure or SynthesisError(f"{e} (tried {ATTEMPTS} times)")
                        elif failure is None:
                            pending.appendleft((task, attempt + 1))
                    else:
                        on_done(task, path, frames)
                    finally:
                        raw.unlink(missing_ok=True)
                    continue
                if not busy:
                    continue
                check()
                now = time.monotonic()
                limit = min(WAIT_S, max(0.0, min(w.deadline for w in busy) - now))
                handles: list[Any] = [w.conn for w in busy] + [w.proc.sentinel for w in busy]
                ready = set(wait(handles, timeout=limit))
                for w in list(busy):
                    outcome = self._check(w, ready)
                    if outcome is None:
                        continue
                    busy.remove(w)
                    done_task, attempt = w.task, w.attempt
                    assert done_task is not None
                    task, w.task = done_task, None
                    if outcome[0] == "ok":
                        w.done += 1
                        if w.done >= RECYCLE_AFTER:
                            w.stop()
                        else:
                            self._idle.append(w)
                        spoken.append((task, attempt, Path(outcome[1])))
                        continue
                    kind, detail = outcome
                    if kind == "fatal":
                        failure = failure or _fatal(detail)
                        continue
                    if kind == "retry":
                        self._idle.append(w)
                    if failure is not None:
                        continue
                    if attempt < ATTEMPTS:
                        pending.appendleft((task, attempt + 1))
                    else:
                        failure = SynthesisError(self._give_up(task, kind, detail))
            if failure is not None:
                raise failure
        except BaseException:
            for w in busy:
                w.kill()
            self.close()
            raise

    def _check(self, w: _Worker, ready: set[Any]) -> tuple[Any, ...] | None:
        """None while the worker is still busy; else ('ok', path, frames) or (kind, detail)."""
        if w.conn in ready:
            while True:
                try:
                    status, _, name, text = w.conn.recv()
                except (EOFError, OSError):
                    return self._dead(w)
                if status == "ready":
                    w.ready = True
                    assert w.task is not None
                    w.deadline = time.monotonic() + clip_timeout(self.timeout_s, w.task.req.text)
                    if w.conn.poll():
                        continue
                    return None
                if status == "ok":
                    return ("ok", name, text)
                if status == "fatal":
                    w.stop()
                    return ("fatal", (name, text))
                return ("retry", str(text))
        if w.proc.sentinel in ready or not w.proc.is_alive():
            return self._dead(w)
        if time.monotonic() >= w.deadline:
            w.kill()
            return ("hung", "speak" if w.ready else "start")
        return None

    @staticmethod
    def _dead(w: _Worker) -> tuple[str, str]:
        w.proc.join(1)
        code = w.proc.exitcode
        w.kill()
        return ("crashed", f"exit code {code}" if code is not None else "no exit code")

    def _give_up(self, task: Task, kind: str, detail: str) -> str:
        text = task.req.text if len(task.req.text) <= 120 else task.req.text[:117] + "..."
        eng = f"the {self.engine_name} speech engine"
        if kind == "hung":
            limit = STARTUP_TIMEOUT_S if detail == "start" else clip_timeout(self.timeout_s, task.req.text)
            return (
                f"{eng} did not {'start' if detail == 'start' else 'finish'} within {limit:.0f} s "
                f"while speaking {text!r} (tried {ATTEMPTS} times, each in a fresh worker). "
                "The engine seems hung: try another voice, shorten the sentence, or raise the limit "
                "with RELAXGEN_TTS_TIMEOUT=<seconds>"
            )
        if kind == "crashed":
            return (
                f"{eng} crashed ({detail}) while speaking {text!r} (tried {ATTEMPTS} times, each in "
                "a fresh worker). Try another voice or check the engine's installation "
                "(relaxgen voices)"
            )
        return f"{detail} (tried {ATTEMPTS} times)"

    def close(self) -> None:
        """Stop every idle worker (busy ones are killed by :meth:`run` on errors)."""
        idle, self._idle = self._idle, []
        for w in idle:
            w.stop()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


def _fatal(detail: tuple[str, str]) -> RelaxgenError:
    name, message = detail
    if name == "VoiceError":
        return VoiceError(message)
    return SynthesisError(message)
