"""The synthesis cache: keys, atomic writes, corruption, and what re-synthesises."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from generator.api import BuildOptions, build_session
from generator.model import ClipRequest
from generator.tts.cache import ClipCache
from generator.tts.synth import Synthesizer

BASE = ClipRequest("fake", "calm-en", "fake/en", "en", 135.0, 40, "Breathe in slowly.")


def test_key_covers_engine_version_voice_rate_pitch_and_text(tmp_path: Path) -> None:
    c = ClipCache(tmp_path)
    k = c.key(BASE, "v1")
    assert c.key(BASE, "v1") == k
    assert c.key(BASE, "v2") != k
    for change in ({"engine": "pyttsx3"}, {"voice_id": "fake/de"}, {"rate_wpm": 136.0}, {"pitch": 41},
                   {"text": "Breathe out slowly."}, {"model": "x.onnx"}):
        assert c.key(dataclasses.replace(BASE, **change), "v1") != k, change  # type: ignore[arg-type]
    # the profile's name is not speech: two profiles with the same settings share clips
    assert c.key(dataclasses.replace(BASE, voice="my-copy"), "v1") == k


def test_clip_levels_are_kept_beside_the_clip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import generator.audio.mixer as mixer

    c = ClipCache(tmp_path)
    rng = np.random.default_rng(2)
    path, _ = c.put(c.key(BASE, "v1"), (0.1 * rng.standard_normal(8000)).astype(np.float32))
    want = mixer.measure_clip(path)
    assert c.levels(path) == want and path.with_suffix(".lvl").is_file()
    calls: list[Path] = []
    monkeypatch.setattr(mixer, "measure_clip", lambda p, sr=44100: calls.append(p) or (0.0, 0.0, 0))
    assert c.levels(path) == want and calls == []  # read back, not measured again
    path.with_suffix(".lvl").write_text("garbage", encoding="ascii")
    assert c.levels(path) == (0.0, 0.0, 0) and calls == [path]  # unreadable: measured again
    monkeypatch.undo()
    path2, _ = c.put(c.key(BASE, "v1"), np.full(4000, 0.2, dtype=np.float32))  # the clip remade, shorter
    assert path2 == path and c.levels(path) == mixer.measure_clip(path) != want


def test_put_is_atomic_and_get_detects_corruption(tmp_path: Path) -> None:
    c = ClipCache(tmp_path)
    key = c.key(BASE, "v1")
    path, frames = c.put(key, np.full(4410, 0.1, dtype=np.float32))
    assert frames == 4410 and c.get(key) == (path, 4410)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp files left
    path.write_bytes(path.read_bytes()[:1000])  # truncated: a crash mid-copy, a full disk
    assert c.get(key) is None and not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a wav at all")
    assert c.get(key) is None


def test_a_corrupt_entry_is_re_synthesised(tmp_path: Path) -> None:
    syn = Synthesizer(ClipCache(tmp_path))
    clip = syn.synthesize_all([BASE])[BASE]
    clip.path.write_bytes(clip.path.read_bytes()[:100])
    again = syn.synthesize_all([BASE])[BASE]
    assert syn.stats.synthesized == 2 and again.frames == clip.frames


def test_info_and_clear(tmp_path: Path) -> None:
    c = ClipCache(tmp_path / "c")
    assert c.info().entries == 0 and c.clear() == 0
    syn = Synthesizer(c)
    syn.synthesize_all([BASE, dataclasses.replace(BASE, text="Two.")])
    info = c.info()
    assert info.entries == 2 and info.bytes > 1000
    assert c.clear() == 2 and c.info().entries == 0


def test_clear_removes_stored_bed_loops(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    d = tmp_path / "cache"
    (d / "beds").mkdir(parents=True)
    (d / "beds" / "ocean-44100-0-v1.npz").write_bytes(b"x" * 2048)
    assert ClipCache(d).info().bed_bytes == 2048
    assert "bed loops 2.0 KB" in run("cache", "info", "--cache-dir", str(d)).output
    res = run("cache", "clear", "--cache-dir", str(d))
    assert res.exit_code == 0 and "2.0 KB of bed loops" in res.output
    assert not (d / "beds").exists() and ClipCache(d).info().bed_bytes == 0


def test_a_build_keeps_built_in_bed_loops_in_its_own_cache(run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """``--cache-dir`` holds everything a build caches: ``cache info/clear`` see the bed loops."""
    default = tmp_path / "default"  # empty: no stored loops to use from there
    monkeypatch.setenv("RELAXGEN_CACHE", str(default))
    tpl = tmp_path / "s.j2"
    tpl.write_text('[bed "drone"]\nBreathe in slowly.\n[pause 2s]\n', encoding="utf-8")
    d = tmp_path / "cache"
    res = run("build", str(tpl), "-o", str(tmp_path / "s.mp3"), "--engine", "fake", "--cache-dir", str(d), "-q")
    assert res.exit_code == 0, res.output
    stored = list((d / "beds").glob("drone-44100-0-v*.npz"))
    assert len(stored) == 1 and not list(default.glob("beds/*"))
    assert ClipCache(d).info().bed_bytes == stored[0].stat().st_size > 0
    assert run("cache", "clear", "--cache-dir", str(d)).exit_code == 0
    assert not (d / "beds").exists()


def test_bed_loops_stored_in_the_default_cache_serve_other_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build with its own --cache-dir uses the loops the default cache already has (no
    second ~1 s, ~180 MB generation) and writes nothing into its own cache."""
    from generator.audio.beds import LOOP_FORMAT, builtin_bed

    default = tmp_path / "default"
    monkeypatch.setenv("RELAXGEN_CACHE", str(default))
    loop = np.linspace(-0.5, 0.5, 2000, dtype=np.float32).reshape(1000, 2)
    (default / "beds").mkdir(parents=True)
    np.savez(default / "beds" / f"drone-44100-0-v{LOOP_FORMAT}.npz", loop)
    own = tmp_path / "own"
    bed = builtin_bed("drone", cache_dir=own)
    assert np.array_equal(bed.render(0, 1500), np.concatenate([loop, loop[:500]]))
    assert not own.exists()


def test_cache_commands(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    d = tmp_path / "cache"
    Synthesizer(ClipCache(d)).synthesize_all([BASE])
    res = run("cache", "info", "--cache-dir", str(d))
    assert res.exit_code == 0 and "1 clips" in res.output
    assert json.loads(run("cache", "info", "--cache-dir", str(d), "--json").output)["entries"] == 1
    res = run("cache", "clear", "--cache-dir", str(d))
    assert res.exit_code == 0 and "Removed 1 clips" in res.output
    assert json.loads(run("cache", "info", "--cache-dir", str(d), "--json").output)["entries"] == 0


SCRIPT = """[chapter "One"]
Settle in and breathe. [pause {p}s] Let your shoulders drop.
{line}
[chapter "Two"]
Rest here a while.
"""


def _build(tmp_path: Path, syn: Synthesizer, line: str = "Feel your feet on the floor.", p: int = 3) -> int:
    tpl = tmp_path / "s.j2"
    tpl.write_text(SCRIPT.format(line=line, p=p), encoding="utf-8")
    before = syn.stats.synthesized
    res = build_session(tpl, tmp_path / "s.mp3", options=BuildOptions(engine="fake", cache_dir=tmp_path / "c"),
                        synth=syn)
    assert res.path.is_file()
    assert res.synthesized == syn.stats.synthesized - before
    return res.synthesized


@pytest.mark.slow
def test_rebuilds_speak_only_what_changed(tmp_path: Path) -> None:
    syn = Synthesizer(ClipCache(tmp_path / "c"))
    first = _build(tmp_path, syn)
    assert first >= 4
    assert _build(tmp_path, syn) == 0  # the same session again: nothing spoken
    assert _build(tmp_path, syn, p=7) == 0  # pauses are not speech
    assert _build(tmp_path, syn, line="Feel your hands rest in your lap.") == 1  # one sentence changed
    # a fresh process (new Synthesizer) finds the same clips on disk
    assert _build(tmp_path, Synthesizer(ClipCache(tmp_path / "c"))) == 0
