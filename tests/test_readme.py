"""The README's "Use it from Python" example runs as written, so it cannot drift from the API."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mutagen.id3 import ID3

README = Path(__file__).parents[1] / "README.md"
MARKER = "<!-- README example: tests/test_readme.py runs this block -->"


def readme_example() -> str:
    """The ```python block right after the marker in README.md."""
    text = README.read_text(encoding="utf-8")
    assert text.count(MARKER) == 1, f"README.md must hold the marker once: {MARKER}"
    m = re.match(r"\s*```python\n(.*?)\n```\n", text.split(MARKER, 1)[1], re.DOTALL)
    assert m, "the marker in README.md must be followed by a ```python block"
    return m.group(1)


def test_the_readme_example_plans_and_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    exec(compile(readme_example(), str(README), "exec"), {"__name__": "readme_example"})
    printed = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"Belly breathing: (4\.9|5\.0|5\.1) min", printed[0]), printed
    assert re.match(r"wrote output/anna-belly\.mp3: \d+ s, voice calm-en: fake voice", printed[-1]), printed
    tags = ID3(tmp_path / "output" / "anna-belly.mp3")
    assert str(tags["TIT2"]) == "Belly breathing"
    assert len(tags.getall("CHAP")) == len(printed) - 2  # one line per chapter between title and "wrote"
