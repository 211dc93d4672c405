"""Where the built-in data lives (scripts, voices) and user folders."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Sequence
from pathlib import Path


def data_root() -> Path:
    """The folder holding ``scripts/`` and ``voices/``.

    A source checkout or editable install uses the repository; a wheel install
    uses ``<prefix>/share/relaxgen``. ``RELAXGEN_DATA`` overrides both.
    """
    env = os.environ.get("RELAXGEN_DATA")
    if env:
        return Path(env)
    return _installed_root()


@functools.cache  # where this installation keeps its data does not change while it runs
def _installed_root() -> Path:
    repo = Path(__file__).resolve().parent.parent
    if (repo / "scripts").is_dir() and (repo / "voices").is_dir():
        return repo
    return Path(sys.prefix) / "share" / "relaxgen"


def scripts_dir() -> Path:
    return data_root() / "scripts"


def voices_dir() -> Path:
    return data_root() / "voices"


def include_folders(template: Path, include_dirs: Sequence[Path] | None = None) -> list[Path]:
    """Where a template's includes are looked up, in order: its own folder, the ``-I``
    folders, ``scripts/_lib/``, ``scripts/`` (sound files too: :mod:`generator.script.sounds`)."""
    return [template.parent.resolve(), *(include_dirs or []), scripts_dir() / "_lib", scripts_dir()]


def user_config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "relaxgen"


def user_data_dir() -> Path:
    """``$XDG_DATA_HOME/relaxgen`` (voices added with ``relaxgen voices add``)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "relaxgen"


def default_cache_dir() -> Path:
    env = os.environ.get("RELAXGEN_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "relaxgen"


def display(path: str | Path) -> str:
    """A path as the user should read it: relative to the working folder when inside it."""
    try:
        return _display(str(path), os.getcwd())
    except OSError:
        return str(path)


@functools.lru_cache(maxsize=256)  # every plan names its template and includes again
def _display(path: str, cwd: str) -> str:
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path(cwd).resolve()))
    except (ValueError, OSError):
        return str(p)
