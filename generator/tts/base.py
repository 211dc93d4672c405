"""The engine interface. The rest of relaxgen never imports an engine library."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..errors import VoiceError, closest
from ..model import ClipRequest, VoiceProfile


@dataclass(frozen=True)
class EngineVoice:
    id: str
    name: str
    languages: tuple[str, ...]


class Engine(Protocol):
    name: str

    def version(self) -> str:
        """Identifies the engine build; part of every cache key."""
        ...

    def voices(self) -> list[EngineVoice]:
        ...

    def synthesize(self, req: ClipRequest, out_wav: Path) -> None:
        """Speak ``req.text`` into a WAV file (any rate, mono or stereo)."""
        ...


ENGINE_NAMES = ("pyttsx3", "piper", "fake")


def engine_class(name: str) -> type:
    """The class of an engine by name (``pyttsx3``, ``piper``, ``fake``), not started: what it
    says about its engine (:func:`voice_from_profile`, :func:`speaks_estimates`) costs nothing."""
    if name == "pyttsx3":
        from .espeak import Pyttsx3Engine

        return Pyttsx3Engine
    if name == "fake":
        from .fake import FakeEngine

        return FakeEngine
    if name == "piper":
        from .piper import PiperEngine

        return PiperEngine
    raise VoiceError(f"unknown engine '{name}'; engines are {', '.join(ENGINE_NAMES)}")


def get_engine(name: str) -> Engine:
    """A new engine instance by name (``pyttsx3``, ``piper``, ``fake``)."""
    engine: Engine = engine_class(name)()
    return engine


def voice_from_profile(name: str) -> bool:
    """True for an engine that speaks the voice a profile names as it is (Piper its model file,
    the fake engine any id), so its voice id is never looked up among installed voices
    (:func:`resolve_voice_id`); its class says so (``voice_from_profile``)."""
    return bool(getattr(engine_class(name), "voice_from_profile", False))


def speaks_estimates(name: str | None) -> bool:
    """True for an engine whose clips last exactly what the calibrated estimate says (the fake
    engine), so timing a session needs no speech from it; its class says so (``speaks_estimates``)."""
    return name is not None and name in ENGINE_NAMES and bool(getattr(engine_class(name), "speaks_estimates", False))


def engine_from_spec(spec: str) -> Engine:
    """An engine from ``"module:attribute"`` (a class or factory), or by name."""
    if ":" not in spec:
        return get_engine(spec)
    import importlib

    mod, _, attr = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(mod), attr)
    except (ImportError, AttributeError) as e:
        raise VoiceError(f"cannot load the speech engine '{spec}': {e}") from None
    engine: Engine = factory()
    return engine


def model_identity(engine: Engine, model: str | None) -> str:
    """Identity of a neural engine's model file (part of the cache key); '' for others."""
    fn = getattr(engine, "model_identity", None)
    return str(fn(model)) if fn is not None and model else ""


def multithreaded(engine: Engine) -> bool:
    """True for an engine whose one process speaks on several cores (Piper, through onnxruntime's
    threads): its speech workers get several threads each (its ``threads`` attribute), so fewer
    workers load its model (:func:`worker_threads`)."""
    return bool(getattr(engine, "multithreaded", False))


def worker_threads(engine: Engine, jobs: int) -> int:
    """Threads for each speech worker of a build with ``jobs`` speech jobs; it runs
    ``max(1, jobs // threads)`` workers. 1 for most engines; a :func:`multithreaded` one says
    (``threads_for``: Piper takes every job in one worker unless told otherwise)."""
    if not multithreaded(engine):
        return 1
    return max(1, int(engine.threads_for(jobs)))  # type: ignore[attr-defined]


def use_threads(engine: Engine, threads: int) -> None:
    """Give a :func:`multithreaded` engine ``threads`` threads (before its first clip)."""
    if multithreaded(engine):
        engine.threads = max(1, threads)  # type: ignore[attr-defined]


def _lang_match(lang: str, voice: EngineVoice) -> bool:
    lang = lang.lower()
    return any(v.lower() == lang or v.lower().startswith(lang + "-") for v in voice.languages)


def resolve_voice_id(profile: VoiceProfile, engine: Engine, platform: str) -> str:
    """The engine voice id for a profile: its id for this platform, else the first of its language."""
    available = engine.voices()
    wanted = profile.voice_ids.get(platform)
    ids = {v.id for v in available}
    if wanted and (wanted in ids or not available):
        return wanted
    for v in available:
        if _lang_match(profile.language, v):
            return v.id
    near = closest(wanted or profile.language, sorted(ids), 5)
    raise VoiceError(
        f"voice profile '{profile.name}' wants voice '{wanted or profile.language}', which the "
        f"{engine.name} engine does not offer here. Closest available: {', '.join(near) or 'none'}. "
        "Run 'relaxgen voices' to see what this machine offers."
    )
