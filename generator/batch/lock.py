"""The output folder's lock: two builds never write into one folder at once."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from ..errors import BuildLockedError, FileOperationError

LOCK_NAME = ".relaxgen.lock"


class BuildLock:
    """An exclusive lock on an output folder (``.relaxgen.lock``), released on exit or death.

    Uses ``flock`` (POSIX) or ``msvcrt.locking`` (Windows): the OS drops the
    lock when the process dies, even by SIGKILL, so a killed build never
    blocks the next one.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self._fh: TextIO | None = None

    def acquire(self) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fh = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the build
        except OSError as e:
            raise FileOperationError(self.path, e.strerror or str(e)) from None
        if not _try_lock(fh):
            fh.seek(0)
            owner = fh.read().strip() or "unknown"
            fh.close()
            raise BuildLockedError(
                f"{self.folder}: another relaxgen build ({owner}) is writing into this folder; "
                "wait for it to finish (or stop it) and run again, or choose another output folder")
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            with contextlib.suppress(OSError):
                self._fh.close()
            self._fh = None

    def __enter__(self) -> BuildLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _try_lock(fh: TextIO) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
            return True
        except OSError:
            return False
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


@contextlib.contextmanager
def locked(folder: str | Path) -> Iterator[BuildLock]:
    lock = BuildLock(folder)
    with lock:
        yield lock
