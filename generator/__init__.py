"""relaxgen: offline, personalised relaxation audio from scripts.

The library API; the ``relaxgen`` command is a thin shell over it::

    from generator import Profile, build_session
    build_session("belly-breathing", "out.mp3", Profile(name="Anna"), minutes=5)
"""

from .api import BuildOptions, BuildResult, build_session, plan_session, prepare
from .errors import RelaxgenError
from .profile import Profile, load_profile

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
