"""relaxgen's benchmark: ``python -m bench`` (or ``make bench``).

Measures a session build against its floors (MP3 encoding, speech synthesis),
against the way small meditation generators build audio (pydub), its peak
memory (the whole process tree, encoder included) and course throughput.
See ``docs/performance.md``.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
SESSION_TEMPLATE = HERE / "scripts" / "session.j2"
