"""``relaxgen pack``: every session of a pack for one listener, into one folder."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from ..batch.course import Summary, build_pack
from ..batch.dryrun import dry_run_pack
from ..batch.executors import make_executor
from ..batch.manifest import load_manifest
from ._options import get_profile, minutes_option, profile_options
from .course import batch_options, dry_run_done, finish, run_with, settings_from


@click.command()
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@profile_options
@minutes_option
@batch_options
@click.option("--reminders", is_flag=True,
              help="Also write reminders.ics: a calendar event for every session (a course always has it).")
def pack(manifest: Path, profile_path: Path | None, sets: tuple[str, ...], minutes: float | None, out: Path,
         jobs: int | None, executor: str, force: bool, report: Path | None, quiet: bool, reminders: bool,
         dry_run: bool, as_json: bool, **opts: Any) -> None:
    """Build the pack MANIFEST (TOML) for one listener into a folder.

    The folder gets the MP3s ("01 Title.mp3", tagged, chaptered, with .lrc and
    .srt), playlist.m3u8, the cover, README.txt and index.html (an offline
    player page). Reruns rebuild only what changed. --minutes gives every
    session that length instead of the manifest's.

    Example:

        relaxgen pack scripts/packs/back-relief-starter.toml --profile anna.toml -o output/anna
    """
    m = load_manifest(manifest)
    if minutes is not None:
        m = replace(m, sessions=tuple(replace(s, minutes=minutes) for s in m.sessions))
    profile = get_profile(profile_path, sets)
    settings = replace(settings_from(opts, m), reminders=reminders)
    if dry_run_done(dry_run, as_json, executor, jobs, out,
                    lambda w: dry_run_pack(m, profile, out, settings, w, force)):
        return
    ex = make_executor(executor, jobs)
    summary: Summary = run_with(ex, lambda rep: build_pack(m, profile, out, settings, ex, force, rep), quiet)
    finish(summary, report, quiet, out)


def register(cli: click.Group) -> None:
    cli.add_command(pack)
