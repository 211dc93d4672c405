"""Values inside markers: durations, ranges, numbers, levels, and argument lists."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..errors import ScriptError, SourcePos, did_you_mean

MAX_PAUSE_MS = 3_600_000.0  # one hour
_UNIT_MS = {"ms": 1.0, "s": 1000.0, "sec": 1000.0, "m": 60_000.0, "min": 60_000.0}
_DUR_PART = re.compile(r"(\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Z]*)")
_ARG_RE = re.compile(
    r'\s*(?:([A-Za-z_][\w-]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s"\]]*)|("(?:[^"\\]|\\.)*")|([^\s"]+))'
)



def parse_duration(text: str, pos: SourcePos | None = None, default_unit: str | None = None) -> float:
    """``4s``, ``1.5s``, ``500ms``, ``2m``, ``1m30s`` -> milliseconds."""
    t = text.strip()
    if not t:
        raise ScriptError("missing duration (e.g. 4s, 500ms, 2m)", pos)
    if t.startswith("-"):
        raise ScriptError(f"duration '{text}' is negative; use a positive length like 4s", pos)
    total = 0.0
    i = 0
    while i < len(t):
        m = _DUR_PART.match(t, i)
        if not m or m.end() == i:
            raise ScriptError(f"cannot read duration '{text}' (write e.g. 4s, 1.5s, 500ms, 1m30s)", pos)
        num, unit = m.group(1), m.group(2).lower()
        if not unit:
            if default_unit is None or m.end() != len(t) or i != 0:
                raise ScriptError(f"duration '{text}' needs a unit: ms, s or m", pos)
            unit = default_unit
        if unit not in _UNIT_MS:
            raise ScriptError(f"unknown unit '{m.group(2)}' in '{text}'; use ms, s or m", pos)
        total += float(num) * _UNIT_MS[unit]
        i = m.end()
    if total > MAX_PAUSE_MS:
        raise ScriptError(f"duration '{text}' is longer than one hour", pos)
    return total


def format_duration(ms: float) -> str:
    """Inverse of :func:`parse_duration` (exact for whole milliseconds)."""
    ms = round(ms, 3)
    if ms >= 60_000 and ms % 60_000 == 0:
        return f"{int(ms // 60_000)}m"
    if ms % 1000 == 0:
        return f"{int(ms // 1000)}s"
    if ms == int(ms):
        return f"{int(ms)}ms"
    return f"{ms:g}ms"


def parse_range(text: str, pos: SourcePos | None) -> tuple[float, float]:
    """``4s`` or ``3-8s`` / ``30s-2m`` -> (min_ms, max_ms)."""
    t = text.strip()
    if t.startswith("-"):
        raise ScriptError(f"pause '{text}' is negative; use a positive length like 4s", pos)
    if "-" in t:
        lo, _, hi = t.partition("-")
        hi_ms = parse_duration(hi, pos)
        unit = re.sub(r"^[\d.]+", "", hi.strip())
        unit_m = re.search(r"([a-zA-Z]+)$", unit)
        lo_ms = parse_duration(lo, pos, default_unit=unit_m.group(1).lower() if unit_m else None)
        if lo_ms > hi_ms:
            raise ScriptError(f"pause range '{text}': the minimum is larger than the maximum", pos)
        return lo_ms, hi_ms
    v = parse_duration(t, pos)
    return v, v


def number(key: str, raw: str, pos: SourcePos | None, lo: float, hi: float) -> float:
    r = raw[:-1] if raw.endswith("s") and key != "cycles" else raw
    try:
        v = float(r)
    except ValueError:
        raise ScriptError(f"{key}={raw} is not a number", pos) from None
    if not (lo <= v <= hi) or v != v:
        raise ScriptError(f"{key}={raw} is out of range ({lo:g} to {hi:g})", pos)
    return v


def parse_level(raw: str, pos: SourcePos | None) -> float:
    r = raw.strip()
    if r.lower().endswith("db"):
        r = r[:-2]
    try:
        v = float(r)
    except ValueError:
        raise ScriptError(f"level={raw} is not a level; write e.g. level=-24dB", pos) from None
    if not -80.0 <= v <= 0.0:
        raise ScriptError(f"level={raw} is out of range (-80dB to 0dB)", pos)
    return v


def _unquote(s: str) -> str:
    if len(s) >= 2 and s[0] == s[-1] == '"':
        return re.sub(r"\\(.)", r"\1", s[1:-1])
    return s


def split_args(body: str, pos: SourcePos | None) -> tuple[list[str], dict[str, str]]:
    positional: list[str] = []
    named: dict[str, str] = {}
    i = 0
    while i < len(body):
        if body[i:].strip() == "":
            break
        m = _ARG_RE.match(body, i)
        if not m or m.end() == i:
            raise ScriptError(f"cannot read marker arguments '{body}'", pos)
        if m.group(1):
            key = m.group(1).lower()
            if key in named:
                raise ScriptError(f"'{key}=' is given twice", pos)
            named[key] = _unquote(m.group(2))
        elif m.group(3):
            positional.append(_unquote(m.group(3)))
        else:
            positional.append(m.group(4))
        i = m.end()
    return positional, named


def only_options(named: dict[str, str], allowed: Sequence[str], marker: str, pos: SourcePos | None) -> None:
    for k in named:
        if k not in allowed:
            opts = ", ".join(f"{a}=" for a in allowed) or "no options"
            raise ScriptError(
                f"[{marker}] has no option '{k}='{did_you_mean(k, allowed)}; it takes {opts}", pos
            )
