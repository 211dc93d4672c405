"""Run one measured task in a fresh interpreter and sample the RSS of its whole process tree.

Every measured build runs as ``python -m bench.one TASK.json RESULT.json`` so
nothing is shared between measurements (imports, caches, the heap). While it
runs, the parent sums the resident set size of the child and all its
descendants (the ffmpeg encoder included) every ``interval`` seconds; the
peak of that sum is the figure reported. The child also reports its own
``ru_maxrss`` and that of its largest waited-for child as a cross-check.
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


@dataclass(frozen=True)
class Measured:
    result: dict[str, Any]  # what the task reported (its own timings)
    wall_s: float  # the whole subprocess, interpreter start-up included
    peak_tree_rss: int  # bytes: max over samples of the sum over the process tree
    peak_self_rss: int  # bytes: the Python process alone (sampled)
    samples: int

    @property
    def peak_tree_mb(self) -> float:
        return self.peak_tree_rss / MB


def tree_rss(proc: psutil.Process) -> tuple[int, int]:
    """(sum of RSS over ``proc`` and its descendants, RSS of ``proc``) in bytes."""
    try:
        own = proc.memory_info().rss
        kids = proc.children(recursive=True)
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return 0, 0
    total = own
    for k in kids:
        try:
            total += k.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            pass
    return total, own


class TaskFailed(RuntimeError):
    pass


def run_task(task: dict[str, Any], interval: float = 0.05, timeout: float = 3600.0) -> Measured:
    """Run ``task`` (see :mod:`bench.one`) in a fresh process; sample its tree's RSS."""
    with tempfile.TemporaryDirectory(prefix="relaxgen-bench-task-") as d:
        spec = Path(d) / "task.json"
        out = Path(d) / "result.json"
        err = Path(d) / "stderr.txt"
        spec.write_text(json.dumps(task), encoding="utf-8")
        env = dict(os.environ)
        env.setdefault("PYTHONUNBUFFERED", "1")
        cwd = Path(__file__).resolve().parent.parent
        t0 = time.perf_counter()
        with err.open("wb") as ef:
            popen = subprocess.Popen(
                [sys.executable, "-m", "bench.one", str(spec), str(out)],
                stdout=subprocess.DEVNULL, stderr=ef, cwd=cwd, env=env,
            )
            proc = psutil.Process(popen.pid)
            peak = peak_self = samples = 0
            deadline = t0 + timeout
            while popen.poll() is None:
                total, own = tree_rss(proc)
                peak = max(peak, total)
                peak_self = max(peak_self, own)
                samples += 1
                if time.perf_counter() > deadline:
                    popen.kill()
                    popen.wait()
                    raise TaskFailed(f"task {task.get('kind')} timed out after {timeout:.0f} s")
                time.sleep(interval)
            wall = time.perf_counter() - t0
        if popen.returncode != 0 or not out.is_file():
            tail = err.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-15:]
            raise TaskFailed(
                f"task {task.get('kind')} failed (exit {popen.returncode}):\n" + "\n".join(tail)
            )
        result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return Measured(result, wall, peak, peak_self, samples)


def run_inline(task: dict[str, Any], interval: float = 0.05) -> Measured:
    """Run ``task`` in this process (smoke runs): the same result, RSS sampled from a thread."""
    import threading

    from . import one

    proc = psutil.Process()
    peak = [0, 0, 0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            total, own = tree_rss(proc)
            peak[0] = max(peak[0], total)
            peak[1] = max(peak[1], own)
            peak[2] += 1
            stop.wait(interval)

    th = threading.Thread(target=sample, daemon=True)
    t0 = time.perf_counter()
    th.start()
    try:
        result = one.run(task)
    finally:
        stop.set()
        th.join()
    return Measured(result, time.perf_counter() - t0, peak[0], peak[1], peak[2])
