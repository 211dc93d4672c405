"""The speech worker process: one engine instance speaking raw clips on request.

Kept free of numpy and the audio code on purpose: workers fork from a fork server
that preloads only this module, so each worker costs the interpreter and its
engine (about 20 MB with espeak-ng), not numpy and SciPy (another 100 MB each).
The parent checks, resamples and trims what a worker wrote
(:func:`generator.audio.clips.process_engine_output`) and stores it in the cache.
"""

from __future__ import annotations

import contextlib
import os
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ..errors import RelaxgenError, SynthesisError
from ..interrupts import child_init
from .base import engine_from_spec, use_threads


def _quiet_fds() -> None:
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        with contextlib.suppress(OSError):
            os.dup2(null, fd)
    os.close(null)


def worker_main(conn: Connection, spec: str, threads: int = 1) -> None:
    """Build the engine (a multithreaded one with ``threads`` threads), say ready, then speak
    ``(task_id, request, wav_path)`` until told to stop.

    Replies ``("ok", id, path, "")`` when the engine wrote ``path``, ``("retry", id, kind,
    message)`` for a failure worth another try, ``("fatal", id, kind, message)`` otherwise.
    """
    child_init()  # the parent owns the stop signals and stops its workers
    _quiet_fds()
    try:
        engine = engine_from_spec(spec)
        use_threads(engine, threads)
    except Exception as e:  # reported as an error for the first clip
        conn.send(("fatal", -1, type(e).__name__, str(e)))
        return
    conn.send(("ready", -1, "", ""))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            break
        if msg is None:
            break
        task_id, req, out = msg
        try:
            engine.synthesize(req, Path(out))
            reply: tuple[Any, ...] = ("ok", task_id, out, "")
        except SynthesisError as e:
            reply = ("retry", task_id, type(e).__name__, str(e))
        except RelaxgenError as e:
            reply = ("fatal", task_id, type(e).__name__, str(e))
        except Exception as e:  # an engine library's own exception: worth one more try
            reply = ("retry", task_id, type(e).__name__, f"{type(e).__name__}: {e}")
        conn.send(reply)
