"""Voice profiles (``voices/*.toml`` and the user's own folder)."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import Any

from .errors import VoiceError, closest
from .model import VoiceProfile
from .paths import display, user_config_dir, voices_dir

VOICE_KEYS = (
    "name", "description", "engine", "language", "voice_ids", "rate_wpm", "pitch", "volume",
    "sentence_pause_ms", "paragraph_pause_ms", "model",
)
ENGINES = ("pyttsx3", "piper", "fake")


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
    voices = load_voices(extra_dirs)
    if name in voices:
        return voices[name]
    near = closest(name, voices, 5) or sorted(voices)
    raise VoiceError(
        f"unknown voice '{name}'. Closest voice profiles: {', '.join(near)}. "
        "Run 'relaxgen voices' to list them all."
    )
