"""``relaxgen pack``: the pack folder, its tags, incremental reruns, split chapters, the lock."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from mutagen.id3 import ID3
from PIL import Image

from generator.audio.ffmpeg import decode
from generator.batch.buildstate import STATE_NAME, BuildState
from generator.batch.lock import BuildLock
from generator.export.playlist import read_m3u8

HERE = Path(__file__).parents[1]
SRC = HERE / "templates" / "course"
NAMES = ["01 Arrive.mp3", "02 Day 2 - hands.mp3", "03 Rest.mp3"]


@pytest.fixture
def course_dir(tmp_path: Path) -> Path:
    d = tmp_path / "src"
    shutil.copytree(SRC, d)
    (d / "anna.toml").write_text('name = "Anna"\n', encoding="utf-8")
    return d


def pack(run, d: Path, out: Path, *extra: str):  # type: ignore[no-untyped-def]
    return run("pack", str(d / "course.toml"), "--profile", str(d / "anna.toml"), "-o", str(out),
               "--engine", "fake", "-j", "1", *extra)


def test_pack_folder_tags_and_rerun(run, course_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = tmp_path / "report.json"
    r = pack(run, course_dir, out, "--report", str(report))
    assert r.exit_code == 0, r.output
    files = {p.name for p in out.iterdir()}
    for n in NAMES:
        assert {n, n.replace(".mp3", ".lrc"), n.replace(".mp3", ".srt")} <= files
    assert {"playlist.m3u8", "cover.jpg", "README.txt", "index.html", STATE_NAME} <= files
    assert '"listener":"Anna"' in (out / "index.html").read_text(encoding="utf-8")  # the diary's listener
    assert not [f for f in files if f.startswith(".relaxgen-tmp")]
    assert [e[2] for e in read_m3u8(out / "playlist.m3u8")] == NAMES
    readme = (out / "README.txt").read_text(encoding="utf-8")
    assert "Test course" in readme and "01 Arrive.mp3" in readme and "phone" in readme and "Safety" in readme
    assert "Hello Anna." in (out / "01 Arrive.lrc").read_text(encoding="utf-8")
    assert "Feel your shoulders." in (out / "01 Arrive.srt").read_text(encoding="utf-8")  # the `set` variable

    tags = ID3(out / "02 Day 2 - hands.mp3")
    assert str(tags["TALB"]) == "Test course" and str(tags["TIT2"]) == "Day 2: hands"
    assert str(tags["TRCK"]) == "2/3" and str(tags["TPE1"]) == "Test Author" and str(tags["TPE2"]) == "Test Author"
    assert tags.getall("APIC")[0].data == (out / "cover.jpg").read_bytes()
    comment = str(tags.getall("COMM")[0])
    assert comment.startswith("Three tiny sessions.") and "Safety" in comment
    assert len(tags.getall("CHAP")) == 2  # Welcome (include) + Hands

    rep = json.loads(report.read_text(encoding="utf-8"))
    assert rep["counts"] == {"built": 3, "skipped": 0, "failed": 0} and rep["ok"]

    before = {n: (out / n).stat().st_mtime_ns for n in NAMES + ["index.html", "playlist.m3u8"]}
    r = pack(run, course_dir, out)
    assert r.exit_code == 0 and "0 built, 3 up to date" in r.output
    assert before == {n: (out / n).stat().st_mtime_ns for n in before}

    r = pack(run, course_dir, out, "--force")
    assert "3 built, 0 up to date" in r.output


@pytest.mark.parametrize("where", ["file", "set"])
def test_an_unknown_voice_fails_the_pack_before_any_session(where: str, run, course_dir: Path,  # type: ignore[no-untyped-def]
                                                           tmp_path: Path) -> None:
    out = tmp_path / "out"
    if where == "file":
        (course_dir / "anna.toml").write_text('name = "Anna"\nvoice = "nope"\n', encoding="utf-8")
    r = pack(run, course_dir, out, *(["--set", "voice=nope"] if where == "set" else []))
    assert r.exit_code == 1
    source = "anna.toml" if where == "file" else "--set"
    assert r.output.startswith("Error: ") and f"{source}: voice: unknown voice 'nope'" in r.output
    assert len(r.output.strip().splitlines()) == 1, r.output
    assert not out.exists()


def test_changed_inputs_rebuild_only_what_they_touch(run, course_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert pack(run, course_dir, out).exit_code == 0
    # the include changes: only day 2 uses it
    (course_dir / "_common.j2").write_text('[chapter "Welcome"]\nWelcome. [pause 1-3s]\n', encoding="utf-8")
    r = pack(run, course_dir, out)
    assert "1 built, 2 up to date" in r.output
    # a deleted MP3 or a truncated one is rebuilt
    (out / NAMES[0]).unlink()
    mp3 = out / NAMES[2]
    mp3.write_bytes(mp3.read_bytes()[:1000])
    r = pack(run, course_dir, out)
    assert "2 built, 1 up to date" in r.output
    # a new title renames the track; the old files go
    toml = course_dir / "course.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("Day 2: hands", "Hands"), encoding="utf-8")
    r = pack(run, course_dir, out)
    assert r.exit_code == 0
    assert (out / "02 Hands.mp3").is_file() and not (out / NAMES[1]).exists()
    assert not (out / "02 Day 2 - hands.lrc").exists()
    assert set(BuildState(out).records) == {NAMES[0], "02 Hands.mp3", NAMES[2]}


def test_split_chapters(run, course_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = pack(run, course_dir, out, "--split-chapters")
    assert r.exit_code == 0, r.output
    sub = out / "01 Arrive"
    assert [e[2] for e in read_m3u8(sub / "playlist.m3u8")] == ["01 Start.mp3", "02 Rest.mp3"]
    whole = len(decode(out / NAMES[0], 44100, 2))
    parts = [len(decode(sub / n, 44100, 2)) for n in ("01 Start.mp3", "02 Rest.mp3")]
    assert abs(sum(parts) - whole) < 0.05 * 44100
    t = ID3(sub / "02 Rest.mp3")
    assert str(t["TIT2"]) == "Rest" and str(t["TRCK"]) == "2/2" and "Test course" in str(t["TALB"])
    assert [e[2] for e in read_m3u8(out / "playlist.m3u8")] == NAMES  # the main playlist: whole sessions
    # a missing chapter file makes its session outdated
    (sub / "01 Start.mp3").unlink()
    assert "1 built, 2 up to date" in pack(run, course_dir, out, "--split-chapters").output


def test_user_cover_from_the_manifest(run, course_dir: Path, tmp_path: Path) -> None:
    Image.new("RGB", (600, 600), (40, 90, 120)).save(course_dir / "art.png")
    toml = course_dir / "course.toml"
    toml.write_text('cover = "art.png"\n' + toml.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "out"
    assert pack(run, course_dir, out).exit_code == 0
    assert (out / "cover.png").read_bytes() == (course_dir / "art.png").read_bytes()
    apic = ID3(out / NAMES[0]).getall("APIC")[0]
    assert apic.mime == "image/png"


def test_a_second_build_into_the_same_folder_is_refused(run, course_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with BuildLock(out):
        r = pack(run, course_dir, out)
    assert r.exit_code == 1 and "another relaxgen build" in r.output
    assert pack(run, course_dir, out).exit_code == 0


def test_failed_session_exits_1(run, course_dir: Path, tmp_path: Path) -> None:
    (course_dir / "day3.j2").write_text("{{ nope }}\n", encoding="utf-8")
    out = tmp_path / "out"
    r = pack(run, course_dir, out)
    assert r.exit_code == 1
    assert "2 built, 0 up to date, 1 failed" in r.output and "undefined variable 'nope'" in r.output
    assert [e[2] for e in read_m3u8(out / "playlist.m3u8")] == NAMES[:2]


def test_parts_of_a_course_are_written_as_disc_numbers(run, course_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    toml = (course_dir / "course.toml").read_text(encoding="utf-8")
    toml = toml.replace("day = 1\n", "day = 1\npart = 1\n").replace("day = 2\n", "day = 2\npart = 1\n")
    toml = toml.replace("day = 3\n", "day = 3\npart = 2\n")
    (course_dir / "course.toml").write_text(toml, encoding="utf-8")
    out = tmp_path / "out"
    r = pack(run, course_dir, out)
    assert r.exit_code == 0, r.output
    assert [str(ID3(out / n)["TPOS"]) for n in NAMES] == ["1/2", "1/2", "2/2"]
    assert [str(ID3(out / n)["TRCK"]) for n in NAMES] == ["1/3", "2/3", "3/3"]


def test_build_state_is_json_with_one_output_a_line_and_round_trips(tmp_path: Path) -> None:
    from generator.batch.buildstate import Record

    state = BuildState(tmp_path)
    recs = {f"{i:02d} Day.mp3": Record(f"h{i}", "s", {"t.j2": {"sha": str(i)}}, [f"{i:02d} Day.srt"], 100 + i,
                                       {"title": f"Tag {i} – ü", "lines": [[0.0, 1.5, "Hallo"]]})
            for i in range(1, 15)}
    for name, rec in recs.items():
        state.put(name, rec)
    state.put("03 Day.mp3", Record("new", "s", {}, [], 7))  # replaced: written anew, not from the kept text
    state.forget("05 Day.mp3")
    text = state.path.read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["outputs"]["03 Day.mp3"]["hash"] == "new" and "05 Day.mp3" not in data["outputs"]
    assert len(text.splitlines()) == 13 + 2  # one output a line between the head and the end
    again = BuildState(tmp_path).records
    assert again == {**{k: v for k, v in recs.items() if k != "05 Day.mp3"}, "03 Day.mp3": Record("new", "s", {}, [], 7)}


def test_the_page_names_the_listener_for_the_diary(tmp_path: Path) -> None:
    """The page's diary export names the listener: the course CSV's id, else the name, else the folder."""
    from generator.batch.manifest import load_manifest
    from generator.batch.pack import PackSettings, pack_export, plan_pack
    from generator.profile import Profile

    m = load_manifest(SRC / "course.toml")

    def who(profile: Profile, folder: str = "pack", label: str = "") -> str:
        plan = plan_pack(m, profile, tmp_path / folder, PackSettings(str(tmp_path / "c")), label=label, write=False)
        return pack_export(plan, []).listener

    assert who(Profile(id="007", name="Anna")) == "007"
    assert who(Profile(name="Anna")) == "Anna"
    assert who(Profile(), label="003 Cem") == "003 Cem"
    assert who(Profile(), folder="anna") == "anna"
