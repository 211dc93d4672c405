"""``relaxgen plan``: print the timed plan of a template."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..api import plan as plan_api
from ..script.fill import pieces
from ..script.planio import pieces_list, pieces_table, timeline_dict, timeline_table
from ._options import (
    cache_option,
    engine_option,
    get_profile,
    include_option,
    minutes_option,
    profile_options,
    sounds_option,
)


@click.command()
@click.argument("template")
@profile_options
@minutes_option
@include_option
@sounds_option
@click.option("--estimate", is_flag=True, help="Estimate speech lengths with each voice's calibrated estimate (no speech engine).")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@cache_option
@engine_option
def plan(template: str, profile_path: Path | None, sets: tuple[str, ...], minutes: float | None,
         include_dirs: tuple[Path, ...], sounds_dirs: tuple[Path, ...], estimate: bool, as_json: bool,
         cache_dir: Path | None, engine: str | None) -> None:
    """Print the timed plan of TEMPLATE: start, length, kind and text of every item.

    Without --estimate the speech is synthesised (and cached) so the times are exact.

    Example:

        relaxgen plan pmr-7 --minutes 15 --estimate
    """
    profile = get_profile(profile_path, sets)
    prep, tl = plan_api(template, profile, minutes, engine=engine, estimate=estimate, cache_dir=cache_dir,
                        include_dirs=list(include_dirs), sounds_dirs=list(sounds_dirs))
    title = prep.title
    ps = pieces(prep.steps)
    if as_json:
        click.echo(json.dumps({**timeline_dict(tl, title), "pieces": pieces_list(ps, prep.taken)},
                              ensure_ascii=False, indent=2))
    else:
        click.echo(timeline_table(tl, title))
        if ps:
            click.echo(pieces_table(ps, prep.taken))


def register(cli: click.Group) -> None:
    cli.add_command(plan)
