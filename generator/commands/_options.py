"""Options shared by several commands, as decorators."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ..api import check_voice
from ..policy import MAX_SESSION_MIN, MIN_SESSION_MIN
from ..profile import Profile, apply_overrides, load_profile, parse_set_options

F = TypeVar("F", bound=Callable[..., Any])


def profile_options(f: F) -> F:
    f = click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
                     help="Set a profile field or template variable (repeatable).")(f)
    f = click.option("--profile", "profile_path", type=click.Path(dir_okay=False, path_type=Path),
                     help="Listener profile (TOML).")(f)
    return f


def include_option(f: F) -> F:
    return click.option("-I", "--include-dir", "include_dirs", multiple=True,
                        type=click.Path(exists=True, file_okay=False, path_type=Path),
                        help="Another folder for {% include %} and {% import %} (repeatable; searched after "
                             "the template's own folder).")(f)


def sounds_option(f: F) -> F:
    return click.option("--sounds-dir", "sounds_dirs", multiple=True,
                        type=click.Path(exists=True, file_okay=False, path_type=Path),
                        help="Another folder sound files named by [bed file=…], [cue file=…] or a profile's "
                             "bed may be read from (repeatable; searched after the template's or profile's "
                             "own folder). Files outside these folders are never read.")(f)


def minutes_option(f: F) -> F:
    return click.option("--minutes", type=click.FloatRange(MIN_SESSION_MIN, MAX_SESSION_MIN), default=None,
                        help="Target length in minutes (elastic pauses are fitted).")(f)


def cache_option(f: F) -> F:
    return click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help="Synthesis cache folder (default: the user cache folder).")(f)


def engine_option(f: F) -> F:
    return click.option("--engine", type=click.Choice(["pyttsx3", "piper", "fake"]), default=None,
                        help="Use this speech engine for every voice (fake: silent test tones).")(f)


def jobs_option(f: F) -> F:
    return click.option("-j", "--jobs", type=click.IntRange(1, 256), default=None,
                        help="Cores to use: speech worker processes, and with 2 or more a session of a minute "
                             "or longer is encoded as two parts at once (default: the number of cores).")(f)


def get_profile(profile_path: Path | None, sets: tuple[str, ...]) -> Profile:
    """The listener profile of ``--profile`` and ``--set``, its voice checked against the voices
    installed here before any work starts (the file's before ``--set`` is read)."""
    prof = load_profile(profile_path) if profile_path else Profile()
    check_voice(prof)
    prof = apply_overrides(prof, parse_set_options(sets))
    check_voice(prof)
    return prof
