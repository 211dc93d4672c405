"""Voice profiles (``voices/*.toml`` and the user's own folder)."""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import RelaxgenError, VoiceError, closest
from ..model import VoiceProfile
from ..paths import display, user_config_dir, user_data_dir, voices_dir
from .base import Engine, EngineVoice, resolve_voice_id
from .estimates import default_estimate, estimate_from_table

VOICE_KEYS = (
    "name", "description", "engine", "language", "voice_ids", "rate_wpm", "pitch", "volume",
    "sentence_pause_ms", "paragraph_pause_ms", "model", "prefer", "added",
    "rate_model", "estimate",
)
ADDED = "added"  # a ``prefer`` entry: the voices added with 'relaxgen voices add', newest first
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


def voice_from_mapping(data: dict[str, Any], source: str, base: Path | None = None) -> VoiceProfile:
    """A profile from its TOML table; a relative ``model`` path is taken relative to ``base``."""
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
    prefer = data.get("prefer", [])
    if not isinstance(prefer, list) or not all(isinstance(x, str) for x in prefer):
        raise VoiceError(f"{source}: prefer must be a list of voice profile names (or \"{ADDED}\")")
    model = data.get("model")
    if base is not None and isinstance(model, str) and model.endswith(".onnx") and not Path(model).expanduser().is_absolute():
        model = str(base / model)
    _DESCRIPTIONS[source] = str(data.get("description", ""))
    rm = data.get("rate_model")
    if rm is not None and not (isinstance(rm, list) and len(rm) == 2
                               and all(isinstance(x, (int, float)) and x >= 0 for x in rm) and rm[1] > 0):
        raise VoiceError(f"{source}: rate_model must be two numbers [a, b] (minutes per word = a + b * "
                         "length_scale, b > 0); remove it to use the bundled voice's, or add the voice again")
    language = str(data.get("language", "en"))
    rate_model = (float(rm[0]), float(rm[1])) if rm is not None else None
    est = data.get("estimate")
    estimate = estimate_from_table(est, source, rate) if est is not None else default_estimate(engine, language, rate_model)
    return VoiceProfile(
        name=name,
        engine=engine,
        language=language,
        voice_ids={str(k): str(v) for k, v in ids.items()},
        rate_wpm=rate,
        pitch=pitch,
        volume=volume,
        sentence_pause_ms=sp,
        paragraph_pause_ms=pp,
        model=str(model) if model is not None else None,
        source=source,
        prefer=tuple(prefer),
        added=str(data.get("added", "")),
        rate_model=rate_model,
        estimate=estimate,
    )


def added_voices_dir() -> Path:
    """Where 'relaxgen voices add' and 'voices download' keep voices and their profiles."""
    return user_data_dir() / "voices"


def voice_dirs(extra: list[Path] | None = None) -> list[Path]:
    return [*(extra or []), user_config_dir() / "voices", added_voices_dir(), voices_dir()]


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
            v = voice_from_mapping(data, display(p), p.parent)
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


# -- preference: which profile speaks for a name here


@dataclass(frozen=True)
class Resolution:
    """What a voice profile resolves to on this machine, and why."""

    name: str  # the profile asked for
    profile: VoiceProfile  # what speaks: the chosen profile's settings under the asked name
    via: str  # the profile whose engine and voice speak (== name for its own voice)
    reason: str

    def describe(self) -> str:
        p = self.profile
        what = f"{p.engine} voice {voice_label(p)}"
        via = f" (profile {self.via})" if self.via != self.name else ""
        return f"{self.name}: {what}{via}, {p.rate_wpm:g} wpm; {self.reason}"


def voice_label(p: VoiceProfile) -> str:
    """A short name of the engine voice a profile uses (model file stem, voice id or language)."""
    if p.engine == "piper" and p.model:
        from .piper import resolve_model

        try:
            return resolve_model(p.model)[0].stem
        except VoiceError:
            return Path(p.model).stem
    return p.voice_ids.get(platform_key()) or f"{p.engine}/{p.language}"


def piper_installed() -> bool:
    """Whether the 'neural' extra's engine is importable (without importing it)."""
    return importlib.util.find_spec("piper") is not None


def installed(p: VoiceProfile) -> str:
    """'' when a profile's engine and model are installed here, else why not. Cheap and
    deterministic: it starts no engine (espeak-ng, the fallback, is part of the base install)."""
    if p.engine != "piper":
        return ""
    if not piper_installed():
        from .piper import EXTRA_HINT

        return f"the Piper engine is not installed ({EXTRA_HINT})"
    from .piper import resolve_model

    try:
        resolve_model(p.model)
    except VoiceError as e:
        return str(e)
    return ""


def preference(p: VoiceProfile, voices: Mapping[str, VoiceProfile]) -> list[VoiceProfile]:
    """The profiles ``p`` tries in order: its ``prefer`` entries, then itself."""
    out: list[VoiceProfile] = []
    for entry in p.prefer:
        if entry == ADDED:
            mine = [v for v in voices.values() if v.added and language_matches(p.language, [v.language])]
            out += sorted(mine, key=lambda v: (v.added, v.name), reverse=True)
        elif entry in voices and entry != p.name:
            out.append(voices[entry])
    return [*dict.fromkeys(out), p]


def resolve_voice(p: VoiceProfile, voices: Mapping[str, VoiceProfile], engine: str | None = None) -> Resolution:
    """The first installed profile of ``p``'s preference. ``engine`` forces an engine: the first
    profile of the preference on it, else ``p``'s own settings on that engine."""
    chain = preference(p, voices)
    if engine is not None:
        for c in chain:
            if c.engine == engine:
                return _resolved(p, c, f"--engine {engine}")
        return _resolved(p, replace(p, engine=engine), f"--engine {engine} with the profile's own settings")
    skipped: list[str] = []
    for c in chain[:-1]:
        why = installed(c)
        if not why:
            return _resolved(p, c, f"{c.name} is its first installed preference" + (f" ({'; '.join(skipped)})" if skipped else ""))
        skipped.append(f"{c.name}: {why}")
    if ADDED in p.prefer and not any(c.added for c in chain):
        skipped.append(f"no {p.language} voice added with 'relaxgen voices add' or 'relaxgen voices download'")
    if len(p.prefer) == 0:
        return _resolved(p, p, "its own voice")
    return _resolved(p, p, "the fallback: " + "; ".join(skipped))


def _resolved(p: VoiceProfile, chosen: VoiceProfile, reason: str) -> Resolution:
    return Resolution(p.name, replace(chosen, name=p.name, prefer=()), chosen.name, reason)


class ResolvedVoices(Mapping[str, VoiceProfile]):
    """Voice profiles by name as they speak here (each resolved on first use)."""

    def __init__(self, voices: Mapping[str, VoiceProfile], engine: str | None = None) -> None:
        self._voices = voices
        self._engine = engine
        self._done: dict[str, Resolution] = {}

    def resolution(self, name: str) -> Resolution:
        if name not in self._done:
            self._done[name] = resolve_voice(pick_voice(self._voices, name), self._voices, self._engine)
        return self._done[name]

    def __getitem__(self, name: str) -> VoiceProfile:
        if name not in self._voices:
            raise KeyError(name)
        return self.resolution(name).profile

    def __iter__(self) -> Iterator[str]:
        return iter(self._voices)

    def __len__(self) -> int:
        return len(self._voices)


# -- what this machine offers


@dataclass(frozen=True)
class VoiceStatus:
    """A profile as it resolves on this machine."""

    profile: VoiceProfile  # the resolved profile (settings of the voice that speaks, the asked name)
    voice_id: str | None  # the engine voice (or model) it uses here
    available: bool
    note: str = ""  # why not available, or that the language fallback is used
    via: str = ""  # the profile whose voice speaks (see Resolution)
    reason: str = ""  # why that one

    def as_dict(self) -> dict[str, Any]:
        p = self.profile
        return {
            "name": p.name, "description": description(p),
            "engine": p.engine, "language": p.language, "rate_wpm": p.rate_wpm, "pitch": p.pitch,
            "model": p.model, "voice_id": self.voice_id, "available": self.available,
            "note": self.note, "source": p.source, "resolves_to": self.via or p.name, "reason": self.reason,
        }


EngineGetter = Callable[[str], Engine]


def language_matches(lang: str, tags: tuple[str, ...] | list[str]) -> bool:
    lang = lang.lower().replace("_", "-")
    return any(t.lower() == lang or t.lower().startswith(lang + "-") for t in tags)


def voice_status(profile: VoiceProfile, engine: EngineGetter) -> VoiceStatus:
    """Resolve a profile against the engines here, without raising."""
    try:
        if profile.engine == "piper":
            from .piper import resolve_model

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


def resolved_status(voices: ResolvedVoices, name: str, engine: EngineGetter) -> VoiceStatus:
    """What profile ``name`` speaks with here (its preference resolved), and whether it can."""
    r = voices.resolution(name)
    return replace(voice_status(r.profile, engine), via=r.via, reason=r.reason)


def require_voice(name: str, engine: EngineGetter, extra_dirs: list[Path] | None = None) -> VoiceStatus:
    """A profile that must be usable here; VoiceError listing the closest alternatives otherwise."""
    voices = ResolvedVoices(load_voices(extra_dirs))
    profile = pick_voice(voices, name)
    st = resolved_status(voices, name, engine)
    if st.available:
        return st
    usable = [n for n, p in voices.items()
              if p.language == profile.language and n != name and resolved_status(voices, n, engine).available]
    hint = f" Usable {profile.language} voice profiles here: {', '.join(usable)}." if usable else ""
    raise VoiceError(f"voice profile '{name}' cannot be used here: {st.note}{hint}")
