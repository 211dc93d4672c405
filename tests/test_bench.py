"""The benchmark keeps working: a smoke run (tiny sessions, fake engine) writes a complete results file;
its targets and table are computed right from given figures."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bench import codec
from bench.__main__ import main
from bench.machine import cpu_floor
from bench.neural import neural_targets
from bench.report import neural_rows
from bench.targets import course_target

SECTIONS = ("meta", "config", "floors", "builds", "peer", "memory", "course", "cache", "coordinator", "codec", "targets")
TARGETS = (
    "warm_rebuild", "cold_build", "peer_speed", "peer_memory",
    "long_session_peak", "long_session_growth", "course_cpu_floor",
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
    # the course's CPU time covers its whole tree (pool workers, speech workers, encoders)
    assert r["course"]["j2"]["cpu_timed_s"] > 0 and r["course"]["cpu_floor"]["ratio"] > 0
    assert all(m["peak_pss_mb"] > 0 for m in r["memory"].values())
    assert 0.0 <= r["cache"]["second_listener_hit_rate"] <= 1.0
    co = r["coordinator"]
    assert [co[k]["sessions"] for k in ("3", "6", "12")] == [6, 12, 24]
    assert all(c["check_ms"] > 0 and c["plan_ms"] > 0 and c["peak_tree_mb"] > 0 for c in co.values())
    c = r["codec"]
    assert {(x["bed"], x["channels"], x["quality"]) for x in c["cases"]} == {
        ("rain", ch, q) for ch in (2, 1) for q in (3, 7)}
    assert all(x["encode_cpu_s"] > 0 and x["length_ok"] and abs(x["lufs_drift_max"]) < 1.0 for x in c["cases"])
    assert c["default_is_q3"] is True  # ffmpeg's default writes -q 3's file
    assert c["decision"]["all"] is None  # no ViSQOL in a smoke run: no choice
    text = capsys.readouterr().out
    assert "| Measure" in text and "targets met" in text and "| rain, stereo |" in text


def test_the_codec_study_runs_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """``--only codec`` runs the study and nothing else (here without a bed, the quick bench's
    study with rain; that test checks the figures)."""
    monkeypatch.setattr(codec, "QUICK", replace(codec.QUICK, beds=("none",), qualities=(3,)))
    out = tmp_path / "codec.json"
    assert main(["--only", "codec", "--quick", "--out", str(out), "--workdir", str(tmp_path / "work")]) == 0
    r = json.loads(out.read_text(encoding="utf-8"))
    assert set(r) == {"meta", "config", "codec"}
    assert {(x["bed"], x["channels"], x["quality"]) for x in r["codec"]["cases"]} == {("none", 2, 3), ("none", 1, 3)}
    assert "| none, stereo |" in capsys.readouterr().out


def test_quick_needs_out(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--quick"])
    assert "--out" in capsys.readouterr().err


def _build(seconds: float, cpu: float, pss: float = 300.0, rss: float = 400.0) -> dict[str, Any]:
    return {"seconds": seconds, "cpu_timed_s": cpu, "peak_pss_mb": pss, "peak_tree_mb": rss}


def test_cpu_floor_is_the_tree_cpu_over_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bench.machine.cores", lambda: 2)
    f = cpu_floor(_build(22.0, 40.0))
    assert f["cores"] == 2 and f["floor_s"] == 20.0 and f["ratio"] == pytest.approx(1.1)
    assert cpu_floor(_build(40.0, 40.0), 1)["floor_s"] == 40.0  # -j 1: one core
    assert cpu_floor(_build(40.0, 40.0), 8)["cores"] == 2  # never more than the machine has


def test_course_target_against_its_cpu_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bench.machine.cores", lambda: 2)
    met = course_target({"cpu_floor": cpu_floor(_build(54.0, 100.0), 2)})
    assert met["met"] and met["value"] == pytest.approx(1.08) and "-j 2" in met["target"]
    assert not course_target({"cpu_floor": cpu_floor(_build(56.0, 100.0), 2)})["met"]


def _neural(cold_s: float = 21.0, pss10: float = 330.0, pss60: float = 355.0,
            course_pss: float = 380.0) -> dict[str, Any]:
    cold = _build(cold_s, 40.0)
    course = _build(60.0, 110.0, course_pss, 420.0)
    return {"cold": cold, "warm": _build(7.0, 12.0), "cold_floor": cpu_floor(cold),
            "cold_to_espeak": 2.7, "warm_to_espeak": 1.02,
            "memory": {"10": _build(9.0, 16.0, pss10), "60": _build(40.0, 60.0, pss60)},
            "course": {"j2": course, "cpu_floor": cpu_floor(course, 2)}}


def test_neural_targets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bench.machine.cores", lambda: 2)
    t = neural_targets(_neural())
    assert set(t) == {"voice_cold_floor", "voice_warm_build", "voice_memory_peak", "voice_memory_growth",
                      "voice_course_memory"}
    assert all(v["met"] for v in t.values()), t
    assert t["voice_cold_floor"]["value"] == pytest.approx(1.05)  # 21 s against 40 CPU s on 2 cores
    assert t["voice_memory_growth"]["value"] == pytest.approx(25.0)
    missed = neural_targets(_neural(cold_s=23.0, pss10=351.0, pss60=390.0, course_pss=601.0))
    assert not any(missed[k]["met"] for k in ("voice_cold_floor", "voice_memory_peak", "voice_memory_growth",
                                              "voice_course_memory"))
    assert neural_targets(None) == {}


def test_the_table_shows_the_neural_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bench.machine.cores", lambda: 2)
    n = _neural()
    r = {"config": {"minutes": 20}, "voices": {"builds": n}, "targets": neural_targets(n)}
    rows: list[tuple[str, str, str | None]] = []
    neural_rows(r, lambda measure, value, key=None: rows.append((measure, value, key)))
    keys = [k for _, _, k in rows]
    assert keys == ["voice_cold_floor", "voice_warm_build", "voice_memory_peak", "voice_memory_growth",
                    "voice_course_memory"]
    assert "40.0 CPU s / 2 cores = 20.0 s: 1.05x the floor" in rows[0][1]
    assert rows[2][1] == "330 (400) / 355 (400) MB"
