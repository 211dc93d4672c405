"""The Jinja environment: sandbox, strict variables, includes, positions, data escaping."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

import generator.script.render as render_mod
from generator.errors import ScriptError
from generator.model import Pause, Speech
from generator.script.jinjaenv import SandboxEnv
from generator.script.markers import parse_script
from generator.script.render import (
    as_data,
    parse_front_matter,
    render_string,
    render_template,
    resolve_template,
)


def parse(src: str, **variables: object) -> list[object]:
    r = render_string(src, as_data(variables), "t.j2")
    return parse_script(r.text, r.name, r.anchors)  # type: ignore[return-value]


def test_undefined_variable_names_line_and_variable() -> None:
    with pytest.raises(ScriptError) as e:
        parse("Hello.\n\nHi {{ nmae }}.", name="x")
    assert str(e.value).startswith("t.j2:3: undefined variable 'nmae' (did you mean 'name'?)")


def test_a_schedule_field_is_not_a_template_variable() -> None:
    """practice_time is a profile field, but for reminders: --set would not help the script."""
    with pytest.raises(ScriptError) as e:
        parse("Practise at {{ practice_time }}.", name="x")
    assert str(e.value).startswith("t.j2:1: 'practice_time' is a schedule field of the profile")
    assert "--set" not in str(e.value)


def test_syntax_error_line() -> None:
    with pytest.raises(ScriptError, match=r"^t\.j2:2: template syntax error"):
        parse("ok\n{% if %}\n")


def test_sandbox_blocks_internals() -> None:
    with pytest.raises(ScriptError, match="sandbox"):
        parse("{{ ''.__class__.__mro__ }}")


def test_profile_values_are_data_not_markup() -> None:
    segs = parse("Hello {{ name }}.", name="[pause 5s] {{ 7*7 }}")
    assert segs == [Speech("Hello [pause 5s] {{ 7*7 }}.", segs[0].pos)]  # type: ignore[attr-defined]


def test_set_variable_named_like_a_library_helper_is_an_error(run) -> None:  # type: ignore[no-untyped-def]
    """--set addr=... would silently lose to the helper of that name: it is an error naming it."""
    res = run("plan", "belly-breathing", "--estimate", "--set", "addr=Frau")
    assert res.exit_code == 1
    assert "addr: the template variable 'addr' has the name of a script-library helper" in res.output
    assert run("plan", "belly-breathing", "--estimate", "--set", "focus=neck").exit_code == 0


def test_marker_positions_through_loops() -> None:
    segs = parse("{% for i in range(2) %}\n  Round {{ i }}. [pause 3s]\n{% endfor %}")
    pauses = [s for s in segs if isinstance(s, Pause)]
    assert [str(p.pos) for p in pauses] == ["t.j2:2:18", "t.j2:2:18"]


def test_error_in_included_file_names_that_file(tmp_path: Path) -> None:
    (tmp_path / "part.j2").write_text("One.\n  Two [pasue 3s].\n", encoding="utf-8")
    main = tmp_path / "main.j2"
    main.write_text("Start.\n{% include 'part.j2' %}\n", encoding="utf-8")
    r = render_template(main, {})
    with pytest.raises(ScriptError) as e:
        parse_script(r.text, r.name, r.anchors)
    assert "part.j2:2:7: unknown marker 'pasue'" in str(e.value)


def test_macro_error_names_macro_file(tmp_path: Path) -> None:
    (tmp_path / "lib.j2").write_text("{% macro rest(s) %}[paus {{ s }}s]{% endmacro %}\n", encoding="utf-8")
    main = tmp_path / "main.j2"
    main.write_text("{% from 'lib.j2' import rest %}\nHello. {{ rest(4) }}\n", encoding="utf-8")
    r = render_template(main, {})
    with pytest.raises(ScriptError) as e:
        parse_script(r.text, r.name, r.anchors)
    assert "lib.j2:1:20:" in str(e.value)


def _speech(r: render_mod.Rendered) -> list[str]:
    return [s.text for s in parse_script(r.text, r.name, r.anchors) if isinstance(s, Speech)]


def test_templates_compile_once_yet_every_edit_is_seen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compiled: list[str | None] = []
    orig = SandboxEnv.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):  # type: ignore[no-untyped-def]
        compiled.append(name)
        return orig(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(SandboxEnv, "compile", counting)
    part = tmp_path / "part.j2"
    part.write_text("One.\n", encoding="utf-8")
    main = tmp_path / "main.j2"
    main.write_text("Hello {{ n }}.\n{% include 'part.j2' %}\n", encoding="utf-8")
    first = render_template(main, {"n": 1})
    assert len(compiled) == 2  # the main template and its include
    second = render_template(main, {"n": 2})
    assert len(compiled) == 2  # the second listener reuses both
    assert _speech(first) == ["Hello 1. One."] and _speech(second) == ["Hello 2. One."]
    assert second.sources == first.sources
    assert second.sources["part.j2" if Path.cwd() == tmp_path else render_mod.display(part)] == \
        hashlib.sha256(b"One.\n").hexdigest()
    # an edit that keeps the file's modification time (two quick saves) is still seen
    st = part.stat()
    part.write_text("One.\n  Two [pasue 3s].\n", encoding="utf-8")
    os.utime(part, ns=(st.st_atime_ns, st.st_mtime_ns))
    third = render_template(main, {"n": 3})
    assert third.sources != second.sources
    with pytest.raises(ScriptError, match=r"part\.j2:2:7: unknown marker 'pasue'"):
        parse_script(third.text, third.name, third.anchors)


def test_a_new_file_shadowing_an_include_is_seen(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "part.j2").write_text("From the library.\n", encoding="utf-8")
    main = tmp_path / "main.j2"
    main.write_text("{% include 'part.j2' %}\n", encoding="utf-8")
    assert _speech(render_template(main, {}, [lib])) == ["From the library."]
    (tmp_path / "part.j2").write_text("From beside the script.\n", encoding="utf-8")  # searched first
    assert _speech(render_template(main, {}, [lib])) == ["From beside the script."]


def test_missing_include(tmp_path: Path) -> None:
    main = tmp_path / "main.j2"
    main.write_text("Hi.\n{% include 'nope.j2' %}\n", encoding="utf-8")
    with pytest.raises(ScriptError, match="'nope.j2' not found"):
        render_template(main, {})


def test_include_cycle(tmp_path: Path) -> None:
    (tmp_path / "a.j2").write_text("A. {% include 'b.j2' %}", encoding="utf-8")
    (tmp_path / "b.j2").write_text("B. {% include 'a.j2' %}", encoding="utf-8")
    with pytest.raises(ScriptError, match="cycle"):
        render_template(tmp_path / "a.j2", {})


def test_invalid_utf8(tmp_path: Path) -> None:
    p = tmp_path / "bad.j2"
    p.write_bytes(b"Hallo \xfc ber.")
    with pytest.raises(ScriptError, match="UTF-8"):
        render_template(p, {})


def test_front_matter() -> None:
    fm = parse_front_matter('{#---\ntitle = "X"\nminutes = 5\nmin_minutes = 3\nmax_minutes = 10\n---#}\nHi.', "t")
    assert (fm.title, fm.minutes, fm.min_minutes, fm.max_minutes) == ("X", 5.0, 3.0, 10.0)
    with pytest.raises(ScriptError, match="did you mean 'title'"):
        parse_front_matter('{#---\ntitel = "X"\n---#}\n', "t")


def test_unknown_builtin_suggests() -> None:
    with pytest.raises(ScriptError, match="neither a template file nor a built-in"):
        resolve_template("no-such-script-xyz", "en")


def test_include_dir_from_the_command_line(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "my.j2").write_text("{% macro rest() %}[pause 2s]{% endmacro %}", encoding="utf-8")
    t = tmp_path / "t.j2"
    t.write_text("{% from 'my.j2' import rest %}\nHello. {{ rest() }} Bye.", encoding="utf-8")
    assert run("plan", str(t), "--estimate").exit_code == 1  # not found without -I
    res = run("plan", str(t), "--estimate", "-I", str(lib))
    assert res.exit_code == 0, res.output
    assert "2.0s  pause" in res.output
