"""Safe, readable file names for packs copied to phones, FAT32/exFAT sticks and Windows.

Rules (applied by :func:`safe_filename`):

* Unicode is NFC-normalised; letters of any script, umlauts and accents are kept.
* ``: / \\ ? * " < > |`` are replaced by readable look-alikes (``Part 1: Arms`` ->
  ``Part 1 - Arms``, ``a/b`` -> ``a-b``, ``"x"`` -> ``'x'``), ``? *`` are dropped.
* Control characters (tab, newline, NUL, ...) become spaces; invisible format
  characters (zero-width joiners, bidi overrides), surrogates, private-use and
  unassigned code points are removed; whitespace runs collapse to one space.
* **Emoji and other pictographic symbols are removed.** exFAT would accept them,
  but car stereos, older Android MTP stacks and FAT32 8.3 fallbacks often do not;
  a name of letters, digits and punctuation plays everywhere.
* No leading or trailing dots or spaces (no hidden files, no ``..``), no reserved
  Windows device names (``CON``, ``nul.txt``, ``COM1``, ... get a ``_`` appended).
* At most ``max_len`` characters and 255 bytes of UTF-8 (which also keeps the
  name within 255 UTF-16 units for FAT32/exFAT long names), extension included.
* An empty result becomes ``track``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from ..errors import ExportError

FALLBACK = "track"
MAX_BYTES = 255

_REPLACE = {
    ":": " - ",
    "/": "-",
    "\\": "-",
    "|": "-",
    '"': "'",
    "<": "(",
    ">": ")",
    "?": "",
    "*": "",
}
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{dev}{n}" for dev in ("COM", "LPT") for n in [*"123456789", "¹", "²", "³"]
}
_DROP_CATEGORIES = {"Cf", "Cs", "Co", "Cn", "So"}
_WS = re.compile(r"\s+")


def _is_dropped(ch: str) -> bool:
    cp = ord(ch)
    if 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF:  # variation selectors
        return True
    if 0x1F3FB <= cp <= 0x1F3FF:  # emoji skin-tone modifiers
        return True
    if 0x1F000 <= cp <= 0x1FAFF:  # emoji and pictograph blocks
        return True
    return unicodedata.category(ch) in _DROP_CATEGORIES


def _clean(text: str) -> str:
    """Replace/drop unsafe characters and collapse whitespace (no length rules yet)."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in _REPLACE:
            out.append(_REPLACE[ch])
        elif unicodedata.category(ch) == "Cc" or ch in "\u2028\u2029":
            out.append(" ")
        elif _is_dropped(ch):
            continue
        else:
            out.append(ch)
    return _WS.sub(" ", "".join(out)).strip()


def _strip_edges(stem: str) -> str:
    return stem.strip(" .")


def _truncate(stem: str, max_chars: int, max_bytes: int) -> str:
    """Cut ``stem`` to both limits at a character boundary, re-normalised."""
    stem = stem[: max(0, max_chars)]
    while stem and len(stem.encode("utf-8")) > max_bytes:
        stem = stem[:-1]
    # cutting may leave a lone combining mark or a trailing space/dot
    return _strip_edges(unicodedata.normalize("NFC", stem))


def _clean_ext(ext: str) -> str:
    if not ext:
        return ""
    body = _clean(ext.lstrip(".")).replace(" ", "")
    body = _strip_edges(body)[:16]
    return "." + body if body else ""


def _not_reserved(stem: str) -> str:
    base = stem.split(".", 1)[0].rstrip(" ")
    if base.upper() in _RESERVED:
        return base + "_" + stem[len(base) :]
    return stem


def _fit(stem: str, ext: str, max_len: int, suffix: str = "") -> str:
    """Compose ``stem + suffix + ext`` inside ``max_len`` chars and :data:`MAX_BYTES` bytes."""
    room_chars = max_len - len(ext) - len(suffix)
    room_bytes = MAX_BYTES - len(ext.encode("utf-8")) - len(suffix.encode("utf-8"))
    stem = _truncate(stem, room_chars, room_bytes)
    if not stem:
        stem = FALLBACK
    guarded = _not_reserved(stem)
    if guarded != stem:  # the "_" must still fit
        guarded = _not_reserved(_truncate(guarded, room_chars, room_bytes))
    return guarded + suffix + ext


def safe_filename(name: str, ext: str = "", max_len: int = 120) -> str:
    """A readable file name valid on FAT32/exFAT, NTFS, ext4, Android and macOS.

    ``ext`` (``".mp3"`` or ``"mp3"``) is appended after sanitising; ``max_len``
    bounds the whole name in characters (the UTF-8 size is always <= 255 bytes).
    """
    if max_len < 8:
        raise ValueError("max_len must be at least 8 characters")
    clean_ext = _clean_ext(ext)
    stem = _strip_edges(_clean(name))
    if clean_ext and stem.casefold().endswith(clean_ext.casefold()):
        stem = _strip_edges(stem[: -len(clean_ext)])
    return _fit(stem, clean_ext, max_len)


def _key(name: str) -> str:
    return unicodedata.normalize("NFC", name.casefold())


def unique_names(names: Sequence[str], ext: str, max_len: int = 120) -> list[str]:
    """Sanitised names, unique case-insensitively: repeats get `` (2)``, `` (3)`` ..."""
    clean_ext = _clean_ext(ext)
    taken: set[str] = set()
    out: list[str] = []
    for name in names:
        first = safe_filename(name, clean_ext, max_len)
        candidate = first
        stem = first[: len(first) - len(clean_ext)] if clean_ext else first
        n = 2
        while _key(candidate) in taken:
            candidate = _fit(stem, clean_ext, max_len, f" ({n})")
            n += 1
        taken.add(_key(candidate))
        out.append(candidate)
    return out


def track_filename(number: int, total: int, title: str, ext: str = ".mp3") -> str:
    """``"01 Belly breathing.mp3"``: the number zero-padded to the width of ``total`` (min 2)."""
    if number < 1:
        raise ValueError("track numbers start at 1")
    width = max(2, len(str(max(total, number))))
    words = _strip_edges(_clean(title)) or FALLBACK
    return safe_filename(f"{number:0{width}d} {words}", ext)


def safe_join(root: Path, name: str) -> Path:
    """``root / name``, refusing any name that would land outside ``root``.

    Raises :class:`ExportError` for absolute names, ``..`` escapes and symlinks
    that point out of ``root``.
    """
    root_resolved = Path(root).resolve()
    try:
        target = (root_resolved / name).resolve()
    except (OSError, ValueError) as e:  # NUL bytes, symlink loops
        raise ExportError(
            f"refusing to write '{name!r}' in {root}: {e}; use safe_filename"
        ) from None
    if target == root_resolved or not target.is_relative_to(root_resolved):
        raise ExportError(
            f"refusing to write '{name}': it would land outside the pack folder {root}; "
            "use a plain file name (see generator.export.names.safe_filename)"
        )
    return target
