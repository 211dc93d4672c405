"""``relaxgen demo``: build a small demo pack to listen to."""

from __future__ import annotations

from pathlib import Path

import click

from ..api import BuildOptions, build_session
from ..paths import display
from ..profile import Profile
from ._options import cache_option
from ._progress import progress_bar

DEMO_SESSIONS = (("belly-breathing", 3.0, "01 Belly breathing.mp3"),)


@click.command()
@click.option("-o", "--output", "out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("output/demo"), show_default=True, help="Folder to write the demo into.")
@click.option("--name", default="", help="The listener's name, spoken in the greeting.")
@cache_option
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def demo(out: Path, name: str, cache_dir: Path | None, quiet: bool) -> None:
    """Build a short English demo (belly breathing, about 3 minutes) into a folder.

    Example:

        relaxgen demo -o output/demo
    """
    profile = Profile(name=name, language="en")
    for script, minutes, fname in DEMO_SESSIONS:
        target = out / fname
        with progress_bar(quiet, f"Building {display(target)}") as prog:
            res = build_session(script, target, profile, minutes, BuildOptions(cache_dir=cache_dir), progress=prog)
        if not quiet:
            click.echo(f"Wrote {display(res.path)} ({res.timeline.total_ms / 60000:.1f} min)")


def register(cli: click.Group) -> None:
    cli.add_command(demo)
