"""LAME's algorithmic quality: reaches the encoder, is part of a build's hash, is validated."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from generator.audio.encode import DEFAULT_QUALITY, Mp3Encoder
from generator.audio.ffmpeg import decode
from generator.build.manifest import load_manifest
from generator.build.pack import PackSettings, plan_pack
from generator.errors import AudioError, ManifestError
from generator.profile import Profile

HERE = Path(__file__).parents[1]


def test_the_quality_reaches_the_encoder(tmp_path: Path) -> None:
    x = (0.2 * np.random.default_rng(3).standard_normal((3 * 44100, 2))).astype(np.float32)
    outs = {}
    for q in (0, 9):
        with Mp3Encoder(tmp_path / f"q{q}.mp3", quality=q) as enc:
            enc.write(x)
        outs[q] = (tmp_path / f"q{q}.mp3").read_bytes()
        assert len(decode(tmp_path / f"q{q}.mp3", 44100, 2)) == len(x)
    assert outs[0] != outs[9]
    with pytest.raises(AudioError, match="0 \\(best\\) to 9"):
        Mp3Encoder(tmp_path / "x.mp3", quality=10)


def test_manifest_key_and_static_hash(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(HERE / "templates" / "course", src)
    toml = src / "course.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text("encoder_quality = 7\n" + text, encoding="utf-8")
    assert load_manifest(toml).encoder_quality == 7
    toml.write_text("encoder_quality = 10\n" + text, encoding="utf-8")
    with pytest.raises(ManifestError, match="encoder_quality"):
        load_manifest(toml)
    toml.write_text(text, encoding="utf-8")
    m = load_manifest(toml)
    assert m.encoder_quality is None

    def hashes(q: int | None) -> list[str]:
        s = PackSettings(cache_dir=str(tmp_path / "c"), engine="fake", encoder_quality=q)
        return [t.static_hash for t in plan_pack(m, Profile(), tmp_path / "out", s, write=False).tasks]

    assert PackSettings(cache_dir="c").options()["encoder_quality"] == DEFAULT_QUALITY == 7
    assert len({tuple(hashes(q)) for q in (None, 3, 5, 7)}) == 4  # part of every output's hash
