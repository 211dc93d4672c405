"""Faults mid-run: a hung or crashing speech engine, an encoder that dies,
SIGKILL (stop signals: tests/test_interrupts.py), and two builds into one folder. Every failure is one clear line, exit
non-zero, no half-written MP3, finished outputs and the cache kept.
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.fsutil import TMP_PREFIX
from generator.model import ClipRequest
from generator.tts.fake import FakeEngine

HERE = __name__  # the engines below, loaded by module path in the speech workers
OLD = b"ID3 a finished MP3 from an earlier build"
REPO = Path(__file__).resolve().parents[2]


# -- test-only engines, built inside the speech workers from "module:factory" specs


class HangEngine(FakeEngine):
    def synthesize(self, req: ClipRequest, out_wav: Path) -> None:
        if "hang" in req.text.lower():
            time.sleep(300)
        super().synthesize(req, out_wav)


class CrashEngine(FakeEngine):
    def synthesize(self, req: ClipRequest, out_wav: Path) -> None:
        if "crash" in req.text.lower():
            os._exit(9)
        super().synthesize(req, out_wav)


class SlowOrCrashEngine(FakeEngine):
    def synthesize(self, req: ClipRequest, out_wav: Path) -> None:
        if "crash" in req.text.lower():
            os._exit(9)
        if "slow" in req.text.lower():
            time.sleep(2.0)
        super().synthesize(req, out_wav)


class RaiseEngine(FakeEngine):
    def synthesize(self, req: ClipRequest, out_wav: Path) -> None:
        raise RuntimeError("driver exploded")


def _cmd() -> list[str]:
    return [sys.executable, "-m", "generator"]


def _tmp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(TMP_PREFIX + "*"))


def _is_mp3(p: Path) -> bool:
    from mutagen.mp3 import MP3

    info = MP3(str(p)).info
    return info is not None and info.length > 1.0


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.mp3").write_bytes(OLD)
    return tmp_path


def _one_error_line(output: str, start: str) -> None:
    assert "Traceback" not in output, output
    lines = [ln for ln in output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: " + start), output


def _pooled(monkeypatch: pytest.MonkeyPatch, engine: str, timeout: float) -> None:
    """Make every build's Synthesizer run the fake voice through ``engine`` in worker processes."""
    import generator.session.build as session_build
    from generator.tts.synth import Synthesizer

    monkeypatch.setattr(session_build, "Synthesizer", functools.partial(
        Synthesizer, engine_specs={"fake": f"{HERE}:{engine}"}, isolate=True, jobs=1, timeout=timeout))


# ---------------------------------------------------------------- the speech engine


@pytest.mark.parametrize(("engine", "text", "start", "contains"), [
    ("HangEngine", "Please hang here.", "the fake speech engine did not finish within", "RELAXGEN_TTS_TIMEOUT"),
    ("CrashEngine", "Now crash.", "the fake speech engine crashed (exit code 9) while speaking 'Now crash.'",
     "tried 2 times"),
    ("RaiseEngine", "Hello.", "RuntimeError: driver exploded", "tried 2 times"),
], ids=["hang", "crash", "raise"])
def test_engine_fault_fails_the_build_cleanly(engine: str, text: str, start: str, contains: str, work: Path,
                                              runner: CliRunner, monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (work / "t.j2").write_text(f"Good morning. [pause 1s] {text}", encoding="utf-8")
    _pooled(monkeypatch, engine, timeout=0.5)
    t0 = time.monotonic()
    res = runner.invoke(cli, ["build", "t.j2", "-o", "out/old.mp3", "--engine", "fake", "-q",
                              "--cache-dir", str(cache)])
    assert res.exit_code == 1, res.output
    _one_error_line(res.output, start)
    assert contains in res.output
    assert time.monotonic() - t0 < 60
    assert sorted(p.name for p in (work / "out").iterdir()) == ["old.mp3"]
    assert (work / "out" / "old.mp3").read_bytes() == OLD
    clips = list(cache.rglob("*.wav"))
    assert all(not p.name.startswith(TMP_PREFIX) for p in clips)
    if engine != "RaiseEngine":  # the sentence that was spoken stays cached for the next run
        assert len(clips) == 1


def test_a_failure_still_stores_what_the_other_workers_were_speaking(work: Path, runner: CliRunner,
                                                                     monkeypatch: pytest.MonkeyPatch,
                                                                     tmp_path: Path) -> None:
    import generator.session.build as session_build
    from generator.tts.synth import Synthesizer

    monkeypatch.setattr(session_build, "Synthesizer", functools.partial(
        Synthesizer, engine_specs={"fake": f"{HERE}:SlowOrCrashEngine"}, isolate=True, jobs=2, timeout=10.0))
    cache = tmp_path / "cache"
    (work / "t.j2").write_text("A slow sentence. [pause 1s] Now crash.", encoding="utf-8")
    res = runner.invoke(cli, ["build", "t.j2", "-o", "out/old.mp3", "--engine", "fake", "-q",
                              "--cache-dir", str(cache)])
    assert res.exit_code == 1, res.output
    _one_error_line(res.output, "the fake speech engine crashed (exit code 9) while speaking 'Now crash.'")
    # the slow sentence was still being spoken when the other one failed for good: it was
    # finished and stored, so the rerun speaks only what is new
    assert len(list(cache.rglob("*.wav"))) == 1


# ---------------------------------------------------------------- the encoder


def _wrapper(tmp_path: Path, body: str, match: str = "write_xing") -> Path:
    """An ffmpeg stand-in: ``body`` runs when the arguments contain ``match`` (default: the streaming
    MP3 encoder, the only call with ``-write_xing``), the real ffmpeg for everything else."""
    from generator.audio.ffmpeg import ffmpeg_exe

    real = ffmpeg_exe()
    w = tmp_path / "ffmpeg-wrapper"
    script = f'#!/bin/sh\ncase "$*" in *{match}*) ;; *) exec "{real}" "$@";; esac\n'
    w.write_text(script + body.replace("@REAL@", real) + "\n", encoding="utf-8")
    w.chmod(0o755)
    return w


@pytest.fixture
def fresh_ffmpeg() -> Iterator[None]:
    from generator.audio import ffmpeg

    ffmpeg.ffmpeg_exe.cache_clear()
    yield
    ffmpeg.ffmpeg_exe.cache_clear()


@pytest.mark.parametrize(("body", "start"), [
    # reads a little, then exits 1 (a crash after some input)
    ("head -c 200000 >/dev/null; echo 'lame: internal error' >&2; exit 1", "the MP3 encoder stopped while writing"),
    # the real encoder, killed after it has written part of the file
    ('"@REAL@" "$@" & pid=$!; sleep 0.3; kill -9 $pid; wait $pid', "the MP3 encoder"),
    # finishes reading, writes half a file, then fails
    ('for a; do out="$a"; done; head -c 100 "$0" > "$out"; cat >/dev/null; exit 3', "the MP3 encoder failed (exit 3)"),
], ids=["exits-early", "killed", "fails-at-end"])
def test_encoder_dies_mid_file(body: str, start: str, work: Path, runner: CliRunner, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch, fresh_ffmpeg: None) -> None:
    wrapper = _wrapper(tmp_path, body)
    monkeypatch.setenv("RELAXGEN_FFMPEG", str(wrapper))
    from generator.audio.ffmpeg import ffmpeg_exe

    ffmpeg_exe.cache_clear()  # _wrapper() looked up the real one
    (work / "t.j2").write_text("Hello there. [pause 20s] Goodbye now.", encoding="utf-8")
    res = runner.invoke(cli, ["build", "t.j2", "-o", "out/old.mp3", "--engine", "fake", "-q"])
    assert res.exit_code == 1, res.output
    _one_error_line(res.output, start)
    assert TMP_PREFIX not in res.output
    assert sorted(p.name for p in (work / "out").iterdir()) == ["old.mp3"]
    assert (work / "out" / "old.mp3").read_bytes() == OLD


def test_loudness_read_back_fails(work: Path, runner: CliRunner, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch, fresh_ffmpeg: None) -> None:
    """Decoding the just-encoded file again (to measure the codec's loudness loss) fails:
    the same clean failure, nothing written."""
    wrapper = _wrapper(tmp_path, "echo 'mp3: broken frame' >&2; exit 7", match="-vn")  # decodes only (no beds here)
    monkeypatch.setenv("RELAXGEN_FFMPEG", str(wrapper))
    from generator.audio.ffmpeg import ffmpeg_exe

    ffmpeg_exe.cache_clear()
    (work / "t.j2").write_text("Hello there. [pause 5s] Goodbye now.", encoding="utf-8")
    res = runner.invoke(cli, ["build", "t.j2", "-o", "out/old.mp3", "--engine", "fake", "-q"])
    assert res.exit_code == 1, res.output
    _one_error_line(res.output, "the MP3 just encoded could not be read back (mp3: broken frame); nothing was written")
    assert sorted(p.name for p in (work / "out").iterdir()) == ["old.mp3"]
    assert (work / "out" / "old.mp3").read_bytes() == OLD


# ---------------------------------------------------------------- signals (real processes)


LONG = "[chapter \"One\"]\nHello there. [pause 30m] Goodbye now.\n"


def _start(work: Path, out: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*_cmd(), "build", "t.j2", "-o", out, "--engine", "fake", "-q", *extra],
                            cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env=dict(os.environ, PYTHONPATH=str(REPO)))


def _wait_for_temp(work: Path, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    t0 = time.monotonic()
    while not _tmp_files(work / "out"):
        if proc.poll() is not None:
            pytest.fail(f"the build ended early: {proc.communicate()}")
        if time.monotonic() - t0 > timeout:
            proc.kill()
            pytest.fail("the build never started encoding")
        time.sleep(0.05)


def test_sigkill_then_the_next_run_completes(work: Path) -> None:
    (work / "t.j2").write_text(LONG, encoding="utf-8")
    proc = _start(work, "out/old.mp3")
    _wait_for_temp(work, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert (work / "out" / "old.mp3").read_bytes() == OLD  # never half-replaced
    # the temp of the killed build is hidden and never looks finished
    assert all(n.startswith(TMP_PREFIX) for n in _tmp_files(work / "out"))
    (work / "t.j2").write_text("Hello again. [pause 1s] Done.", encoding="utf-8")
    res = subprocess.run([*_cmd(), "build", "t.j2", "-o", "out/old.mp3", "--engine", "fake", "-q"],
                         cwd=work, capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert res.returncode == 0, res.stderr
    assert _is_mp3(work / "out" / "old.mp3")
    assert _tmp_files(work / "out") == []  # the killed build's temp was cleaned up


def test_dead_temps_are_removed_live_ones_kept(tmp_path: Path) -> None:
    from generator.fsutil import HOST, remove_dead_temps

    dead = subprocess.Popen(["true"])
    dead.wait()
    files = {
        "dead": f"{TMP_PREFIX}{HOST}-{dead.pid}-abc.mp3",
        "live": f"{TMP_PREFIX}{HOST}-{os.getppid()}-abc.mp3",
        "other-host": f"{TMP_PREFIX}ffffff-{dead.pid}-abc.mp3",
        "old-style": f"{TMP_PREFIX}abc123.mp3",
        "output": "session.mp3",
    }
    for name in files.values():
        (tmp_path / name).write_bytes(b"x")
    assert remove_dead_temps(tmp_path) == (0 if HOST == "ffffff" else 1)
    left = {p.name for p in tmp_path.iterdir()}
    assert files["dead"] not in left
    assert left == set(files.values()) - {files["dead"]}


def test_two_builds_into_one_file_never_mix(work: Path) -> None:
    """Both finish; the file is exactly one of the two complete results (atomic rename)."""
    (work / "a.j2").write_text("First version. [pause 4s] The end.", encoding="utf-8")
    (work / "b.j2").write_text("Second version, a longer one. [pause 9s] The very end.", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    procs = [subprocess.Popen([*_cmd(), "build", t, "-o", "out/same.mp3", "--engine", "fake", "-q",
                               "--set", f"name={t}"], cwd=work, env=env, stderr=subprocess.PIPE, text=True)
             for t in ("a.j2", "b.j2")]
    errs = [p.communicate(timeout=180)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errs
    from mutagen.id3 import ID3
    from mutagen.mp3 import MP3

    out = work / "out" / "same.mp3"
    info = MP3(str(out)).info
    assert info is not None
    length = info.length
    title = str(ID3(str(out))["TIT2"])
    expected = {"A": (8.0, 14.0), "B": (12.0, 22.0)}[title]
    assert expected[0] < length < expected[1], (title, length)
    assert _tmp_files(work / "out") == []


def test_two_batch_builds_into_one_folder_one_refuses(tmp_path: Path) -> None:
    """Packs and courses hold a lock on their output folder: a second build refuses clearly."""
    from generator.batch.lock import locked
    from generator.errors import BuildLockedError

    with locked(tmp_path), pytest.raises(BuildLockedError) as e, locked(tmp_path):
        pass
    assert "another relaxgen build (pid " in str(e.value) and "wait for it to finish" in str(e.value)
    with locked(tmp_path):  # released after use
        pass
