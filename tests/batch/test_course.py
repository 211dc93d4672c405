"""``relaxgen course``: listeners × sessions, incremental, resumable, local pool and Dask."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pytest
from mutagen.id3 import ID3

from generator import interrupts
from generator.audio.ffmpeg import decode
from generator.batch.buildstate import BuildState
from generator.batch.course import Summary, build_course
from generator.batch.executors import InlineExecutor, LocalExecutor
from generator.batch.manifest import load_manifest, read_listeners
from generator.batch.pack import PackSettings
from generator.fsutil import TMP_PREFIX
from generator.tts.cache import ClipCache

from ..test_interrupts import deaf

HERE = Path(__file__).parents[1]
SRC = HERE / "templates" / "course"
RELAXGEN = [sys.executable, "-c", "from generator.cli import main; main()"]
NAMES = ["01 Arrive.mp3", "02 Day 2 - hands.mp3", "03 Rest.mp3"]


@pytest.fixture
def src(tmp_path: Path) -> Path:
    d = tmp_path / "src"
    shutil.copytree(SRC, d)
    return d


def listeners_csv(path: Path, n: int, rename: dict[int, str] | None = None) -> Path:
    rows = ["id,name,language,rate"]
    for i in range(1, n + 1):
        rows.append(f"{i:03d},{(rename or {}).get(i, f'Listener {i}')},en,1.0")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def course(src: Path, csv: Path, out: Path, cache: Path, executor: object) -> Summary:
    table = read_listeners(csv, ["calm-en", "calm-de"])
    settings = PackSettings(cache_dir=str(cache), engine="fake")
    return build_course(load_manifest(src / "course.toml"), table, out, settings, executor)  # type: ignore[arg-type]


def folders_of(keys: list[str], root: Path) -> set[str]:
    return {Path(k).parent.relative_to(root.resolve()).as_posix() for k in keys}


def assert_complete(out: Path) -> None:
    """Every planned MP3 is there, recorded, whole, and decodes to its planned length."""
    for folder in sorted(p for p in out.iterdir() if p.is_dir()):
        state = BuildState(folder)
        assert sorted(state.records) == NAMES, folder
        assert not list(folder.glob(".relaxgen-tmp-*"))
        for name, rec in state.records.items():
            secs = len(decode(folder / name, 44100, 2)) / 44100
            assert abs(secs - rec.track["duration_s"]) < 0.06, (folder, name, secs)
        assert (folder / "playlist.m3u8").is_file() and (folder / "index.html").is_file()


@pytest.mark.slow
def test_many_listeners_incremental(src: Path, tmp_path: Path) -> None:
    out, cache = tmp_path / "out", tmp_path / "cache"
    csv = listeners_csv(tmp_path / "l.csv", 10)
    s = course(src, csv, out, cache, LocalExecutor(2))
    assert (len(s.built), len(s.skipped), s.failed) == (30, 0, [])
    assert len([p for p in out.iterdir() if p.is_dir()]) == 10 and (out / "001 Listener 1").is_dir()
    # the shared cache: every distinct sentence once (the names make most of them distinct)
    assert s.synthesized <= ClipCache(cache).info().entries + 2

    s = course(src, csv, out, cache, LocalExecutor(2))
    assert (len(s.built), len(s.skipped)) == (0, 30)

    listeners_csv(csv, 10, {7: "Listener 7"}).read_text()  # same content: nothing changes
    csv.write_text(csv.read_text(encoding="utf-8").replace("007,Listener 7,en,1.0", "007,Listener 7,en,0.9"),
                   encoding="utf-8")
    s = course(src, csv, out, cache, InlineExecutor())
    assert len(s.built) == 3 and folders_of(s.built, out) == {"007 Listener 7"}

    (src / "day3.j2").write_text((src / "day3.j2").read_text(encoding="utf-8").replace("Rest now", "Rest"),
                                 encoding="utf-8")
    s = course(src, csv, out, cache, LocalExecutor(2))
    assert len(s.built) == 10 and {Path(k).name for k in s.built} == {"03 Rest.mp3"} and len(s.skipped) == 20
    assert_complete(out)


def test_broken_row_builds_the_rest(run, src: Path, tmp_path: Path) -> None:
    csv = tmp_path / "l.csv"
    csv.write_text("\ufeffid,name,voice\n1,Anna,\n2,Ben,nosuchvoice\n3,Cem,calm-en\n", encoding="utf-8")
    out, report = tmp_path / "out", tmp_path / "r.json"
    r = run("course", str(src / "course.toml"), "--profiles", str(csv), "-o", str(out), "--engine", "fake",
            "-j", "1", "--report", str(report))
    assert r.exit_code == 1
    assert "6 built, 0 up to date, 1 failed" in r.output and "row 3" in r.output and "nosuchvoice" in r.output
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["1 Anna", "3 Cem"]
    rep = json.loads(report.read_text(encoding="utf-8"))
    assert rep["failed"][0]["row"] == 3 and rep["counts"]["built"] == 6 and not rep["ok"]


@pytest.mark.slow
def test_course_with_hostile_names_writes_only_inside_the_output_folder(tmp_path: Path) -> None:
    """A whole course for listeners with hostile names and ids: every file lands inside ``out``."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "s.j2").write_text('{#---\ntitle = "../../Up: and away"\n---#}\nHello {{ name }}. [pause 1-60s]\n',
                              encoding="utf-8")
    (src / "c.toml").write_text('title = "../Evil/Course"\n[[session]]\nscript = "s.j2"\nminutes = 0.5\n',
                                encoding="utf-8")
    csv = tmp_path / "l.csv"
    rows = ['"../../x","../../escape"', '"/abs","/etc/passwd"', '"C:\\w","C:\\Windows"', '"CON","CON"',
            '"e","🧘‍♀️"', f'"long","{"A" * 190}"', '"dot",".."']
    csv.write_text("id,name\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "work" / "out"
    table = read_listeners(csv, ["calm-en", "calm-de"])
    assert not table.errors
    summary = build_course(load_manifest(src / "c.toml"), table, out,
                           PackSettings(cache_dir=str(tmp_path / "cache"), engine="fake"), InlineExecutor())
    assert not summary.failed, summary.failed
    outside = [p for p in tmp_path.rglob("*")
               if not p.resolve().is_relative_to(out.resolve())
               and not p.resolve().is_relative_to(src.resolve()) and p.resolve() != csv.resolve()
               and not p.resolve().is_relative_to((tmp_path / "cache").resolve()) and p != out.parent]
    assert outside == []
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert len(folders) == len(rows)
    for f in folders:
        assert not f.startswith(".") and ":" not in f and "\\" not in f
        assert list((out / f).glob("*.mp3")), f
    assert not list(out.rglob(TMP_PREFIX + "*"))


def _session_ends(sid: int, within: float = 10.0) -> list[str]:
    """Waits until no process of session ``sid`` runs (zombies wait for init); [] then, else
    the ones still running."""
    deadline = time.monotonic() + within
    while True:
        ps = subprocess.run(["ps", "-o", "stat=,args=", "-g", str(sid)], capture_output=True, text=True).stdout
        live = [ln.strip() for ln in ps.splitlines() if ln.strip() and not ln.strip().startswith("Z")]
        if not live or time.monotonic() > deadline:
            return live
        time.sleep(0.1)


@pytest.mark.slow
@pytest.mark.parametrize(("jobs", "sig", "to_group"), [
    ("1", signal.SIGINT, True), ("2", signal.SIGINT, True), ("2", signal.SIGTERM, False),
], ids=["ctrl-c-j1", "ctrl-c-j2", "sigterm-j2"])
def test_a_stop_signal_stops_the_course_and_keeps_finished_sessions(src: Path, tmp_path: Path, jobs: str,
                                                                    sig: int, to_group: bool) -> None:
    """Ctrl-C (SIGINT to the process group, as a terminal sends it) or SIGTERM (to the process,
    as docker stop sends it), in this process or with a pool: the course stops with exit
    128 + signal and one line, no temp file and no process is left, every MP3 already there
    is whole and recorded, and the same command then builds only the rest. The signal is
    sent once the first session's MP3 is in place (a state, not a time)."""
    out, cache = tmp_path / "out", tmp_path / "cache"
    csv = listeners_csv(tmp_path / "l.csv", 3)
    cmd = [*RELAXGEN, "course", str(src / "course.toml"), "--profiles", str(csv), "-o", str(out),
           "--engine", "fake", "-j", jobs, "--cache-dir", str(cache)]
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline and not any(
                not p.name.startswith(".") for p in out.glob("*/*.mp3")):
            time.sleep(0.02)
        assert proc.poll() is None, "the course ended before it could be interrupted"
        for k in psutil.Process(proc.pid).children(recursive=True):  # workers, fork server, encoders
            with contextlib.suppress(psutil.Error, FileNotFoundError, ProcessLookupError):
                assert os.getpgid(k.pid) != proc.pid or deaf(k.pid), k.cmdline()
        (os.killpg if to_group else os.kill)(proc.pid, sig)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    assert proc.returncode == 128 + sig, err
    last = err.strip().splitlines()[-1]
    assert "Traceback" not in err and last.startswith("Interrupted" + ("" if sig == signal.SIGINT else " by SIGTERM")
                                                      + ". Finished files are kept"), err
    left = _session_ends(proc.pid)
    assert not left, left  # workers, encoders and the fork server are gone
    assert not list(out.rglob(".relaxgen-tmp-*"))
    finished = sorted(out.glob("*/*.mp3"))
    assert 0 < len(finished) < 9
    for f in finished:
        rec = BuildState(f.parent).records[f.name]
        assert abs(len(decode(f, 44100, 2)) / 44100 - rec.track["duration_s"]) < 0.06, f
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert f"{9 - len(finished)} built, {len(finished)} up to date, 0 failed" in res.stderr
    assert_complete(out)


@pytest.mark.slow
def test_killed_build_resumes(src: Path, tmp_path: Path) -> None:
    out, cache = tmp_path / "out", tmp_path / "cache"
    csv = listeners_csv(tmp_path / "l.csv", 3)
    cmd = [*RELAXGEN, "course", str(src / "course.toml"), "--profiles", str(csv), "-o", str(out),
           "--engine", "fake", "-j", "2", "--cache-dir", str(cache)]
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not list(out.glob("*/*.mp3")) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)  # the build and its workers and encoders
    finally:
        proc.wait(30)
    mp3s = list(out.glob("*/*.mp3"))
    assert 0 < len(mp3s) < 9
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "up to date" in res.stderr
    assert_complete(out)


@pytest.mark.slow
def test_dask_executor_builds_the_same_files(src: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    from distributed import LocalCluster

    from generator.batch.executors import DaskExecutor, make_executor

    csv = listeners_csv(tmp_path / "l.csv", 2)
    local, remote, cache = tmp_path / "local", tmp_path / "dask", tmp_path / "cache"
    s = course(src, csv, local, cache, InlineExecutor())
    assert len(s.built) == 6
    with LocalCluster(n_workers=1, processes=True, threads_per_worker=1, dashboard_address=None) as cluster:
        ex = make_executor("dask://" + cluster.scheduler_address.removeprefix("tcp://"), None)
        assert isinstance(ex, DaskExecutor) and ex.workers >= 1
        try:
            s = course(src, csv, remote, tmp_path / "cache2", ex)
        finally:
            ex.close()
    assert len(s.built) == 6 and not s.failed
    for a in sorted(local.glob("*/*.mp3")):
        b = remote / a.relative_to(local)
        assert np.array_equal(decode(a, 44100, 2), decode(b, 44100, 2)), a
        ta, tb = ID3(a), ID3(b)
        assert sorted(ta.keys()) == sorted(tb.keys())
        assert all(ta[k] == tb[k] for k in ta.keys()), a
    for name in ("playlist.m3u8", "index.html", "01 Arrive.lrc", "cover.jpg"):
        assert (local / "001 Listener 1" / name).read_bytes() == (remote / "001 Listener 1" / name).read_bytes()


class _CtrlCAfterFirst:
    """Hands on the first result, waits until every session is finished on the cluster, then
    a Ctrl-C "arrives" (a stop request, as the signal handler makes it)."""

    def __init__(self, inner: object, out: Path) -> None:
        self.inner, self.out = inner, out
        self.workers = 1

    def run(self, tasks: list, reporter: object):  # type: ignore[no-untyped-def]
        client = self.inner.client  # type: ignore[attr-defined]
        results = self.inner.run(tasks, reporter)  # type: ignore[attr-defined]
        yield next(results)
        deadline = time.monotonic() + 120
        while len([p for p in self.out.glob("*/*.mp3") if not p.name.startswith(".")]) < len(tasks) or any(
                st.status != "finished" for st in list(client.futures.values())):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        interrupts.request(signal.SIGINT)
        yield from results


@pytest.mark.slow
def test_dask_ctrl_c_records_the_sessions_finished_meanwhile(src: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    from distributed import LocalCluster

    from generator.batch.executors import DaskExecutor

    csv = listeners_csv(tmp_path / "l.csv", 1)
    out = tmp_path / "out"
    with LocalCluster(n_workers=1, processes=True, threads_per_worker=1, dashboard_address=None) as cluster:
        ex = DaskExecutor(cluster.scheduler_address)
        try:
            with pytest.raises(KeyboardInterrupt):
                course(src, csv, out, tmp_path / "cache", _CtrlCAfterFirst(ex, out))
        finally:
            ex.close()
    assert sorted(BuildState(out / "001 Listener 1").records) == NAMES  # all three, not just the first
