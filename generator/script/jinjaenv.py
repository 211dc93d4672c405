"""The Jinja environment scripts render in: Jinja's immutable sandbox with
``StrictUndefined``, bounded ``*`` and ``**``, listener data that is never markup
(:class:`Data`), position anchors on every literal ``[`` and text run (so marker
errors name the template's file and line), and a loader that records each
template's sha256 and recompiles only when a file's text changed.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jinja2
import jinja2.ext
import jinja2.sandbox
from jinja2.lexer import Token, TokenStream

from ..errors import SourcePos
from ..paths import display


class Data(str):
    """A string that came from the listener (profile, --set): never markup."""

    __slots__ = ()


def _finalize(value: Any) -> Any:
    if isinstance(value, Data):
        return str(value).replace("[", "[[")
    return value


def as_data(value: Any) -> Any:
    """Wrap every string inside ``value`` (recursively) as :class:`Data`."""
    if isinstance(value, str):
        return Data(value)
    if isinstance(value, list | tuple):
        return [as_data(v) for v in value]
    if isinstance(value, Mapping):
        return {k: as_data(v) for k, v in value.items()}
    return value


class _PositionExtension(jinja2.ext.Extension):
    """Insert ``\\x01N\\x02`` anchors into template text (see :mod:`markers`)."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        env: SandboxEnv = self.environment  # type: ignore[assignment]
        source: str | None = None
        fname = stream.filename or stream.name or env.inline_filename or "<template>"
        if stream.name is not None and env.loader is not None:
            try:
                source = env.loader.get_source(env, stream.name)[0]
            except jinja2.TemplateNotFound:
                source = None
        elif stream.name is None:
            source = env.inline_source
        line_starts = _line_starts(source) if source is not None else []
        cursor = 0
        disp = display(fname) if not fname.startswith("<") else fname
        for tok in stream:
            if tok.type != "data" or not tok.value:
                yield tok
                continue
            base = -1
            if source is not None and tok.lineno - 1 < len(line_starts):
                start = max(cursor, line_starts[tok.lineno - 1])
                base = source.find(tok.value, start)
                if base < 0:
                    base = source.find(tok.value, line_starts[tok.lineno - 1])
            if base >= 0:
                cursor = base + len(tok.value)
            yield Token(tok.lineno, "data", self._annotate(env, tok, base, line_starts, disp))

    @staticmethod
    def _annotate(env: SandboxEnv, tok: Token, base: int, line_starts: list[int], disp: str) -> str:
        value: str = tok.value
        cut = [0] + [m.start() for m in re.finditer(r"\[", value)]
        out: list[str] = []
        prev = 0
        for c in sorted(set(cut)):
            out.append(value[prev:c])
            if base >= 0:
                abs_i = base + c
                ln = _bisect(line_starts, abs_i)
                pos = SourcePos(disp, ln + 1, abs_i - line_starts[ln] + 1)
            else:
                pos = SourcePos(disp, tok.lineno + value[:c].count("\n"), None)
            out.append(f"\x01{len(env.anchor_table)}\x02")
            env.anchor_table.append(pos)
            prev = c
        out.append(value[prev:])
        return "".join(out)


def _line_starts(source: str) -> list[int]:
    starts = [0]
    for m in re.finditer("\n", source):
        starts.append(m.end())
    return starts


def _bisect(starts: list[int], i: int) -> int:
    import bisect

    return bisect.bisect_right(starts, i) - 1


MAX_REPEAT = 100_000  # 'x' * n and [..] * n: longest result (items or characters)


class SandboxEnv(jinja2.sandbox.ImmutableSandboxedEnvironment):
    anchor_table: list[SourcePos]  # grows as templates compile; every anchor keeps its number
    roots: dict[tuple[str, str], jinja2.Template]  # (text, path) of main templates -> compiled
    used: dict[str, str] | None  # during a render: display path -> sha256 of every template loaded
    lock: threading.Lock  # one render at a time per environment
    inline_source: str | None = None
    inline_filename: str | None = None
    # the sandbox bounds range(); these bound the other ways to make huge values
    intercepted_binops = frozenset(["*", "**"])

    def _load_template(self, name: str, globals: Any) -> jinja2.Template:  # noqa: A002 - Jinja's name
        t = super()._load_template(name, globals)
        if self.used is not None and t.filename and isinstance(self.loader, ShaLoader):
            sha = self.loader.shas.get(t.filename)
            if sha is not None:
                self.used[display(t.filename)] = sha
        return t

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            if isinstance(left, int | float) and isinstance(right, int | float) and abs(right) > 64 \
                    and abs(left) > 1:
                raise jinja2.sandbox.SecurityError(f"{left!r} ** {right!r} is too large for a template")
        elif operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(n, int) and len(seq) * n > MAX_REPEAT:
                    raise jinja2.sandbox.SecurityError(
                        f"repeating a value {n} times makes more than {MAX_REPEAT} items or characters")
        return super().call_binop(context, operator, left, right)


class ShaLoader(jinja2.FileSystemLoader):
    """A FileSystemLoader whose compiled templates stay cached while the file its name
    finds, and that file's text, are unchanged (content decides, not the modification
    time, which can stay the same over two quick edits).  Records each file's sha256."""

    def __init__(self, searchpath: list[str]) -> None:
        super().__init__(searchpath)
        self.shas: dict[str, str] = {}  # file name -> sha256 of the text last loaded

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        src, filename, _ = super().get_source(environment, template)
        sha = sha256_text(src)
        self.shas[filename] = sha

        def uptodate() -> bool:
            try:
                again, found, _ = jinja2.FileSystemLoader.get_source(self, environment, template)
            except jinja2.TemplateNotFound:
                return False
            return found == filename and sha256_text(again) == sha

        return src, filename, uptodate


def make_environment(search_paths: list[Path]) -> SandboxEnv:
    env = SandboxEnv(
        loader=ShaLoader([str(p) for p in search_paths]),
        undefined=jinja2.StrictUndefined,
        extensions=[_PositionExtension],
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.anchor_table = []
    env.roots = {}
    env.used = None
    env.lock = threading.Lock()
    return env


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
