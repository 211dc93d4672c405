"""`relaxgen voices add` and `voices download` against a real HTTP server on 127.0.0.1.

The server serves a catalogue tree built here (the Piper repository's layout). The
bundled joe voice, relabelled German (de_DE-test-medium, tests/tts/voicefiles.py), is the real model; the
failure cases serve small stand-in files, which never get as far as loading.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from mutagen.id3 import ID3

from generator.audio.clips import SR
from generator.tts.voices import ResolvedVoices, load_voices

from ..audio_utils import load, regions
from .voicefiles import german_joe

VOICE = "de_DE-test-medium"
FOLDER = "de/de_DE/test/medium"


@dataclass
class Mirror:
    root: Path
    url: str = ""
    cut: dict[str, int] = field(default_factory=dict)  # path -> bytes sent before the connection drops
    ranges: list[tuple[str, str]] = field(default_factory=list)  # (path, Range header) of every request
    trickle: dict[str, threading.Event] = field(default_factory=dict)  # path -> slow until the event is set


def _handler(m: Mirror) -> type[BaseHTTPRequestHandler]:
    class H(BaseHTTPRequestHandler):
        def log_message(self, *a: object) -> None:
            pass

        def do_GET(self) -> None:
            rel = self.path.lstrip("/")
            m.ranges.append((rel, self.headers.get("Range", "")))
            f = m.root / rel
            if not f.is_file():
                self.send_error(404)
                return
            data = f.read_bytes()
            start = int(self.headers["Range"].split("=")[1].rstrip("-")) if self.headers.get("Range") else 0
            self.send_response(206 if start else 200)
            self.send_header("Content-Length", str(len(data) - start))
            self.end_headers()
            cut = m.cut.pop(rel, None)
            slow = m.trickle.get(rel)
            while slow is not None and not slow.is_set() and start < len(data):  # 64 KB every 20 ms
                with contextlib.suppress(OSError):
                    self.wfile.write(data[start:start + 65536])
                    self.wfile.flush()
                start += 65536
                slow.wait(0.02)
            self.wfile.write(data[start:cut])
            if cut is not None:
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)  # dropped mid-transfer

    return H


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[Mirror]:
    m = Mirror(tmp_path / "mirror")
    m.root.mkdir()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _handler(m))
    m.url = f"http://127.0.0.1:{srv.server_address[1]}"
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield m
    srv.shutdown()
    srv.server_close()


def _publish(m: Mirror, files: dict[str, bytes], md5: dict[str, str] | None = None) -> None:
    """Put files of VOICE under its folder and list them in voices.json (with their true
    sizes and MD5s unless ``md5`` says otherwise)."""
    listing = {}
    for name, data in files.items():
        p = m.root / FOLDER / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        listing[f"{FOLDER}/{name}"] = {"size_bytes": len(data),
                                       "md5_digest": (md5 or {}).get(name, hashlib.md5(data).hexdigest())}
    cat = {VOICE: {"key": VOICE, "name": "test", "quality": "medium", "files": listing,
                   "language": {"code": "de_DE", "family": "de", "region": "DE"}},
           "de_DE-thorsten-medium": {"files": {}}}
    (m.root / "voices.json").write_text(json.dumps(cat), encoding="utf-8")


STAND_IN = {f"{VOICE}.onnx": b"not a model " * 5000,
            f"{VOICE}.onnx.json": json.dumps({"audio": {"sample_rate": 22050}, "language": {"code": "de_DE"}}).encode()}


def _data(tmp_path: Path) -> Path:
    return tmp_path / "data" / "relaxgen" / "voices"  # XDG_DATA_HOME (conftest)


def test_download_registers_a_german_voice_that_calm_de_prefers(run, mirror: Mirror, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _publish(mirror, german_joe(VOICE))
    res = run("voices", "download", VOICE, "--from", mirror.url)
    assert res.exit_code == 0, res.output
    assert f"Added voice {VOICE} (de)" in res.output and "(100 %)" in res.output
    folder = _data(tmp_path) / VOICE
    assert sorted(p.name for p in folder.iterdir()) == ["MODEL_CARD", f"{VOICE}.onnx", f"{VOICE}.onnx.json"]
    assert not (_data(tmp_path) / ".download" / VOICE).exists()
    r = ResolvedVoices(load_voices()).resolution("calm-de")
    assert (r.via, r.profile.engine, r.profile.language) == (VOICE, "piper", "de")
    assert r.profile.model == str(folder / f"{VOICE}.onnx")
    listed = json.loads(run("voices", "--language", "de", "--json").output)["profiles"]
    assert next(p for p in listed if p["name"] == "calm-de")["resolves_to"] == VOICE


def test_checksum_mismatch_removes_the_file_and_registers_nothing(run, mirror: Mirror, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _publish(mirror, STAND_IN, md5={f"{VOICE}.onnx": "0" * 32})
    res = run("voices", "download", VOICE, "--from", mirror.url)
    assert res.exit_code == 1
    assert "does not match the catalogue (MD5" in res.output and "it was removed" in res.output
    assert not list(_data(tmp_path).rglob("*.onnx*")) and not list(_data(tmp_path).glob("*.toml"))


def test_truncated_transfer_resumes_on_the_next_run(run, mirror: Mirror, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _publish(mirror, STAND_IN)
    monkeypatch.setenv("RELAXGEN_VOICES_URL", mirror.url)  # the mirror from the environment
    onnx = f"{FOLDER}/{VOICE}.onnx"
    mirror.cut[onnx] = 20000
    res = run("voices", "download", VOICE)
    assert res.exit_code == 1 and f"stopped after 20000 of {len(STAND_IN[f'{VOICE}.onnx'])} bytes" in res.output
    part = _data(tmp_path) / ".download" / VOICE / f"{VOICE}.onnx.part"
    assert part.stat().st_size == 20000
    res = run("voices", "download", VOICE)
    assert (onnx, "bytes=20000-") in mirror.ranges  # resumed, not started again
    # complete and verified, then refused: the stand-in is no model (a corrupt model's error)
    assert res.exit_code == 1 and "could not be loaded" in res.output, res.output
    assert not (_data(tmp_path) / ".download" / VOICE).exists() and not list(_data(tmp_path).glob("*.toml"))


def test_404_names_the_url(run, mirror: Mirror) -> None:  # type: ignore[no-untyped-def]
    _publish(mirror, STAND_IN)
    (mirror.root / FOLDER / f"{VOICE}.onnx.json").unlink()
    res = run("voices", "download", VOICE, "--from", mirror.url)
    assert res.exit_code == 1 and f"{VOICE}.onnx.json: the server answered HTTP 404" in res.output


def test_server_gone_mid_download_then_offline(run, mirror: Mirror, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _publish(mirror, STAND_IN)
    mirror.cut[f"{FOLDER}/{VOICE}.onnx"] = 5000
    res = run("voices", "download", VOICE, "--from", mirror.url)
    assert res.exit_code == 1 and "run the same command again to resume it" in res.output
    shutil.rmtree(mirror.root)  # the server goes away: nothing listens on the port any more
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    res = run("voices", "download", VOICE, "--from", dead)
    lines = res.output.strip().splitlines()
    assert res.exit_code == 1 and len(lines) == 1
    assert "needs the network" in lines[0] and "relaxgen voices add MODEL.onnx" in lines[0]
    assert (_data(tmp_path) / ".download" / VOICE / f"{VOICE}.onnx.part").stat().st_size == 5000


def test_unknown_name_suggests_the_closest(run, mirror: Mirror) -> None:  # type: ignore[no-untyped-def]
    _publish(mirror, STAND_IN)
    res = run("voices", "download", "de_DE-tset-medium", "--from", mirror.url)
    assert res.exit_code == 1
    assert f"unknown voice 'de_DE-tset-medium' in the catalogue at {mirror.url} (did you mean '{VOICE}'?)" in res.output


def test_ctrl_c_keeps_the_part_and_the_next_run_resumes(mirror: Mirror, tmp_path: Path) -> None:
    """Ctrl-C while a voice downloads (sent once part of it has arrived): exit 130 with one
    line, nothing registered, the .part kept; the same command then resumes it."""
    _publish(mirror, STAND_IN | {f"{VOICE}.onnx": os.urandom(4 << 20)})
    onnx = f"{FOLDER}/{VOICE}.onnx"
    mirror.trickle[onnx] = threading.Event()
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"),
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    cmd = [sys.executable, "-m", "generator", "voices", "download", VOICE, "--from", mirror.url, "-q"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    part = _data(tmp_path) / ".download" / VOICE / f"{VOICE}.onnx.part"
    deadline = time.monotonic() + 60
    while not (part.is_file() and part.stat().st_size > 0):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=15)
    finally:
        mirror.trickle[onnx].set()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert err.strip().splitlines() == ["Interrupted. Finished files are kept; run the same command again to resume."]
    kept = part.stat().st_size
    assert 0 < kept < 4 << 20 and not list(_data(tmp_path).glob("*.toml"))
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert (onnx, f"bytes={kept}-") in mirror.ranges  # resumed where it stopped
    assert res.returncode == 1 and "could not be loaded" in res.stderr  # verified, then no model: the stand-in


@pytest.mark.engine
def test_a_downloaded_german_voice_speaks_the_german_library(run, mirror: Mirror, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The German half of the voice story end to end: download from the mirror, then a German
    library script is built with that voice (the real Piper engine) at its length."""
    _publish(mirror, german_joe(VOICE))
    assert run("voices", "download", VOICE, "--from", mirror.url).exit_code == 0
    out, seconds = tmp_path / "atmen.mp3", 120.0  # the script's shortest length
    res = run("build", "breathing-478", "-o", str(out), "--set", "language=de", "--minutes", str(seconds / 60),
              "--cache-dir", str(tmp_path / "cache"))
    assert res.exit_code == 0, res.output
    line = next(x for x in res.output.splitlines() if x.startswith("Voice calm-de:"))
    assert f"piper voice {VOICE}" in line and f"{VOICE} is its first installed preference" in line
    assert ID3(out).getall("TXXX:relaxgen voice")[0].text[0] == line.removeprefix("Voice ")
    a = load(out)
    assert abs(len(a) / SR - seconds) <= 0.02 * seconds
    spoken = sum(e - s for loud, s, e in regions(a, -45.0) if loud)
    assert spoken >= 0.2 * seconds, spoken  # the voice speaks (about a third), not only the holds and pauses
