"""Voice profiles (``voices/*.toml`` and the user's own folder)."""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import RelaxgenError, VoiceError, closest
from .model import VoiceProfile
from .paths import display, user_config_dir, voices_dir
from .tts.base import Engine, EngineVoice, resolve_voice_id

VOICE_KEYS = (
    "name", "description", "engine", "language", "voice_ids", "rate_wpm", "pitch", "volume",
    "sentence_pause_ms", "paragraph_pause_ms", "model",
)
ENGINES = ("pyttsx3", "piper", "fake")
_DESCRIPTIONS: dict[str, str] = {}  # source -> description (VoiceProfile has no field for it)


def description(profile: VoiceProfile) -> str:
    return _DESCRIPTIONS.get(profile.source or "", "")


def platform_key() -> str:
    if sys.platform.startswith("win"):
        return "windows"
    if sys.platform == "darwin":
        return "darwin"
    return "linux"


def voice_from_mapping(data: dict[str, Any], source: str) -> VoiceProfile:
    for k in data:
        if k not in VOICE_KEYS:
            raise VoiceError(f"{source}: unknown key '{k}' (keys: {', '.join(VOICE_KEYS)})")
    try:
        name = str(data["name"])
    except KeyError:
        raise VoiceError(f"{source}: missing 'name'") from None
    engine = str(data.get("engine", "pyttsx3"))
    if engine not in ENGINES:
        raise VoiceError(f"{source}: unknown engine '{engine}'; engines are {', '.join(ENGINES)}")
    try:
        rate = float(data.get("rate_wpm", 150))
        pitch = int(data.get("pitch", 50))
        volume = float(data.get("volume", 1.0))
        sp = float(data.get("sentence_pause_ms", 1200))
        pp = float(data.get("paragraph_pause_ms", 3000))
    except (TypeError, ValueError) as e:
        raise VoiceError(f"{source}: {e}") from None
    if not 40 <= rate <= 400:
        raise VoiceError(f"{source}: rate_wpm {rate:g} is out of range (40 to 400)")
    if not 0 <= pitch <= 100 or not 0 < volume <= 1.0 or not 0 <= sp <= 60000 or not 0 <= pp <= 60000:
        raise VoiceError(f"{source}: pitch (0-100), volume (0-1) or pauses (0-60000 ms) out of range")
    ids = data.get("voice_ids", {})
    if not isinstance(ids, dict):
        raise VoiceError(f"{source}: voice_ids must be a table of platform = \"voice id\"")
    model = data.get("model")
    _DESCRIPTIONS[source] = str(data.get("description", ""))
    return VoiceProfile(
        name=name,
        engine=engine,
        language=str(data.get("language", "en")),
        voice_ids={str(k): str(v) for k, v in ids.items()},
        rate_wpm=rate,
        pitch=pitch,
        volume=volume,
        sentence_pause_ms=sp,
        paragraph_pause_ms=pp,
        model=str(model) if model is not None else None,
        source=source,
    )


def voice_dirs(extra: list[Path] | None = None) -> list[Path]:
    return [*(extra or []), user_config_dir() / "voices", voices_dir()]


def load_voices(extra_dirs: list[Path] | None = None) -> dict[str, VoiceProfile]:
    """All voice profiles; the user's folders win over the built-ins."""
    found: dict[str, VoiceProfile] = {}
    for d in reversed(voice_dirs(extra_dirs)):
        if not d.is_dir():
            continue
        for p in sorted(d.glob("*.toml")):
            try:
                data = tomllib.loads(p.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
                raise VoiceError(f"{display(p)}: cannot read voice profile: {e}") from None
            v = voice_from_mapping(data, display(p))
            found[v.name] = v
    return found


def get_voice(name: str, extra_dirs: list[Path] | None = None) -> VoiceProfile:
    return pick_voice(load_voices(extra_dirs), name)


def pick_voice(voices: Mapping[str, VoiceProfile], name: str) -> VoiceProfile:
    """``voices[name]``, or a VoiceError listing the closest profiles."""
    if name in voices:
        return voices[name]
    near = closest(name, voices, 5) or sorted(voices)
    raise VoiceError(
        f"unknown voice '{name}'. Closest voice profiles: {', '.join(near)}. "
        "Run 'relaxgen voices' to list them all."
    )


# -- what this machine offers


@dataclass(frozen=True)
class VoiceStatus:
    """A profile as it resolves on this machine."""

    profile: VoiceProfile
    voice_id: str | None  # the engine voice (or model) it uses here
    available: bool
    note: str = ""  # why not available, or that the language fallback is used

    def as_dict(self) -> dict[str, Any]:
        p = self.profile
        return {
            "name": p.name, "description": description(p),
            "engine": p.engine, "language": p.language, "rate_wpm": p.rate_wpm, "pitch": p.pitch,
            "model": p.model, "voice_id": self.voice_id, "available": self.available,
            "note": self.note, "source": p.source,
        }


EngineGetter = Callable[[str], Engine]


def language_matches(lang: str, tags: tuple[str, ...] | list[str]) -> bool:
    lang = lang.lower().replace("_", "-")
    return any(t.lower() == lang or t.lower().startswith(lang + "-") for t in tags)


def voice_status(profile: VoiceProfile, engine: EngineGetter) -> VoiceStatus:
    """Resolve a profile against the engines here, without raising."""
    try:
        if profile.engine == "piper":
            from .tts.piper import resolve_model

            eng = engine("piper")
            eng.version()  # raises when the extra is missing
            onnx, _ = resolve_model(profile.model)
            return VoiceStatus(profile, onnx.stem, True)
        if profile.engine == "fake":
            return VoiceStatus(profile, profile.voice_ids.get(platform_key()) or f"fake/{profile.language}", True)
        eng = engine(profile.engine)
        vid = resolve_voice_id(profile, eng, platform_key())
        wanted = profile.voice_ids.get(platform_key())
        note = "" if not wanted or wanted == vid else f"'{wanted}' is missing; using the first {profile.language} voice"
        return VoiceStatus(profile, vid, True, note)
    except RelaxgenError as e:
        return VoiceStatus(profile, None, False, str(e))


def engine_voices(engine: EngineGetter, languages: list[str] | None) -> dict[str, list[EngineVoice] | str]:
    """Each engine's voices here (filtered by language), or why the engine is unavailable."""
    out: dict[str, list[EngineVoice] | str] = {}
    for name in ("pyttsx3", "piper"):
        try:
            vs = engine(name).voices()
        except RelaxgenError as e:
            out[name] = str(e)
            continue
        if languages:
            vs = [v for v in vs if any(language_matches(lang, v.languages) for lang in languages)]
        out[name] = vs
    return out


def require_voice(name: str, engine: EngineGetter, extra_dirs: list[Path] | None = None) -> VoiceStatus:
    """A profile that must be usable here; VoiceError listing the closest alternatives otherwise."""
    profile = get_voice(name, extra_dirs)
    st = voice_status(profile, engine)
    if st.available:
        return st
    usable = [n for n, p in load_voices(extra_dirs).items()
              if p.language == profile.language and n != name and voice_status(p, engine).available]
    hint = f" Usable {profile.language} voice profiles here: {', '.join(usable)}." if usable else ""
    raise VoiceError(f"voice profile '{name}' cannot be used here: {st.note}{hint}")
