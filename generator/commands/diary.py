"""``relaxgen diary``: one offline report from the diaries listeners exported from their pack pages."""

from __future__ import annotations

from pathlib import Path

import click

from ..batch.manifest import load_manifest
from ..export.diaryreport import read_report, report_json, write_report_html
from ..paths import display
from ..script.practice import course_day


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the report here (HTML, works offline).")
@click.option("--course", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="The course manifest (TOML) the listeners practise: gives the days planned.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON on stdout.")
def diary(files: tuple[Path, ...], out: Path | None, course: Path | None, as_json: bool) -> None:
    """Report on practice diaries (CSV files exported from pack pages), of one or many listeners.

    Per listener: a chart of the tension before and after practising over the days (the
    listener's own ratings, 0-10), the mean change before -> after, and the days practised
    (of the days planned, with --course). A bad file stops with its name and row; then
    nothing is written.

    Example:

        relaxgen diary anna.csv ben.csv -o report.html --course scripts/courses/back-relief-14-days.toml
    """
    if out is None and not as_json:
        raise click.UsageError("give -o REPORT.html, --json, or both")
    m = load_manifest(course) if course else None
    planned = len({course_day(s.number, s.day) for s in m.sessions}) if m else None
    report = read_report(files, m.title if m else None, planned)
    if out is not None:
        write_report_html(report, out)
        click.echo(f"{len(report.listeners)} listener(s) from {len(files)} file(s) -> {display(out)}", err=True)
    if as_json:
        click.echo(report_json(report))


def register(cli: click.Group) -> None:
    cli.add_command(diary)
