"""LAME's algorithmic quality: reaches the encoder, is chosen per output, is part of a build's hash,
is validated."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest

from generator.api import BuildOptions, build_session
from generator.audio import encode
from generator.audio.encode import DEFAULT_QUALITY, QUALITY_BY_OUTPUT, Mp3Encoder, output_quality
from generator.audio.ffmpeg import decode
from generator.batch.manifest import load_manifest
from generator.batch.pack import PackSettings, plan_pack
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


def test_manifest_key_and_static_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
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

    assert PackSettings(cache_dir="c").options()["encoder_quality"] is None  # each output's own
    assert len({tuple(hashes(q)) for q in (None, 3, 5, 7)}) == 4  # part of every output's hash
    # unset, the rule that picks it is part of the hash: a changed rule rebuilds
    before = hashes(None)
    monkeypatch.setitem(QUALITY_BY_OUTPUT, "stereo with a bed", 3)
    assert hashes(None) != before


def test_the_rule_per_output() -> None:
    # the codec study's choice (docs/performance.md): noise shaping (-q 2) for stereo under a bed
    assert QUALITY_BY_OUTPUT == {"stereo with a bed": 2, "mono with a bed": 7, "stereo without a bed": 7, "mono without a bed": 7}
    assert DEFAULT_QUALITY == output_quality(2, True) == 2
    assert (output_quality(1, True), output_quality(2, False), output_quality(1, False)) == (7, 7, 7)
    assert output_quality(1, True, chosen=2) == 2


@pytest.mark.parametrize(("bed", "mono", "expected"), [("rain", False, 2), ("rain", True, 7), ("none", False, 7)])
def test_a_build_encodes_at_its_outputs_quality(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                bed: str, mono: bool, expected: int) -> None:
    used: list[int | None] = []
    real = encode.Mp3Encoder.__init__

    def spy(self: Mp3Encoder, *a: object, quality: int | None = None, **k: object) -> None:
        used.append(quality)
        real(self, *a, quality=quality, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(encode.Mp3Encoder, "__init__", spy)
    tpl = tmp_path / "s.txt"
    tpl.write_text("Breathe in.\n[pause 3s]\nBreathe out.\n", encoding="utf-8")
    opts = BuildOptions(engine="fake", cache_dir=tmp_path / "c", mono=mono, encoders=1)
    res = build_session(tpl, tmp_path / "s.mp3", Profile(bed=bed), None, opts)
    assert res.encoder_quality == expected and set(used) == {expected}
    chosen = build_session(tpl, tmp_path / "t.mp3", Profile(bed=bed), None, dataclasses.replace(opts, encoder_quality=5))
    assert chosen.encoder_quality == 5
