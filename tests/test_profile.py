"""Listener profiles: layered, validated, unknown keys are errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import ProfileError
from generator.profile import Profile, apply_overrides, load_profile, profile_from_mapping


def test_full_profile(tmp_path: Path) -> None:
    p = tmp_path / "p.toml"
    p.write_text(
        'name = "Jörg"\nlanguage = "de"\naddress = "du"\nrate = 0.9\nminutes = 12\n'
        'dominant_side = "left"\nskip = ["lower-back"]\ngentle = ["neck", "shoulders"]\n'
        'bed = "rain"\nbed_level = -28\nbell = false\nsleep = true\nheart_formula = true\n',
        encoding="utf-8",
    )
    prof = load_profile(p)
    assert prof == Profile(name="Jörg", language="de", address="du", rate=0.9, minutes=12, dominant_side="left",
                           skip=("lower-back",), gentle=("neck", "shoulders"), bed="rain", bed_level=-28,
                           bell=False, sleep=True, heart_formula=True)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"nmae": "x"}, "nmae: unknown key 'nmae' (did you mean 'name'?)"),
        ({"language": "fr"}, "language: unknown language 'fr'"),
        ({"address": "ihr"}, "address: 'ihr' is not a form of address"),
        ({"rate": "fast"}, "rate: expected a number"),
        ({"rate": 3}, "rate: 3 is out of range"),
        ({"minutes": 0}, "minutes: 0 is out of range"),
        ({"skip": ["back"]}, "skip: unknown body area 'back'"),
        ({"gentle": 5}, "gentle: expected a list of body areas"),
        ({"bed": "jungle"}, "bed: unknown bed 'jungle'"),
        ({"bell": "maybe"}, "bell: expected true or false"),
        ({"dominant_side": "up"}, "dominant_side: 'up' is not a side"),
        ({"name": "x\x00y"}, "name: contains a NUL character"),
    ],
)
def test_invalid_profiles(data: dict[str, object], message: str) -> None:
    with pytest.raises(ProfileError) as e:
        profile_from_mapping(data, "p.toml")
    assert str(e.value).startswith("p.toml: ") and message in str(e.value)


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    p = tmp_path / "p.toml"
    p.write_text("name = ", encoding="utf-8")
    with pytest.raises(ProfileError, match="not valid TOML"):
        load_profile(p)
    with pytest.raises(ProfileError, match="cannot read profile"):
        load_profile(tmp_path / "missing.toml")


def test_overrides_layer_on_top() -> None:
    prof = apply_overrides(Profile(name="A", language="de"), {"name": "B", "variant": "no-hold", "minutes": "7"})
    assert prof.name == "B" and prof.minutes == 7 and prof.extra == {"variant": "no-hold"}
    assert prof.template_vars()["variant"] == "no-hold"
    with pytest.raises(ProfileError, match="rate"):
        apply_overrides(prof, {"rate": "9"})


def test_csv_style_strings_are_coerced() -> None:
    prof = profile_from_mapping({"skip": "neck; lower-back", "bell": "no", "sleep": "yes", "minutes": ""}, "row 2")
    assert prof.skip == ("neck", "lower-back") and not prof.bell and prof.sleep and prof.minutes is None


def test_the_profile_keeps_where_its_voice_was_given_and_preparing_a_session_checks_it(tmp_path: Path) -> None:
    from generator.api import prepare
    from generator.errors import VoiceError

    prof = profile_from_mapping({"voice": "nope"}, "p.toml")  # no voice folder is read here
    assert (prof.voice, prof.voice_source) == ("nope", "p.toml")
    assert apply_overrides(prof, {"voice": "calm-de"}).voice_source == "--set"
    assert "voice_source" not in prof.used_fields() and "voice_source" not in prof.template_vars()
    t = tmp_path / "t.j2"
    t.write_text("Hello.", encoding="utf-8")
    with pytest.raises(ProfileError) as e:
        prepare(t, prof, engine="fake")
    assert str(e.value).startswith("p.toml: voice: unknown voice 'nope'") and "relaxgen voices" in str(e.value)
    with pytest.raises(VoiceError, match="unknown voice 'nope'"):  # a voice set in code: the voice lookup's error
        prepare(t, Profile(voice="nope"), engine="fake")
