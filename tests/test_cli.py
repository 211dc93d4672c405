"""The CLI surface: help with examples for every command, exit codes, error lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.errors import ManifestError, RelaxgenError

COMMANDS = sorted(cli.commands)


def test_expected_commands_exist() -> None:
    assert {"build", "plan", "check", "scripts", "demo"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_with_an_example(runner: CliRunner, name: str) -> None:
    res = runner.invoke(cli, [name, "--help"])
    assert res.exit_code == 0
    assert "Example:" in res.output


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_in_the_readme(name: str) -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert f"relaxgen {name}" in readme


def test_bad_flag_exits_2(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["build", "--no-such-flag"])
    assert res.exit_code == 2


def test_relaxgen_error_is_one_line_exit_1(runner: CliRunner, tmp_path: Path) -> None:
    res = runner.invoke(cli, ["plan", "no-such-script-xyz", "--estimate"])
    assert res.exit_code == 1
    assert res.output.startswith("Error: 'no-such-script-xyz' is neither a template file")
    assert len(res.output.strip().splitlines()) == 1


def test_only_relaxgen_errors_reach_the_user() -> None:
    assert issubclass(ManifestError, RelaxgenError)


def test_debug_shows_the_traceback(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["--debug", "plan", "no-such-script-xyz", "--estimate"])
    assert res.exit_code == 1
    assert res.exception is not None and type(res.exception).__name__ == "ScriptError"


def test_profile_error_names_file_and_key(runner: CliRunner, tmp_path: Path) -> None:
    p = tmp_path / "p.toml"
    p.write_text('name = "A"\nlangauge = "de"\n', encoding="utf-8")
    t = tmp_path / "t.j2"
    t.write_text("Hi.", encoding="utf-8")
    res = runner.invoke(cli, ["plan", str(t), "--profile", str(p), "--estimate"])
    assert res.exit_code == 1
    assert "p.toml: langauge: unknown key 'langauge' (did you mean 'language'?)" in res.output


def test_plan_estimate_prints_a_table(runner: CliRunner, tmp_path: Path) -> None:
    t = tmp_path / "t.j2"
    t.write_text('[chapter "A"]\nHello. [pause 3-30s] Bye.', encoding="utf-8")
    res = runner.invoke(cli, ["plan", str(t), "--estimate", "--minutes", "0.5"])
    assert res.exit_code == 0, res.output
    assert "chapter  A" in res.output and "elastic 3-30s" in res.output
    assert "total 0:30.0" in res.output or "total 0:29.9" in res.output


def test_scripts_lists_each_scripts_options(runner: CliRunner) -> None:
    """`scripts --options` shows the documented --set values and the lengths they reach, as the
    front matter declares them (and `--json` carries them)."""
    import json

    out = runner.invoke(cli, ["scripts", "--language", "en", "--options"]).output.splitlines()
    at = out.index(next(x for x in out if x.startswith("breathing-478 ")))
    assert "--set cycles=8 (4.5-10 min)" in [x.strip() for x in out[at + 1:at + 8]]
    rows = json.loads(runner.invoke(cli, ["scripts", "--language", "en", "--json"]).output)
    belly = next(r for r in rows if r["name"] == "belly-breathing")
    assert {"set": {"safety": "yes"}, "min_minutes": 6.0, "max_minutes": 20.0} in belly["options"]
    plain = runner.invoke(cli, ["scripts", "--language", "en"]).output
    assert "--set" not in plain
