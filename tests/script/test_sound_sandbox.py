"""Sound files stay inside the folders they may come from (generator/script/sounds.py).

``[bed file=…]``, ``[cue file=…]`` and a listener's ``bed`` file are read only from
the template's (or profile's, CSV's) folder, the include folders and ``--sounds-dir``
folders. A name leading outside is refused at the marker (or profile, CSV row) with
the same message whether the file exists or not, and nothing outside is looked at
(a spy records every stat, open and ffmpeg run). Fake speech has no energy above
1 kHz, so the test tones are measured in the decoded MP3.
"""

from __future__ import annotations

import builtins
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result

from generator.audio.clips import write_wav
from generator.audio.ffmpeg import ffmpeg_exe
from generator.cli import cli

from ..audio_utils import SR, load
from ..test_bad_inputs import OLD_BYTES, assert_clean_failure

BED_HZ, CUE_HZ, NONE_HZ = 3000.0, 1800.0, 4400.0


def tone(path: Path, hz: float, seconds: float = 5.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_wav(path, 0.3 * np.sin(2 * np.pi * hz * np.arange(int(seconds * SR)) / SR))
    return path


def level(a: np.ndarray, hz: float) -> float:
    """Amplitude of the ``hz`` sine in ``a`` (a steady tone of amplitude A gives about A)."""
    t = np.arange(len(a)) / SR
    return float(2 * abs(np.mean(a * np.exp(-2j * np.pi * hz * t))))


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working folder: tpl/ (templates), private/secret.wav (outside), out/old.mp3."""
    monkeypatch.chdir(tmp_path)
    tone(tmp_path / "private" / "secret.wav", BED_HZ)
    (tmp_path / "tpl").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.mp3").write_bytes(OLD_BYTES)
    return tmp_path


def template(root: Path, text: str) -> Path:
    t = root / "tpl" / "t.j2"
    t.write_text(text, encoding="utf-8")
    return t


def build(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, ["build", *map(str, args), "-o", "out/old.mp3", "--engine", "fake", "-q"])


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every path stat-ed, opened or handed to a program while the test runs."""
    seen: list[str] = []

    def recorded(real: Any) -> Any:
        def f(p: Any, *a: Any, **k: Any) -> Any:
            if not isinstance(p, int):  # an open file descriptor names no path
                seen.append(os.fsdecode(p))
            return real(p, *a, **k)

        return f

    class Popen(subprocess.Popen):  # type: ignore[type-arg]
        def __init__(self, args: Any, *a: Any, **k: Any) -> None:
            seen.extend(map(str, args))
            super().__init__(args, *a, **k)

    for module, name in ((os, "stat"), (os, "lstat"), (os, "open"), (builtins, "open")):
        monkeypatch.setattr(module, name, recorded(getattr(module, name)))
    monkeypatch.setattr(subprocess, "Popen", Popen)
    yield seen


def assert_refused(res: Result, root: Path, where: str, spy: list[str]) -> str:
    line = assert_clean_failure(res, where, root / "out", "--sounds-dir DIR")
    assert "leads outside them" in line
    touched = [p for p in spy if "private" in p]
    assert not touched, f"looked outside: {touched}"
    return line


def test_files_in_the_template_folder_are_mixed_in(root: Path) -> None:
    tone(root / "tpl" / "sounds" / "hum.wav", BED_HZ)
    tone(root / "tpl" / "ding.wav", CUE_HZ, 0.6)
    t = template(root, '[bed file="sounds/hum.wav" level=-10dB]\nHello. [pause 3s] [cue file="ding.wav"] '
                       "[pause 2s] Goodbye.")
    res = build(t)
    assert res.exit_code == 0, res.output
    a = load(root / "out" / "old.mp3")
    assert level(a, BED_HZ) > 0.02 and level(a, CUE_HZ) > 0.002
    assert level(a, NONE_HZ) < 0.001
    plan = CliRunner().invoke(cli, ["plan", str(t), "--estimate"])
    assert plan.exit_code == 0, plan.output


def _link(root: Path, name: str, target: str) -> None:
    (root / "tpl" / name).symlink_to(target)


OUTSIDE = [
    ("dotdot", "../private/secret.wav", None),
    ("absolute", "{root}/private/secret.wav", None),
    ("home", "~/secret.wav", None),
    ("file-link", "link.wav", ("link.wav", "../private/secret.wav")),
    ("absolute-link", "link.wav", ("link.wav", "{root}/private/secret.wav")),
    ("folder-link", "priv/secret.wav", ("priv", "../private")),
    ("climb-back-in", "sounds/../../private/secret.wav", None),
]


@pytest.mark.parametrize("marker", ["bed", "cue"])
@pytest.mark.parametrize(("name", "link"), [pytest.param(n, lk, id=i) for i, n, lk in OUTSIDE])
def test_names_leading_outside_are_refused_without_looking(
        root: Path, spy: list[str], marker: str, name: str, link: tuple[str, str] | None) -> None:
    (root / "tpl" / "sounds").mkdir()
    if link:
        _link(root, link[0], link[1].format(root=root))
    t = template(root, f'Hi. [{marker} file="{name.format(root=root)}"] Bye.')
    assert_refused(build(t), root, "tpl/t.j2:1:5: ", spy)


def test_a_link_loop_is_refused(root: Path) -> None:
    _link(root, "loop.wav", "loop.wav")
    assert_clean_failure(build(template(root, 'Hi. [bed file="loop.wav"] Bye.')), "tpl/t.j2:1:5: loop.wav:",
                         root / "out")


def test_the_message_is_the_same_whether_the_outside_file_exists(root: Path, tmp_path_factory: Any) -> None:
    other = tmp_path_factory.mktemp("other")  # the same layout without private/
    (other / "tpl").mkdir()
    (other / "out").mkdir()
    (other / "out" / "old.mp3").write_bytes(OLD_BYTES)
    lines = []
    for r in (root, other):
        os.chdir(r)
        for name in ("../private/secret.wav", f"{r}/private/secret.wav"):
            t = template(r, f'Hi. [bed file="{name}"] Bye.')
            lines.append(assert_clean_failure(build(t), "tpl/t.j2:1:5: ", r / "out").replace(str(r), "ROOT"))
    assert lines[:2] == lines[2:]
    os.chdir(root)


def test_sounds_dir_allows_a_folder(root: Path) -> None:
    tone(root / "snd" / "hum.wav", BED_HZ)
    t = template(root, '[bed file="hum.wav" level=-10dB]\nHello. [pause 3s] Goodbye.')
    res = build(t)
    assert_clean_failure(res, "tpl/t.j2:1:1: hum.wav: bed file not found", root / "out", "--sounds-dir DIR")
    res = build(t, "--sounds-dir", "snd")
    assert res.exit_code == 0, res.output
    assert level(load(root / "out" / "old.mp3"), BED_HZ) > 0.02
    # a link or a '..' that lands in an allowed folder is fine
    _link(root, "link.wav", "../snd/hum.wav")
    for name in ("link.wav", "../snd/hum.wav"):
        res = build(template(root, f'[bed file="{name}"]\nHello.'), "--sounds-dir", "snd")
        assert res.exit_code == 0, (name, res.output)


def test_profile_bed_is_read_relative_to_the_profile(root: Path, spy: list[str]) -> None:
    tone(root / "prof" / "rain.wav", BED_HZ)
    p = root / "prof" / "p.toml"
    t = template(root, "Hello. [pause 3s] Goodbye.")
    p.write_text('bed = "rain.wav"\nbed_level = -10\n', encoding="utf-8")
    res = build(t, "--profile", p)
    assert res.exit_code == 0, res.output
    assert level(load(root / "out" / "old.mp3"), BED_HZ) > 0.02
    (root / "out" / "old.mp3").write_bytes(OLD_BYTES)
    spy.clear()
    p.write_text('bed = "../private/secret.wav"\n', encoding="utf-8")
    line = assert_refused(build(t, "--profile", p), root, "prof/p.toml: bed: ../private/secret.wav: ", spy)
    assert "profile's (or CSV's) folder" in line
    assert_refused(build(t, "--set", f"bed={root}/private/secret.wav"), root, "--set: bed: ", spy)


def test_course_row_bed_is_read_relative_to_the_csv(root: Path, spy: list[str]) -> None:
    c = root / "c"
    tone(c / "rain.wav", BED_HZ)
    (c / "s.j2").write_text("Hello {{ name }}. [pause 2-30s] Goodbye.", encoding="utf-8")
    (c / "course.toml").write_text('title = "C"\n[[session]]\nscript = "s.j2"\nminutes = 0.25\n', encoding="utf-8")
    (c / "l.csv").write_text("id,name,bed,bed_level\nanna,Anna,rain.wav,-10\nbob,Bob,../private/secret.wav,-10\n",
                             encoding="utf-8")
    args = ["course", str(c / "course.toml"), "--profiles", str(c / "l.csv"), "-o", "built", "--engine", "fake",
            "-j", "1", "-q"]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 1, res.output
    assert "c/l.csv, row 3: bed: ../private/secret.wav: bed files are read only from" in res.output
    assert "--sounds-dir DIR" in res.output and "Traceback" not in res.output
    assert not [p for p in spy if "private" in p]
    anna = list((root / "built").glob("anna*/*.mp3"))
    assert len(anna) == 1, res.output
    assert level(load(anna[0]), BED_HZ) > 0.02
    assert not list((root / "built").glob("bob*/*.mp3"))
    # allowed with --sounds-dir (the option reaches the course's sessions): bob's is built
    res = CliRunner().invoke(cli, [*args, "--sounds-dir", "private"])
    assert res.exit_code == 0, res.output
    bob = list((root / "built").glob("bob*/*.mp3"))
    assert len(bob) == 1 and level(load(bob[0]), BED_HZ) > 0.02


def test_a_playlist_cannot_pull_in_an_outside_file(root: Path) -> None:
    """ffmpeg reads only audio formats: an HLS playlist in the template folder naming a
    file outside is not a readable audio file (without the limit it plays that file)."""
    secret = root / "private" / "secret.mp3"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", f"sine=f={BED_HZ}:d=5", str(secret)], check=True)
    (root / "tpl" / "list.m3u8").write_text(
        f"#EXTM3U\n#EXT-X-TARGETDURATION:5\n#EXTINF:5,\n{secret}\n#EXT-X-ENDLIST\n")
    res = build(template(root, 'Hi. [bed file="list.m3u8"] Bye.'))
    assert_clean_failure(res, "tpl/t.j2:1:5: tpl/list.m3u8: not a readable audio file", root / "out")
