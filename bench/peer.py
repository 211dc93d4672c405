"""The peer way: how small meditation generators build a session with pydub.

The same script and the same timeline (relaxgen plans it, and the speech
comes from the same clip cache, so neither side pays for synthesis): every
pause is an ``AudioSegment.silent``, every sentence an ``AudioSegment``
loaded from its WAV, all joined with ``+``; the bed (a stereo noise loop
loaded from a WAV file) is turned down and laid under the whole session with
``overlay(loop=True)``; fades; ``export(format="mp3")``. The peer does no
loudness normalisation and no ducking, so it does less work than relaxgen.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

BED_GAIN_DB = -24.0


def write_bed_wav(path: Path, seconds: float = 60.0, sr: int = 44100, seed: int = 7) -> None:
    """A stereo brown-noise loop as 16-bit WAV: the peer's 'rain.wav'."""
    from scipy.signal import lfilter

    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    white = rng.standard_normal((n, 2)).astype(np.float64)
    brown = lfilter([1.0], [1.0, -0.995], white, axis=0)
    brown /= np.max(np.abs(brown)) * 1.25
    import wave

    pcm = np.clip(np.round(brown * 32767), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(pcm.tobytes())


def _pydub() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "Couldn't find ffmpeg": set below
        warnings.simplefilter("ignore", DeprecationWarning)  # audioop (Python 3.11-3.12)
        from pydub import AudioSegment

    from generator.audio.ffmpeg import ffmpeg_exe

    AudioSegment.converter = ffmpeg_exe()
    return AudioSegment


def build_peer(spec: dict[str, Any]) -> dict[str, Any]:
    """Build ``spec['template']`` the pydub way into ``spec['out']``; time only the peer's part."""
    from bench.one import profile_from
    from generator.api import prepare, timed
    from generator.model import TimedSpeech
    from generator.tts.cache import ClipCache
    from generator.tts.synth import Synthesizer

    AudioSegment = _pydub()
    syn = Synthesizer(ClipCache(Path(spec["cache"])))
    prep = prepare(spec["template"], profile_from(spec), spec.get("minutes"), spec.get("engine"), synth=syn)
    clips = syn.synthesize_all(prep.requests)
    tl = timed(prep, {c: clips[c].dur_ms for c in prep.requests})
    speech = sorted((i for i in tl.items if isinstance(i, TimedSpeech)), key=lambda i: i.start_ms)
    sr = 44100

    t0 = time.perf_counter()
    session = AudioSegment.silent(duration=0, frame_rate=sr)
    for item in speech:
        gap = item.start_ms - len(session)
        if gap > 0:
            session += AudioSegment.silent(duration=gap, frame_rate=sr)
        session += AudioSegment.from_wav(str(clips[item.clip].path))
    tail = tl.total_ms - len(session)
    if tail > 0:
        session += AudioSegment.silent(duration=tail, frame_rate=sr)
    bed = AudioSegment.from_wav(spec["bed_wav"]) + BED_GAIN_DB
    session = session.overlay(bed, loop=True)
    session = session.fade_in(1500).fade_out(4000)
    session.export(spec["out"], format="mp3", bitrate="128k")
    seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "audio_s": len(session) / 1000.0,
        "segments": 2 * len(speech),
        "bytes": Path(spec["out"]).stat().st_size,
    }
