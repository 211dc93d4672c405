"""``relaxgen demo``: build a small demo pack to listen to."""

from __future__ import annotations

from pathlib import Path

import click

from ..batch.course import build_pack
from ..batch.executors import make_executor
from ..batch.manifest import load_manifest
from ..paths import display, scripts_dir
from ..policy import TARGET_LUFS
from ..profile import Profile
from ._options import cache_option
from .course import finish, run_with, settings_from


@click.command()
@click.option("-o", "--output", "out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("output/demo"), show_default=True, help="Folder to write the demo pack into.")
@click.option("--name", default="", help="The listener's name, spoken in the greeting.")
@cache_option
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def demo(out: Path, name: str, cache_dir: Path | None, quiet: bool) -> None:
    """Build a short English demo pack: belly breathing (4 min) and a desk break (3 min).

    The folder gets the MP3s, playlist.m3u8, a cover and index.html (open it in
    a browser to play the pack offline).

    Example:

        relaxgen demo -o output/demo --name Anna
    """
    manifest = load_manifest(scripts_dir() / "packs" / "demo.toml")
    settings = settings_from({"cache_dir": cache_dir, "bitrate": 128, "mono": False, "target_lufs": TARGET_LUFS,
                              "engine": None, "split_chapters": False})
    ex = make_executor("local", None)
    profile = Profile(name=name, language="en")
    summary = run_with(ex, lambda rep: build_pack(manifest, profile, out, settings, ex, False, rep), quiet)
    finish(summary, None, quiet, out)
    if not quiet and summary.ok:
        click.echo(f"Open {display(out / 'index.html')} in a browser, or {display(out / 'playlist.m3u8')} in a player.")


def register(cli: click.Group) -> None:
    cli.add_command(demo)
