"""``relaxgen scripts``: list the built-in scripts."""

from __future__ import annotations

import json

import click

from ..check import library_templates
from ..paths import display
from ..script.render import parse_front_matter


@click.command(name="scripts")
@click.option("--language", type=click.Choice(["en", "de"]), default=None, help="Only this language.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def scripts_cmd(language: str | None, as_json: bool) -> None:
    """List the built-in scripts with title, language and length range.

    Example:

        relaxgen scripts --language de
    """
    rows = []
    for p in library_templates():
        fm = parse_front_matter(p.read_text(encoding="utf-8"), display(p))
        lang = fm.language or p.parent.name
        if language and lang != language:
            continue
        rows.append({"name": p.stem, "language": lang, "title": fm.title, "description": fm.description,
                     "minutes": fm.minutes, "min_minutes": fm.min_minutes, "max_minutes": fm.max_minutes})
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        rng = f"{r['min_minutes']:g}-{r['max_minutes']:g} min" if r["min_minutes"] and r["max_minutes"] else ""
        click.echo(f"{r['name']:<22} {r['language']:<3} {rng:<11} {r['title']}")


def register(cli: click.Group) -> None:
    cli.add_command(scripts_cmd)
