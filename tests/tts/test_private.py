"""A build writes nothing outside its output and its cache, with either engine.

relaxgen makes files; it never opens or probes an audio device (espeak-ng 1.51 linked with
pcaudiolib connects to PulseAudio when it starts, and libpulse writes ``pulse/`` under
``XDG_CONFIG_HOME`` or ``XDG_RUNTIME_DIR``) and sends no telemetry (onnxruntime writes a device
id under ``~/.cache/Microsoft/DeveloperTools/`` unless told not to). Each build runs as a fresh
process whose HOME, every XDG directory and TMPDIR point into one empty folder; afterwards that
folder is still empty and the output is a real MP3.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..audio_utils import SR, load

TEMPLATE = """{#---
title = "Private"
minutes = 0.3
---#}
[chapter "One"]
Hello, and welcome. [pause 2-15s]
Let your shoulders drop.
"""


def _system_espeak() -> tuple[int, int] | None:
    """The system libespeak-ng's version, or None when the system has none. Read in a fresh
    interpreter: once this process has loaded the espeakng-loader wheel's library (any test that
    keys a pyttsx3 clip does), loading the same soname hands back that one."""
    found = ctypes.util.find_library("espeak-ng")
    if not found:
        return None
    probe = f"import ctypes; from generator.tts.espeak import _lib_version; print(*_lib_version(ctypes.CDLL({found!r})))"
    major, minor = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                                  timeout=60).stdout.split()
    return int(major), int(minor)


@pytest.fixture
def home() -> Iterator[Path]:
    """The empty folder for HOME, XDG and TMPDIR: short, since multiprocessing puts its socket
    in TMPDIR and a Unix socket path has at most 107 bytes (pytest-xdist's tmp_path is longer)."""
    path = Path(tempfile.mkdtemp(prefix="rg-home-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _build(tmp_path: Path, home: Path, *args: str, **env: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    xdg = {"HOME": home, "XDG_CONFIG_HOME": home / "config", "XDG_CACHE_HOME": home / "cache",
           "XDG_DATA_HOME": home / "data", "XDG_STATE_HOME": home / "state",
           "XDG_RUNTIME_DIR": home / "run", "TMPDIR": home / "tmp"}
    for path in xdg.values():
        path.mkdir(parents=True, exist_ok=True)
    before = sorted(p.relative_to(home) for p in home.rglob("*"))
    base = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "PULSE_", "ORT_"))}
    base.pop("RELAXGEN_CACHE", None)
    (tmp_path / "t.j2").write_text(TEMPLATE, encoding="utf-8")
    cmd = [sys.executable, "-m", "generator", "build", "t.j2", "-o", "out/t.mp3",
           "--cache-dir", str(tmp_path / "cache"), *args]
    res = subprocess.run(cmd, cwd=tmp_path, env={**base, **{k: str(v) for k, v in xdg.items()}, **env},
                         capture_output=True, text=True, timeout=300)
    after = sorted(p.relative_to(home) for p in home.rglob("*"))
    assert after == before, f"the build wrote outside its output and cache: {set(after) - set(before)}"
    return res, tmp_path / "out" / "t.mp3"


def _assert_built(res: subprocess.CompletedProcess[str], mp3: Path) -> None:
    assert res.returncode == 0, res.stderr
    seconds = len(load(mp3)) / SR
    assert abs(seconds - 18.0) < 2.5, seconds


@pytest.mark.engine
def test_espeak_build_writes_only_its_output(tmp_path: Path, home: Path) -> None:
    res, mp3 = _build(tmp_path, home, "--engine", "pyttsx3")
    _assert_built(res, mp3)


@pytest.mark.engine
def test_system_espeak_is_used_only_when_it_cannot_open_an_audio_device(tmp_path: Path, home: Path) -> None:
    """Without the wheel, the system espeak-ng: 1.52 and newer build, older ones are refused."""
    res, mp3 = _build(tmp_path, home, "--engine", "pyttsx3", RELAXGEN_NO_ESPEAK_WHEEL="1")
    system = _system_espeak()
    if system is None:
        assert res.returncode == 1 and res.stderr.startswith("Error: espeak-ng was not found"), res.stderr
    elif system < (1, 52):
        assert res.returncode == 1, res.stderr
        assert f"the system espeak-ng is version {system[0]}.{system[1]}, which opens an audio device" in res.stderr
        assert len(res.stderr.strip().splitlines()) == 1
    else:
        _assert_built(res, mp3)
    if res.returncode:
        assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.engine
@pytest.mark.slow
def test_neural_build_writes_only_its_output(tmp_path: Path, home: Path) -> None:
    pytest.importorskip("piper")
    res, mp3 = _build(tmp_path, home, "--engine", "piper")
    _assert_built(res, mp3)
    assert "piper" in res.stderr + res.stdout
