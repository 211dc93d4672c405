"""Stopping cleanly: Ctrl-C, SIGTERM and SIGHUP (generator/interrupts.py).

Real processes: a build is started in a session of its own, the test waits for a state
(encoding has begun: its temp file exists), sends the signal the way a terminal,
``timeout`` or a service manager does, and asserts the outcome: the exit code
``128 + signal``, one line, no temp file, the old output untouched, no process left.
Time limits are only a safety net.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from generator import interrupts
from generator.fsutil import TMP_PREFIX
from generator.interrupts import Interrupted, owned_signals

REPO = Path(__file__).resolve().parents[1]
OLD = b"ID3 a finished MP3 from an earlier build"
LONG = "[chapter \"One\"]\nHello there. [pause 30m] Goodbye now.\n"
SAFETY_S = 15.0  # a stop takes well under a second; this only ends a hung test


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(REPO))


def _tmp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(TMP_PREFIX + "*"))


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.mp3").write_bytes(OLD)
    (tmp_path / "t.j2").write_text(LONG, encoding="utf-8")
    return tmp_path


def _start_build(work: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "generator", "build", "t.j2", "-o", "out/new.mp3",
                             "--engine", "fake", "-q", "--cache-dir", str(work / "cache")],
                            cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env=_env())


def _encoders(pid: int) -> list[psutil.Process]:
    out = []
    for k in psutil.Process(pid).children(recursive=True):
        try:
            if "libmp3lame" in k.cmdline():
                out.append(k)
        except psutil.Error:
            continue
    return out


def _wait_until_encoding(work: Path, proc: subprocess.Popen[str]) -> None:
    """The state to interrupt: the MP3 encoders run and write into their temp files."""
    deadline = time.monotonic() + 120
    while not (_tmp_files(work / "out") and _encoders(proc.pid)):
        if proc.poll() is not None:
            pytest.fail(f"the build ended early: {proc.communicate()}")
        assert time.monotonic() < deadline, "the build never started encoding"
        time.sleep(0.02)


def _finish(proc: subprocess.Popen[str]) -> tuple[str, float]:
    t0 = time.monotonic()
    try:
        _, err = proc.communicate(timeout=SAFETY_S)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    return err, time.monotonic() - t0


def _session_left(sid: int, within: float = 10.0) -> list[str]:
    """Waits until no process of session ``sid`` runs; [] then, else the ones still running."""
    deadline = time.monotonic() + within
    while True:
        left = []
        for p in psutil.process_iter(["pid", "status", "cmdline"]):
            try:
                if os.getsid(p.pid) == sid and p.info["status"] != psutil.STATUS_ZOMBIE:
                    left.append(" ".join(p.info["cmdline"] or []))
            except (ProcessLookupError, PermissionError, psutil.Error):
                continue
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def _assert_clean_stop(work: Path, proc: subprocess.Popen[str], err: str, code: int, by: str) -> None:
    assert proc.returncode == code, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert "Traceback" not in err and len(lines) == 1, err
    assert lines[0].startswith(f"Interrupted{by}. Finished files are kept"), err
    assert _tmp_files(work / "out") == [] and sorted(p.name for p in (work / "out").iterdir()) == ["old.mp3"]
    assert (work / "out" / "old.mp3").read_bytes() == OLD
    assert _session_left(proc.pid) == []  # encoders, workers, fork server: all gone


@pytest.mark.parametrize(("sig", "to_group", "code", "by"), [
    (signal.SIGINT, True, 130, ""),  # Ctrl-C in a terminal: the whole foreground process group
    (signal.SIGTERM, False, 143, " by SIGTERM"),  # docker stop, kill PID
    (signal.SIGTERM, True, 143, " by SIGTERM"),  # timeout(1): the process group
    (signal.SIGHUP, True, 129, " by SIGHUP"),  # the terminal closed
], ids=["ctrl-c", "sigterm", "sigterm-group", "sighup"])
def test_a_stop_signal_ends_the_build_cleanly(work: Path, sig: int, to_group: bool, code: int, by: str) -> None:
    proc = _start_build(work)
    _wait_until_encoding(work, proc)
    (os.killpg if to_group else os.kill)(proc.pid, sig)
    err, took = _finish(proc)
    _assert_clean_stop(work, proc, err, code, by)
    assert took < SAFETY_S


def deaf(pid: int) -> bool:
    """Whether a process cannot be reached by the terminal's Ctrl-C and SIGHUP: it is in
    another process group, or ignores or blocks both signals."""
    status = Path(f"/proc/{pid}/status").read_text()
    masks = {k: int(v, 16) for k, v in (ln.split(":\t") for ln in status.splitlines())
             if k in ("SigIgn", "SigBlk")}
    off = masks["SigIgn"] | masks["SigBlk"]
    return all(off >> (s - 1) & 1 for s in (signal.SIGINT, signal.SIGHUP))


def test_the_encoders_run_apart_from_the_terminal(work: Path) -> None:
    """While the build encodes, every child is out of the terminal's reach; then a stop."""
    proc = _start_build(work)
    _wait_until_encoding(work, proc)
    kids = psutil.Process(proc.pid).children(recursive=True)
    assert _encoders(proc.pid)
    for k in kids:
        assert os.getpgid(k.pid) != os.getpgid(proc.pid) or deaf(k.pid), k.cmdline()
    os.killpg(proc.pid, signal.SIGINT)
    err, _ = _finish(proc)
    _assert_clean_stop(work, proc, err, 130, "")


def test_a_service_managers_sigterm_to_every_process(work: Path) -> None:
    """systemd stops a service with SIGTERM to every process of its control group at once:
    the encoders get it too, and may die of it first. That is a stop, not a broken encoder."""
    proc = _start_build(work)
    _wait_until_encoding(work, proc)
    for p in [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):  # stopped meanwhile by the build itself
            p.send_signal(signal.SIGTERM)
    err, _ = _finish(proc)
    _assert_clean_stop(work, proc, err, 143, " by SIGTERM")


WORKER = """
import json, sys
from generator.tts.pool import _context, _Worker, mp_helpers
w = _Worker(_context(), "fake")
assert w.conn.poll(60) and w.conn.recv()[0] == "ready"
print(json.dumps([w.proc.pid, *mp_helpers()]), flush=True)
sys.stdin.readline()  # the test reads /proc meanwhile
w.kill()
"""


def test_speech_workers_and_the_fork_server_start_deaf() -> None:
    """In a fresh process (its fork server and resource tracker started by relaxgen): a
    speech worker, the fork server and the tracker are out of the terminal's reach."""
    import json

    proc = subprocess.Popen([sys.executable, "-c", WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, env=_env())
    try:
        assert proc.stdout is not None and proc.stdin is not None
        pids = json.loads(proc.stdout.readline())
        assert len(pids) == 3 and all(pids), pids
        for pid in pids:
            assert deaf(pid), pid
        proc.stdin.write("\n")
        proc.stdin.flush()
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


SECOND = """
import os, signal, subprocess, sys, time
from generator import interrupts
with interrupts.owned_signals():
    child = interrupts.popen(["sleep", "60"])
    print(child.pid, flush=True)
    os.kill(os.getpid(), signal.SIGINT)  # the first: noted, the stop begins
    assert interrupts.requested() == signal.SIGINT
    os.kill(os.getpid(), signal.SIGINT)  # a second while stopping: out at once
    time.sleep(60)
"""


def test_a_second_signal_while_stopping_ends_at_once() -> None:
    res = subprocess.run([sys.executable, "-c", SECOND], capture_output=True, text=True, timeout=30, env=_env())
    assert res.returncode == 130, res.stderr
    assert res.stderr == "Interrupted again: stopped at once. Run the same command again to resume.\n"
    child = int(res.stdout.split()[0])
    deadline = time.monotonic() + 10
    while psutil.pid_exists(child) and psutil.Process(child).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the child was not killed"
        time.sleep(0.05)


# ---------------------------------------------------------------- the owner, in this process


def test_the_handler_only_records_and_check_raises() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Interrupted) as e, owned_signals():
        signal.raise_signal(signal.SIGTERM)  # nothing raised here ...
        assert interrupts.requested() == signal.SIGTERM
        interrupts.check()  # ... but at the next safe point
        pytest.fail("check() did not raise")
    assert e.value.exit_code == 143 and e.value.what == "SIGTERM"
    assert isinstance(e.value, KeyboardInterrupt)
    assert interrupts.requested() is None and signal.getsignal(signal.SIGTERM) is before
    interrupts.check()  # no request outside


def test_an_error_while_stopping_is_the_stop() -> None:
    """A tool that the same signal reached fails with an error of its own: that is the stop."""
    with pytest.raises(Interrupted) as e, owned_signals():
        signal.raise_signal(signal.SIGTERM)
        raise RuntimeError("ffmpeg died")
    assert e.value.signum == signal.SIGTERM and isinstance(e.value.__cause__, RuntimeError)
    with pytest.raises(RuntimeError), owned_signals():
        raise RuntimeError("a plain error stays one")


def test_a_request_after_the_last_safe_point_still_stops() -> None:
    with pytest.raises(Interrupted) as e, owned_signals():
        with owned_signals():  # nested (a build inside a course): only the outermost raises
            signal.raise_signal(signal.SIGHUP)
        assert interrupts.requested() == signal.SIGHUP
    assert e.value.exit_code == 129
    with owned_signals():
        pass  # a fresh run starts without the old request


def test_other_threads_do_not_take_the_signals() -> None:
    before = signal.getsignal(signal.SIGINT)
    seen: list[object] = []

    def other() -> None:
        with owned_signals():
            seen.append(signal.getsignal(signal.SIGINT))

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert seen == [before]


def test_ctrl_c_while_loading_is_quiet(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Ctrl-C while the command line is still importing (its first few tenths of a second):
    exit 130 with one line, no traceback."""
    import importlib.abc

    import generator.__main__ as entry

    class Interrupting(importlib.abc.MetaPathFinder):
        def find_spec(self, name: str, path: object, target: object = None) -> None:
            if name == "generator.cli":
                raise KeyboardInterrupt
            return None

    monkeypatch.delitem(sys.modules, "generator.cli", raising=False)
    monkeypatch.setattr(sys, "meta_path", [Interrupting(), *sys.meta_path])
    with pytest.raises(SystemExit) as e:
        entry.main()
    assert e.value.code == 130
    assert capsys.readouterr().err == "Interrupted.\n"


def test_abort_ends_the_feeder_despite_a_stale_waiter(tmp_path: Path) -> None:
    """An exception in the main thread between ``Condition.notify`` releasing the feeder's
    waiter and removing it (inside ``Queue.put``) leaves that waiter first in the list,
    locked again by the woken feeder: the next notify wakes nobody. Cleaning up must not
    depend on that wake-up."""
    import numpy as np

    from generator.audio.encode import Mp3Encoder

    enc = Mp3Encoder(tmp_path / "x.mp3").__enter__()
    enc.write(np.zeros((4410, 2), np.float32))
    feeder = enc._feeder
    assert feeder is not None
    t0 = time.monotonic()
    while enc._queue.qsize() or not enc._queue.not_empty._waiters:  # the feeder waits for the next block
        assert time.monotonic() - t0 < 10
        time.sleep(0.01)
    stale = threading.Lock()
    stale.acquire()
    with enc._queue.mutex:
        enc._queue.not_empty._waiters.appendleft(stale)  # type: ignore[attr-defined]
    t0 = time.monotonic()
    enc.abort()
    assert time.monotonic() - t0 < 2.5  # without the poll: the 5 s join timeout
    assert not feeder.is_alive()
    assert not (tmp_path / "x.mp3").exists()
