"""How much parallel CPU this machine really gives: the same fixed CPU-bound loop in
one process, then in ``jobs`` processes at once.

On a VM two vCPUs may be hyperthreads of one core or shared with neighbours; then
two busy processes together do less than twice the work of one, and no course
built with ``-j 2`` can be faster than that ratio.  The course speed-up is read
against this figure (its *parallel efficiency*).

Also the CPU floor of a run (:func:`cpu_floor`): its CPU time over the cores it may use.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

LOOP = "x = 0\nfor i in range({n}): x += i\n"


def _run(procs: int, n: int) -> float:
    """Wall seconds for ``procs`` processes each running the loop (started together)."""
    t0 = time.perf_counter()
    ps = [subprocess.Popen([sys.executable, "-c", LOOP.format(n=n)]) for _ in range(procs)]
    for p in ps:
        p.wait()
    return time.perf_counter() - t0


def parallel_capacity(jobs: int, n: int = 20_000_000, repeat: int = 3) -> dict[str, Any]:
    """``capacity``: the throughput of ``jobs`` busy processes over that of one, the median
    of ``repeat`` interleaved pairs (one pair can be far off on a noisy VM: a neighbour
    slowing the single run gives more than ``jobs``)."""
    alone, together = [], []
    for _ in range(repeat):
        alone.append(_run(1, n))
        together.append(_run(jobs, n))
    ratios = sorted(jobs * a / t for a, t in zip(alone, together, strict=True))
    return {"jobs": jobs, "capacity": round(ratios[len(ratios) // 2], 3),
            "range": [round(ratios[0], 3), round(ratios[-1], 3)],
            "runs_alone_s": [round(x, 3) for x in alone], "runs_together_s": [round(x, 3) for x in together]}


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def cpu_floor(f: dict[str, Any], jobs: int | None = None) -> dict[str, Any]:
    """A run's time against its CPU floor: the CPU seconds of its whole process tree in the
    timed part, divided by the cores it may use (``jobs`` of them at most), is the least time
    it can take; ``ratio`` is the time over that (1.0: every core busy all the time)."""
    n = min(cores(), jobs or cores())
    floor = f["cpu_timed_s"] / n
    return {"cpu_s": f["cpu_timed_s"], "cores": n, "jobs": jobs, "floor_s": floor,
            "ratio": f["seconds"] / floor if floor > 0 else float("inf")}
