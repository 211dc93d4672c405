"""Bad inputs, table-driven: every case exits non-zero with one clear ``Error:`` line
(what, where, what to do), shows no traceback and writes nothing.

Each case builds into an output folder that already holds a finished MP3 of the
same name: after the failed build that file is byte-for-byte unchanged and the
folder holds nothing else (no temp files). See docs/reliability.md.
"""

from __future__ import annotations

import errno
import os
import subprocess
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from generator.batch.manifest import read_listeners
from generator.cli import cli
from generator.errors import ManifestError

OLD_BYTES = b"ID3 a finished MP3 from an earlier build"
GOOD = "Hello {{ name }}. Rest now. [pause 2s] Goodbye."


# ---------------------------------------------------------------- helpers


def write_wav(path: Path, seconds: float = 0.5, amp: int = 8000) -> Path:
    import math

    n = int(44100 * seconds)
    frames = b"".join(int(amp * math.sin(2 * math.pi * 440 * i / 44100)).to_bytes(2, "little", signed=True)
                      for i in range(n))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(44100)
        w.writeframes(frames)
    return path


def assert_clean_failure(res: Result, start: str, out_dir: Path, contains: str = "") -> str:
    """Exit 1, exactly one ``Error:`` line starting with ``start``, no traceback, nothing written."""
    text = res.output
    assert res.exit_code == 1, text
    assert not isinstance(res.exception, Exception) or isinstance(res.exception, SystemExit), text
    assert "Traceback" not in text, text
    errors = [ln for ln in text.splitlines() if ln.startswith("Error:")]
    assert len(errors) == 1 and len(text.strip().splitlines()) == 1, text
    line = errors[0]
    assert line.startswith("Error: " + start), f"\n{line}\n  expected start: Error: {start}"
    assert contains in line, f"\n{line}\n  expected to contain: {contains}"
    assert_folder_untouched(out_dir)
    return line


def assert_folder_untouched(out_dir: Path) -> None:
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == ["old.mp3"], f"the output folder changed: {names}"
    assert (out_dir / "old.mp3").read_bytes() == OLD_BYTES


def cache_snapshot(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_size for p in root.rglob("*") if p.is_file()} if root.is_dir() else {}


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder (the cwd, so messages show short relative paths) with out/old.mp3."""
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.mp3").write_bytes(OLD_BYTES)
    return tmp_path


def build(runner: CliRunner, template: Path | str, *extra: str) -> Result:
    return runner.invoke(cli, ["build", str(template), "-o", "out/old.mp3", "--engine", "fake", "-q", *extra])


# ---------------------------------------------------------------- templates and markers

Files = dict[str, str | bytes]


@dataclass(frozen=True)
class Case:
    id: str
    template: str | bytes  # main template t.j2
    start: str  # the Error: line starts with "Error: " + start
    contains: str = ""
    files: Files = field(default_factory=dict)  # extra files beside t.j2
    xfail: str = ""


CASES: list[Case] = [
    # -- Jinja templates
    Case("jinja-syntax", "Hello.\n{% if %}\n", "t.j2:2: template syntax error:"),
    Case("undefined-variable", "Hello {{ nmae }}.", "t.j2:1: undefined variable 'nmae' (did you mean 'name'?)",
         "--set nmae=VALUE"),
    Case("include-missing", "Hi.\n{% include 'nope.j2' %}", "t.j2:2: included template 'nope.j2' not found",
         "looked in"),
    Case("include-cycle", "Hi.\n{% include 'a.j2' %}", "t.j2:1: templates include each other in a cycle",
         files={"a.j2": "A.\n{% include 'b.j2' %}", "b.j2": "B.\n{% include 'a.j2' %}"}),
    Case("empty-template", "", "t.j2: the template renders no speech; add some text"),
    Case("whitespace-only", "  \n\n\t\n", "t.j2: the template renders no speech"),
    Case("only-pauses", "[pause 3s]\n[pause 2-5s]\n[bell]\n", "t.j2: the template renders no speech"),
    Case("enormous-line", "Word " * 200_000, "t.j2:1:1: a sentence of 999999 characters is too long",
         "end sentences with"),
    Case("invalid-utf8", b"Hello \xff\xfe world.", "t.j2:1: not valid UTF-8 text (byte 6); save the file as UTF-8"),
    Case("sandbox-mro", "{{ ''.__class__.__mro__ }} Hi.", "t.j2:1: blocked by the template sandbox:",
         "'__class__'"),
    Case("sandbox-globals", "{{ cycler.__init__.__globals__ }} Hi.", "t.j2:1: blocked by the template sandbox:"),
    Case("sandbox-format", "{{ '{0.__class__}'.format(name) }} Hi.", "t.j2:1: blocked by the template sandbox:"),
    Case("sandbox-mutate", "{% set l = [1] %}{{ l.append(2) }} Hi.", "t.j2:1: blocked by the template sandbox:"),
    Case("repeat-bomb", "Hi.\n{{ 'a' * 10**10 }}", "t.j2:2: blocked by the template sandbox: repeating a value"),
    Case("list-bomb", "Hi.\n{{ [1, 2] * 10**9 }}", "t.j2:2: blocked by the template sandbox: repeating a value"),
    Case("power-bomb", "Hi.\n{{ 2 ** 100000000 }}", "t.j2:2: blocked by the template sandbox: 2 ** 100000000"),
    Case("range-bomb", "Hi.\n{{ range(10**9) | list }}", "t.j2:2: template failed: OverflowError: Range too big"),
    Case("runaway-loop", "Hi.\n{% for i in range(100000) %}{% for j in range(100000) %}Relax. {% endfor %}"
         "{% endfor %}", "t.j2:1: the template renders more than 5 million characters; check its loops"),
    Case("recursive-macro", "{% macro f(n) %}{{ f(n) }}{% endmacro %}Hi. {{ f(1) }}",
         "t.j2:1: templates include each other in a cycle (or recurse too deep)"),
    Case("include-outside", "Hi.\n{% include '../../etc/passwd' %}", "t.j2:2: included template",
         "not found"),
    Case("bad-front-matter", '{#---\ntitle = "x\n---#}\nHi.', "t.j2:2: front matter is not valid TOML"),
    Case("unknown-front-key", '{#---\ntitel = "x"\n---#}\nHi.', "t.j2:2: unknown front matter key 'titel'",
         "did you mean 'title'"),
    # -- markers
    Case("unknown-marker", "Hi. [foo 3s]", "t.j2:1:5: unknown marker 'foo'; markers are pause"),
    Case("near-miss-marker", "Hi.\n  [pasue 3s]", "t.j2:2:3: unknown marker 'pasue' (did you mean 'pause'?)"),
    Case("near-miss-option", "Hi. [bed rain levle=-20dB]", "t.j2:1:5: [bed] has no option 'levle='",
         "did you mean 'level'"),
    Case("unclosed-bracket", "Hi. [pause 3s\nBye.", "t.j2:1:5: unclosed marker: '[' without ']'", "'[['"),
    Case("empty-marker", "Hi. [] Bye.", "t.j2:1:5: empty marker '[]'"),
    Case("negative-pause", "Hi. [pause -3s]", "t.j2:1:5: pause '-3s' is negative"),
    Case("absurd-pause", "Hi. [pause 61m]", "t.j2:1:5: duration '61m' is longer than one hour"),
    Case("absurd-pause-seconds", "Hi. [pause 3601s]", "t.j2:1:5: duration '3601s' is longer than one hour"),
    Case("absurd-range", "Hi. [pause 1s-2000m]", "t.j2:1:5: duration '2000m' is longer than one hour"),
    Case("min-greater-than-max", "Hi. [pause 8-3s]", "t.j2:1:5: pause range '8-3s': the minimum is larger"),
    Case("unknown-unit", "Hi. [pause 3x]", "t.j2:1:5: unknown unit 'x' in '3x'; use ms, s or m"),
    Case("hour-unit", "Hi. [pause 1h]", "t.j2:1:5: unknown unit 'h' in '1h'; use ms, s or m"),
    Case("unitless", "Hi. [pause 3]", "t.j2:1:5: duration '3' needs a unit"),
    Case("breathe-zero-in", "Hi. [breathe in=0 out=8]", "t.j2:1:5: in=0 is out of range (0.5 to 30)"),
    Case("breathe-missing-out", "Hi. [breathe in=4]", "t.j2:1:5: [breathe] needs in= and out="),
    Case("breathe-fraction-cycles", "Hi. [breathe in=4 out=8 cycles=2.5]", "t.j2:1:5: cycles=2.5 must be a whole"),
    Case("breathe-nan", "Hi. [breathe in=nan out=8]", "t.j2:1:5: in=nan is out of range"),
    Case("breathe-text", "Hi. [breathe in=four out=8]", "t.j2:1:5: in=four is not a number"),
    Case("breathe-guide", "Hi. [breathe in=4 out=4 cycles=2 guide=3]", "t.j2:1:5: guide=3 is out of range"),
    Case("breathe-hour", "Hi. [breathe in=30 out=30 cycles=500]", "t.j2:1:5: [breathe] block is longer than one hour"),
    Case("rate-range", "Hi. [rate 500%]", "t.j2:1:5: [rate 500%] is out of range"),
    Case("unknown-bed", "Hi. [bed rian]", "t.j2:1:5: unknown bed 'rian' (did you mean 'rain'?)"),
    Case("unknown-cue", "Hi. [cue gongg]", "t.j2:1:5: unknown cue 'gongg' (did you mean 'gong'?)"),
    Case("bad-level", "Hi. [bed rain level=+6dB]", "t.j2:1:5: level=+6dB is out of range"),
    Case("marker-in-include", "Hi.\n{% include 'inc.j2' %}", "inc.j2:2:6: unknown marker 'pasue'",
         files={"inc.j2": "Ok.\nThen [pasue 2s]\n"}),
    Case("unknown-voice-marker", "Hi. [voice nobody] Bye.", "t.j2:1:5: unknown voice 'nobody'"),
    # -- sound files named by markers
    Case("missing-cue-file", 'Hi. [cue file="nope.wav"] Bye.', "t.j2:1:5: nope.wav: cue file not found"),
    Case("missing-bed-file", 'Hi. [bed file="nope.wav"] Bye.', "t.j2:1:5: nope.wav: bed file not found"),
    Case("non-audio-cue", 'Hi. [cue file="notes.wav"] Bye.',
         "t.j2:1:5: notes.wav: not a readable audio file (invalid data: not audio, or a damaged file); use a WAV",
         files={"notes.wav": "just some text, not audio"}),
    Case("non-audio-bed", 'Hi. [bed file="notes.ogg"] Bye.', "t.j2:1:5: notes.ogg: not a readable audio file",
         files={"notes.ogg": "just some text, not audio"}),
    Case("corrupt-cue", 'Hi. [cue file="broken.wav"] Bye.', "t.j2:1:5: broken.wav: not a readable audio file (invalid data",
         files={"broken.wav": b"RIFF\xff\xff\xff\xffWAVEfmt \x10\x00\x00\x00\x34\x12\x07\x00"
                + b"\x00" * 40}),
    Case("header-only-cue", 'Hi. [cue file="empty.wav"] Bye.', "t.j2:1:5: empty.wav: contains no audio; use a sound file",
         files={"empty.wav": b"@empty-wav"}),
    Case("cue-is-a-folder", 'Hi. [cue file="sounds"] Bye.', "t.j2:1:5: sounds:", files={"sounds/": ""}),
]


def _materialise(folder: Path, case: Case) -> Path:
    for name, content in case.files.items():
        p = folder / name
        if name.endswith("/"):
            p.mkdir(parents=True, exist_ok=True)
        elif content == b"@empty-wav":
            with wave.open(str(p), "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(44100)
        elif isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")
    t = folder / "t.j2"
    if isinstance(case.template, bytes):
        t.write_bytes(case.template)
    else:
        t.write_text(case.template, encoding="utf-8")
    return t


def _params(cases: list[Case]) -> list[object]:
    out: list[object] = []
    for c in cases:
        marks = [pytest.mark.xfail(reason=c.xfail, strict=True)] if c.xfail else []
        out.append(pytest.param(c, id=c.id, marks=marks))
    return out


@pytest.mark.parametrize("case", _params(CASES))
def test_bad_template(case: Case, work: Path, runner: CliRunner, worker_cache: Path) -> None:
    t = _materialise(work, case)
    before = cache_snapshot(worker_cache)
    res = build(runner, t, "--set", "name=Anna")
    assert_clean_failure(res, case.start, work / "out", case.contains)
    after = cache_snapshot(worker_cache)
    assert {k: v for k, v in before.items() if k in after} == before, "cache entries were removed or changed"


def test_debug_shows_a_traceback_for_the_same_error(work: Path, runner: CliRunner) -> None:
    t = _materialise(work, CASES[1])
    res = runner.invoke(cli, ["--debug", "build", str(t), "-o", "out/old.mp3", "--engine", "fake", "-q"])
    assert res.exit_code == 1 and type(res.exception).__name__ == "ScriptError"
    assert_folder_untouched(work / "out")


def test_plan_and_check_report_the_same_error(work: Path, runner: CliRunner) -> None:
    t = _materialise(work, Case("x", "Hi.\n  [pasue 3s]", ""))
    for args in (["plan", str(t), "--estimate"], ["check", str(t)]):
        res = runner.invoke(cli, args)
        assert res.exit_code == 1, res.output
        assert "t.j2:2:3: unknown marker 'pasue' (did you mean 'pause'?)" in res.output
        assert "Traceback" not in res.output


# ---------------------------------------------------------------- profiles and --set


@dataclass(frozen=True)
class PCase:
    id: str
    profile: str | bytes | None  # p.toml content (None: no profile file)
    sets: tuple[str, ...]
    start: str
    xfail: str = ""


PCASES: list[PCase] = [
    PCase("unknown-key", 'nmae = "A"', (), "p.toml: nmae: unknown key 'nmae' (did you mean 'name'?)"),
    PCase("wrong-type-rate", 'rate = "fast"', (), "p.toml: rate: expected a number, got 'fast'"),
    PCase("wrong-type-skip", "skip = 3", (), "p.toml: skip: expected a list of body areas, got 3"),
    PCase("wrong-type-name", 'name = ["a"]', (), "p.toml: name: expected text"),
    PCase("wrong-type-bool", 'sleep = "maybe"', (), "p.toml: sleep: expected true or false"),
    PCase("out-of-range-rate", "rate = 5.0", (), "p.toml: rate: 5 is out of range (0.5 to 1.5)"),
    PCase("out-of-range-minutes", "minutes = 1000", (), "p.toml: minutes: 1000 is out of range"),
    PCase("nan-rate", "rate = nan", (), "p.toml: rate: expected a number, got nan"),
    PCase("inf-bed-level", "bed_level = -inf", (), "p.toml: bed_level: -inf is out of range"),
    PCase("unknown-language", 'language = "fr"', (), "p.toml: language: unknown language 'fr'; use one of en, de"),
    PCase("unknown-body-area", 'skip = ["lower-bakc"]', (), "p.toml: skip: unknown body area 'lower-bakc' "
          "(did you mean 'lower-back'?)"),
    PCase("unknown-bed", 'bed = "rian"', (), "p.toml: bed: unknown bed 'rian' (did you mean 'rain'?)"),
    PCase("not-toml", 'name = "A', (), "p.toml: not valid TOML:"),
    PCase("latin1-profile", 'name = "J\xfcrgen"'.encode("latin-1"), (), "p.toml: not valid UTF-8"),
    PCase("nul-in-name", 'name = "A\\u0000B"', (), "p.toml: name: contains a NUL character"),
    PCase("name-too-long", f'name = "{"A" * 300}"', (), "p.toml: name: is longer than 200 characters"),
    PCase("missing-profile", None, ("@missing",), "p.toml: cannot read profile"),
    PCase("unknown-voice", 'voice = "nope-voice"', (), "p.toml: voice: unknown voice 'nope-voice'"),
    PCase("set-unknown-language", None, ("language=fr",), "--set: language: unknown language 'fr'"),
    PCase("set-bad-rate", None, ("rate=abc",), "--set: rate: expected a number, got 'abc'"),
    PCase("set-body-area", None, ("skip=lower-bakc",), "--set: skip: unknown body area 'lower-bakc'"),
    PCase("set-not-identifier", None, ("9x=1",), "--set: 9x: '9x' is not a valid variable name"),
    PCase("set-no-equals", None, ("noequals",), "--set: 'noequals' is not KEY=VALUE"),
    PCase("set-unknown-voice", None, ("voice=nope",), "--set: voice: unknown voice 'nope'"),
]


@pytest.mark.parametrize("case", [
    pytest.param(c, id=c.id, marks=[pytest.mark.xfail(reason=c.xfail, strict=True)] if c.xfail else [])
    for c in PCASES
])
def test_bad_profile(case: PCase, work: Path, runner: CliRunner) -> None:
    t = work / "t.j2"
    t.write_text(GOOD, encoding="utf-8")
    args: list[str] = []
    if case.profile is not None:
        p = work / "p.toml"
        if isinstance(case.profile, bytes):
            p.write_bytes(case.profile)
        else:
            p.write_text(case.profile, encoding="utf-8")
        args += ["--profile", str(p)]
    for s in case.sets:
        args += ["--profile", "p.toml"] if s == "@missing" else ["--set", s]
    res = build(runner, t, *args)
    assert_clean_failure(res, case.start, work / "out")


def test_profile_values_are_never_template_code(work: Path, runner: CliRunner) -> None:
    """A name like ``{{ 7*7 }}`` or ``[pause 5s]`` is data: rendered literally, never run or parsed."""
    from generator.api import plan
    from generator.profile import Profile

    t = work / "t.j2"
    t.write_text("Hello {{ name }}. Bye.", encoding="utf-8")
    from generator.model import Speech

    for name in ("{{ 7*7 }}", "[pause 5s]", "{% include 'x' %}", "[[", "]", "{{ ''.__class__ }}"):
        prep, _ = plan(t, Profile(name=name), estimate=True)
        spoken = " ".join(s.text for s in prep.segments if isinstance(s, Speech))
        assert spoken == f"Hello {name}. Bye." or spoken == f"Hello {name}.  Bye.", (name, spoken)


# ---------------------------------------------------------------- listener CSVs (course)


@dataclass(frozen=True)
class CsvCase:
    id: str
    data: bytes
    ok_ids: tuple[str, ...] = ()
    row_errors: tuple[str, ...] = ()  # each row error's str() starts with one of these, in order
    fatal: str = ""  # a ManifestError for the whole file starting with this (after the file name)


CSV_CASES: list[CsvCase] = [
    CsvCase("bom", b"\xef\xbb\xbfid,name\n1,Anna\n", ("1",)),
    CsvCase("crlf", b"id,name\r\n1,Anna\r\n2,Ben\r\n", ("1", "2")),
    CsvCase("bom-crlf", b"\xef\xbb\xbfid,name\r\n1,Anna\r\n", ("1",)),
    CsvCase("missing-id-column", b"name\nAnna\n", fatal="id: the header row has no 'id' column"),
    CsvCase("empty-id", b"id,name\n,Anna\n2,Ben\n", ("2",), ("row 2: the id is empty",)),
    CsvCase("duplicate-ids", b"id,name\n1,Anna\n1,Ben\n", ("1",),
            ("row 3 (id 1): duplicate id '1' (first used on row 2)",)),
    CsvCase("too-many-fields", b"id,name\n1,Anna,extra\n2,Ben\n", ("2",),
            ("row 2 (id 1): has 3 cells but the header has 2 columns",)),
    CsvCase("too-few-fields", b"id,name,language\n1,Anna\n", (),
            ("row 2 (id 1): has 2 cells but the header has 3 columns",)),
    CsvCase("latin1", "id,name\n1,J\xfcrgen\n".encode("latin-1"), fatal="not valid UTF-8 (byte 11)"),
    CsvCase("unknown-column", b"id,nmae\n1,A\n", fatal="nmae: unknown column 'nmae' (did you mean 'name'?)"),
    CsvCase("duplicate-column", b"id,name,name\n1,A,B\n", fatal="name: column 'name' appears twice"),
    CsvCase("unknown-language", b"id,language\n1,fr\n", (), ("row 2 (id 1): language: unknown language 'fr'",)),
    CsvCase("unknown-voice", b"id,voice\n1,nope\n", (), ("row 2 (id 1): voice: unknown voice 'nope'",)),
    CsvCase("unknown-area", b"id,skip\n1,lower-bakc\n", (), ("row 2 (id 1): skip: unknown body area",)),
    CsvCase("bad-number", b"id,rate\n1,fast\n", (), ("row 2 (id 1): rate: expected a number",)),
    CsvCase("nul", b"id,name\n1,An\x00na\n", (), ("row 2 (id 1): name: contains a NUL character",)),
    CsvCase("empty-file", b"", fatal="the file is empty"),
    CsvCase("blank-rows-skipped", b"id,name\n\n1,Anna\n,\n", ("1",)),
    CsvCase("unclosed-quote-at-end", b'id,name\n2,Ben\n1,"Anna\n', ("2",),
            ('row 3 (id 1): a value holds a line break: an unclosed quote',)),
    CsvCase("unclosed-quote-swallows-rows", b'id,name\n1,"Anna\n2,Ben\n3,Cleo\n', (),
            ('row 2 (id 1): a value holds a line break: an unclosed quote',)),
    CsvCase("quoted-comma-is-fine", b'id,name\n1,"Anna, the first"\n', ("1",)),
]


@pytest.mark.parametrize("case", CSV_CASES, ids=[c.id for c in CSV_CASES])
def test_listener_csv(case: CsvCase, tmp_path: Path) -> None:
    p = tmp_path / "listeners.csv"
    p.write_bytes(case.data)
    if case.fatal:
        with pytest.raises(ManifestError) as e:
            read_listeners(p, ["calm-en", "calm-de"])
        assert str(e.value).startswith(f"{p}: {case.fatal}"), str(e.value)
        return
    table = read_listeners(p, ["calm-en", "calm-de"])
    assert tuple(x.id for x in table.listeners) == case.ok_ids
    assert len(table.errors) == len(case.row_errors), [str(e) for e in table.errors]
    for err, start in zip(table.errors, case.row_errors, strict=True):
        assert str(err).startswith(start), str(err)
    for x in table.listeners:
        assert "\ufeff" not in x.id and "\r" not in x.profile.name


# ---------------------------------------------------------------- names and paths


HOSTILE_NAMES = [
    "../../escape", "../..", "..", ".", "/etc/passwd", "a/b", "a\\b", "C:\\Windows", "C:", "a:b",
    "An\x00na", "🧘‍♀️ Anna 🌊", "🧘", "A" * 300, "é" * 300, "CON", "con", "NUL.txt", "COM1", "LPT9",
    " . ", "...", "name\nwith newline", "\u202eevil", "~", "$HOME", "%APPDATA%",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=range(len(HOSTILE_NAMES)))
def test_listener_folders_stay_inside_the_output_folder(name: str, tmp_path: Path) -> None:
    from generator.batch.course import listener_folders
    from generator.batch.manifest import Listener, ListenerTable
    from generator.export.names import safe_join
    from generator.profile import Profile

    table = ListenerTable(tmp_path / "l.csv", [Listener(2, name, Profile(name=name)),
                                               Listener(3, "2", Profile(name=name))])
    folders = listener_folders(table)
    assert len(set(f.casefold() for f in folders)) == 2
    root = tmp_path / "out"
    root.mkdir()
    for f in folders:
        assert f and "/" not in f and "\\" not in f and "\x00" not in f and ":" not in f
        assert f not in (".", "..") and not f.startswith(".")
        assert len(f.encode("utf-8")) <= 255
        assert f.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT9"}
        target = safe_join(root, f)
        assert target.parent == root.resolve()
        target.mkdir()  # the OS accepts it


@pytest.mark.parametrize("name", ["../x", "/abs", "..", "a/../../b", "x\x00y"])
def test_safe_join_refuses_escapes(name: str, tmp_path: Path) -> None:
    from generator.errors import ExportError
    from generator.export.names import safe_join

    with pytest.raises(ExportError):
        safe_join(tmp_path, name)


@pytest.mark.parametrize("name", ["../../escape", "An\x00na", "🧘‍♀️", "CON"])
def test_hostile_listener_names_are_data_in_a_build(name: str, work: Path, runner: CliRunner) -> None:
    """--set name=... never changes where the MP3 goes and never breaks the build."""
    t = work / "t.j2"
    t.write_text("Hello {{ name }}. Bye.", encoding="utf-8")
    before = {p for p in work.rglob("*")}
    res = build(runner, t, "--set", f"name={name}")
    if "\x00" in name:
        assert_clean_failure(res, "--set: name: contains a NUL character", work / "out")
        return
    assert res.exit_code == 0, res.output
    new = {p for p in work.rglob("*")} - before
    assert new == set(), new  # only out/old.mp3 was replaced
    assert (work / "out" / "old.mp3").read_bytes() != OLD_BYTES


# ---------------------------------------------------------------- environment


@pytest.fixture
def ffmpeg_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    from generator.audio import ffmpeg

    def set_env(**env: str) -> None:
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        ffmpeg.ffmpeg_exe.cache_clear()

    ffmpeg.ffmpeg_exe.cache_clear()
    yield set_env
    monkeypatch.undo()
    ffmpeg.ffmpeg_exe.cache_clear()


def test_no_ffmpeg_and_no_fallback(work: Path, runner: CliRunner, ffmpeg_env: Callable[..., None],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RELAXGEN_FFMPEG", raising=False)
    ffmpeg_env(RELAXGEN_NO_SYSTEM_FFMPEG="1", RELAXGEN_NO_FFMPEG_WHEEL="1")
    t = work / "t.j2"
    t.write_text(GOOD, encoding="utf-8")
    assert_clean_failure(build(runner, t), "ffmpeg was not found: install the Python package 'imageio-ffmpeg'",
                         work / "out", "apt-get install ffmpeg")


def test_ffmpeg_env_points_nowhere(work: Path, runner: CliRunner, ffmpeg_env: Callable[..., None]) -> None:
    ffmpeg_env(RELAXGEN_FFMPEG=str(work / "no-ffmpeg"))
    t = work / "t.j2"
    t.write_text(GOOD, encoding="utf-8")
    assert_clean_failure(build(runner, t), f"RELAXGEN_FFMPEG={work / 'no-ffmpeg'} does not exist", work / "out")


def test_no_espeak_and_no_fallback(work: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real engine without espeak-ng (neither the system library nor the wheel)."""
    from generator.tts import espeak

    monkeypatch.setattr(espeak, "_ESPEAK_SOURCE", None)  # ensure_espeak caches its answer
    monkeypatch.setenv("RELAXGEN_NO_SYSTEM_ESPEAK", "1")
    monkeypatch.setenv("RELAXGEN_NO_ESPEAK_WHEEL", "1")
    t = work / "t.j2"
    t.write_text(GOOD, encoding="utf-8")
    res = runner.invoke(cli, ["build", str(t), "-o", "out/old.mp3", "--engine", "pyttsx3", "-q"])
    assert_clean_failure(res, "espeak-ng was not found", work / "out", "pip install espeakng-loader")


def test_no_espeak_in_a_fresh_process(work: Path) -> None:
    """The same through the installed command (``ensure_espeak`` caches per process)."""
    exe = Path(os.__file__).parents[2] / "bin" / "relaxgen"
    exe = exe if exe.is_file() else Path(__file__).parents[1] / ".venv" / "bin" / "relaxgen"
    (work / "t.j2").write_text(GOOD, encoding="utf-8")
    env = dict(os.environ, RELAXGEN_NO_SYSTEM_ESPEAK="1", RELAXGEN_NO_ESPEAK_WHEEL="1")
    import sys

    cmd = [sys.executable, "-m", "generator", "build", "t.j2", "-o", "out/old.mp3", "--engine", "pyttsx3", "-q"]
    res = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 1, res.stderr
    assert res.stderr.startswith("Error: espeak-ng was not found"), res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    assert_folder_untouched(work / "out")


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """Mount a tiny tmpfs (root only); skip when mounting is not allowed."""
    mounted: list[Path] = []

    def mount(opts: str) -> Path:
        d = tmp_path / f"mnt{len(mounted)}"
        d.mkdir()
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(d)], capture_output=True)
        if r.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode(errors='replace').strip()}")
        mounted.append(d)
        return d

    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    yield mount
    for d in mounted:
        subprocess.run(["umount", "-l", str(d)], capture_output=True)


def test_full_disk_tmpfs(work: Path, runner: CliRunner, tmpfs: Callable[[str], Path]) -> None:
    d = tmpfs("size=64k")
    (d / "old.mp3").write_bytes(OLD_BYTES)
    t = work / "t.j2"
    t.write_text(GOOD, encoding="utf-8")
    res = runner.invoke(cli, ["build", "t.j2", "-o", f"{d.name}/old.mp3", "--engine", "fake", "-q"])
    assert_clean_failure(res, f"{d.name}: no space left on the device", d, "free some space")


def test_read_only_output_folder(work: Path, runner: CliRunner, tmpfs: Callable[[str], Path]) -> None:
    d = tmpfs("size=64k")
    (d / "old.mp3").write_bytes(OLD_BYTES)
    subprocess.run(["mount", "-o", "remount,ro", str(d)], check=True)
    t = work / "t.j2"
    t.write_text(GOOD, encoding="utf-8")
    for out in (f"{d.name}/old.mp3", f"{d.name}/sub/new.mp3"):
        res = runner.invoke(cli, ["build", "t.j2", "-o", out, "--engine", "fake", "-q"])
        assert_clean_failure(res, f"{Path(out).parent}: permission denied; choose a folder you can write to", d)


def test_output_folder_not_writable_as_user(work: Path, runner: CliRunner) -> None:
    if os.geteuid() == 0:
        pytest.skip("root can write anywhere; covered by the read-only tmpfs test")
    out = work / "out"
    out.chmod(0o555)
    try:
        t = work / "t.j2"
        t.write_text(GOOD, encoding="utf-8")
        assert_clean_failure(build(runner, t), "out: permission denied", out)
    finally:
        out.chmod(0o755)


def test_a_file_where_the_folder_should_be(work: Path, runner: CliRunner) -> None:
    t = work / "t.j2"
    t.write_text(GOOD, encoding="utf-8")
    res = runner.invoke(cli, ["build", str(t), "-o", "t.j2/x.mp3", "--engine", "fake", "-q"])
    assert_clean_failure(res, "t.j2: a file is in the way where a folder is needed", work / "out")


def test_output_must_be_mp3(work: Path, runner: CliRunner) -> None:
    t = work / "t.j2"
    t.write_text(GOOD, encoding="utf-8")
    res = runner.invoke(cli, ["build", str(t), "-o", "out/x.wav", "--engine", "fake", "-q"])
    assert_clean_failure(res, "out/x.wav: the output must be an .mp3 file", work / "out")


def test_injected_enospc_while_writing_tags(work: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    """A disk that fills up after the audio is encoded, while the tags are written."""
    import mutagen.id3

    def full(*a: object, **k: object) -> None:
        from mutagen import MutagenError

        raise MutagenError(OSError(errno.ENOSPC, "No space left on device"))

    monkeypatch.setattr(mutagen.id3.ID3, "save", full)
    t = work / "t.j2"
    t.write_text(GOOD, encoding="utf-8")
    assert_clean_failure(build(runner, t), "out: no space left on the device while writing the tags", work / "out")


def test_finished_outputs_get_normal_permissions(work: Path, runner: CliRunner) -> None:
    t = work / "t.j2"
    t.write_text(GOOD, encoding="utf-8")
    assert build(runner, t).exit_code == 0
    mode = (work / "out" / "old.mp3").stat().st_mode & 0o777
    assert mode & 0o044, oct(mode)  # not private 0600 like a mkstemp file
