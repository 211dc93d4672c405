"""Parse rendered script text into Segments: one grammar, exact positions.

The rendered text may carry position anchors (``\\x01N\\x02``) inserted by
:mod:`generator.render`; each names the template file, line and column of
the text that follows, so errors point at the line the author must edit.
See ``docs/markers.md`` for the grammar.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .errors import ScriptError, SourcePos, did_you_mean
from .model import (
    Bed,
    Breathe,
    Chapter,
    Cue,
    Gap,
    Pause,
    RateChange,
    Segment,
    Speech,
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

BED_NAMES = ("brown-noise", "pink-noise", "rain", "ocean", "drone")
CUE_NAMES = ("bell", "chime", "gong", "tone")
MARKER_NAMES = ("pause", "chapter", "bell", "cue", "bed", "breathe", "voice", "rate")
MAX_MARKER_LEN = 500
MAX_SENTENCE_CHARS = 1000  # one clip; longer text would be a huge single recording (memory, engine timeouts)

ANCHOR_RE = re.compile("\x01(\\d+)\x02")
_ABBREVIATIONS = {
    "e.g.", "i.e.", "etc.", "dr.", "mr.", "mrs.", "ms.", "vs.", "approx.", "min.", "sec.",
    "z.", "b.", "z.b.", "ca.", "bzw.", "usw.", "evtl.", "ggf.", "d.", "h.", "d.h.", "u.", "a.",
    "u.a.", "vgl.", "sek.", "std.", "nr.", "bspw.", "inkl.", "frau", "hr.", "fr.", "st.",
}
_SENT_END = re.compile(r"([.!?…]+[\"'”»)]*)\s+(?=[\"'„“«(]*[A-ZÄÖÜ0-9])")


# ---------------------------------------------------------------- positions


@dataclass
class _Locator:
    """Maps an index in the clean text back to a template position."""

    clean: str
    anchors: list[tuple[int, SourcePos]]
    _keys: list[int]

    @classmethod
    def build(cls, text: str, table: Sequence[SourcePos], name: str) -> _Locator:
        parts: list[str] = []
        anchors: list[tuple[int, SourcePos]] = [(0, SourcePos(name, 1, 1))]
        last = 0
        length = 0
        for m in ANCHOR_RE.finditer(text):
            chunk = text[last : m.start()]
            parts.append(chunk)
            length += len(chunk)
            idx = int(m.group(1))
            if 0 <= idx < len(table):
                if anchors[-1][0] == length:
                    anchors[-1] = (length, table[idx])
                else:
                    anchors.append((length, table[idx]))
            last = m.end()
        parts.append(text[last:])
        clean = "".join(parts)
        return cls(clean, anchors, [a[0] for a in anchors])

    def pos(self, index: int) -> SourcePos:
        k = bisect.bisect_right(self._keys, index) - 1
        start, base = self.anchors[max(k, 0)]
        seg = self.clean[start:index]
        nl = seg.count("\n")
        if nl == 0:
            col = None if base.col is None else base.col + (index - start)
            return SourcePos(base.file, base.line, col)
        return SourcePos(base.file, base.line + nl, index - (start + seg.rfind("\n")))


# ---------------------------------------------------------------- markers


def parse_marker(body: str, pos: SourcePos | None = None) -> Segment:
    """Parse the inside of one ``[...]`` marker."""
    stripped = body.strip()
    if not stripped:
        raise ScriptError("empty marker '[]'; write '[[' for a literal bracket", pos)
    m = re.match(r"([A-Za-z][\w-]*)", stripped)
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
    if len(args) != 1:
        raise ScriptError("[pause] takes one length, e.g. [pause 4s] or [pause 3-8s]", pos)
    lo, hi = parse_range(args[0], pos)
    return Pause(lo, hi, pos)


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
}


def _q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _num(v: float) -> str:
    return f"{v:g}"


def render_marker(seg: Segment) -> str:
    """Write a segment back as marker text (``parse_marker`` inverts it)."""
    if isinstance(seg, Pause):
        if seg.elastic:
            return f"[pause {format_duration(seg.min_ms)}-{format_duration(seg.max_ms)}]"
        return f"[pause {format_duration(seg.min_ms)}]"
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
    raise TypeError(f"not a marker segment: {seg!r}")


# ---------------------------------------------------------------- text


def split_sentences(text: str) -> list[str]:
    """Split a paragraph into sentences; keeps abbreviations like 'z. B.' whole."""
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        return []
    out: list[str] = []
    start = 0
    for m in _SENT_END.finditer(text):
        end = m.end(1)
        words = text[start:end].split()
        last = words[-1].lower() if words else ""
        if last in _ABBREVIATIONS or re.fullmatch(r"\d{1,2}\.", last) or re.fullmatch(r"[a-zäöü]\.", last):
            continue
        out.append(text[start:end].strip())
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def _speakable(s: str) -> bool:
    return any(ch.isalnum() for ch in s)


def parse_script(
    text: str,
    name: str = "<script>",
    anchors: Sequence[SourcePos] = (),
) -> list[Segment]:
    """Parse rendered script text (with optional position anchors) into Segments.

    Raises only :class:`ScriptError`.
    """
    loc = _Locator.build(text, anchors, name)
    clean = loc.clean
    raw: list[tuple[str, object, int]] = []  # ("text", str, idx) | ("para", None, idx) | ("seg", Segment, idx)
    buf: list[str] = []
    buf_start = 0
    i = 0
    n = len(clean)

    def flush(at: int) -> None:
        nonlocal buf, buf_start
        chunk = "".join(buf)
        if chunk.strip():
            raw.append(("text", chunk, buf_start))
        buf = []
        buf_start = at

    while i < n:
        ch = clean[i]
        if ch == "[":
            if i + 1 < n and clean[i + 1] == "[":
                if not buf:
                    buf_start = i
                buf.append("[")
                i += 2
                continue
            end = clean.find("]", i + 1)
            nl = clean.find("\n", i + 1)
            if end < 0 or (0 <= nl < end) or end - i > MAX_MARKER_LEN:
                raise ScriptError(
                    "unclosed marker: '[' without ']' on the same line (write '[[' for a literal bracket)",
                    loc.pos(i),
                )
            flush(end + 1)
            raw.append(("seg", parse_marker(clean[i + 1 : end], loc.pos(i)), i))
            i = end + 1
            buf_start = i
            continue
        if ch == "\n":
            j = i + 1
            while j < n and clean[j] in " \t\r":
                j += 1
            if j < n and clean[j] == "\n":
                flush(j)
                raw.append(("para", None, i))
                while j < n and clean[j] in " \t\r\n":
                    j += 1
                i = j
                buf_start = i
                continue
        if not buf:
            buf_start = i
        buf.append(ch)
        i += 1
    flush(n)
    return _assemble(raw, loc)


def _assemble(raw: list[tuple[str, object, int]], loc: _Locator) -> list[Segment]:
    segs: list[Segment] = []
    gap_at: int | None = None  # index in segs where a pending gap would go
    gap_kind: str | None = None

    def place_gap() -> None:
        nonlocal gap_at, gap_kind
        if gap_at is not None and gap_kind is not None:
            segs.insert(gap_at, Gap("paragraph" if gap_kind == "paragraph" else "sentence"))
        gap_at, gap_kind = None, None

    for kind, val, idx in raw:
        if kind == "para":
            if gap_kind is not None:
                gap_kind = "paragraph"
            continue
        if kind == "text":
            assert isinstance(val, str)
            offset = 0
            for sent in split_sentences(val):
                if not _speakable(sent):
                    continue
                k = val.find(sent.split(" ")[0], offset)
                offset = max(k, offset)
                if len(sent) > MAX_SENTENCE_CHARS:
                    raise ScriptError(
                        f"a sentence of {len(sent)} characters is too long to speak in one piece "
                        f"(at most {MAX_SENTENCE_CHARS}); end sentences with '.', '!' or '?'",
                        loc.pos(idx + max(k, 0)),
                    )
                place_gap()
                segs.append(Speech(sent, loc.pos(idx + max(k, 0))))
                gap_at, gap_kind = len(segs), "sentence"
            continue
        seg = val
        assert not isinstance(seg, str) and seg is not None
        if isinstance(seg, Pause | Breathe):
            gap_at, gap_kind = None, None  # an explicit pause replaces the implicit one
            segs.append(seg)
        elif isinstance(seg, Cue):
            place_gap()
            segs.append(seg)
        else:
            segs.append(seg)  # type: ignore[arg-type]
    return segs
