"""End to end with the real speech engine: decode what was written and measure it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mutagen.id3 import ID3

from .audio_utils import load, onsets, silences
from .conftest import TEMPLATES

pytestmark = pytest.mark.engine  # espeak-ng through pyttsx3 (--engine pyttsx3): the deterministic engine


def test_hello_pause_goodbye_has_exactly_five_seconds(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "hello.mp3"
    res = run("build", str(TEMPLATES / "hello.j2"), "-o", str(out), "--set", "name=Anna", "--engine", "pyttsx3")
    assert res.exit_code == 0, res.output
    assert "Wrote" in res.output and "Audio saved" not in res.output
    gaps = [e - s for s, e in silences(load(out), min_s=1.0)]
    assert len(gaps) == 1, gaps
    assert gaps[0] == pytest.approx(5.0, abs=0.05)


def test_tags_and_chapters_match_the_plan(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tpl = str(TEMPLATES / "loop.j2")
    out = tmp_path / "loop.mp3"
    res = run("build", tpl, "-o", str(out), "--set", "name=Anna", "--engine", "pyttsx3")
    assert res.exit_code == 0, res.output
    planned = json.loads(run("plan", tpl, "--json", "--set", "name=Anna", "--engine", "pyttsx3").output)
    tags = ID3(out)
    assert tags.version[:2] == (2, 3)
    assert str(tags["TIT2"]) == "Loop"
    assert str(tags["TRCK"]) == "1/1"
    assert "TPE1" in tags and "TALB" in tags and "TCON" in tags
    chaps = sorted(tags.getall("CHAP"), key=lambda c: c.start_time)
    assert [str(c.sub_frames["TIT2"]) for c in chaps] == ["Hands", "Arms", "Shoulders"]
    for c, p in zip(chaps, planned["chapters"], strict=True):
        assert abs(c.start_time - p["start_ms"]) <= 30
        assert abs(c.end_time - p["end_ms"]) <= 30
    # ffmpeg's demuxer (what many players use) lists the same chapters, though out of
    # order and ~25 ms early (it subtracts the encoder delay): sorted, within ±30 ms
    import subprocess

    from generator.audio.ffmpeg import ffmpeg_exe

    meta = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(out), "-f", "ffmetadata", "-"],
                          capture_output=True, text=True, check=True).stdout
    ff = sorted(
        (int(b.split("START=")[1].split()[0]), b.split("title=")[1].split("\n")[0])
        for b in meta.split("[CHAPTER]")[1:]
    )
    assert [t for _, t in ff] == ["Hands", "Arms", "Shoulders"]
    for (start, _), p in zip(ff, planned["chapters"], strict=True):
        assert abs(start - p["start_ms"]) <= 30
    toc = tags.getall("CTOC")[0]
    assert list(toc.child_element_ids) == [c.element_id for c in chaps]
    duration = len(load(out)) / 44100
    assert duration == pytest.approx(planned["total_ms"] / 1000, abs=0.1)


@pytest.mark.parametrize(
    "src, message",
    [
        ("Hello {{ nmae }}.", "t.j2:1: undefined variable 'nmae'"),
        ("Hello.\n  [pasue 3s] x", "t.j2:2:3: unknown marker 'pasue' (did you mean 'pause'?)"),
    ],
)
def test_errors_exit_1_with_one_line_and_no_output(run, tmp_path: Path, src: str, message: str) -> None:  # type: ignore[no-untyped-def]
    tpl = tmp_path / "t.j2"
    tpl.write_text(src, encoding="utf-8")
    out = tmp_path / "out" / "x.mp3"
    import os

    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        res = run("build", "t.j2", "-o", str(out), "--engine", "pyttsx3")
    finally:
        os.chdir(cwd)
    assert res.exit_code == 1
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {message}"), res.output
    assert "Traceback" not in res.output
    assert not out.exists()
    assert not out.parent.exists() or not any(out.parent.iterdir())


def test_elastic_pauses_fit_three_minutes(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tpl = tmp_path / "fit.j2"
    tpl.write_text(
        "Welcome. [pause 5-60s]\n{% for i in range(5) %}Breathe slowly and let go. [pause 5-40s]\n{% endfor %}"
        "Come back now.", encoding="utf-8")
    out = tmp_path / "fit.mp3"
    res = run("build", str(tpl), "-o", str(out), "--minutes", "3", "--engine", "pyttsx3")
    assert res.exit_code == 0, res.output
    assert len(load(out)) / 44100 == pytest.approx(180, abs=2)


def test_breathing_beats_land_on_the_plan(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tpl = tmp_path / "breath.j2"
    tpl.write_text("Let us breathe. [pause 2s] [breathe in=4 hold=2 out=5 rest=1 cycles=3] Well done.", encoding="utf-8")
    out = tmp_path / "breath.mp3"
    assert run("build", str(tpl), "-o", str(out), "--engine", "pyttsx3").exit_code == 0
    planned = json.loads(run("plan", str(tpl), "--json", "--engine", "pyttsx3").output)
    beats = next(i for i in planned["items"] if i["kind"] == "breathe")["beats_ms"]
    found = onsets(load(out), min_gap_s=0.25)
    for b in beats:
        nearest = min(found, key=lambda t: abs(t * 1000 - b))
        assert abs(nearest * 1000 - b) <= 20, (b, nearest)


TWO_PART_BUILD = """
import json, sys
from pathlib import Path
import psutil
from generator.api import BuildOptions, build_session
from generator.profile import Profile

seen = []

def progress(phase, frac):
    if phase == "mix" and not seen:  # the mix has begun: which helper processes are left?
        seen.append([p.name() for p in psutil.Process().children(recursive=True)])

out, tmpl, cache = sys.argv[1:4]
res = build_session(tmpl, out, Profile(name="Anna"), None, BuildOptions(encoders=2, cache_dir=Path(cache), engine="pyttsx3"), progress)
print(json.dumps({"children": seen[0], "two_part": res.mix.two_part, "samples": res.mix.samples}))
"""


def test_two_part_build_with_the_real_engine_mixes_with_just_two_encoders(tmp_path: Path) -> None:
    """A fresh process: speech workers, fork server and resource tracker are gone before
    the mix, the two encoders run, and the joined file decodes to its planned length."""
    import subprocess
    import sys

    t = tmp_path / "t.j2"
    t.write_text("".join(f"[chapter Part {i}]\nBreathe in slowly, and let the breath go, part {i}.\n[pause 8s]\n"
                         for i in range(1, 8)))
    out = tmp_path / "two.mp3"
    r = subprocess.run([sys.executable, "-c", TWO_PART_BUILD, str(out), str(t), str(tmp_path / "cache")],
                       capture_output=True, text=True, timeout=300, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert got["two_part"]
    assert len(got["children"]) == 2 and all("ffmpeg" in n for n in got["children"]), got["children"]
    a = load(out)
    assert len(a) == got["samples"] >= 60 * 44100
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "t.j2", "two.mp3"]
