"""Claims on the clips being spoken, shared by every process that uses one cache.

Two course workers that need the same sentence at the same moment would both
speak it. Before speaking a missing clip a process claims its key: a file
created exclusively in the cache's ``claims/`` folder, holding the host and
process id. Another process that needs the clip waits for it instead, and
takes the claim over when its process has died (same host) or the claim is
older than ``STALE_S`` (another host, e.g. a Dask worker on a shared cache).
Threads of one process (a Dask worker runs several tasks at once) wait for each
other the same way: the process keeps the claims it holds, so a claim with its
own process id is stale only when none of its threads holds it (left behind by
an earlier error). Where claims cannot be written (a read-only cache), every
process just speaks.
"""

from __future__ import annotations

import contextlib
import errno
import os
import threading
import time
from pathlib import Path

from ..fsutil import HOST, pid_alive

STALE_S = 600.0  # a claim of another host this old is abandoned
POLL_S = 0.02  # how often a waiting process looks for the clip
MAX_WAIT_S = 300.0  # then it speaks the clip itself: the claimant may be stuck (stopped, hung)
EMPTY_STALE_S = 30.0  # an empty claim this old was never finished (it takes microseconds)
_NO_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK, errno.ENOSYS}

_HELD: set[str] = set()  # the claim files this process holds (any thread)
_HELD_LOCK = threading.Lock()


class Claims:
    def __init__(self, cache_root: Path) -> None:
        self.dir = Path(cache_root).resolve() / "claims"  # one spelling: the held set is keyed by path
        self._made = False

    def _path(self, key: str) -> Path:
        return self.dir / key

    def take(self, key: str) -> bool:
        """Claim ``key``; False when a live process holds it."""
        for _ in range(2):  # once more after removing a stale claim
            try:
                if not self._made:
                    self.dir.mkdir(parents=True, exist_ok=True)
                    self._made = True
                with _HELD_LOCK:  # a thread of ours sees the claim only once it is in the held set
                    self._create(key)
                    _HELD.add(str(self._path(key)))
            except FileExistsError:
                if not self._stale(key):
                    return False
                self.release(key)
                continue
            except OSError:
                return True  # no claims here (read-only or odd file system): speak it
            return True
        return False

    def _create(self, key: str) -> None:
        """The claim file, whole or not at all (FileExistsError when it exists).

        It is written under a temporary name and hard-linked into place, so a process
        stopped at any moment never leaves an empty claim behind: an empty one cannot say
        whose it is and would be waited for (``MAX_WAIT_S``) by the next run. Where the
        file system has no hard links it is created exclusively and then written.
        """
        path = self._path(key)
        body = f"{HOST} {os.getpid()}\n".encode("ascii")
        tmp = self.dir / f".{key}.{os.getpid()}-{threading.get_ident()}.tmp"
        try:
            tmp.write_bytes(body)
            os.link(tmp, path)
            return
        except FileExistsError:
            raise
        except OSError as e:
            if e.errno not in _NO_LINKS:
                raise
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(body)

    def release(self, key: str) -> None:
        with _HELD_LOCK:
            _HELD.discard(str(self._path(key)))
        with contextlib.suppress(OSError):
            self._path(key).unlink()

    def held(self, key: str) -> bool:
        """Whether a live process holds a claim on ``key`` (a stale claim is removed)."""
        if not self._path(key).exists():
            return False
        if self._stale(key):
            self.release(key)
            return False
        return True

    def _stale(self, key: str) -> bool:
        p = self._path(key)
        try:
            text = p.read_text(encoding="ascii", errors="replace").split()
            age = time.time() - p.stat().st_mtime
        except OSError:
            return False  # gone already: the caller looks again
        if len(text) == 2 and text[0] == HOST and text[1].isdigit():
            pid = int(text[1])
            if pid == os.getpid():  # ours: held by a thread, or left by an earlier error
                with _HELD_LOCK:
                    return str(p) not in _HELD
            return not pid_alive(pid)
        if not text:  # a claim being written (no hard links here) or left half-made long ago
            return age > EMPTY_STALE_S
        return age > STALE_S  # another host's: only its age tells
