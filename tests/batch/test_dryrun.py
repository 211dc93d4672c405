"""``--dry-run``: what a pack or course run would do, checked against what the run then does."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from generator.batch.course import build_course
from generator.batch.dryrun import calibrate_encoder, dry_run_course
from generator.batch.executors import InlineExecutor
from generator.batch.manifest import load_manifest, read_listeners
from generator.batch.pack import PackSettings

HERE = Path(__file__).parents[1]
SRC = HERE / "templates" / "course"


@pytest.fixture
def src(tmp_path: Path) -> Path:
    d = tmp_path / "src"
    shutil.copytree(SRC, d)
    # the third session needs a variable one listener lacks: it fails for that listener only
    day3 = d / "day3.j2"
    day3.write_text(day3.read_text(encoding="utf-8").replace("Rest now", "Rest {{ mood }} now"), encoding="utf-8")
    (d / "l.csv").write_text("id,name,set.mood\n1,Anna,calm\n2,Ben,\n3,Cem,calm\n4,Dora,calm\n1,Dup,calm\n",
                             encoding="utf-8")
    return d


def _failures(failed: list[dict[str, object]]) -> list[tuple[str, str]]:
    return sorted((str(f.get("row", f.get("output"))), str(f["error"])) for f in failed)


def test_dry_run_counts_match_the_run(src: Path, tmp_path: Path) -> None:
    out, cache = tmp_path / "out", tmp_path / "cache"
    manifest = load_manifest(src / "course.toml")
    table = read_listeners(src / "l.csv", ["calm-en", "calm-de"])
    settings = PackSettings(cache_dir=str(cache), engine="fake")

    dry = dry_run_course(manifest, table, out, settings, calibrate=False)
    assert not out.exists() and not cache.exists()  # nothing written
    assert (len(dry.to_build), len(dry.up_to_date)) == (11, 0)
    assert dry.sentences > 0 and dry.sentences_cached == 0
    assert dry.estimate_s > 0 and "constants" in dry.basis

    summ = build_course(manifest, table, out, settings, InlineExecutor())
    assert sorted(summ.built) == sorted(dry.to_build)
    assert _failures(summ.failed) == _failures(dry.failed)  # same rows, sessions and messages
    assert [f.get("row") for f in dry.failed if "row" in f] == [6]
    assert any("mood" in str(f["error"]) and "Ben" in str(f["output"]) for f in dry.failed)
    assert summ.synthesized == dry.sentences  # every unique sentence spoken once
    built_s = sum(float(json.loads((Path(k).parent / ".relaxgen-build.json").read_text())["outputs"]
                        [Path(k).name]["track"]["duration_s"]) for k in summ.built)
    assert dry.build_audio_s == pytest.approx(built_s, rel=0.1)
    mp3_bytes = sum(Path(k).stat().st_size for k in summ.built)
    assert dry.build_bytes == pytest.approx(mp3_bytes, rel=0.25)  # bitrate x duration (tags, cover aside)

    after = dry_run_course(manifest, table, out, settings, calibrate=False)
    assert (after.to_build, sorted(after.up_to_date)) == ([], sorted(summ.built))
    assert after.sentences == 0 and after.estimate_s == 0
    assert after.disk_bytes == mp3_bytes and after.audio_s == pytest.approx(built_s)
    assert _failures(after.failed) == _failures(summ.failed)

    # a new listener: only their sessions are to build; the others' sentences are cached
    (src / "l.csv").write_text((src / "l.csv").read_text(encoding="utf-8") + "5,Anna,calm\n", encoding="utf-8")
    table = read_listeners(src / "l.csv", ["calm-en", "calm-de"])
    more = dry_run_course(manifest, table, out, settings, calibrate=False)
    assert len(more.to_build) == 3 and more.sentences_cached == more.sentences  # Anna's sentences again
    summ = build_course(manifest, table, out, settings, InlineExecutor())
    assert sorted(summ.built) == sorted(more.to_build) and summ.synthesized == 0


def test_cli_dry_run_json_and_pack(run, src: Path, tmp_path: Path) -> None:
    out, cache = tmp_path / "out", tmp_path / "cache"
    base = ["course", str(src / "course.toml"), "--profiles", str(src / "l.csv"), "-o", str(out),
            "--engine", "fake", "--cache-dir", str(cache), "-j", "1"]
    r = run(*base, "--dry-run", "--json")
    assert r.exit_code == 1  # row 6 and Ben's third session would fail
    d = json.loads(r.stdout)
    assert d["counts"] == {"sessions": 11, "to_build": 11, "up_to_date": 0, "failed": 2}
    assert d["sentences"]["to_speak"] == d["sentences"]["unique"] > 0 and d["disk_bytes"]["to_build"] > 0
    assert not out.exists()
    r = run(*base, "--json")
    assert r.exit_code == 2 and "--dry-run" in r.output

    pack = ["pack", str(src / "course.toml"), "--set", "name=Anna", "--set", "mood=calm", "-o", str(tmp_path / "p"),
            "--engine", "fake", "--cache-dir", str(cache), "-j", "1"]
    r = run(*pack, "--dry-run")
    assert r.exit_code == 0 and "3 to build, 0 up to date, 0 failing" in r.stderr
    assert run(*pack, "-q").exit_code == 0
    r = run(*pack, "--dry-run")
    assert r.exit_code == 0 and "0 to build, 3 up to date" in r.stderr and "7 unique" not in r.stderr


def test_calibration_measures_the_encoder() -> None:
    assert 2.0 < calibrate_encoder(seconds=2.0) < 5000.0
    assert 2.0 < calibrate_encoder(64, None, seconds=2.0) < 5000.0
