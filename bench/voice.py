"""Voice quality: for each installed English voice profile, how well an offline recogniser
understands it (word error rate), a predicted mean opinion score, synthesis speed and
the peak memory of a speech worker; for the German default voice as it resolves here,
speed, memory and the delivered rate (the recogniser is English only).

- WER: PocketSphinx (its US English model ships in its wheel) on each bench sentence,
  cut from the built session by its timeline; jiwer counts the errors.
- MOS: DNSMOS P.808 (Microsoft's non-intrusive speech-quality predictor, the ONNX models
  ship in the ``speechmos`` wheel) over all sentences.
- Speed: a cold synthesis of the sentences (two speech workers), speech seconds per
  wall second; memory: the largest speech worker's peak RSS, sampled.
These need the ``bench`` extra (``pip install '.[bench]'``); without it the figures
are reported as not measured.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

SENTENCES = (
    "Find a comfortable position and let your eyes close.",
    "Breathe in slowly through your nose.",
    "Let the air flow out through your mouth.",
    "Notice the weight of your body on the floor.",
    "Your shoulders can soften and drop a little.",
    "There is nothing you need to do right now.",
    "Bring your attention to your lower back.",
    "If anything hurts, let that movement go.",
    "With every breath out, you can let go a little more.",
    "Slowly open your eyes when you are ready.",
)
QUICK_SENTENCES = SENTENCES[:2]
SENTENCES_DE = (
    "Finde eine bequeme Haltung und lass die Augen sich schließen.",
    "Atme langsam durch die Nase ein.",
    "Lass die Luft durch den Mund hinausströmen.",
    "Spüre das Gewicht deines Körpers auf dem Boden.",
    "Deine Schultern dürfen weich werden und ein wenig sinken.",
    "Im Moment gibt es nichts zu tun.",
    "Lenke deine Aufmerksamkeit in den unteren Rücken.",
    "Wenn etwas wehtut, lass diese Bewegung aus.",
    "Mit jedem Ausatmen darfst du ein wenig mehr loslassen.",
    "Öffne langsam die Augen, wenn du so weit bist.",
)
ASR_SR = 16000
Log = Callable[[str], None]


def english_voices() -> list[tuple[str, str | None]]:
    """(profile, engine override) to measure: every English profile as a listener gets it
    here (its preference resolved), and calm-en on espeak-ng for comparison; each distinct
    resolved voice once."""
    from generator.tts.voices import ResolvedVoices, load_voices

    voices = load_voices()
    out: list[tuple[str, str | None]] = []
    seen: set[tuple[str, str, str]] = set()
    names = [n for n, v in sorted(voices.items()) if v.language.split("-")[0] == "en" and v.engine != "fake"]
    for name, engine in [*((n, None) for n in names), ("calm-en", "pyttsx3")]:
        try:
            r = ResolvedVoices(voices, engine).resolution(name)
        except Exception:  # not installed here (a Piper profile without the extra)
            continue
        key = (r.profile.engine, r.profile.model or "", str(r.profile.voice_ids))
        if name in voices and key not in seen:
            seen.add(key)
            out.append((name, engine))
    return out


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^a-z' ]+", " ", text.lower()).split())


def word_error_rate(refs: list[str], hyps: list[str]) -> float:
    import jiwer

    return float(jiwer.wer([_words(r) for r in refs], [_words(h) or "<empty>" for h in hyps]))


def transcribe(audio16k: np.ndarray) -> str:
    """PocketSphinx's US English model on one utterance (16 kHz mono float)."""
    from pocketsphinx import Decoder

    dec = _decoder(Decoder)
    pcm = (np.clip(audio16k, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    dec.start_utt()
    dec.process_raw(pcm, full_utt=True)
    dec.end_utt()
    hyp = dec.hyp()
    return hyp.hypstr if hyp is not None else ""


_DECODER: Any = None


def _decoder(factory: Any) -> Any:
    global _DECODER
    if _DECODER is None:
        _DECODER = factory(loglevel="FATAL")
    return _DECODER


def predicted_mos(audio16k: np.ndarray) -> float:
    """DNSMOS P.808 over the whole clip (``speechmos``)."""
    from speechmos import dnsmos

    peak = float(np.max(np.abs(audio16k))) if len(audio16k) else 0.0
    x = audio16k / peak * 0.9 if peak > 0 else audio16k
    return float(dnsmos.run(x.astype(np.float64), sr=ASR_SR)["p808_mos"])


def _to16k(x: np.ndarray, sr: int) -> np.ndarray:
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(ASR_SR, sr)
    return np.asarray(resample_poly(x, ASR_SR // g, sr // g), dtype=np.float64)


class _PeakWorkers:
    """Samples the RSS of this process's child processes (the speech workers) every 50 ms."""

    def __init__(self) -> None:
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.is_set():
            for c in me.children(recursive=True):
                try:
                    if "forkserver" in " ".join(c.cmdline()) and c.ppid() == me.pid:
                        continue  # the fork server itself, not a worker
                    self.peak_mb = max(self.peak_mb, c.memory_info().rss / 1e6)
                except psutil.Error:
                    continue
            self._stop.wait(0.05)

    def __enter__(self) -> _PeakWorkers:
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()


def measure_voice(voice: str, sentences: tuple[str, ...], work: Path, jobs: int = 2,
                  engine: str | None = None, language: str = "en") -> dict[str, Any]:
    """Synthesis speed and worker memory (cold), the delivered rate, then (English) WER and MOS
    on the built session."""
    from generator.api import BuildOptions, build_session, prepare
    from generator.audio.clips import SR
    from generator.audio.ffmpeg import decode
    from generator.profile import Profile
    from generator.tts.cache import ClipCache
    from generator.tts.synth import Synthesizer

    tpl = work / f"{voice}.j2"
    tpl.write_text("\n".join(f"{s} [pause 1s]" for s in sentences) + "\n", encoding="utf-8")
    cache = work / f"cache-{voice}"
    shutil.rmtree(cache, ignore_errors=True)
    profile = Profile(voice=voice, language=language, bed="none")
    prep = prepare(tpl, profile, None, engine, [], synth=Synthesizer(ClipCache(cache)))
    syn = Synthesizer(ClipCache(cache), jobs=jobs, isolate=True)
    with _PeakWorkers() as peak:
        t0 = time.perf_counter()
        clips = syn.synthesize_all(prep.requests)
        seconds = time.perf_counter() - t0
    syn.close()
    speech_s = sum(c.frames for c in clips.values()) / SR
    engines = sorted({r.engine for r in prep.requests})
    out: dict[str, Any] = {"voice": voice, "engine": "+".join(engines), "sentences": len(sentences),
                           "synth_s": seconds, "speech_s": speech_s, "x_realtime": speech_s / seconds,
                           "worker_peak_mb": peak.peak_mb, "jobs": jobs}
    mp3 = work / f"{voice}.mp3"
    tl = build_session(tpl, mp3, profile, None,
                       BuildOptions(cache_dir=cache, mono=True, encoders=1, engine=engine)).timeline
    audio = decode(mp3, SR, 1)[:, 0]
    words = sum(len(s.text.split()) for s in tl.speech)
    out["words_per_minute"] = 60.0 * words / (tl.speech_ms / 1000.0)
    if language != "en":
        out["quality"] = "not measured: the recogniser is English only"
        return out
    try:
        import jiwer  # noqa: F401
        import pocketsphinx  # noqa: F401
        import speechmos  # noqa: F401
    except ImportError:
        out["quality"] = "not measured: pip install '.[bench]' (pocketsphinx, speechmos, jiwer)"
        return out
    refs, hyps, parts = [], [], []
    for s in sorted(tl.speech, key=lambda s: s.start_ms):
        a, b = int(s.start_ms * SR / 1000), int((s.start_ms + s.dur_ms) * SR / 1000)
        seg = _to16k(audio[a:b], SR)
        refs.append(s.text)
        hyps.append(transcribe(seg))
        parts += [seg, np.zeros(int(0.3 * ASR_SR))]
    out["wer"] = word_error_rate(refs, hyps)
    out["mos_p808"] = predicted_mos(np.concatenate(parts))
    out["transcripts"] = [{"said": r, "heard": h} for r, h in zip(refs, hyps, strict=True)]
    return out


def default_english_voice() -> str:
    """The voice an English listener gets when their profile names none."""
    from generator.profile import Profile

    return Profile(language="en").voice_name


def run_voices(quick: bool, work: Path, log: Log) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    sentences = QUICK_SENTENCES if quick else SENTENCES
    todo = english_voices()
    if quick:
        todo = [("calm-en", "pyttsx3")]
    default = default_english_voice()
    out: dict[str, Any] = {"default": default, "voices": {}}
    for voice, engine in todo:
        label = voice if engine is None else f"{voice} on {engine}"
        with tempfile.TemporaryDirectory(dir=work) as d:
            r = measure_voice(voice, sentences, Path(d), engine=engine)
        r["is_default"] = voice == default and engine is None
        out["voices"][label] = r
        _log_voice(log, label, r)
    if not quick:
        with tempfile.TemporaryDirectory(dir=work) as d:
            r = measure_voice("calm-de", SENTENCES_DE, Path(d), language="de")
        out["voices"]["calm-de"] = r
        _log_voice(log, "calm-de", r)
    return out


def _log_voice(log: Log, label: str, r: dict[str, Any]) -> None:
    q = (f"WER {r['wer']:.2f}, MOS {r['mos_p808']:.2f}" if "wer" in r else r.get("quality", ""))
    log(f"  {label:<20} {r['engine']:<8} {r['x_realtime']:6.1f}x real time, worker peak "
        f"{r['worker_peak_mb']:5.0f} MB, {r['words_per_minute']:4.0f} wpm, {q}")


def default_figures(v: dict[str, Any]) -> dict[str, Any] | None:
    """The measures of the voice an English listener gets by default."""
    return next((r for r in v["voices"].values() if r.get("is_default")), None)


def neural_installed() -> bool:
    try:
        import piper  # noqa: F401
    except ImportError:
        return False
    return True


def voice_targets(v: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The voice targets: the default English voice is understood (WER <= 0.40) and pleasant
    (predicted MOS >= 4.0); speech comes at least 10x faster than real time. (Its builds'
    targets: :mod:`bench.neural`.)"""
    from .targets import target

    out: dict[str, dict[str, Any]] = {}
    d = default_figures(v) if v else None
    if d is None:
        return out
    name = d["voice"]
    if "wer" in d:
        out["voice_wer"] = target(f"default English voice ({name}): word error rate <= 0.40", d["wer"], d["wer"] <= 0.40)
        out["voice_mos"] = target(f"default English voice ({name}): predicted MOS >= 4.0", d["mos_p808"],
                                  d["mos_p808"] >= 4.0)
    out["voice_speed"] = target(f"default English voice ({name}): synthesis >= 10x real time on {d['jobs']} workers",
                                d["x_realtime"], d["x_realtime"] >= 10.0, "x")
    return out
