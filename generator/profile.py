"""The listener profile: who listens, in which language, voice, speed and length.

Layered: packaged defaults -> profile file (TOML) or CSV row -> ``--set``.
Unknown keys, wrong types and out-of-range values are errors naming the
source and the key.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import tomllib
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import ConfigError, ProfileError, did_you_mean
from .model import BED_NAMES
from .paths import display
from .policy import MAX_SESSION_MIN, MIN_SESSION_MIN

LANGUAGES = ("en", "de")
BODY_AREAS = (
    "hands", "arms", "face", "jaw", "neck", "shoulders", "chest",
    "upper-back", "lower-back", "abdomen", "hips", "legs", "feet",
)
DEFAULT_VOICE = {"en": "calm-en", "de": "calm-de"}
# when the listener practises (reminders, the pack page's "today"); never part of the audio
SCHEDULE_KEYS = ("start", "practice_time", "timezone")
DEFAULT_PRACTICE_TIME = "19:00"
_TIME = re.compile(r"^([01]?\d|2[0-3])[:.h]([0-5]\d)$")


@dataclass(frozen=True)
class Profile:
    """One listener. ``None`` means "use the script's or voice's default"."""

    name: str = ""
    language: str = "en"
    address: str = "Sie"  # German form of address: du / Sie
    voice: str | None = None
    rate: float = 1.0  # factor on the voice's words per minute
    minutes: float | None = None
    dominant_side: str = "right"
    skip: tuple[str, ...] = ()
    gentle: tuple[str, ...] = ()
    bed: str | None = None  # None: the script decides; "none": no bed; a bed name or file: use it
    bed_level: float = -24.0  # dB relative to speech
    bell: bool = True
    sleep: bool = False
    heart_formula: bool = False
    id: str | None = None
    day: int | None = None
    # when the listener practises (reminders, the page's "today"); never part of the audio
    start: str | None = None  # YYYY-MM-DD; None: the manifest's start, else the first build's day
    practice_time: str = DEFAULT_PRACTICE_TIME  # HH:MM
    timezone: str | None = None  # IANA name; None: the machine's
    extra: dict[str, str] = field(default_factory=dict)  # free template variables from --set
    # where a bed file name was given: the folder it is relative to (the profile file's, the
    # CSV's, the working folder for --set; None: the working folder) and, for errors, the source
    bed_dir: str | None = None
    bed_source: str = ""
    # where the voice was given (the profile file, CSV row or --set; "": in code), for the error
    # when no voice profile has that name here (:func:`generator.session.prepare.check_voice`)
    voice_source: str = ""
    # the scripts (names without suffix) of the sessions before this one in its pack or course,
    # in order: given by the pack, never by a profile file (the template variable ``course``)
    earlier: tuple[str, ...] = ()

    @property
    def voice_name(self) -> str:
        return self.voice or DEFAULT_VOICE.get(self.language, "calm-en")

    @property
    def bed_file(self) -> str | None:
        """The bed when it names a sound file (not a built-in bed or none)."""
        return self.bed if self.bed and Path(self.bed).suffix else None

    def template_vars(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in fields(self)
             if f.name not in NOT_KEYS and f.name not in SCHEDULE_KEYS}
        d["skip"] = list(self.skip)
        d["gentle"] = list(self.gentle)
        d["voice"] = self.voice_name
        d.update(self.extra)
        return d

    def used_fields(self) -> dict[str, Any]:
        """Everything that can change a build (for build manifests)."""
        d = dataclasses.asdict(self)
        d.pop("bed_source", None)
        d.pop("voice_source", None)
        for k in ("id", *SCHEDULE_KEYS):
            d.pop(k, None)
        return d


NOT_KEYS = ("extra", "bed_dir", "bed_source", "voice_source", "earlier")  # fields no profile file, CSV or --set names
PROFILE_KEYS = tuple(f.name for f in fields(Profile) if f.name not in NOT_KEYS)


def bed_given_in(profile: Profile, folder: Path, source: str) -> Profile:
    """``profile`` with its bed file (if any) read relative to ``folder``, errors naming ``source``."""
    if profile.bed_file is None:
        return dataclasses.replace(profile, bed_dir=None, bed_source="")
    return dataclasses.replace(profile, bed_dir=str(folder.resolve()), bed_source=source)


def _bool(v: Any, key: str, source: str) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ("true", "yes", "on", "1", "ja"):
        return True
    if isinstance(v, str) and v.strip().lower() in ("false", "no", "off", "0", "nein", ""):
        return False
    raise ProfileError(f"expected true or false, got {v!r}", source, key)


def _num(v: Any, key: str, source: str, lo: float, hi: float) -> float:
    if isinstance(v, bool):
        raise ProfileError(f"expected a number, got {v!r}", source, key)
    if isinstance(v, str):
        try:
            v = float(v.strip().rstrip("%").removesuffix("dB").removesuffix("db"))
        except ValueError:
            raise ProfileError(f"expected a number, got {v!r}", source, key) from None
    if not isinstance(v, int | float) or v != v:
        raise ProfileError(f"expected a number, got {v!r}", source, key)
    if not lo <= float(v) <= hi:
        raise ProfileError(f"{v:g} is out of range ({lo:g} to {hi:g})", source, key)
    return float(v)


def _areas(v: Any, key: str, source: str) -> tuple[str, ...]:
    if isinstance(v, str):
        items = [x.strip() for x in v.replace(";", ",").replace("|", ",").split(",") if x.strip()]
    elif isinstance(v, list | tuple):
        items = [str(x).strip() for x in v]
    else:
        raise ProfileError(f"expected a list of body areas, got {v!r}", source, key)
    for a in items:
        if a not in BODY_AREAS:
            raise ProfileError(
                f"unknown body area '{a}'{did_you_mean(a, BODY_AREAS)}; body areas are {', '.join(BODY_AREAS)}",
                source,
                key,
            )
    return tuple(dict.fromkeys(items))


def _str(v: Any, key: str, source: str, max_len: int = 200) -> str:
    if not isinstance(v, str | int) or isinstance(v, bool):
        raise ProfileError(f"expected text, got {v!r}", source, key)
    s = str(v)
    if "\x00" in s:
        raise ProfileError("contains a NUL character", source, key)
    if len(s) > max_len:
        raise ProfileError(f"is longer than {max_len} characters", source, key)
    return s


# ---------------------------------------------------------------- the schedule fields

def coerce_start(value: Any, source: str, key: str = "start") -> str | None:
    """A date as ``YYYY-MM-DD`` (a TOML date or text); empty: ``None`` (the default)."""
    if value in ("", None):
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        day = value
    elif isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ProfileError(f"'{value}' is not a date; write it as YYYY-MM-DD, e.g. 2026-03-02",
                               source, key) from None
    else:
        raise ProfileError(f"expected a date (YYYY-MM-DD), got {value!r}", source, key)
    if not 2000 <= day.year <= 2200:
        raise ProfileError(f"{day.isoformat()} is out of range (years 2000 to 2200)", source, key)
    return day.isoformat()


def coerce_practice_time(value: Any, source: str, key: str = "practice_time") -> str:
    """A time of day as ``HH:MM`` (``19:30``, ``7:05``, ``19.30``, ``19h30``, a TOML time)."""
    if isinstance(value, dt.time):
        return f"{value.hour:02d}:{value.minute:02d}"
    if value in ("", None):
        return DEFAULT_PRACTICE_TIME
    m = _TIME.match(value.strip()) if isinstance(value, str) else None
    if m is None:
        raise ProfileError(f"{value!r} is not a time of day; write it as HH:MM (24 hours), e.g. 19:30",
                           source, key)
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def coerce_timezone(value: Any, source: str, key: str = "timezone") -> str | None:
    """An IANA time zone name (``Europe/Berlin``); empty: ``None`` (the machine's)."""
    if value in ("", None):
        return None
    if not isinstance(value, str):
        raise ProfileError(f"expected a time zone name such as Europe/Berlin, got {value!r}", source, key)
    name = value.strip()
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        hint = did_you_mean(name, sorted(zoneinfo.available_timezones()))
        raise ProfileError(f"unknown time zone '{name}'{hint}; use an IANA name such as Europe/Berlin "
                           "or America/New_York", source, key) from None
    return name


def coerce_schedule_field(key: str, value: Any, source: str) -> Any:
    if key == "start":
        return coerce_start(value, source)
    if key == "practice_time":
        return coerce_practice_time(value, source)
    return coerce_timezone(value, source)


# ---------------------------------------------------------------- every field


def coerce_field(key: str, value: Any, source: str) -> Any:
    """Validate and convert one profile field."""
    if key in ("name", "id"):
        return _str(value, key, source).strip()
    if key == "language":
        lang = _str(value, key, source).strip().lower()
        if lang not in LANGUAGES:
            raise ProfileError(f"unknown language '{value}'; use one of {', '.join(LANGUAGES)}", source, key)
        return lang
    if key == "address":
        a = _str(value, key, source).strip()
        norm = {"du": "du", "sie": "Sie"}.get(a.lower())
        if norm is None:
            raise ProfileError(f"'{value}' is not a form of address; use du or Sie", source, key)
        return norm
    if key == "voice":  # a voice profile's name, checked where a session is prepared (voice_source)
        return _str(value, key, source).strip() or None
    if key == "rate":
        return _num(value, key, source, 0.5, 1.5)
    if key == "minutes":
        if value in ("", None):
            return None
        return _num(value, key, source, MIN_SESSION_MIN, MAX_SESSION_MIN)
    if key == "dominant_side":
        s = _str(value, key, source).strip().lower()
        if s not in ("left", "right"):
            raise ProfileError(f"'{value}' is not a side; use left or right", source, key)
        return s
    if key in ("skip", "gentle"):
        return _areas(value, key, source)
    if key == "bed":
        b = _str(value, key, source).strip()
        if b == "":
            return None  # the script decides
        if b.lower() in ("none", "off"):
            return "none"  # no ambient bed at all
        if b.lower() not in BED_NAMES and not Path(b).suffix:
            raise ProfileError(
                f"unknown bed '{b}'{did_you_mean(b.lower(), BED_NAMES)}; beds are {', '.join(BED_NAMES)}, none, or a file path",
                source,
                key,
            )
        return b.lower() if b.lower() in BED_NAMES else b
    if key == "bed_level":
        return _num(value, key, source, -60, -10)
    if key in ("bell", "sleep", "heart_formula"):
        return _bool(value, key, source)
    if key == "day":
        if value in ("", None):
            return None
        d = _num(value, key, source, 1, 366)
        if d != int(d):
            raise ProfileError(f"expected a whole day number, got {value!r}", source, key)
        return int(d)
    if key in SCHEDULE_KEYS:
        return coerce_schedule_field(key, value, source)
    raise ProfileError(f"unknown key '{key}'{did_you_mean(key, PROFILE_KEYS)}", source, key)


def sourced(changes: dict[str, Any], source: str) -> dict[str, Any]:
    """Coerced field ``changes`` and, when they give a voice, where it was given (``voice_source``)."""
    return {**changes, "voice_source": source} if "voice" in changes else changes


def profile_from_mapping(data: Mapping[str, Any], source: str = "profile", base: Profile | None = None) -> Profile:
    """Build a profile from a mapping; unknown keys are errors."""
    changes: dict[str, Any] = {}
    for key, value in data.items():
        k = str(key).strip()
        if k not in PROFILE_KEYS:
            raise ProfileError(f"unknown key '{k}'{did_you_mean(k, PROFILE_KEYS)}", source, k)
        changes[k] = coerce_field(k, value, source)
    p = dataclasses.replace(base or Profile(), **sourced(changes, source))
    if p.address not in ("du", "Sie"):
        raise ProfileError("address must be du or Sie", source, "address")
    return p


def read_toml(path: str | Path, error: type[ConfigError], what: str) -> tuple[dict[str, Any], str]:
    """Read a UTF-8 TOML file (a BOM is allowed); errors name the file and say what to do."""
    p = Path(path)
    src = display(p)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise error(f"cannot read {what}: {e.strerror or e}", src) from None
    try:
        return tomllib.loads(raw.decode("utf-8-sig")), src
    except UnicodeDecodeError:
        raise error(f"not valid UTF-8; save the {what} as UTF-8", src) from None
    except tomllib.TOMLDecodeError as e:
        raise error(f"not valid TOML: {e}", src) from None


def load_profile(path: str | Path) -> Profile:
    """Read a TOML profile file."""
    data, src = read_toml(path, ProfileError, "profile")
    p = profile_from_mapping(data, src)
    return bed_given_in(p, Path(path).parent, src) if "bed" in data else p


def apply_overrides(profile: Profile, sets: Mapping[str, str], source: str = "--set") -> Profile:
    """``--set KEY=VALUE``: profile fields are validated, other keys become template variables."""
    changes: dict[str, Any] = {}
    extra = dict(profile.extra)
    for k, v in sets.items():
        if k in PROFILE_KEYS:
            changes[k] = coerce_field(k, v, source)
        else:
            if not k.isidentifier():
                raise ProfileError(f"'{k}' is not a valid variable name", source, k)
            extra[k] = v
    p = dataclasses.replace(profile, extra=extra, **sourced(changes, source))
    return bed_given_in(p, Path.cwd(), source) if "bed" in changes else p


def parse_set_options(items: tuple[str, ...] | list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise ProfileError(f"'{item}' is not KEY=VALUE", "--set")
        k, _, v = item.partition("=")
        out[k.strip()] = v
    return out
