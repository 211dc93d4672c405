"""Speech synthesis: worker pool (timeouts, crashes, retries), engines, real clips."""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from generator.audio.clips import SR, process_engine_output, read_wav, rms_dbfs
from generator.errors import SynthesisError, VoiceError
from generator.model import ClipRequest
from generator.tts.cache import ClipCache
from generator.tts.fake import FakeEngine
from generator.tts.pool import clip_timeout
from generator.tts.synth import Synthesizer

HERE = "tests.tts.test_tts"


# -- test-only engines, built inside the worker processes from "module:factory" specs


class SleepyEngine(FakeEngine):
    """Hangs on any text containing 'hang'."""

    def synthesize(self, req: ClipRequest, out_wav: Path) -> None:
        if "hang" in req.text:
            time.sleep(120)
        super().synthesize(req, out_wav)


def _marker(text: str) -> Path:
    return Path(tempfile.gettempdir()) / f"relaxgen-test-crash-{hashlib.sha256(text.encode()).hexdigest()[:16]}"


class CrashOnceEngine(FakeEngine):
    """Kills its process the first time it sees a text containing 'crash'."""

    def synthesize(self, req: ClipRequest, out_wav: Path) -> None:
        if "crash" in req.text.lower() and not _marker(req.text).exists():
            _marker(req.text).touch()
            os._exit(3)
        super().synthesize(req, out_wav)


class CrashAlwaysEngine(FakeEngine):
    def synthesize(self, req: ClipRequest, out_wav: Path) -> None:
        if "crash" in req.text.lower():
            os._exit(4)
        super().synthesize(req, out_wav)


class ChattyEngine(FakeEngine):
    """Prints on stdout and stderr at the Python and file-descriptor level."""

    def synthesize(self, req: ClipRequest, out_wav: Path) -> None:
        print("Audio saved to", out_wav)
        print("driver noise", file=sys.stderr)
        os.write(1, b"fd noise\n")
        super().synthesize(req, out_wav)


class SilentEngine(FakeEngine):
    def synthesize(self, req: ClipRequest, out_wav: Path) -> None:
        from generator.audio.clips import write_wav

        write_wav(out_wav, np.zeros(22050, dtype=np.float32), 22050)


class BadVoiceEngine(FakeEngine):
    def synthesize(self, req: ClipRequest, out_wav: Path) -> None:
        raise VoiceError(f"the speech engine rejected voice '{req.voice_id}'")


class ThreadedEngine(SleepyEngine):
    """A multithreaded engine (as Piper): notes the threads it was given and its process per clip."""

    multithreaded = True

    def __init__(self) -> None:
        self.threads = 1

    def threads_for(self, jobs: int) -> int:  # as Piper: every job in one worker unless told
        return int(os.environ.get("RELAXGEN_TEST_THREADS", jobs))

    def synthesize(self, req: ClipRequest, out_wav: Path) -> None:
        _marker(req.text).write_text(f"{self.threads} {os.getpid()}")
        super().synthesize(req, out_wav)


def req(text: str, engine: str = "fake", voice_id: str = "fake/en", language: str = "en") -> ClipRequest:
    return ClipRequest(engine, f"test-{language}", voice_id, language, 150.0, 50, text)


def pooled(tmp_path: Path, engine: str, jobs: int = 2, timeout: float = 20.0) -> Synthesizer:
    return Synthesizer(ClipCache(tmp_path / "cache"), jobs=jobs, timeout=timeout,
                       engine_specs={"fake": f"{HERE}:{engine}"}, isolate=True)


def unique(word: str) -> str:
    return f"{word} {''.join(chr(97 + b % 26) for b in uuid.uuid4().bytes[:8])}"


# -- in-process and pooled synthesis


def test_in_process_fake_engine_counts_and_caches(tmp_path: Path) -> None:
    syn = Synthesizer(ClipCache(tmp_path))
    reqs = [req("One."), req("Two."), req("One.")]
    calls: list[tuple[int, int]] = []
    out = syn.synthesize_all(reqs, lambda i, n: calls.append((i, n)))
    assert syn.stats.synthesized == 2 and calls == [(1, 2), (2, 2)]
    assert set(out) == {reqs[0], reqs[1]}
    again = syn.synthesize_all(reqs)
    assert syn.stats.synthesized == 2 and syn.stats.cached == 2
    assert again[reqs[0]] == out[reqs[0]]


def test_requests_with_the_same_key_are_spoken_once(tmp_path: Path) -> None:
    syn = Synthesizer(ClipCache(tmp_path))
    a = req("Same words.")
    b = ClipRequest(a.engine, "another-profile-name", a.voice_id, a.language, a.rate_wpm, a.pitch, a.text)
    out = syn.synthesize_all([a, b])
    assert syn.stats.synthesized == 1 and out[a] == out[b]


def test_pool_gives_the_same_clips_as_in_process(tmp_path: Path) -> None:
    reqs = [req(f"Sentence number {w}, slowly.") for w in ("one", "two", "three", "four", "five")]
    inline = Synthesizer(ClipCache(tmp_path / "a")).synthesize_all(reqs)
    with Synthesizer(ClipCache(tmp_path / "b"), jobs=2, isolate=True) as syn:
        progress: list[int] = []
        pooled_out = syn.synthesize_all(reqs, lambda i, n: progress.append(i))
        assert syn.stats.synthesized == 5 and progress == [1, 2, 3, 4, 5]
        assert syn._pools["fake"].started == 2
    for r in reqs:
        assert pooled_out[r].frames == inline[r].frames
        assert pooled_out[r].path.read_bytes() == inline[r].path.read_bytes()


def test_hung_worker_is_timed_out_replaced_and_reported(tmp_path: Path) -> None:
    syn = pooled(tmp_path, "SleepyEngine", timeout=2.0)
    t0 = time.monotonic()
    with pytest.raises(SynthesisError) as e:
        syn.synthesize_all([req("Fine words."), req("Please hang here forever.")])
    assert time.monotonic() - t0 < 20
    msg = str(e.value)
    assert "'Please hang here forever.'" in msg and "did not finish" in msg and "tried 2 times" in msg
    assert "RELAXGEN_TTS_TIMEOUT" in msg
    assert syn._pools["fake"].started >= 2  # the hung worker was replaced for the retry
    # the pool recovers: the next batch works
    assert syn.synthesize_all([req("Afterwards all is well.")])
    syn.close()


def test_a_multithreaded_engine_gets_one_worker_with_the_jobs_as_threads(tmp_path: Path) -> None:
    texts = [unique(f"Threaded sentence {w}") for w in ("one", "two", "three", "four")]
    syn = pooled(tmp_path, "ThreadedEngine", jobs=3, timeout=2.0)
    try:
        syn.synthesize_all([req(t) for t in texts])
        seen = {_marker(t).read_text() for t in texts}
        assert len(seen) == 1 and seen.pop().split()[0] == "3"  # one process, three threads
        assert syn._pools["fake"].started == 1
        # its deadline still holds: a hung clip ends its worker, and a new one takes over
        with pytest.raises(SynthesisError, match="did not finish"):
            syn.synthesize_all([req("Please hang here forever.")])
        assert syn._pools["fake"].started == 2  # the retry ran in a fresh worker
        assert syn.synthesize_all([req(texts[0] + " again")])
        assert syn._pools["fake"].started == 3
    finally:
        syn.close()
        for t in texts:
            _marker(t).unlink(missing_ok=True)
        _marker(texts[0] + " again").unlink(missing_ok=True)


def test_a_multithreaded_engine_told_one_thread_gets_a_worker_per_job(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAXGEN_TEST_THREADS", "1")
    texts = [unique(f"Single-threaded sentence {w}") for w in ("one", "two", "three", "four")]
    with pooled(tmp_path, "ThreadedEngine", jobs=2) as syn:
        syn.synthesize_all([req(t) for t in texts])
        seen = [_marker(t).read_text().split() for t in texts]
        assert {s[0] for s in seen} == {"1"} and syn._pools["fake"].started == 2
    for t in texts:
        _marker(t).unlink(missing_ok=True)


def test_crashed_worker_is_replaced_and_the_clip_retried(tmp_path: Path) -> None:
    text = unique("Crash once then speak")
    with pooled(tmp_path, "CrashOnceEngine", jobs=1) as syn:
        out = syn.synthesize_all([req("Before."), req(text), req("After.")])
        assert len(out) == 3 and syn.stats.synthesized == 3
        assert syn._pools["fake"].started == 2
    _marker(text).unlink(missing_ok=True)


def test_a_worker_that_always_crashes_fails_the_build_naming_the_text(tmp_path: Path) -> None:
    with pooled(tmp_path, "CrashAlwaysEngine") as syn, pytest.raises(SynthesisError) as e:
        syn.synthesize_all([req("This will crash.")])
    assert "crashed (exit code 4)" in str(e.value) and "'This will crash.'" in str(e.value)


def test_silence_is_retried_once_then_reported(tmp_path: Path) -> None:
    with pooled(tmp_path, "SilentEngine") as syn, pytest.raises(SynthesisError) as e:
        syn.synthesize_all([req("Nothing comes out.")])
    assert "produced silence" in str(e.value) and "'Nothing comes out.'" in str(e.value)


def test_a_voice_error_in_a_worker_is_raised_as_is(tmp_path: Path) -> None:
    with pooled(tmp_path, "BadVoiceEngine") as syn, pytest.raises(VoiceError, match="rejected voice 'fake/en'"):
        syn.synthesize_all([req("Hello.")])


def test_worker_output_does_not_leak(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    with pooled(tmp_path, "ChattyEngine") as syn:
        syn.synthesize_all([req("Chatty one."), req("Chatty two.")])
    out, err = capfd.readouterr()
    assert "noise" not in out + err and "Audio saved" not in out + err


def test_unknown_engine_spec_is_a_voice_error(tmp_path: Path) -> None:
    syn = Synthesizer(ClipCache(tmp_path), engine_specs={"fake": "tests.nope:Engine"})
    with pytest.raises(VoiceError, match="cannot load the speech engine 'tests.nope:Engine'"):
        syn.synthesize_all([req("x")])


def test_clip_timeout_scales_with_text() -> None:
    assert clip_timeout(60, "") == 60
    assert clip_timeout(60, "x" * 100) == pytest.approx(70)


def test_timeout_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RELAXGEN_TTS_TIMEOUT", "5")
    monkeypatch.setenv("RELAXGEN_JOBS", "3")
    syn = Synthesizer(ClipCache(tmp_path))
    assert syn.timeout == 5 and syn.jobs == 3
    monkeypatch.setenv("RELAXGEN_TTS_TIMEOUT", "soon")
    with pytest.raises(SynthesisError, match="RELAXGEN_TTS_TIMEOUT"):
        Synthesizer(ClipCache(tmp_path))


# -- the real pyttsx3 engine (espeak-ng on Linux), through the worker pool


def speech_ok(path: Path) -> np.ndarray:
    a, sr = read_wav(path)
    assert sr == SR and a.size > SR * 0.3
    assert rms_dbfs(a) > -35  # speech, not silence or hiss
    # syllables: the level moves; a tone or noise would be flat
    win = SR // 50
    env = np.sqrt(np.mean(np.square(a[: a.size // win * win].reshape(-1, win)), axis=1))
    assert np.std(20 * np.log10(env + 1e-6)) > 3
    # trimmed: sound starts and ends within a few ms of the edges
    edge = int(SR * 0.03)
    assert np.abs(a[:edge]).max() > 10 ** (-45 / 20) and np.abs(a[-edge:]).max() > 10 ** (-45 / 20)
    return a


@pytest.mark.engine
def test_real_engine_speaks_english_and_german(tmp_path: Path) -> None:
    from generator.tts.base import resolve_voice_id
    from generator.tts.voices import get_voice, platform_key

    with Synthesizer(ClipCache(tmp_path), jobs=2) as syn:
        reqs = []
        for name, text in (("calm-en", "Breathe in slowly."), ("calm-de", "Atme ruhig ein und aus.")):
            v = get_voice(name)
            vid = resolve_voice_id(v, syn.engine("pyttsx3"), platform_key())
            reqs.append(ClipRequest("pyttsx3", v.name, vid, v.language, v.rate_wpm, v.pitch, text))
        out = syn.synthesize_all(reqs)
        assert syn.stats.synthesized == 2
        en, de = (speech_ok(out[r].path) for r in reqs)
        assert 0.6 < en.size / SR < 4 and 0.8 < de.size / SR < 5


@pytest.mark.engine
def test_one_engine_speaks_every_clip_at_its_own_rate(tmp_path: Path) -> None:
    """One engine (as in a speech worker serving many listeners) given clips of two voices at
    three rates, mixed: each clip has its own rate, not one set for an earlier clip (espeak-ng
    kept the rate a voice had when it was selected: most clips of such a mix came out at the
    wrong length). Every clip of a (voice, rate) has one length (within 50 ms: espeak-ng's
    output varies by a few ms), and a faster rate is shorter."""
    from generator.tts.espeak import Pyttsx3Engine

    engine = Pyttsx3Engine()
    text = {"en": "Let your shoulders soften, and sink a little lower.",
            "de": "Lass deine Schultern weich werden, und ein wenig tiefer sinken."}
    order = [("de", 110.0), ("en", 160.0), ("en", 110.0), ("en", 110.0), ("en", 135.0), ("de", 160.0),
             ("de", 135.0), ("en", 160.0), ("de", 110.0), ("de", 110.0), ("en", 135.0), ("de", 160.0)]
    lengths: dict[tuple[str, float], set[float]] = {}
    for i, (lang, wpm) in enumerate(order):
        out = tmp_path / f"{i}.wav"
        engine.synthesize(ClipRequest("pyttsx3", "x", f"gmw/{lang}", lang, wpm, 40, text[lang]), out)
        lengths.setdefault((lang, wpm), set()).add(round(process_engine_output(out, text[lang]).size / SR, 2))
    assert all(max(v) - min(v) <= 0.05 for v in lengths.values()), lengths
    for lang in text:
        assert min(lengths[lang, 110.0]) > max(lengths[lang, 135.0]) and min(lengths[lang, 135.0]) > max(lengths[lang, 160.0]), lengths


def test_a_build_survives_a_crashing_worker(tmp_path: Path) -> None:
    from generator.api import BuildOptions, build_session

    words = unique("Crash")
    tpl = tmp_path / "t.j2"
    tpl.write_text(f"Settle in. [pause 2s] {words} now. [pause 2s] Rest.", encoding="utf-8")
    with pooled(tmp_path, "CrashOnceEngine", jobs=2) as syn:
        res = build_session(tpl, tmp_path / "t.mp3", options=BuildOptions(engine="fake"), synth=syn)
        assert res.path.is_file() and res.synthesized == 3
        assert syn._pools["fake"].started >= 2
    for t in syn.stats.texts:
        _marker(t).unlink(missing_ok=True)
