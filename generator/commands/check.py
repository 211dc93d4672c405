"""``relaxgen check``: check templates (default: the whole built-in library)."""

from __future__ import annotations

from pathlib import Path

import click

from ..check import check_template, expand, library_templates
from ..paths import display


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("-q", "--quiet", is_flag=True, help="Print only problems.")
def check(paths: tuple[Path, ...], quiet: bool) -> None:
    """Check templates: render with a sample profile, parse, and fit every declared length.

    Without PATHS the whole built-in library is checked. Exit 1 if any problem is found.

    Example:

        relaxgen check scripts/en/my-session.j2
    """
    files = expand(paths) if paths else library_templates()
    if not files:
        raise click.ClickException("no templates found to check")
    bad = 0
    for f in files:
        problems = check_template(f)
        for p in problems:
            click.echo(f"Problem: {p}", err=True)
        bad += len(problems)
        if not problems and not quiet:
            click.echo(f"ok  {display(f)}")
    if bad:
        click.echo(f"{bad} problem(s) in {len(files)} template(s)", err=True)
        raise SystemExit(1)
    if not quiet:
        click.echo(f"{len(files)} template(s) checked, no problems")


def register(cli: click.Group) -> None:
    cli.add_command(check)
