"""The marker grammar: the inside of one ``[marker]`` parsed into a Segment, and a
Segment written back as marker text (``render_marker`` inverts ``parse_marker``).

:mod:`generator.script.markers` finds the markers in a script's text. See
``docs/markers.md`` for the grammar.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..errors import ScriptError, SourcePos, did_you_mean
from ..model import (
    BED_NAMES,
    Bed,
    Breathe,
    Chapter,
    Cue,
    OptionalEnd,
    OptionalStart,
    Pause,
    RateChange,
    Segment,
    VoiceChange,
)
from .values import (
    MAX_PAUSE_MS,
    format_duration,
    number,
    only_options,
    parse_duration,
    parse_level,
    parse_range,
    split_args,
)

CUE_NAMES = ("bell", "chime", "gong", "tone")
MARKER_NAMES = ("pause", "chapter", "bell", "cue", "bed", "breathe", "voice", "rate", "optional", "/optional")
MAX_PRIORITY = 99
MAX_MARKER_LEN = 500


def parse_marker(body: str, pos: SourcePos | None = None) -> Segment:
    """Parse the inside of one ``[...]`` marker."""
    stripped = body.strip()
    if not stripped:
        raise ScriptError("empty marker '[]'; write '[[' for a literal bracket", pos)
    m = re.match(r"(/?[A-Za-z][\w-]*)", stripped)
    if not m:
        raise ScriptError(f"cannot read marker '[{stripped}]'; write '[[' for a literal bracket", pos)
    name = m.group(1).lower()
    rest = stripped[m.end() :]
    handler = _HANDLERS.get(name)
    if handler is None:
        raise ScriptError(
            f"unknown marker '{name}'{did_you_mean(name, MARKER_NAMES)}; "
            f"markers are {', '.join(MARKER_NAMES)} (write '[[' for a literal bracket)",
            pos,
        )
    args, named = split_args(rest, pos)
    return handler(args, named, pos)


def _m_pause(args: list[str], named: dict[str, str], pos: SourcePos | None) -> Segment:
    only_options(named, (), "pause", pos)
    hold = len(args) == 2 and args[1].lower() == "hold"
    if len(args) != 1 + hold:
        raise ScriptError("[pause] takes one length and optionally 'hold' for a practice hold, "
                          "e.g. [pause 4s], [pause 3-8s] or [pause 40s hold]", pos)
    lo, hi = parse_range(args[0], pos)
    return Pause(lo, hi, pos, hold)


def _m_chapter(args: list[str], named: dict[str, str], pos: SourcePos | None) -> Segment:
    only_options(named, (), "chapter", pos)
    title = " ".join(args).strip()
    if not title:
        raise ScriptError('[chapter] needs a title, e.g. [chapter "Arms and hands"]', pos)
    return Chapter(title, pos)


def _m_bell(args: list[str], named: dict[str, str], pos: SourcePos | None) -> Segment:
    only_options(named, (), "bell", pos)
    if args:
        raise ScriptError("[bell] takes no arguments; use [cue NAME] for other sounds", pos)
    return Cue("bell", None, pos)


def _m_cue(args: list[str], named: dict[str, str], pos: SourcePos | None) -> Segment:
    only_options(named, ("file",), "cue", pos)
    if "file" in named:
        if args or not named["file"]:
            raise ScriptError('[cue file="..."] takes a file and nothing else', pos)
        return Cue(None, named["file"], pos)
    if len(args) != 1:
        raise ScriptError(f'[cue] takes one name ({", ".join(CUE_NAMES)}) or file="..."', pos)
    cname = args[0].lower()
    if cname not in CUE_NAMES:
        raise ScriptError(
            f"unknown cue '{args[0]}'{did_you_mean(cname, CUE_NAMES)}; cues are {', '.join(CUE_NAMES)}",
            pos,
        )
    return Cue(cname, None, pos)


def _m_bed(args: list[str], named: dict[str, str], pos: SourcePos | None) -> Segment:
    only_options(named, ("level", "fade", "file"), "bed", pos)
    level = parse_level(named["level"], pos) if "level" in named else None
    fade = parse_duration(named["fade"], pos) if "fade" in named else None
    if "file" in named:
        if args or not named["file"]:
            raise ScriptError('[bed file="..."] takes a file, level= and fade=', pos)
        return Bed(None, named["file"], level, fade, False, pos)
    if len(args) != 1:
        raise ScriptError(f'[bed] takes one name ({", ".join(BED_NAMES)}), off, or file="..."', pos)
    bname = args[0].lower()
    if bname == "off":
        if level is not None:
            raise ScriptError("[bed off] takes only fade=", pos)
        return Bed(None, None, None, fade, True, pos)
    if bname not in BED_NAMES:
        raise ScriptError(
            f"unknown bed '{args[0]}'{did_you_mean(bname, BED_NAMES)}; beds are {', '.join(BED_NAMES)}",
            pos,
        )
    return Bed(bname, None, level, fade, False, pos)


def _m_breathe(args: list[str], named: dict[str, str], pos: SourcePos | None) -> Segment:
    keys = ("in", "hold", "out", "rest", "cycles", "guide", "tone")
    only_options(named, keys, "breathe", pos)
    if args:
        raise ScriptError("[breathe] takes only key=value options, e.g. [breathe in=4 out=8 cycles=6]", pos)
    if "in" not in named or "out" not in named:
        raise ScriptError("[breathe] needs in= and out= (seconds), e.g. [breathe in=4 out=8]", pos)
    in_s = number("in", named["in"], pos, 0.5, 30)
    out_s = number("out", named["out"], pos, 0.5, 30)
    hold = number("hold", named.get("hold", "0"), pos, 0, 30)
    rest = number("rest", named.get("rest", "0"), pos, 0, 30)
    cycles_f = number("cycles", named.get("cycles", "1"), pos, 1, 500)
    if cycles_f != int(cycles_f):
        raise ScriptError(f"cycles={named['cycles']} must be a whole number", pos)
    cycles = int(cycles_f)
    guide: int | None = None
    if "guide" in named:
        g = number("guide", named["guide"], pos, 0, cycles)
        if g != int(g):
            raise ScriptError(f"guide={named['guide']} must be a whole number", pos)
        guide = int(g)
    tone_raw = named.get("tone", "on").lower()
    if tone_raw not in ("on", "off", "yes", "no", "true", "false"):
        raise ScriptError(f"tone={named['tone']} must be on or off", pos)
    spec = Breathe(in_s, hold, out_s, rest, cycles, guide, tone_raw in ("on", "yes", "true"), pos)
    if spec.cycle_ms * cycles > MAX_PAUSE_MS:
        raise ScriptError("[breathe] block is longer than one hour", pos)
    return spec


def _m_optional(args: list[str], named: dict[str, str], pos: SourcePos | None) -> Segment:
    only_options(named, (), "optional", pos)
    if len(args) > 1 or (args and not re.fullmatch(r"\d+", args[0])) or (args and not 1 <= int(args[0]) <= MAX_PRIORITY):
        raise ScriptError(f"[optional] takes one priority, a whole number from 1 (added first) to {MAX_PRIORITY}, "
                          "e.g. [optional 2]; end the piece with [/optional]", pos)
    return OptionalStart(int(args[0]) if args else 1, pos)


def _m_optional_end(args: list[str], named: dict[str, str], pos: SourcePos | None) -> Segment:
    only_options(named, (), "/optional", pos)
    if args:
        raise ScriptError("[/optional] takes nothing: it ends the piece that [optional N] began", pos)
    return OptionalEnd(pos)


def _m_voice(args: list[str], named: dict[str, str], pos: SourcePos | None) -> Segment:
    only_options(named, (), "voice", pos)
    if len(args) != 1:
        raise ScriptError("[voice] takes one voice profile name, e.g. [voice calm-de]", pos)
    return VoiceChange(args[0], pos)


def _m_rate(args: list[str], named: dict[str, str], pos: SourcePos | None) -> Segment:
    only_options(named, (), "rate", pos)
    if len(args) != 1:
        raise ScriptError("[rate] takes one speed, e.g. [rate 90%] or [rate 0.9]", pos)
    raw = args[0]
    try:
        v = float(raw[:-1]) / 100.0 if raw.endswith("%") else float(raw)
    except ValueError:
        raise ScriptError(f"[rate {raw}] is not a speed; write e.g. [rate 90%]", pos) from None
    if not 0.5 <= v <= 2.0:
        raise ScriptError(f"[rate {raw}] is out of range (50% to 200%)", pos)
    return RateChange(v, pos)


_HANDLERS: dict[str, Callable[[list[str], dict[str, str], SourcePos | None], Segment]] = {
    "pause": _m_pause,
    "chapter": _m_chapter,
    "bell": _m_bell,
    "cue": _m_cue,
    "bed": _m_bed,
    "breathe": _m_breathe,
    "voice": _m_voice,
    "rate": _m_rate,
    "optional": _m_optional,
    "/optional": _m_optional_end,
}


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _num(v: float) -> str:
    return f"{v:g}"


def render_marker(seg: Segment) -> str:
    """Write a segment back as marker text (``parse_marker`` inverts it)."""
    if isinstance(seg, Pause):
        hold = " hold" if seg.hold else ""
        if seg.elastic:
            return f"[pause {format_duration(seg.min_ms)}-{format_duration(seg.max_ms)}{hold}]"
        return f"[pause {format_duration(seg.min_ms)}{hold}]"
    if isinstance(seg, Chapter):
        return f"[chapter {_q(seg.title)}]"
    if isinstance(seg, Cue):
        if seg.file is not None:
            return f"[cue file={_q(seg.file)}]"
        return "[bell]" if seg.name == "bell" else f"[cue {seg.name}]"
    if isinstance(seg, Bed):
        if seg.off:
            head = "[bed off"
        elif seg.file is not None:
            head = f"[bed file={_q(seg.file)}"
        else:
            head = f"[bed {seg.name}"
        if seg.level_db is not None:
            head += f" level={_num(seg.level_db)}dB"
        if seg.fade_ms is not None:
            head += f" fade={format_duration(seg.fade_ms)}"
        return head + "]"
    if isinstance(seg, Breathe):
        s = f"[breathe in={_num(seg.in_s)} hold={_num(seg.hold_s)} out={_num(seg.out_s)}"
        s += f" rest={_num(seg.rest_s)} cycles={seg.cycles}"
        if seg.guide is not None:
            s += f" guide={seg.guide}"
        return s + (" tone=on]" if seg.tone else " tone=off]")
    if isinstance(seg, VoiceChange):
        return f"[voice {seg.name}]"
    if isinstance(seg, RateChange):
        return f"[rate {_num(seg.factor * 100)}%]"
    if isinstance(seg, OptionalStart):
        return f"[optional {seg.priority}]"
    if isinstance(seg, OptionalEnd):
        return "[/optional]"
    raise TypeError(f"not a marker segment: {seg!r}")
