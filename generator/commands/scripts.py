"""``relaxgen scripts``: list the built-in scripts."""

from __future__ import annotations

import json

import click

from ..check import library_templates
from ..paths import display
from ..script.render import FrontMatter, parse_front_matter


@click.command(name="scripts")
@click.option("--language", type=click.Choice(["en", "de"]), default=None, help="Only this language.")
@click.option("--options", "show_options", is_flag=True,
              help="Also list each script's documented options (--set values) and the lengths they reach.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (options included).")
def scripts_cmd(language: str | None, show_options: bool, as_json: bool) -> None:
    """List the built-in scripts with title, language and length range.

    Example:

        relaxgen scripts --language de --options
    """
    found: list[tuple[str, str, FrontMatter]] = []
    for p in library_templates():
        fm = parse_front_matter(p.read_text(encoding="utf-8"), display(p))
        lang = fm.language or p.parent.name
        if not language or lang == language:
            found.append((p.stem, lang, fm))
    if as_json:
        rows = [{"name": name, "language": lang, "title": fm.title, "description": fm.description,
                 "minutes": fm.minutes, "min_minutes": fm.min_minutes, "max_minutes": fm.max_minutes,
                 "options": [{"set": dict(o.sets), "min_minutes": lo, "max_minutes": hi}
                             for o in fm.options for lo, hi in [fm.range_for(o)]]}
                for name, lang, fm in found]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for name, lang, fm in found:
        rng = f"{fm.min_minutes:g}-{fm.max_minutes:g} min" if fm.min_minutes and fm.max_minutes else ""
        click.echo(f"{name:<22} {lang:<3} {rng:<11} {fm.title}")
        if show_options:
            for o in fm.options:
                lo, hi = fm.range_for(o)
                sets = " ".join(f"--set {k}={v}" for k, v in o.sets)
                click.echo(f"{'':<27}{sets}" + (f" ({lo:g}-{hi:g} min)" if lo and hi else ""))


def register(cli: click.Group) -> None:
    cli.add_command(scripts_cmd)
