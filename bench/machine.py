"""How much parallel CPU this machine really gives: the same fixed CPU-bound loop in
one process, then in ``jobs`` processes at once.

On a VM two vCPUs may be hyperthreads of one core or shared with neighbours; then
two busy processes together do less than twice the work of one, and no course
built with ``-j 2`` can be faster than that ratio.  The course speed-up is read
against this figure (its *parallel efficiency*).
"""

from __future__ import annotations

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


def parallel_capacity(jobs: int, n: int = 20_000_000, repeat: int = 2) -> dict[str, Any]:
    """``capacity``: the throughput of ``jobs`` busy processes over that of one (best of
    ``repeat`` for each, interleaved)."""
    alone, together = [], []
    for _ in range(repeat):
        alone.append(_run(1, n))
        together.append(_run(jobs, n))
    a, t = min(alone), min(together)
    return {"jobs": jobs, "alone_s": round(a, 3), "together_s": round(t, 3), "capacity": round(jobs * a / t, 3),
            "runs_alone_s": [round(x, 3) for x in alone], "runs_together_s": [round(x, 3) for x in together]}
