"""The library API: plan and build one session. The CLI is a thin shell over this.

The work is done in :mod:`generator.session` (``prepare``, ``timing``, ``build``); this
module is what a library user calls:

- :func:`check_voice` checks the voice a profile file or ``--set`` gave against the voices
  installed here (:func:`prepare` does it first);
- :func:`prepare` renders and parses a template for a listener's :class:`~generator.profile.Profile`
  (a :class:`Prepared` session, not yet timed); :func:`estimated` chooses its optional pieces
  by the calibrated estimate, :func:`reach` lists the lengths it can reach, :func:`timed` lays
  out its timeline from clip lengths;
- :func:`plan` prepares and times a session in one call (:func:`plan_session`: its timeline only);
- :func:`build_session` builds one tagged, chaptered MP3 (:class:`BuildOptions` in,
  :class:`BuildResult` out).

README.md's "Use it from Python" shows them at work; ``tests/test_readme.py`` runs that example.
"""

from __future__ import annotations

from pathlib import Path

from .model import Timeline
from .profile import Profile
from .session.build import BuildOptions, BuildResult, ProgressFn, build_session
from .session.prepare import Prepared, check_voice, course_context, prepare, template_variables
from .session.timing import estimated, plan, reach, timed

__all__ = [
    "BuildOptions",
    "BuildResult",
    "Prepared",
    "ProgressFn",
    "build_session",
    "check_voice",
    "course_context",
    "estimated",
    "plan",
    "plan_session",
    "prepare",
    "reach",
    "template_variables",
    "timed",
]


def plan_session(
    template: str | Path,
    profile: Profile | None = None,
    minutes: float | None = None,
    engine: str | None = "fake",
    estimate: bool = False,
    cache_dir: Path | None = None,
    include_dirs: list[Path] | None = None,
    sounds_dirs: list[Path] | None = None,
) -> Timeline:
    """The timed plan of a session (see :func:`plan`)."""
    return plan(template, profile, minutes, engine, estimate, cache_dir, include_dirs, sounds_dirs)[1]
