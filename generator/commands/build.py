"""``relaxgen build``: one template -> one tagged, chaptered MP3."""

from __future__ import annotations

from pathlib import Path

import click

from ..api import BuildOptions, build_session
from ..fsutil import remove_dead_temps
from ..paths import display
from ..policy import TARGET_LUFS
from ._options import (
    cache_option,
    engine_option,
    get_profile,
    include_option,
    jobs_option,
    minutes_option,
    profile_options,
    sounds_option,
)
from ._progress import progress_bar


@click.command()
@click.argument("template")
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The MP3 file to write.")
@profile_options
@minutes_option
@include_option
@sounds_option
@click.option("--bitrate", type=click.IntRange(32, 320), default=128, show_default=True, help="MP3 bitrate in kbps.")
@click.option("--mono", is_flag=True, help="Write a mono MP3 (smaller; the bed loses its width).")
@click.option("--lufs", "target_lufs", type=click.FloatRange(-40, -10), default=TARGET_LUFS, show_default=True,
              help="Integrated loudness target.")
@cache_option
@engine_option
@jobs_option
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def build(template: str, out: Path, profile_path: Path | None, sets: tuple[str, ...], minutes: float | None,
          include_dirs: tuple[Path, ...], sounds_dirs: tuple[Path, ...], bitrate: int, mono: bool, target_lufs: float, cache_dir: Path | None, engine: str | None,
          jobs: int | None, quiet: bool) -> None:
    """Build TEMPLATE (a file or a built-in script name) into an MP3.

    Example:

        relaxgen build belly-breathing -o output/belly.mp3 --set name=Anna --minutes 5
    """
    profile = get_profile(profile_path, sets)
    remove_dead_temps(out.parent)  # debris of a build killed earlier (SIGKILL, power loss)
    opts = BuildOptions(bitrate_kbps=bitrate, mono=mono, target_lufs=target_lufs, cache_dir=cache_dir, engine=engine,
                        jobs=jobs, include_dirs=include_dirs, sounds_dirs=sounds_dirs)
    with progress_bar(quiet, f"Building {display(out)}") as prog:
        res = build_session(template, out, profile, minutes, opts, progress=prog)
    if not quiet:
        m, s = divmod(round(res.timeline.total_ms / 1000), 60)
        click.echo(
            f"Wrote {display(res.path)}: {res.title}, {m}:{s:02d}, {len(res.timeline.chapters)} chapter{'' if len(res.timeline.chapters) == 1 else 's'}, "
            f"{res.mix.output_lufs_estimate:.1f} LUFS ({res.synthesized} clips spoken, {res.cached} from cache)"
        )
        click.echo(f"Voice {res.prepared.resolution.describe()}")


def register(cli: click.Group) -> None:
    cli.add_command(build)
