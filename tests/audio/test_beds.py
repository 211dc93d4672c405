"""Ambient beds: deterministic, block-split invariant, stereo, at level, seamless; file beds."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from generator.audio.beds import BED_NAMES, LoopBed, builtin_bed, file_bed
from generator.errors import AudioError

SR = 44100


def _rms_db(x: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64)))))


def _max_step(x: np.ndarray) -> float:
    return float(np.abs(np.diff(x, axis=0)).max())


@pytest.fixture(scope="module", params=BED_NAMES)
def bed(request: pytest.FixtureRequest) -> tuple[str, LoopBed]:
    return request.param, builtin_bed(request.param, SR)


def test_deterministic(bed: tuple[str, LoopBed]) -> None:
    name, b = bed
    again = builtin_bed(name, SR)
    assert np.array_equal(b.render(12345, 5000), again.render(12345, 5000))


def test_seed_changes_the_noise() -> None:
    a = builtin_bed("drone", SR, seed=0).render(0, 2000)
    b = builtin_bed("drone", SR, seed=1).render(0, 2000)
    assert not np.allclose(a, b)


def test_block_split_invariant(bed: tuple[str, LoopBed]) -> None:
    _, b = bed
    whole = b.render(0, 10000)
    assert np.array_equal(whole, np.concatenate([b.render(0, 3000), b.render(3000, 7000)]))
    start = 40 * SR - 777  # somewhere in the middle of a session, across loop points
    whole = b.render(start, 3 * SR)
    parts, pos = [], start
    for n in (1, 4410, 99999, 3 * SR - 1 - 4410 - 99999):
        parts.append(b.render(pos, n))
        pos += n
    assert np.array_equal(whole, np.concatenate(parts))


def test_stereo_float32_and_level(bed: tuple[str, LoopBed]) -> None:
    name, b = bed
    x = b.render(0, 66 * SR)
    assert x.dtype == np.float32 and x.shape == (66 * SR, 2)
    for ch in range(2):
        assert abs(_rms_db(x[:, ch]) + 20.0) < 1.0, name
    assert np.abs(x).max() < 1.0
    assert not np.array_equal(x[:, 0], x[:, 1])  # real stereo, not two copies


def test_seamless_at_every_loop_point(bed: tuple[str, LoopBed]) -> None:
    name, b = bed
    normal = _max_step(b.render(0, 10 * SR))
    for length in b.loop_lengths:
        for k in (1, 3):  # the first and a later wrap
            around = b.render(k * length - 50, 100)
            assert _max_step(around[45:55]) <= normal, (name, length)


def test_ocean_swells_slowly() -> None:
    x = builtin_bed("ocean", SR).render(0, 60 * SR)
    env = np.sqrt(np.mean(x.reshape(-1, SR // 10, 2).astype(np.float64) ** 2, axis=(1, 2)))
    db = 20 * np.log10(env)
    assert db.max() - db.min() > 6.0  # audible waves
    assert np.abs(np.diff(db)).max() < 3.0  # but no sudden dynamics (per 100 ms)


def test_unknown_name_suggests() -> None:
    with pytest.raises(AudioError, match="did you mean 'ocean'"):
        builtin_bed("ocaen")


def test_negative_start_is_rejected() -> None:
    with pytest.raises(ValueError):
        builtin_bed("drone").render(-1, 10)


# -- file beds -----------------------------------------------------------------------------


def _write_wav(path: Path, x: np.ndarray, sr: int = SR) -> Path:
    x = np.atleast_2d(x.T).T
    pcm = np.clip(np.round(x * 32767), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(x.shape[1])
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(pcm.tobytes())
    return path


@pytest.fixture
def ramp_wav(tmp_path: Path) -> Path:
    """5 s that end far from where they start: a naive loop would jump by 0.6."""
    t = np.arange(5 * SR) / SR
    rng = np.random.default_rng(3)
    left = (
        np.linspace(-0.3, 0.3, len(t))
        + 0.2 * np.sin(2 * np.pi * 110 * t)
        + 0.01 * rng.standard_normal(len(t))
    )
    right = np.linspace(0.3, -0.3, len(t)) + 0.2 * np.sin(2 * np.pi * 165 * t)
    return _write_wav(tmp_path / "bed.wav", np.stack([left, right], axis=1))


def test_file_bed_loops_without_a_seam(ramp_wav: Path) -> None:
    b = file_bed(ramp_wav, SR, crossfade_s=1.0)
    (length,) = b.loop_lengths
    assert length == 4 * SR  # 5 s minus the 1 s crossfade
    body = b.render(0, length)
    normal = _max_step(body)
    for k in (1, 2):
        around = b.render(k * length - 10, 20)
        assert _max_step(around) <= normal
    assert abs(_rms_db(body) + 20.0) < 0.5
    whole = b.render(length - 1000, 5000)
    assert np.array_equal(
        whole, np.concatenate([b.render(length - 1000, 1234), b.render(length + 234, 3766)])
    )


def test_file_bed_mono_file_becomes_stereo(tmp_path: Path) -> None:
    t = np.arange(3 * SR) / SR
    p = _write_wav(tmp_path / "mono.wav", 0.1 * np.sin(2 * np.pi * 200 * t))
    x = file_bed(p, SR, crossfade_s=0.5).render(0, SR)
    assert x.shape == (SR, 2) and np.allclose(x[:, 0], x[:, 1])


def test_file_bed_resamples(tmp_path: Path) -> None:
    t = np.arange(3 * 22050) / 22050
    p = _write_wav(tmp_path / "low.wav", 0.1 * np.sin(2 * np.pi * 200 * t), sr=22050)
    (length,) = file_bed(p, SR, crossfade_s=0.5).loop_lengths
    assert abs(length - int(2.5 * SR)) < 50


def test_file_bed_errors(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="nope.wav.*not found"):
        file_bed(tmp_path / "nope.wav")
    text = tmp_path / "notes.wav"
    text.write_text("this is not audio\n" * 20)
    with pytest.raises(AudioError, match="notes.wav.*not a readable audio file"):
        file_bed(text)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(AudioError, match="empty.wav.*empty"):
        file_bed(empty)
    silent = _write_wav(tmp_path / "silent.wav", np.zeros(5 * SR))
    with pytest.raises(AudioError, match="silent.wav.*silent"):
        file_bed(silent)
    short = _write_wav(tmp_path / "short.wav", 0.1 * np.ones(SR))
    with pytest.raises(AudioError, match="short.wav.*at least 4 s"):
        file_bed(short, crossfade_s=2.0)


def test_file_bed_keeps_only_the_first_minutes(
    monkeypatch: pytest.MonkeyPatch, ramp_wav: Path
) -> None:
    import generator.audio.beds as beds

    monkeypatch.setattr(beds, "MAX_FILE_BED_S", 3.0)
    (length,) = beds.file_bed(ramp_wav, SR, crossfade_s=1.0).loop_lengths
    assert length == 2 * SR


def test_file_bed_decodes_mp3(tmp_path: Path) -> None:
    import subprocess

    from generator.audio.ffmpeg import ffmpeg_exe

    mp3 = tmp_path / "waves.mp3"
    cmd = [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "anoisesrc=d=5:c=pink:a=0.1"]
    subprocess.run([*cmd, "-ac", "2", str(mp3)], check=True, capture_output=True)
    b = file_bed(mp3, SR, crossfade_s=1.0)
    assert abs(b.loop_lengths[0] - 4 * SR) < SR // 10  # mp3 adds a little padding
    assert abs(_rms_db(b.render(0, 3 * SR)) + 20.0) < 0.5


@pytest.mark.parametrize("name", ["rain", "ocean"])
def test_render_into_a_given_block_is_the_same_render(name: str) -> None:
    # the mixer has beds write straight into its (uninitialised) block
    b = builtin_bed(name, SR)
    longest = max(b.loop_lengths)
    g = np.linspace(0.2, 1.0, 3 * SR, dtype=np.float32)
    for start in (0, 12345, longest - SR):  # the last one crosses every loop's wrap point
        into = np.full((3 * SR, 2), np.nan, dtype=np.float32)
        got = b.render(start, 3 * SR, g, out=into)
        assert got is into
        assert np.array_equal(got, b.render(start, 3 * SR, g))
        assert np.array_equal(b.render(start, 3 * SR, out=into), b.render(start, 3 * SR))


def test_the_script_grammar_knows_every_built_in_bed() -> None:
    """The parser keeps its own copy of the names (it must not import numpy): the same names."""
    from generator.script.grammar import BED_NAMES as SCRIPT_BED_NAMES

    assert SCRIPT_BED_NAMES == BED_NAMES
