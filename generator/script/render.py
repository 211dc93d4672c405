"""Render a script template (Jinja, sandboxed) for one listener.

Templates are data a user may receive from someone else, so they run in
Jinja's immutable sandbox with ``StrictUndefined``. Values from the profile
are data, never markup: a ``[`` in a listener's name is spoken, not parsed.
Every literal ``[`` and text run in a template is tagged with its source
position so marker errors name the file and line the author must edit
(the environment: :mod:`generator.script.jinjaenv`).
"""

from __future__ import annotations

import functools
import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import jinja2.ext
import jinja2.sandbox

from ..errors import ScriptError, SourcePos, closest, did_you_mean
from ..paths import display, include_folders, scripts_dir
from ..profile import SCHEDULE_KEYS
from .jinjaenv import SandboxEnv, make_environment, sha256_text
from .jinjaenv import as_data as as_data  # re-exported: callers wrap listener data with it

TEMPLATE_SUFFIXES = (".j2", ".txt", ".jinja")
_FRONT_RE = re.compile(r"\A\s*\{#-?-{3}\s*\n(.*?)\n\s*-{3}-?#\}", re.S)
FRONT_KEYS = ("title", "description", "language", "minutes", "min_minutes", "max_minutes", "tags", "options")
OPTION_KEYS = ("set", "min_minutes", "max_minutes")


@dataclass(frozen=True)
class OptionCase:
    """A documented option combination (``[[options]]`` in the front matter): the ``--set``
    values and, where they change it, the lengths the script reaches with them."""

    sets: tuple[tuple[str, str], ...]
    min_minutes: float | None = None
    max_minutes: float | None = None

    @property
    def label(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.sets)


@dataclass(frozen=True)
class FrontMatter:
    title: str = ""
    description: str = ""
    language: str | None = None
    minutes: float | None = None
    min_minutes: float | None = None
    max_minutes: float | None = None
    tags: tuple[str, ...] = ()
    options: tuple[OptionCase, ...] = ()

    def range_for(self, case: OptionCase | None = None) -> tuple[float | None, float | None]:
        """The shortest and longest length the script declares, with ``case``: those declared
        for the option where it declares them."""
        lo = case.min_minutes if case and case.min_minutes is not None else self.min_minutes
        hi = case.max_minutes if case and case.max_minutes is not None else self.max_minutes
        return lo, hi


@dataclass(frozen=True)
class Rendered:
    """The rendered text (with position anchors) and what made it."""

    text: str
    anchors: tuple[SourcePos, ...]
    name: str  # display path of the main template
    front: FrontMatter
    sources: dict[str, str] = field(default_factory=dict)  # display path -> sha256 of text


@functools.lru_cache(maxsize=128)  # a template's front matter is read by every plan, check and build of it
def parse_front_matter(source: str, name: str) -> FrontMatter:
    m = _FRONT_RE.match(source)
    if not m:
        return FrontMatter()
    line = source[: m.start(1)].count("\n") + 1
    try:
        data = tomllib.loads(m.group(1))
    except tomllib.TOMLDecodeError as e:
        raise ScriptError(f"front matter is not valid TOML: {e}", SourcePos(name, line)) from None
    for k in data:
        if k not in FRONT_KEYS:
            raise ScriptError(
                f"unknown front matter key '{k}'{did_you_mean(k, FRONT_KEYS)}", SourcePos(name, line)
            )
    try:
        fm = FrontMatter(
            title=str(data.get("title", "")),
            description=str(data.get("description", "")),
            language=data.get("language"),
            minutes=_opt_float(data.get("minutes")),
            min_minutes=_opt_float(data.get("min_minutes")),
            max_minutes=_opt_float(data.get("max_minutes")),
            tags=tuple(str(t) for t in data.get("tags", ())),
            options=_options(data.get("options", [])),
        )
    except (TypeError, ValueError) as e:
        raise ScriptError(f"front matter: {e}", SourcePos(name, line)) from None
    return fm


def _options(v: Any) -> tuple[OptionCase, ...]:
    """``[[options]]`` tables: ``set = { key = "value", ... }``, optional ``min_minutes`` and
    ``max_minutes``."""
    if not isinstance(v, list) or not all(isinstance(o, dict) for o in v):
        raise TypeError("options must be [[options]] tables, each with set = { key = \"value\" }")
    out = []
    for o in v:
        unknown = [k for k in o if k not in OPTION_KEYS]
        if unknown:
            raise ValueError(f"unknown key '{unknown[0]}' in [[options]] (keys: {', '.join(OPTION_KEYS)})")
        sets = o.get("set")
        if not isinstance(sets, dict) or not sets:
            raise TypeError("every [[options]] table needs set = { key = \"value\" } (the --set values it stands for)")
        pairs = tuple((str(k), str(x).lower() if isinstance(x, bool) else str(x)) for k, x in sets.items())
        out.append(OptionCase(pairs, _opt_float(o.get("min_minutes")), _opt_float(o.get("max_minutes"))))
    return tuple(out)


def _opt_float(v: Any) -> float | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise TypeError(f"expected a number of minutes, got {v!r}")
    return float(v)


MAX_RENDER_CHARS = 5_000_000  # a script is a few kB; more is a runaway loop
MAX_ANCHORS = 200_000  # a long-lived process that compiled this many anchors starts a fresh environment
MAX_ROOTS = 64  # main templates kept compiled per environment


@functools.lru_cache(maxsize=8)
def _shared_environment(key: tuple[str, ...]) -> SandboxEnv:
    """One environment per (working folder, include search path), kept for the process:
    a template (and each include) is compiled once, not once per listener and session."""
    return make_environment([Path(p) for p in key[1:]])


def builtin_names(language: str | None = None) -> list[str]:
    root = scripts_dir()
    names: set[str] = set()
    langs = [language] if language else [p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))] if root.is_dir() else []
    for lang in langs:
        d = root / lang
        if d.is_dir():
            names.update(p.stem for p in d.iterdir() if p.suffix in TEMPLATE_SUFFIXES)
    return sorted(names)


def resolve_template(spec: str, language: str = "en") -> Path:
    """A template path, or a built-in script name looked up for ``language``."""
    p = Path(spec)
    if p.is_file():
        return p
    if p.suffix in TEMPLATE_SUFFIXES or "/" in spec or "\\" in spec:
        raise ScriptError(f"{spec}: no such template file")
    root = scripts_dir()
    for suffix in TEMPLATE_SUFFIXES:
        cand = root / language / f"{spec}{suffix}"
        if cand.is_file():
            return cand
    names = builtin_names(language)
    hint = closest(spec, names, 3)
    more = f" Did you mean: {', '.join(hint)}?" if hint else ""
    other = [lang for lang in ("en", "de") if lang != language and spec in builtin_names(lang)]
    if other:
        more += f" It exists in language '{other[0]}'."
    raise ScriptError(
        f"'{spec}' is neither a template file nor a built-in script for language '{language}'.{more}"
        " Run 'relaxgen scripts' to list the built-ins."
    )


def render_template(
    path: Path,
    variables: Mapping[str, Any],
    include_dirs: list[Path] | None = None,
) -> Rendered:
    """Render ``path`` with ``variables`` (wrap listener data with :func:`as_data`)."""
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ScriptError(f"not valid UTF-8 text (byte {e.start}); save the file as UTF-8", SourcePos(display(path), 1)) from None
    except OSError as e:
        raise ScriptError(f"{display(path)}: cannot read template: {e.strerror or e}") from None
    name = display(path)
    front = parse_front_matter(source, name)
    search = include_folders(path, include_dirs)
    # anchors hold paths as displayed from the working folder: it is part of the key
    key = (str(Path.cwd()), *(str(p) for p in search if p.is_dir()))
    env = _shared_environment(key)
    if len(env.anchor_table) > MAX_ANCHORS:
        _shared_environment.cache_clear()
        env = _shared_environment(key)
    with env.lock:
        env.used = {}
        try:
            text = _render_locked(env, source, path, name, variables, search)
            loaded = {name: sha256_text(source), **env.used}
            anchors = tuple(env.anchor_table)
        finally:
            env.used = None
    return Rendered(text, anchors, name, front, loaded)


def _render_locked(
    env: SandboxEnv, source: str, path: Path, name: str, variables: Mapping[str, Any], search: list[Path]
) -> str:
    """Render with ``env`` (its lock held): the main template compiled once per text."""
    try:
        template = env.roots.get((source, str(path)))
        if template is None:
            env.inline_source = source
            env.inline_filename = str(path)
            template = env.from_string(source)
            template.filename = str(path)
            template.name = None
            if len(env.roots) >= MAX_ROOTS:
                env.roots.pop(next(iter(env.roots)))
            env.roots[(source, str(path))] = template
        parts: list[str] = []
        size = 0
        for chunk in template.generate(dict(variables)):
            size += len(chunk)
            if size > MAX_RENDER_CHARS:
                raise ScriptError(
                    f"the template renders more than {MAX_RENDER_CHARS // 1_000_000} million characters; "
                    "check its loops", _template_pos(name))
            parts.append(chunk)
        text = "".join(parts)
    except jinja2.TemplateSyntaxError as e:
        fname = display(e.filename) if e.filename else name
        raise ScriptError(f"template syntax error: {e.message}", SourcePos(fname, e.lineno or 1)) from None
    except jinja2.TemplateNotFound as e:
        raise ScriptError(
            f"included template '{e.name}' not found (looked in {', '.join(display(p) for p in search)})",
            _template_pos(name),
        ) from None
    except jinja2.UndefinedError as e:
        msg = str(e.message or e)
        m = re.match(r"'([^']+)' is undefined", msg)
        if m and m.group(1) in SCHEDULE_KEYS:
            msg = (f"'{m.group(1)}' is a schedule field of the profile (for reminders and the pack page), "
                   "not a template variable; a script cannot use it")
        elif m:
            msg = f"undefined variable '{m.group(1)}'{did_you_mean(m.group(1), variables)}; set it in the profile or with --set {m.group(1)}=VALUE"
        raise ScriptError(msg, _template_pos(name)) from None
    except jinja2.sandbox.SecurityError as e:
        raise ScriptError(f"blocked by the template sandbox: {e}", _template_pos(name)) from None
    except RecursionError:
        raise ScriptError("templates include each other in a cycle (or recurse too deep)", SourcePos(name, 1)) from None
    except ScriptError:
        raise
    except Exception as e:  # any error raised while the template runs
        raise ScriptError(f"template failed: {type(e).__name__}: {e}", _template_pos(name)) from None
    return text


def render_string(source: str, variables: Mapping[str, Any], name: str = "<string>") -> Rendered:
    """Render template text held in memory (tests, API users)."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "template.j2"
        p.write_text(source, encoding="utf-8")
        try:
            r = render_template(p, variables)
        except ScriptError as e:
            if e.pos is not None and e.pos.file.endswith("template.j2"):
                raise ScriptError(e.message, SourcePos(name, e.pos.line, e.pos.col)) from None
            raise
    anchors = tuple(SourcePos(name, a.line, a.col) for a in r.anchors)
    return Rendered(r.text, anchors, name, r.front, {name: sha256_text(source)})


def _template_pos(default_name: str) -> SourcePos:
    """The innermost template frame of the exception being handled."""
    tb = sys.exc_info()[2]
    found: SourcePos | None = None
    while tb is not None:
        fn = tb.tb_frame.f_code.co_filename
        if fn.endswith(TEMPLATE_SUFFIXES) or fn.startswith("<template"):
            found = SourcePos(display(fn), tb.tb_lineno)
        tb = tb.tb_next
    return found or SourcePos(default_name, 1)
