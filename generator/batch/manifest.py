"""Pack and course manifests (TOML) and the course's listener CSV.

A manifest names the sessions of a pack or course; the listener's profile
fills in everything else. Packs and courses share one format (docs/packs.md)::

    title = "Back relief"        # or per language: title = { en = "Back relief", de = "Rückenruhe" }
    description = "..."          # optional (text, or a table per language like title)
    author = "..."               # optional
    cover = "cover.jpg"          # optional; relative to the manifest's folder
    start = 2026-03-02           # optional: the course's first day (a listener's start wins)

    [[session]]
    script = "pmr-7"             # a built-in name, or a path relative to this file
    minutes = 15
    title = "Day 1: arrive"      # optional (default: the template's title); text or per language
    day = 1                      # optional: the ``day`` template variable
    set = { focus = "neck" }     # optional: extra template variables

Unknown keys are a :class:`~generator.errors.ManifestError` naming the file,
the key and the closest known key. A title or description given as a table per
language (``{ en = "…", de = "…" }``) must have the listener's language:
:meth:`Manifest.for_language` picks it, and a language it lacks is an error,
never English by default. Plain text serves every language.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..api import check_voice
from ..errors import ManifestError, ProfileError, did_you_mean
from ..paths import display
from ..policy import MAX_SESSION_MIN
from ..profile import (
    LANGUAGES,
    PROFILE_KEYS,
    Profile,
    bed_given_in,
    coerce_field,
    coerce_start,
    read_toml,
    sourced,
)
from ..script.render import TEMPLATE_SUFFIXES, builtin_names

TOP_KEYS = ("title", "description", "author", "cover", "start", "encoder_quality", "session")
SESSION_KEYS = ("script", "minutes", "title", "day", "part", "set")
SET_PREFIX = "set."  # CSV columns ``set.NAME`` become template variables


@dataclass(frozen=True)
class SessionSpec:
    """One ``[[session]]`` of a manifest: one track of the pack."""

    number: int  # 1-based position in the manifest
    script: str  # an absolute template path, or a built-in script name
    minutes: float
    title: str | None = None
    day: int | None = None
    variables: tuple[tuple[str, str], ...] = ()
    part: int | None = None  # for multi-part courses: written as the disc number

    @property
    def is_builtin(self) -> bool:
        return not Path(self.script).is_absolute()


@dataclass(frozen=True)
class Manifest:
    path: Path
    title: str
    sessions: tuple[SessionSpec, ...]
    description: str = ""
    author: str = ""
    cover: Path | None = None
    start: str | None = None  # YYYY-MM-DD: the course's first day
    encoder_quality: int | None = None  # LAME -q 0..9 for every session (None: relaxgen's default)
    # the texts given per language: key ("title", "description", "session[N].title") -> language -> text
    local: dict[str, dict[str, str]] = field(default_factory=dict)

    def languages(self) -> tuple[str, ...] | None:
        """The languages every text is given in (None: all texts are plain, for any language)."""
        if not self.local:
            return None
        common = set(LANGUAGES)
        for texts in self.local.values():
            common &= set(texts)
        return tuple(sorted(common))

    def for_language(self, language: str) -> Manifest:
        """This manifest with every per-language text in ``language`` (a ManifestError names the
        first text that lacks it)."""
        if not self.local:
            return self
        src = display(self.path)

        def pick(key: str, plain: str | None) -> str | None:
            texts = self.local.get(key)
            if texts is None:
                return plain
            if language not in texts:
                raise _err(src, key, f"has no text in the listener's language '{language}' (only "
                                     f"{', '.join(sorted(texts))}): add {language} = \"…\" to it")
            return texts[language]

        sessions = tuple(dataclasses.replace(sp, title=pick(f"session[{sp.number}].title", sp.title))
                         for sp in self.sessions)
        return dataclasses.replace(self, title=pick("title", self.title) or "",
                                   description=pick("description", self.description) or "",
                                   sessions=sessions, local={})


def _err(src: str, key: str | None, msg: str) -> ManifestError:
    return ManifestError(msg, src, key)


def _text(v: Any, src: str, key: str, max_len: int = 2000) -> str:
    if not isinstance(v, str):
        raise _err(src, key, f"expected text in quotes, got {v!r}")
    if "\x00" in v or len(v) > max_len:
        raise _err(src, key, f"must be text without NUL characters, at most {max_len} characters")
    return v.strip()


def _local(v: Any, src: str, key: str, local: dict[str, dict[str, str]], max_len: int = 2000) -> str:
    """Text, or a table of texts per language (kept in ``local``); returns the plain text or,
    for a table, its English (else first) text: what a reader of no particular language sees."""
    if not isinstance(v, Mapping):
        return _text(v, src, key, max_len)
    _unknown(v, LANGUAGES, src, f"{key}.")
    texts = {str(k): _text(x, src, f"{key}.{k}", max_len) for k, x in v.items()}
    if not texts or not all(texts.values()):
        raise _err(src, key, "needs a text for each language, e.g. { en = \"…\", de = \"…\" }")
    local[key] = texts
    return texts.get("en") or texts[sorted(texts)[0]]


def _unknown(keys: Iterable[str], known: tuple[str, ...], src: str, where: str) -> None:
    for k in keys:
        if k not in known:
            raise _err(src, f"{where}{k}", f"unknown key '{k}'{did_you_mean(k, known)}; "
                                            f"allowed keys are {', '.join(known)}")


def _script(v: Any, src: str, key: str, base: Path) -> str:
    s = _text(v, src, key, 1000)
    if not s:
        raise _err(src, key, "is empty; name a built-in script (see 'relaxgen scripts') or a template file")
    looks_like_path = "/" in s or "\\" in s or s.endswith(TEMPLATE_SUFFIXES)
    if looks_like_path:
        p = Path(s).expanduser()
        p = (p if p.is_absolute() else base / p).resolve()
        if not p.is_file():
            raise _err(src, key, f"no such template file '{s}' (looked for {display(p)}); "
                                 "relative paths are read from the manifest's folder")
        return str(p)
    known = sorted(set(builtin_names("en")) | set(builtin_names("de")))
    if s not in known:
        raise _err(src, key, f"'{s}' is not a built-in script{did_you_mean(s, known)}; "
                             "run 'relaxgen scripts' to list them, or give a template path")
    return s


def _session(i: int, raw: Any, src: str, base: Path, local: dict[str, dict[str, str]]) -> SessionSpec:
    where = f"session[{i}]."
    if not isinstance(raw, Mapping):
        raise _err(src, f"session[{i}]", "each [[session]] must be a table")
    _unknown(raw, SESSION_KEYS, src, where)
    if "script" not in raw:
        raise _err(src, where + "script", "is missing; every [[session]] needs script = \"NAME or PATH\"")
    if "minutes" not in raw:
        raise _err(src, where + "minutes", "is missing; every [[session]] needs minutes = N")
    script = _script(raw["script"], src, where + "script", base)
    m = raw["minutes"]
    if isinstance(m, bool) or not isinstance(m, int | float) or not 0 < float(m) <= MAX_SESSION_MIN:
        raise _err(src, where + "minutes", f"expected a number of minutes above 0 and at most {MAX_SESSION_MIN:g}, got {m!r}")
    title = _local(raw["title"], src, where + "title", local, 200) if "title" in raw else None
    day = raw.get("day")
    if day is not None and (isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 366):
        raise _err(src, where + "day", f"expected a whole day number from 1 to 366, got {day!r}")
    part = raw.get("part")
    if part is not None and (isinstance(part, bool) or not isinstance(part, int) or not 1 <= part <= 99):
        raise _err(src, where + "part", f"expected a whole part number from 1 to 99, got {part!r}")
    variables = raw.get("set", {})
    if not isinstance(variables, Mapping):
        raise _err(src, where + "set", "expected a table of template variables, e.g. set = { focus = \"neck\" }")
    pairs: list[tuple[str, str]] = []
    for k, v in variables.items():
        if not str(k).isidentifier():
            raise _err(src, f"{where}set.{k}", "is not a valid variable name (letters, digits, _)")
        if k in PROFILE_KEYS:
            raise _err(src, f"{where}set.{k}", f"'{k}' is a profile field; it comes from the listener's profile")
        if isinstance(v, bool | int | float):
            v = str(v).lower() if isinstance(v, bool) else str(v)
        pairs.append((str(k), _text(v, src, f"{where}set.{k}", 2000)))
    return SessionSpec(i, script, float(m), title or None, day, tuple(pairs), part)


def manifest_from_mapping(data: Mapping[str, Any], path: Path) -> Manifest:
    """Validate a parsed manifest; ``path`` locates relative scripts and the cover."""
    src = display(path)
    base = path.resolve().parent
    _unknown(data, TOP_KEYS, src, "")
    if "title" not in data:
        raise _err(src, "title", "is missing; give the pack a title = \"...\"")
    local: dict[str, dict[str, str]] = {}
    title = _local(data["title"], src, "title", local, 200)
    if not title:
        raise _err(src, "title", "is empty")
    cover: Path | None = None
    if data.get("cover"):
        c = Path(_text(data["cover"], src, "cover", 1000)).expanduser()
        cover = (c if c.is_absolute() else base / c).resolve()
        if not cover.is_file():
            raise _err(src, "cover", f"no such image file {display(cover)}; paths are read from the manifest's folder")
    quality = data.get("encoder_quality")
    if quality is not None and (isinstance(quality, bool) or not isinstance(quality, int) or not 0 <= quality <= 9):
        raise _err(src, "encoder_quality", f"expected LAME's quality, a whole number from 0 (best) to 9 "
                                           f"(fastest), got {quality!r}")
    sessions = data.get("session")
    if not isinstance(sessions, list) or not sessions:
        raise _err(src, "session", "no sessions; add one [[session]] table per track with script and minutes")
    return Manifest(
        path=path.resolve(),
        title=title,
        sessions=tuple(_session(i, s, src, base, local) for i, s in enumerate(sessions, 1)),
        description=_local(data.get("description", ""), src, "description", local),
        author=_text(data.get("author", ""), src, "author", 200),
        cover=cover,
        start=_start(data.get("start"), src),
        encoder_quality=quality,
        local=local,
    )


def _start(value: Any, src: str) -> str | None:
    try:
        return coerce_start(value, src)
    except ProfileError as e:
        raise ManifestError(str(e).removeprefix(f"{src}: start: "), src, "start") from None


def load_manifest(path: str | Path) -> Manifest:
    """Read and validate a pack or course manifest (TOML)."""
    data, _ = read_toml(path, ManifestError, "manifest")
    return manifest_from_mapping(data, Path(path))


def session_profile(base: Profile, session: SessionSpec) -> Profile:
    """The listener's profile for one session: the session's day and variables added."""
    extra = dict(base.extra)
    extra.update(session.variables)
    day = session.day if session.day is not None else base.day
    return dataclasses.replace(base, day=day, extra=extra)


# ---------------------------------------------------------------- listeners (CSV)


@dataclass(frozen=True)
class Listener:
    row: int  # 1-based line of the row in the CSV (the header is row 1)
    id: str
    profile: Profile


@dataclass(frozen=True)
class RowError:
    row: int
    id: str | None
    message: str

    def __str__(self) -> str:
        who = f" (id {self.id})" if self.id else ""
        return f"row {self.row}{who}: {self.message}"


@dataclass
class ListenerTable:
    path: Path
    listeners: list[Listener] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _columns(header: list[str], src: str) -> list[str]:
    cols = [h.strip() for h in header]
    allowed = (*PROFILE_KEYS, "set.NAME")
    seen: set[str] = set()
    for c in cols:
        if not c:
            raise ManifestError("the header row has an empty column name", src)
        if c in seen:
            raise ManifestError(f"column '{c}' appears twice in the header row", src, c)
        seen.add(c)
        if c.startswith(SET_PREFIX):
            if not c[len(SET_PREFIX):].isidentifier():
                raise ManifestError("template variable columns are named set.NAME (letters, digits, _)", src, c)
        elif c not in PROFILE_KEYS:
            raise ManifestError(
                f"unknown column '{c}'{did_you_mean(c, PROFILE_KEYS)}; columns are profile fields "
                f"({', '.join(allowed)})", src, c)
    if "id" not in seen:
        raise ManifestError("the header row has no 'id' column; every listener needs a unique id", src, "id")
    return cols


def _row_profile(cols: list[str], cells: list[str], where: str, voices: Iterable[str] | None,
                 folder: Path) -> Profile:
    values: dict[str, Any] = {}
    extra: dict[str, str] = {}
    for c, v in zip(cols, cells, strict=True):
        v = v.strip()
        if v == "":
            continue
        if c.startswith(SET_PREFIX):
            extra[c[len(SET_PREFIX):]] = v
        else:
            values[c] = coerce_field(c, v, where)
    profile = bed_given_in(dataclasses.replace(Profile(extra=extra), **sourced(values, where)), folder, where)
    names = list(voices) if voices is not None else None
    if names is not None:
        check_voice(profile, names)
    if names is not None and profile.voice_name not in names:
        raise ProfileError(f"unknown voice '{profile.voice_name}'{did_you_mean(profile.voice_name, names)}; "
                           f"voices are {', '.join(sorted(names))}", where, "voice")
    return profile


def read_listeners(path: str | Path, voices: Iterable[str] | None = None) -> ListenerTable:
    """Read a listener CSV (UTF-8, with or without BOM; a header row of profile fields).

    Bad rows (a bad value, a voice not among ``voices``, a missing or duplicate id) are
    collected in ``errors`` with their row number; the good rows are returned. Without
    ``voices`` a row's voice is checked where its sessions are prepared.
    A bad header or an unreadable file raises :class:`ManifestError`.
    """
    p = Path(path)
    src = display(p)
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except OSError as e:
        raise ManifestError(f"cannot read the listener CSV: {e.strerror or e}", src) from None
    except UnicodeDecodeError as e:
        raise ManifestError(f"not valid UTF-8 (byte {e.start}); save the CSV as UTF-8", src) from None
    voice_names = list(voices) if voices is not None else None
    reader = csv.reader(io.StringIO(text, newline=""))
    table = ListenerTable(p)
    try:
        header = next(reader, None)
        if header is None:
            raise ManifestError("the file is empty; the first row must name the columns (id, name, ...)", src)
        cols = _columns(header, src)
        first_row: dict[str, int] = {}
        line = reader.line_num
        for cells in reader:
            row, line = line + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            rid = cells[cols.index("id")].strip() if len(cells) > cols.index("id") else ""
            try:
                if any("\n" in c or "\r" in c for c in cells):
                    raise ProfileError("a value holds a line break: an unclosed quote (\") joins the lines "
                                       "after it into this row; close the quote")
                if len(cells) != len(cols):
                    raise ProfileError(f"has {len(cells)} cells but the header has {len(cols)} columns")
                if not rid:
                    raise ProfileError("the id is empty; every listener needs a unique id")
                if rid in first_row:
                    raise ProfileError(f"duplicate id '{rid}' (first used on row {first_row[rid]})")
                profile = _row_profile(cols, cells, f"{src}, row {row}", voice_names, p.parent)
            except ProfileError as e:
                msg = str(e).removeprefix(f"{src}, row {row}: ")
                table.errors.append(RowError(row, rid or None, msg))
                continue
            first_row[rid] = row
            table.listeners.append(Listener(row, rid, profile))
    except csv.Error as e:
        raise ManifestError(f"line {reader.line_num}: not valid CSV ({e})", src) from None
    return table
