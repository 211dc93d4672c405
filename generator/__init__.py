"""relaxgen: offline, personalised relaxation audio from scripts.

The library API; the ``relaxgen`` command is a thin shell over it::

    from generator import Profile

    from generator import build_session
    build_session("belly-breathing", "out.mp3", Profile(name="Anna"), minutes=5)

Names are imported lazily so that ``import generator.script.markers`` (and worker
processes) do not pay for numpy/scipy start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api import BuildOptions, BuildResult, build_session, plan_session, prepare
    from .errors import RelaxgenError
    from .profile import Profile, load_profile

_LAZY = {
    "BuildOptions": "api",
    "BuildResult": "api",
    "build_session": "api",
    "plan_session": "api",
    "prepare": "api",
    "RelaxgenError": "errors",
    "Profile": "profile",
    "load_profile": "profile",
}

__all__ = [
    "BuildOptions",
    "BuildResult",
    "Profile",
    "RelaxgenError",
    "build_session",
    "load_profile",
    "plan_session",
    "prepare",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'generator' has no attribute {name!r}")
