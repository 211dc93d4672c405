"""Parse rendered script text into Segments: one grammar, exact positions.

The rendered text may carry position anchors (``\\x01N\\x02``) inserted by
:mod:`generator.script.render`; each names the template file, line and column of
the text that follows, so errors point at the line the author must edit.
Each ``[marker]`` is read by :mod:`generator.script.grammar`. See ``docs/markers.md`` for the grammar.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..errors import ScriptError, SourcePos
from ..model import (
    Bed,
    Breathe,
    Cue,
    Gap,
    OptionalEnd,
    OptionalStart,
    Pause,
    RateChange,
    Segment,
    Speech,
    VoiceChange,
)
from .grammar import MAX_MARKER_LEN, parse_marker

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


_SPECIAL = re.compile(r"[\[\n]")  # what the parser looks at: a marker's bracket, a line break


def parse_script(
    text: str,
    name: str = "<script>",
    anchors: Sequence[SourcePos] = (),
) -> list[Segment]:
    """Parse rendered script text (with optional position anchors) into Segments.

    Raises only :class:`ScriptError`. The segments are frozen, so a rendering is parsed once
    while it is recent: planning one rendering for several voices and rates (``relaxgen check``,
    a course's listeners with the same text) reuses the parse.
    """
    return list(_parse(text, name, tuple(anchors)))


@lru_cache(maxsize=32)
def _parse(text: str, name: str, anchors: tuple[SourcePos, ...]) -> tuple[Segment, ...]:
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
        m = _SPECIAL.search(clean, i)
        j = n if m is None else m.start()
        if j > i:  # plain text up to the next bracket or line break
            if not buf:
                buf_start = i
            buf.append(clean[i:j])
            i = j
            continue
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
    return tuple(check_optional(_assemble(raw, loc)))


def check_optional(segs: list[Segment]) -> list[Segment]:
    """Optional pieces are closed, not nested, take time and change no state (a bed, voice or
    rate set inside a piece that is left out would change everything after it)."""
    start: OptionalStart | None = None
    takes_time = False
    for seg in segs:
        if isinstance(seg, OptionalStart):
            if start is not None:
                raise ScriptError(f"[optional] inside the optional piece that began at {_at(start)}; "
                                  "end that piece with [/optional] first (pieces do not nest)", seg.pos)
            start, takes_time = seg, False
        elif isinstance(seg, OptionalEnd):
            if start is None:
                raise ScriptError("[/optional] without an [optional N] before it", seg.pos)
            if not takes_time:
                raise ScriptError("this optional piece is empty: put the speech and pauses that may be "
                                  "left out between [optional N] and [/optional]", start.pos)
            start = None
        elif start is not None:
            if isinstance(seg, Bed | VoiceChange | RateChange):
                name = {Bed: "bed", VoiceChange: "voice", RateChange: "rate"}[type(seg)]
                raise ScriptError(f"[{name}] inside an optional piece: it would change the rest of the session "
                                  "only when the piece is taken; put it before [optional] or after [/optional]",
                                  seg.pos)
            takes_time = takes_time or isinstance(seg, Speech | Pause | Cue | Breathe)
    if start is not None:
        raise ScriptError("[optional] is never closed: end the piece with [/optional]", start.pos)
    return segs


def _at(seg: OptionalStart) -> str:
    return f"line {seg.pos.line}" if seg.pos else "an earlier line"


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
