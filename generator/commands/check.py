"""``relaxgen check``: check templates (default: the whole built-in library)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..check import check_manifest, check_template, expand, library_manifests, library_templates
from ..errors import did_you_mean
from ..fsutil import atomic_write_text
from ..library_report import Measure, library_report, report_table
from ..paths import display
from ..profile import LANGUAGES
from ..script.render import builtin_names
from ._options import cache_option, engine_option


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("-q", "--quiet", is_flag=True, help="Print only problems.")
@click.option("--library-report", is_flag=True,
              help="Build the built-in scripts with the default voice and measure the audio: speech share, "
                   "longest unguided silence, words per minute, length (slow: minutes per script).")
@click.option("--script", "scripts", multiple=True, metavar="NAME", help="With --library-report: only this script "
              "(repeatable).")
@click.option("--language", "languages", multiple=True, type=click.Choice(LANGUAGES),
              help="With --library-report: only this language (repeatable).")
@click.option("--lengths", default="min,default,max", show_default=True,
              help="With --library-report: which of each script's lengths to build.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path), default=None,
              help="With --library-report: also write the measures as JSON to this file (- for stdout).")
@cache_option
@engine_option
def check(paths: tuple[Path, ...], quiet: bool, library_report: bool, scripts: tuple[str, ...],
          languages: tuple[str, ...], lengths: str, json_out: Path | None, cache_dir: Path | None,
          engine: str | None) -> None:
    """Check templates: render with a sample profile, parse, and fit every declared length.

    Without PATHS the whole built-in library is checked. Exit 1 if any problem is found.
    With --library-report, build the library and check it against the listening targets
    of docs/scripts.md instead.

    Example:

        relaxgen check scripts/en/my-session.j2

        relaxgen check --library-report --script body-scan --json report.json
    """
    if library_report:
        _library_report(scripts, languages, lengths, json_out, cache_dir, engine, quiet)
        return
    files = expand(paths) if paths else library_templates() + library_manifests()
    if not files:
        raise click.ClickException("no templates found to check")
    bad = 0
    for f in files:
        problems = check_manifest(f) if f.suffix == ".toml" else check_template(f)
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


def _library_report(scripts: tuple[str, ...], languages: tuple[str, ...], lengths: str, json_out: Path | None,
                    cache_dir: Path | None, engine: str | None, quiet: bool) -> None:
    which = [w.strip() for w in lengths.split(",") if w.strip()]
    bad = [w for w in which if w not in ("min", "default", "max")]
    if bad or not which:
        raise click.BadParameter("use min, default and/or max, comma-separated", param_hint="--lengths")
    known = set(builtin_names())
    unknown = [s for s in scripts if s not in known]
    if unknown:
        raise click.BadParameter(f"no built-in script '{unknown[0]}'{did_you_mean(unknown[0], sorted(known))}",
                                 param_hint="--script")

    def show(m: Measure) -> None:
        if not quiet:
            click.echo(report_table([m]).splitlines()[1], err=True)

    measures = library_report(scripts or None, languages or None, which, cache_dir, engine, show)
    if json_out is not None:
        text = json.dumps([m.to_dict() for m in measures], ensure_ascii=False, indent=2) + "\n"
        if str(json_out) == "-":
            click.echo(text, nl=False)
        else:
            atomic_write_text(json_out, text)
    click.echo(report_table(measures), err=json_out is not None and str(json_out) == "-")
    if any(not m.ok for m in measures):
        raise SystemExit(1)
