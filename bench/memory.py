"""Run one measured task in a fresh interpreter and sample the memory of its whole process tree.

Every measured build runs as ``python -m bench.one TASK.json RESULT.json`` so
nothing is shared between measurements (imports, caches, the heap). While it
runs, the parent samples the child and all its descendants (the ffmpeg
encoder, speech workers, fork server included) every ``interval`` seconds: the
sum of their resident set sizes (RSS) and the sum of their proportional set
sizes (PSS: a page shared by n processes counts 1/n in each, so the sum is
what the tree really occupies; the sum of RSS counts shared libraries and
copy-on-write pages once per process). The peaks of both sums are reported;
PSS is the figure the memory targets of the neural voice are stated in.

The CPU time of the whole tree (user + system, interpreter start-up included)
is the rusage of every process in it when it is reaped. A process's rusage
covers the descendants it waited for, but not those it left behind: a
course's pool workers end while their own fork servers (and the speech
workers those waited for) still run. So on Linux the parent makes itself the
reaper of the task's orphans while it runs (``PR_SET_CHILD_SUBREAPER``) and
reaps them too; elsewhere the figure may miss such processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

MB = 1024 * 1024
PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h
ORPHANS_WAIT_S = 10.0  # how long a task's orphans get to end after it (a fork server ends at once)


@dataclass(frozen=True)
class Measured:
    result: dict[str, Any]  # what the task reported (its own timings)
    wall_s: float  # the whole subprocess, interpreter start-up included
    peak_tree_rss: int  # bytes: max over samples of the sum of RSS over the process tree
    peak_self_rss: int  # bytes: the Python process alone (sampled)
    samples: int
    peak_tree_pss: int = 0  # bytes: max over samples of the sum of PSS over the process tree
    cpu_tree_s: float = 0.0  # user + system seconds of the whole tree (0: not measured, inline runs)

    @property
    def peak_tree_mb(self) -> float:
        return self.peak_tree_rss / MB

    @property
    def peak_pss_mb(self) -> float:
        return self.peak_tree_pss / MB

    @property
    def cpu_timed_s(self) -> float:
        """CPU seconds of the tree in the task's timed part: the whole tree's less what the task
        spent before it (start-up, imports, test data). 0 when the tree was not measured."""
        return max(0.0, self.cpu_tree_s - float(self.result.get("cpu_start_s", 0.0))) if self.cpu_tree_s else 0.0


def tree_rss(proc: psutil.Process, orphans: tuple[psutil.Process, ...] = ()) -> tuple[int, int, int]:
    """(sum of RSS over ``proc``, its descendants and ``orphans`` with theirs, RSS of ``proc``,
    sum of PSS over them) in bytes. A process that ends between the listing and its reading
    counts 0."""
    procs: list[psutil.Process] = []
    for root in (proc, *orphans):
        try:
            procs += [root, *root.children(recursive=True)]
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    total = own = pss = 0
    for p in procs:
        try:
            m = p.memory_full_info()  # /proc/PID/smaps_rollup: about 0.1 ms a process
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        total += m.rss
        pss += m.pss
        if p is proc:
            own = m.rss
    return total, own, pss


class _Peaks:
    def __init__(self) -> None:
        self.tree = self.own = self.pss = self.samples = 0

    def sample(self, proc: psutil.Process, orphans: tuple[psutil.Process, ...] = ()) -> None:
        total, own, pss = tree_rss(proc, orphans)
        self.tree, self.own, self.pss = max(self.tree, total), max(self.own, own), max(self.pss, pss)
        self.samples += 1


class TaskFailed(RuntimeError):
    pass


def _subreaper(on: bool) -> bool:
    """Make this process the reaper of its descendants' orphans (Linux), or stop; True if done."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        return int(ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _orphans(me: psutil.Process, before: set[int], task: int) -> tuple[psutil.Process, ...]:
    """The task's orphans: this process's children that are neither the task nor older."""
    try:
        return tuple(c for c in me.children() if c.pid not in before and c.pid != task)
    except psutil.Error:
        return ()


def _reap(pids: set[int]) -> float:
    """Wait (briefly) for the given children to end; the CPU seconds of those reaped."""
    cpu, left = 0.0, set(pids)
    deadline = time.monotonic() + ORPHANS_WAIT_S
    while left and time.monotonic() < deadline:
        for pid in list(left):
            try:
                done, _, usage = os.wait4(pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere: nothing to add
                left.discard(pid)
                continue
            if done:
                cpu += usage.ru_utime + usage.ru_stime
                left.discard(pid)
        if left:
            time.sleep(0.02)
    return cpu


def run_task(task: dict[str, Any], interval: float = 0.05, timeout: float = 3600.0) -> Measured:
    """Run ``task`` (see :mod:`bench.one`) in a fresh process; sample its tree's memory."""
    with tempfile.TemporaryDirectory(prefix="relaxgen-bench-task-") as d:
        spec = Path(d) / "task.json"
        out = Path(d) / "result.json"
        err = Path(d) / "stderr.txt"
        spec.write_text(json.dumps(task), encoding="utf-8")
        env = dict(os.environ)
        env.setdefault("PYTHONUNBUFFERED", "1")
        cwd = Path(__file__).resolve().parent.parent
        me = psutil.Process()
        before = {c.pid for c in me.children()}
        reaper = _subreaper(True)
        t0 = time.perf_counter()
        try:
            with err.open("wb") as ef:
                popen = subprocess.Popen(
                    [sys.executable, "-m", "bench.one", str(spec), str(out)],
                    stdout=subprocess.DEVNULL, stderr=ef, cwd=cwd, env=env,
                )
                proc = psutil.Process(popen.pid)
                peaks = _Peaks()
                deadline = t0 + timeout
                while True:
                    pid, status, usage = os.wait4(popen.pid, os.WNOHANG)
                    if pid:
                        popen.returncode = os.waitstatus_to_exitcode(status)
                        break
                    peaks.sample(proc, _orphans(me, before, popen.pid))
                    if time.perf_counter() > deadline:
                        popen.kill()
                        popen.wait()
                        raise TaskFailed(f"task {task.get('kind')} timed out after {timeout:.0f} s")
                    time.sleep(interval)
                wall = time.perf_counter() - t0
                cpu = usage.ru_utime + usage.ru_stime
                if reaper:
                    cpu += _reap({p.pid for p in _orphans(me, before, popen.pid)})
        finally:
            if reaper:
                _subreaper(False)
        if popen.returncode != 0 or not out.is_file():
            tail = err.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-15:]
            raise TaskFailed(
                f"task {task.get('kind')} failed (exit {popen.returncode}):\n" + "\n".join(tail)
            )
        result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return Measured(result, wall, peaks.tree, peaks.own, peaks.samples, peaks.pss, cpu)


def run_inline(task: dict[str, Any], interval: float = 0.05) -> Measured:
    """Run ``task`` in this process (smoke runs): the same result, memory sampled from a thread."""
    import threading

    from . import one

    proc = psutil.Process()
    peaks = _Peaks()
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peaks.sample(proc)
            stop.wait(interval)

    th = threading.Thread(target=sample, daemon=True)
    t0 = time.perf_counter()
    th.start()
    try:
        result = one.run(task)
    finally:
        stop.set()
        th.join()
    return Measured(result, time.perf_counter() - t0, peaks.tree, peaks.own, peaks.samples, peaks.pss)
