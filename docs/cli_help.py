"""The help of every relaxgen command, as the command line prints it, pasted into docs/cli.md.

    python docs/cli_help.py          # rewrite the generated part of docs/cli.md
    python docs/cli_help.py --check  # exit 1 if docs/cli.md differs from the command line

The generated part lies between the START and END lines; the text around it is written by
hand. tests/test_docs.py fails while the page differs from what this script writes.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import click
from click.testing import CliRunner

PAGE = Path(__file__).with_name("cli.md")
START = "<!-- START: the help below is written by docs/cli_help.py; do not edit it by hand -->"
END = "<!-- END of the generated help -->"
WIDTH = 100  # the help is wrapped at this width whatever the terminal


def command_paths(cmd: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """``()`` for relaxgen itself, then every command and subcommand, in alphabetical order."""
    yield path
    if isinstance(cmd, click.Group):
        for name in sorted(cmd.commands):
            yield from command_paths(cmd.commands[name], (*path, name))


def help_text(cli: click.Command, path: tuple[str, ...]) -> str:
    res = CliRunner().invoke(cli, [*path, "--help"], prog_name="relaxgen", terminal_width=WIDTH,
                             max_content_width=WIDTH)
    if res.exit_code != 0:
        raise RuntimeError(f"relaxgen {' '.join(path)} --help exited {res.exit_code}: {res.output}")
    return res.output.rstrip()


def generated(cli: click.Command) -> str:
    """The generated part: a section with the help of each command."""
    parts = []
    for path in command_paths(cli):
        parts.append(f"## relaxgen {' '.join(path)}".rstrip() + f"\n\n```\n{help_text(cli, path)}\n```\n")
    return "\n".join(parts)


def render(page: str, cli: click.Command) -> str:
    """``page`` with the text between START and END replaced by the help of today's commands."""
    head, found, rest = page.partition(START + "\n")
    _old, found_end, tail = rest.partition(END)
    if not (found and found_end):
        raise ValueError(f"{PAGE.name}: the START and END lines of the generated help are missing")
    return f"{head}{START}\n\n{generated(cli)}\n{END}{tail}"


def main(argv: list[str]) -> int:
    from generator.cli import cli

    page = PAGE.read_text(encoding="utf-8")
    new = render(page, cli)
    if "--check" in argv:
        if new != page:
            print(f"{PAGE} is out of date: run python docs/cli_help.py", file=sys.stderr)
            return 1
        return 0
    if new != page:
        PAGE.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
