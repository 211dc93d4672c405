"""The benchmark keeps working: a smoke run (tiny sessions, fake engine) writes a complete results file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.__main__ import main

SECTIONS = ("meta", "config", "floors", "builds", "peer", "memory", "course", "cache", "coordinator", "codec", "targets")
TARGETS = (
    "warm_rebuild", "cold_build", "peer_speed", "peer_memory",
    "long_session_peak", "long_session_growth", "parallel_speedup",
    "coordinator_check", "coordinator_memory", "coordinator_linear",
)


@pytest.mark.slow
def test_quick_bench_writes_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results.json"
    assert main(["--quick", "--out", str(out), "--workdir", str(tmp_path / "work")]) == 0
    r = json.loads(out.read_text(encoding="utf-8"))
    for s in SECTIONS:
        assert s in r, s
    assert r["meta"]["quick"] is True
    assert set(r["targets"]) == set(TARGETS)
    for name, t in r["targets"].items():
        assert set(t) >= {"target", "value", "met"}, name
        assert isinstance(t["target"], str) and t["target"]
        assert isinstance(t["value"], int | float)
        assert isinstance(t["met"], bool)
    assert r["floors"]["encode"]["seconds"] > 0 and r["floors"]["synth"]["unique_clips"] > 0
    for b in ("cold", "warm"):
        assert r["builds"][b]["seconds"] > 0 and r["builds"][b]["peak_tree_mb"] > 0
    assert r["builds"]["warm"]["synthesized"] == 0  # the rebuild took all speech from the cache
    assert r["peer"]["audio_s"] == pytest.approx(r["builds"]["cold"]["audio_s"], abs=0.1)
    assert len(r["memory"]) == 2 and all(m["peak_tree_mb"] > 0 for m in r["memory"].values())
    assert r["course"]["j1"]["sessions"] == r["course"]["j2"]["sessions"] == 2
    assert 0.0 <= r["cache"]["second_listener_hit_rate"] <= 1.0
    co = r["coordinator"]
    assert [co[k]["sessions"] for k in ("3", "6", "12")] == [6, 12, 24]
    assert all(c["check_ms"] > 0 and c["plan_ms"] > 0 and c["peak_tree_mb"] > 0 for c in co.values())
    assert len(r["codec"]["cases"]) == 8  # rain and no bed, stereo and mono, -q 3 and 7
    text = capsys.readouterr().out
    assert "| Measure" in text and "targets met" in text


@pytest.mark.slow
def test_the_codec_study_runs_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "codec.json"
    assert main(["--only", "codec", "--quick", "--out", str(out), "--workdir", str(tmp_path / "work")]) == 0
    r = json.loads(out.read_text(encoding="utf-8"))
    assert set(r) == {"meta", "config", "codec"}
    c = r["codec"]
    assert {(x["bed"], x["channels"], x["quality"]) for x in c["cases"]} == {
        (b, ch, q) for b in ("rain", "none") for ch in (2, 1) for q in (3, 7)}
    assert all(x["encode_cpu_s"] > 0 and x["length_ok"] and abs(x["lufs_drift_max"]) < 1.0 for x in c["cases"])
    assert c["default_is_q3"] is True  # ffmpeg's default writes -q 3's file
    assert c["decision"]["all"] is None  # no ViSQOL in a smoke run: no choice
    assert "| rain, stereo |" in capsys.readouterr().out


def test_quick_needs_out(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--quick"])
    assert "--out" in capsys.readouterr().err
