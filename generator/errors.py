"""One error hierarchy. Every message says what is wrong, where, and what to do.

The CLI turns any :class:`RelaxgenError` into ``Error: <message>`` and exit 1
in one place (``generator.cli``); tracebacks only with ``--debug``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


class RelaxgenError(Exception):
    """Root of every error relaxgen raises on purpose."""


@dataclass(frozen=True)
class SourcePos:
    """A place in a template file: 1-based line and column."""

    file: str
    line: int
    col: int | None = None

    def __str__(self) -> str:
        if self.col is None:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.col}"


class ScriptError(RelaxgenError):
    """A template or marker problem, located at ``file:line:col``."""

    def __init__(self, message: str, pos: SourcePos | None = None) -> None:
        self.message = message
        self.pos = pos
        super().__init__(f"{pos}: {message}" if pos else message)


class ConfigError(RelaxgenError):
    """A file or value that configures a build is invalid, printed as ``source: key: message``."""

    def __init__(self, message: str, source: str | None = None, key: str | None = None) -> None:
        self.source = source
        self.key = key
        where = ": ".join(p for p in (source, key) if p)
        super().__init__(f"{where}: {message}" if where else message)


class ProfileError(ConfigError):
    """A listener profile (TOML file, CSV row or ``--set`` value) is invalid."""


class ManifestError(ConfigError):
    """A pack or course manifest, or a listener CSV as a whole (its header, its encoding), is invalid."""


class VoiceError(RelaxgenError):
    """A voice profile or engine voice cannot be found or used."""


class SynthesisError(RelaxgenError):
    """The speech engine failed to speak a piece of text."""


class AudioError(RelaxgenError):
    """Decoding, mixing or encoding audio failed."""


class ExportError(RelaxgenError):
    """Writing an output file (MP3, tags, playlist, page) failed."""


class BuildLockedError(ExportError):
    """Another build is writing into the same output folder."""


class DiaryError(RelaxgenError):
    """An exported practice diary (CSV) is invalid, printed as ``file: row N: message``."""

    def __init__(self, message: str, source: str, row: int | None = None) -> None:
        self.message = message
        self.source = source
        self.row = row
        where = f"{source}: row {row}" if row is not None else source
        super().__init__(f"{where}: {message}")


class FileOperationError(RelaxgenError):
    """An OS-level failure on a path, printed as ``path: reason``."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for a close match, else ``""``."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def closest(word: str, choices: Iterable[str], n: int = 5) -> list[str]:
    """The ``n`` choices closest to ``word``."""
    return difflib.get_close_matches(word, list(choices), n=n, cutoff=0.3)
