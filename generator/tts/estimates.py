"""A voice profile's ``[estimate]`` table: how long the voice takes per clip, for plans made
without speaking (the model: :mod:`generator.script.estimate`).

The bundled profiles carry tables fitted on the library's sentences (``python -m bench.calibrate``).
A profile without one (a voice added with ``relaxgen voices add``, a profile written by hand)
estimates like the bundled profile of its language and engine: an English Piper voice like
``neural-en``, espeak-ng like ``calm-en``, and in German either like ``calm-de``. No German Piper
voice is bundled, and the language decides more than the engine: on the bundled Piper model
added as a German voice (the tests' German voice) ``neural-en``'s table planned the speech of
five German scripts 9-13 % too long, ``calm-de``'s 4 % too short to 1 % too long. A Piper
voice's slowest rate comes from its own rate model.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import replace
from typing import Any

from ..errors import VoiceError
from ..model import SpeechEstimate
from ..paths import voices_dir

NUMBERS = {  # key -> allowed range
    "word_factor": (0.2, 5.0),
    "clip_ms": (0.0, 5000.0),
    "pause_ms": (0.0, 5000.0),
    "at_wpm": (40.0, 400.0),
    "slowest_wpm": (0.0, 400.0),
}
KEYS = tuple(NUMBERS)


def estimate_from_table(table: Any, source: str, rate_wpm: float) -> SpeechEstimate:
    """The ``[estimate]`` table of a profile whose rate is ``rate_wpm`` (``at_wpm``'s default)."""
    if not isinstance(table, dict):
        raise VoiceError(f"{source}: estimate must be a table ([estimate] with {', '.join(KEYS)})")
    for k in table:
        if k not in KEYS:
            raise VoiceError(f"{source}: unknown key '{k}' in [estimate] (keys: {', '.join(KEYS)})")
    values: dict[str, float] = {}
    for k, (lo, hi) in NUMBERS.items():
        v = table.get(k, rate_wpm if k == "at_wpm" else getattr(SpeechEstimate(), k))
        if isinstance(v, bool) or not isinstance(v, int | float) or not lo <= v <= hi:
            raise VoiceError(f"{source}: [estimate] {k} must be a number from {lo:g} to {hi:g}")
        values[k] = float(v)
    return SpeechEstimate(**values)


# the bundled profile whose table a profile without one takes: by engine and language, else by engine
BUNDLED = {("piper", ""): "neural-en", ("piper", "de"): "calm-de", ("pyttsx3", ""): "calm-en",
           ("pyttsx3", "de"): "calm-de"}


def default_estimate(engine: str, language: str, rate_model: tuple[float, float] | None) -> SpeechEstimate | None:
    """The estimate of a profile without an ``[estimate]`` table."""
    est = bundled_estimate(engine, language)
    if est is None or engine != "piper":
        return est
    from .piper import slowest_wpm

    return replace(est, slowest_wpm=round(slowest_wpm(rate_model), 1))


@functools.cache
def bundled_estimate(engine: str, language: str) -> SpeechEstimate | None:
    """The ``[estimate]`` of the bundled profile a profile without one estimates like (None:
    none, e.g. for the fake engine: the plain words-per-minute rule)."""
    name = BUNDLED.get((engine, language.split("-")[0].lower())) or BUNDLED.get((engine, ""))
    if name is None:
        return None
    path = voices_dir() / f"{name}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    if "estimate" not in data:
        return None
    return estimate_from_table(data["estimate"], str(path), float(data.get("rate_wpm", 150)))
