"""The up-to-date check's shortcut: pack files kept while nothing changed (its MP3 check: tests/audio/test_mpeg.py)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from generator.batch.buildstate import BuildState

HERE = Path(__file__).parents[1]


def test_pack_files_are_kept_while_nothing_changed(run, tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(HERE / "templates" / "course", src)
    out = tmp_path / "out"
    args = ["pack", str(src / "course.toml"), "--set", "name=Anna", "-o", str(out), "--engine", "fake", "-j", "1"]
    assert run(*args).exit_code == 0
    files = ["playlist.m3u8", "README.txt", "index.html"]
    before = {f: (out / f).stat().st_mtime_ns for f in files}
    assert BuildState(out).pack["files"].keys() == set(files)
    os.utime(out / "playlist.m3u8", ns=(1, 1))  # what a rerun would not notice if it kept the old time

    r = run(*args)
    assert r.exit_code == 0 and "0 built, 3 up to date" in r.output
    # changed behind its back: rendered again (same text, so not rewritten) and recorded as it is now
    assert BuildState(out).pack["files"]["playlist.m3u8"][1] == 1
    assert (out / "README.txt").stat().st_mtime_ns == before["README.txt"]  # not rendered again
    assert (out / "index.html").stat().st_mtime_ns == before["index.html"]

    (out / "index.html").unlink()
    (out / "README.txt").write_text("edited", encoding="utf-8")
    assert run(*args).exit_code == 0
    assert (out / "index.html").is_file() and "Test course" in (out / "README.txt").read_text(encoding="utf-8")

    (src / "course.toml").write_text((src / "course.toml").read_text(encoding="utf-8")
                                     .replace('description = "Three tiny sessions."', 'description = "New."'),
                                     encoding="utf-8")
    assert run(*args).exit_code == 0  # every session's tags change: rebuilt, and the pack files follow
    assert "New." in (out / "README.txt").read_text(encoding="utf-8")
