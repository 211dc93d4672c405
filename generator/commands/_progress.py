"""Progress display: a rich bar on a terminal, nothing when quiet or not a TTY."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

from ..policy import PROGRESS_STAGES as STAGES


@contextlib.contextmanager
def progress_bar(quiet: bool, label: str) -> Iterator[Callable[[str, float], None] | None]:
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeRemainingColumn(), transient=True) as p:
        task = p.add_task(label, total=1.0)

        def update(stage: str, frac: float) -> None:
            lo, hi = STAGES.get(stage, (0.0, 1.0))
            p.update(task, completed=lo + (hi - lo) * frac, description=f"{label} ({stage})")

        yield update
