"""Stopping: one owner of the stop signals, and children the terminal cannot reach.

Ctrl-C (SIGINT), SIGTERM (``timeout``, systemd, Docker, Kubernetes, batch schedulers, Dask)
and SIGHUP (the terminal closed) all mean "stop cleanly": remove what is half-written, keep
and record what is finished, exit ``128 + signal`` with one line.

**The handler never raises.** While :func:`owned_signals` is in force (the command line
installs it around every command; :func:`generator.api.build_session` and
:func:`generator.batch.course.run_packs` do too, for library callers) a stop signal only records
the request. The work asks :func:`check` at its safe points - each mix block, each clip,
each session, each wait (at most 0.2 s) - and that raises
:class:`Interrupted` there. An asynchronous ``KeyboardInterrupt`` can land anywhere,
including inside a finaliser (``__del__``) where Python swallows it, or between two steps
that belong together; a request that is checked for cannot be lost, and a step between two
checks always completes. A second signal while stopping ends the process at once (children
killed first, one line, no traceback).

**Children never see the terminal's signals.** The terminal sends Ctrl-C to its whole
foreground process group. ffmpeg runs in a process group of its own (:func:`popen`,
:func:`run`); Python helpers (the fork server, the resource tracker, speech workers, pool
workers) start with the stop signals blocked (:func:`start_mp_helpers`, :func:`shielded`)
and ignore SIGINT and SIGHUP (:func:`child_init`). relaxgen stops its children itself, so
"an encoder died" and "the user pressed Ctrl-C" cannot race. Pool workers stop
through a shared event instead (:func:`watch`), checked by the same :func:`check`.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import weakref
from collections.abc import Iterator
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_SIGNAL_NAMES: dict[int, str] = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM", signal.SIGHUP: "SIGHUP"}


class Interrupted(KeyboardInterrupt):
    """A stop signal was received and noticed at a safe point. A ``KeyboardInterrupt``, so
    every ``try/finally`` and ``except KeyboardInterrupt`` cleans up as for Ctrl-C."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def what(self) -> str:
        return _SIGNAL_NAMES.get(self.signum, f"signal {self.signum}")


_requested: int | None = None  # the first stop signal of this run of owned_signals
_owners = 0  # nesting depth of owned_signals (main thread only)
_event: Any = None  # a pool worker: its parent's stop event (multiprocessing.Event)
_child = False  # a child whose parent owns the stop signals (child_init)
_children: weakref.WeakSet[subprocess.Popen[bytes]] = weakref.WeakSet()


def requested() -> int | None:
    """The stop signal asked for, if any (a pool worker: SIGINT once its parent stops it)."""
    if _requested is not None:
        return _requested
    if _event is not None and _event.is_set():
        return signal.SIGINT
    return None


def check() -> None:
    """A safe point: raise :class:`Interrupted` if a stop was asked for."""
    signum = requested()
    if signum is not None:
        raise Interrupted(signum)


def request(signum: int) -> None:
    """Ask for a stop as if ``signum`` had arrived (e.g. when a child was killed by it)."""
    global _requested
    if _requested is None:
        _requested = signum


def _handler(signum: int, frame: Any) -> None:
    if _requested is None:
        request(signum)
        return
    _end_now(signum)


def _end_now(signum: int) -> None:
    """A second stop signal while stopping: kill the children and exit at once."""
    for p in list(_children):
        with contextlib.suppress(OSError):
            os.killpg(p.pid, signal.SIGKILL)
    for c in multiprocessing.active_children():
        with contextlib.suppress(Exception):
            c.kill()
    with contextlib.suppress(Exception):
        sys.stderr.write("Interrupted again: stopped at once. Run the same command again to resume.\n")
        sys.stderr.flush()
    os._exit(128 + signum)


@contextlib.contextmanager
def owned_signals() -> Iterator[None]:
    """Own SIGINT, SIGTERM and SIGHUP while in the block: they only record a stop request
    (see :func:`check`). Re-entrant; a no-op outside the main thread, where Python cannot
    handle signals. When the outermost block ends with a request pending, it raises
    :class:`Interrupted`: after the last safe point the work is done, but the caller asked
    to stop; and an error raised while stopping (a tool that the same signal reached) is
    the stop, not an error. A child that :func:`child_init` made deaf stays so."""
    global _owners, _requested
    if _child or threading.current_thread() is not threading.main_thread():
        yield
        return
    old: dict[int, Any] = {}
    if _owners == 0:
        _requested = None
        old = {s: signal.signal(s, _handler) for s in STOP_SIGNALS}
    _owners += 1

    def leave() -> int | None:
        global _owners, _requested
        _owners -= 1
        if _owners:
            return None
        for s, h in old.items():
            signal.signal(s, h if h is not None else signal.SIG_DFL)
        late, _requested = _requested, None
        return late

    try:
        yield
    except Exception as e:
        late = leave()
        if late is not None:
            raise Interrupted(late) from e
        raise
    except BaseException:
        leave()
        raise
    late = leave()
    if late is not None:
        raise Interrupted(late)


def watch(event: Any) -> None:
    """In a pool worker: :func:`check` also stops when the parent sets ``event``."""
    global _event
    _event = event


# ---------------------------------------------------------------- children


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Block the stop signals in this thread while in the block: processes started here
    inherit the block, so they start deaf to the terminal (a signal for this process
    waits until the block ends; none is lost)."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def start_mp_helpers(ctx: Any) -> None:
    """Start multiprocessing's resource tracker and (for ``forkserver``) its fork server
    with the stop signals blocked, so every process forked from them starts so too.
    (The tracker unblocks SIGINT and SIGTERM when it has started: hence two blocks.)"""
    from multiprocessing import resource_tracker

    with shielded():
        resource_tracker.ensure_running()
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        with shielded():
            forkserver.ensure_running()


def child_init() -> None:
    """First thing in a Python child: ignore Ctrl-C and SIGHUP (the parent stops it), keep
    SIGTERM's default (a group-wide SIGTERM stops the parent too), then unblock."""
    global _child
    _child = True
    with contextlib.suppress(ValueError, OSError, AttributeError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def popen(cmd: list[str], **kw: Any) -> subprocess.Popen[bytes]:
    """``subprocess.Popen`` in a process group of its own (no Ctrl-C from the terminal),
    remembered so that a second stop signal can kill it."""
    p: subprocess.Popen[bytes] = subprocess.Popen(cmd, process_group=0, **kw)
    _children.add(p)
    return p


def run(cmd: list[str], timeout: float) -> subprocess.CompletedProcess[bytes]:
    """``subprocess.run(cmd, capture_output=True)`` through :func:`popen`; the child is
    killed if this raises (a timeout, a second signal's exit aside)."""
    with popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as p:
        try:
            out, err = p.communicate(timeout=timeout)
        except BaseException:
            p.kill()
            p.wait()
            raise
    return subprocess.CompletedProcess(cmd, p.returncode if p.returncode is not None else -1, out, err)
