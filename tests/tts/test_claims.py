"""Processes sharing one cache speak each missing sentence once (course workers)."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from generator.fsutil import HOST
from generator.model import ClipRequest
from generator.tts.cache import ClipCache
from generator.tts.claims import EMPTY_STALE_S, Claims
from generator.tts.fake import FakeEngine, fake_samples
from generator.tts.synth import Synthesizer

ROOT = Path(__file__).resolve().parents[2]


def _reqs(n: int) -> list[ClipRequest]:
    return [ClipRequest("fake", "calm-en", "fake/en", "en", 135.0, 40, f"Sentence number {i}, slowly.") for i in range(n)]


class SlowEngine(FakeEngine):
    """The fake engine at 40 ms a sentence: long enough for two processes to overlap."""

    def synthesize(self, req: ClipRequest, out_wav: Path) -> None:
        time.sleep(0.04)
        super().synthesize(req, out_wav)


SPEAK = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from tests.tts.test_claims import SlowEngine, _reqs
from generator.tts.cache import ClipCache
from generator.tts.synth import Synthesizer
while time.time() < float(sys.argv[3]):  # both start at the same moment
    time.sleep(0.001)
syn = Synthesizer(ClipCache(Path(sys.argv[1])), engines={"fake": SlowEngine()})
clips = syn.synthesize_all(_reqs(24))
print(json.dumps({"synthesized": syn.stats.synthesized, "cached": syn.stats.cached, "clips": len(clips)}))
"""


def test_two_processes_needing_the_same_sentences_speak_each_once(tmp_path: Path) -> None:
    start = time.time() + 1.5
    procs = [subprocess.Popen([sys.executable, "-c", SPEAK, str(tmp_path), str(ROOT), str(start)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    got = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-2000:]
        got.append(json.loads(out.strip().splitlines()[-1]))
    assert [g["clips"] for g in got] == [24, 24]
    assert sum(g["synthesized"] for g in got) == 24  # each sentence spoken by one of them
    assert all(g["synthesized"] + g["cached"] == 24 for g in got)
    assert ClipCache(tmp_path).info().entries == 24
    assert not list((tmp_path / "claims").iterdir())


def test_two_threads_of_one_process_speak_each_sentence_once(tmp_path: Path) -> None:
    """A Dask worker runs several tasks as threads of one process: they wait for each other too."""
    start = threading.Barrier(2)
    got: list[tuple[int, int, int]] = []

    def build() -> None:
        syn = Synthesizer(ClipCache(tmp_path), engines={"fake": SlowEngine()})
        start.wait()
        clips = syn.synthesize_all(_reqs(24))
        got.append((syn.stats.synthesized, syn.stats.cached, len(clips)))

    threads = [threading.Thread(target=build) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [g[2] for g in got] == [24, 24]
    assert sum(g[0] for g in got) == 24 and all(g[0] + g[1] == 24 for g in got)
    assert not list((tmp_path / "claims").iterdir())


def test_a_claim_left_by_this_process_is_stale(tmp_path: Path) -> None:
    """A claim file with this process's id that none of its threads holds (an earlier crash)."""
    syn = Synthesizer(ClipCache(tmp_path), engines={"fake": FakeEngine()})
    req = _reqs(1)[0]
    (tmp_path / "claims").mkdir()
    (tmp_path / "claims" / syn.key(req)).write_text(f"{HOST} {os.getpid()}\n")
    t0 = time.monotonic()
    syn.synthesize_all([req])
    assert syn.stats.synthesized == 1 and time.monotonic() - t0 < 5


def test_a_claim_of_a_live_process_is_waited_for(tmp_path: Path) -> None:
    cache = ClipCache(tmp_path)
    syn = Synthesizer(cache, engines={"fake": FakeEngine()})
    req = _reqs(1)[0]
    key = syn.key(req)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (tmp_path / "claims").mkdir()
        (tmp_path / "claims" / key).write_text(f"{HOST} {other.pid}\n")

        def the_other_process_finishes() -> None:
            time.sleep(0.4)
            cache.put(key, fake_samples(req))
            (tmp_path / "claims" / key).unlink()

        threading.Thread(target=the_other_process_finishes).start()
        t0 = time.monotonic()
        clips = syn.synthesize_all([req])
        assert time.monotonic() - t0 >= 0.35  # it waited ...
        assert syn.stats.synthesized == 0 and syn.stats.cached == 1  # ... and took the other's clip
        assert clips[req].path == cache.path(key)
    finally:
        other.kill()
        other.wait()


def test_a_claim_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    syn = Synthesizer(ClipCache(tmp_path), engines={"fake": FakeEngine()})
    req = _reqs(1)[0]
    (tmp_path / "claims").mkdir()
    (tmp_path / "claims" / syn.key(req)).write_text(f"{HOST} {dead.pid}\n")
    syn.synthesize_all([req])
    assert syn.stats.synthesized == 1
    assert not list((tmp_path / "claims").iterdir())


def test_a_claim_whose_process_gave_up_without_a_clip_is_spoken_here(tmp_path: Path) -> None:
    """The other process failed on the sentence and let its claim go: speak it here."""
    cache = ClipCache(tmp_path)
    syn = Synthesizer(cache, engines={"fake": FakeEngine()})
    req = _reqs(1)[0]
    claims = Claims(tmp_path)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (tmp_path / "claims").mkdir()
        (tmp_path / "claims" / syn.key(req)).write_text(f"{HOST} {other.pid}\n")
        threading.Timer(0.3, claims.release, (syn.key(req),)).start()
        syn.synthesize_all([req])
        assert syn.stats.synthesized == 1
    finally:
        other.kill()
        other.wait()


def test_claims_of_other_hosts_expire_by_age(tmp_path: Path) -> None:
    claims = Claims(tmp_path)
    assert claims.take("k1")
    assert not claims.take("k1")  # held by this process (another thread waits for it too)
    claims.release("k1")
    assert claims.take("k1")
    p = tmp_path / "claims" / "k2"
    p.write_text("otherhost 12345\n")
    assert claims.held("k2") and not claims.take("k2")
    old = time.time() - 3600
    os.utime(p, (old, old))
    assert not claims.held("k2") and claims.take("k2")


def test_a_claim_file_is_whole_or_absent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A claim stopped half-way (Ctrl-C, SIGKILL) must not leave an empty file: an empty claim
    cannot say whose it is, and the next run waited five minutes for it."""
    claims = Claims(tmp_path)
    assert claims.take("k1")
    assert sorted(p.name for p in claims.dir.iterdir()) == ["k1"]  # no temporary file left
    assert (claims.dir / "k1").read_text() == f"{HOST} {os.getpid()}\n"

    def interrupted(src: object, dst: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "link", interrupted)
    with pytest.raises(KeyboardInterrupt):
        claims.take("k2")
    assert sorted(p.name for p in claims.dir.iterdir()) == ["k1"]


def test_without_hard_links_claims_still_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(src: object, dst: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    claims = Claims(tmp_path)
    assert claims.take("k1") and not claims.take("k1")
    assert sorted(p.name for p in claims.dir.iterdir()) == ["k1"]
    assert (claims.dir / "k1").read_text() == f"{HOST} {os.getpid()}\n"


def test_an_empty_claim_counts_only_while_it_can_still_be_written(tmp_path: Path) -> None:
    claims = Claims(tmp_path)
    p = tmp_path / "claims" / "k1"
    p.parent.mkdir()
    p.write_bytes(b"")  # being written by another process (a file system without hard links)
    assert claims.held("k1") and not claims.take("k1")
    old = time.time() - EMPTY_STALE_S - 1
    os.utime(p, (old, old))  # ... or abandoned half-made: taken over after seconds, not minutes
    assert not claims.held("k1") and claims.take("k1")
