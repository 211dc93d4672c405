"""Atomic file writes: an interrupted build never leaves a half file that looks finished."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import FileOperationError

TMP_PREFIX = ".relaxgen-tmp-"


def _os_reason(e: OSError) -> str:
    import errno

    if e.errno == errno.ENOSPC:
        return "no space left on the device; free some space and run again"
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied; choose a folder you can write to"
    if e.errno in (errno.EEXIST, errno.ENOTDIR):
        return "a file is in the way where a folder is needed; choose another output path"
    if e.errno == errno.EISDIR:
        return "is a folder; give a file name"
    return e.strerror or str(e)


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()  # read once: os.umask can only be read by setting it (not thread-safe)


def _host_tag() -> str:
    import hashlib
    import socket

    return hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:6]


HOST = _host_tag()  # this machine in temp file names and clip claims (a hash of its name)


def _owner_prefix() -> str:
    """``.relaxgen-tmp-<host>-<pid>-``: lets a later run tell a killed build's temp from a live one."""
    return f"{TMP_PREFIX}{HOST}-{os.getpid()}-"


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` of this machine still runs (True when that cannot be told)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (another user's), or we cannot tell: keep its files
    return True


@contextlib.contextmanager
def atomic_path(path: str | Path, suffix: str = "") -> Iterator[Path]:
    """Yield a temp path beside ``path``; on success it replaces ``path``, on error it is removed."""
    dest = Path(path)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=_owner_prefix(), suffix=suffix or dest.suffix, dir=dest.parent)
        try:  # mkstemp makes the file private (0600); a finished output gets normal permissions
            os.fchmod(fd, 0o666 & ~_UMASK)
        except (OSError, AttributeError):
            pass
        os.close(fd)
    except OSError as e:
        raise FileOperationError(dest.parent, _os_reason(e)) from None
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, dest)
    except OSError as e:
        _unlink(tmp_path)
        raise FileOperationError(dest, _os_reason(e)) from None
    except BaseException:
        _unlink(tmp_path)
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        try:
            tmp.write_bytes(data)
        except OSError as e:
            raise FileOperationError(path, _os_reason(e)) from None
    return Path(path)


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def _unlink(p: Path) -> None:
    with contextlib.suppress(OSError):
        p.unlink()


def remove_stale_temps(folder: str | Path) -> int:
    """Remove temp files left by a killed build; returns how many."""
    n = 0
    d = Path(folder)
    if not d.is_dir():
        return 0
    for p in d.glob(TMP_PREFIX + "*"):
        _unlink(p)
        n += 1
    return n


def remove_dead_temps(folder: str | Path) -> int:
    """Remove temp files of builds on this machine whose process is gone (killed); returns how many.

    Safe without a lock: a temp is removed only when the process that made it
    no longer runs; other hosts' temps and names without host and process id are left alone.
    """
    d = Path(folder)
    if not d.is_dir():
        return 0
    n = 0
    me = os.getpid()
    for p in d.glob(f"{TMP_PREFIX}{HOST}-*-*"):
        pid_s = p.name[len(TMP_PREFIX) + len(HOST) + 1:].split("-", 1)[0]
        if pid_s.isdigit() and int(pid_s) != me and not pid_alive(int(pid_s)):
            _unlink(p)
            n += 1
    return n
