"""Ctrl-C that waits for a short, all-or-nothing step (recording a finished session).

A session whose MP3 is already in place is worth finishing: its sidecars and its
record in the build state take milliseconds, and without them the next run would
build it again. :func:`held_interrupt` makes a SIGINT inside the block only note
itself; the caller then stops when the step is done.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass
class Held:
    interrupted: bool = False


@contextlib.contextmanager
def held_interrupt(when: Callable[[], bool] | None = None, otherwise: Any = None) -> Iterator[Held]:
    """Hold Ctrl-C while in the block, or only at moments when ``when()`` is true (at
    others it acts at once: as the handler that was in place, or as ``otherwise``): a held
    one just sets ``Held.interrupted``, and the caller stops in its own time. Signal
    handlers belong to the main thread: elsewhere the block runs as it is."""
    held = Held()
    if threading.current_thread() is not threading.main_thread():
        yield held
        return

    def note(signum: int, frame: Any) -> None:
        act = otherwise if otherwise is not None else old
        if when is None or when():
            held.interrupted = True
        elif callable(act):
            act(signum, frame)  # usually signal.default_int_handler: KeyboardInterrupt
        elif act == signal.SIG_DFL:
            raise KeyboardInterrupt

    old = signal.signal(signal.SIGINT, note)
    try:
        yield held
    finally:
        signal.signal(signal.SIGINT, old)
