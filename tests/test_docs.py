"""The manual shows the command line as it is: docs/cli.md holds the help of every command, written
by docs/cli_help.py from the command line itself."""

from __future__ import annotations

import difflib
import importlib.util
from pathlib import Path
from types import ModuleType

from generator.cli import cli

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _cli_help() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cli_help", DOCS / "cli_help.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_cli_help_in_the_docs_is_current() -> None:
    cli_help = _cli_help()
    page = cli_help.PAGE.read_text(encoding="utf-8")
    now = cli_help.render(page, cli)
    diff = "\n".join(list(difflib.unified_diff(page.splitlines(), now.splitlines(), "docs/cli.md", "relaxgen",
                                               lineterm=""))[:40])
    assert now == page, f"docs/cli.md is out of date: run python docs/cli_help.py\n{diff}"


def test_every_command_has_its_section() -> None:
    cli_help = _cli_help()
    page = cli_help.PAGE.read_text(encoding="utf-8")
    paths = list(cli_help.command_paths(cli))
    assert ("voices", "add") in paths and ("cache", "clear") in paths  # subcommands too
    for path in paths:
        assert f"## relaxgen {' '.join(path)}".rstrip() + "\n" in page, path


def test_a_stale_help_is_found() -> None:
    """A check that cannot fail proves nothing: an edited option's help is written back."""
    cli_help = _cli_help()
    page = cli_help.PAGE.read_text(encoding="utf-8")
    stale = page.replace("The MP3 file to write.", "The file to write.")
    assert stale != page
    assert cli_help.render(stale, cli) == page
