"""The build state's fingerprint of relaxgen's own code."""

from __future__ import annotations

from pathlib import Path

import generator
from generator.batch.buildstate import code_files


def test_the_code_fingerprint_covers_every_stage() -> None:
    """A change to the mixer, the page's templates or the session conductor writes pack files
    again: the fingerprint reads the whole generator package, not the batch stage alone."""
    names = {p.relative_to(Path(generator.__file__).parent).as_posix() for p in code_files()}
    for f in ("audio/mixer.py", "export/page.py", "session/build.py", "batch/course.py", "api.py"):
        assert f in names, f
    assert any(n.startswith("export/templates/") and n.endswith(".html") for n in names)
