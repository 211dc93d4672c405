"""``relaxgen scripts``: list the built-in scripts."""

from __future__ import annotations

import json
from typing import Any

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
    rows: list[dict[str, Any]] = []
    fronts: list[FrontMatter] = []
    for p in library_templates():
        fm = parse_front_matter(p.read_text(encoding="utf-8"), display(p))
        lang = fm.language or p.parent.name
        if language and lang != language:
            continue
        fronts.append(fm)
        rows.append({"name": p.stem, "language": lang, "title": fm.title, "description": fm.description,
                     "minutes": fm.minutes, "min_minutes": fm.min_minutes, "max_minutes": fm.max_minutes,
                     "options": [{"set": dict(o.sets), "min_minutes": o.min_minutes or fm.min_minutes,
                                  "max_minutes": o.max_minutes or fm.max_minutes} for o in fm.options]})
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r, fm in zip(rows, fronts, strict=True):
        rng = f"{r['min_minutes']:g}-{r['max_minutes']:g} min" if r["min_minutes"] and r["max_minutes"] else ""
        click.echo(f"{r['name']:<22} {r['language']:<3} {rng:<11} {r['title']}")
        if show_options:
            for o in fm.options:
                lo, hi = o.min_minutes or fm.min_minutes, o.max_minutes or fm.max_minutes
                sets = " ".join(f"--set {k}={v}" for k, v in o.sets)
                click.echo(f"{'':<27}{sets}" + (f" ({lo:g}-{hi:g} min)" if lo and hi else ""))


def register(cli: click.Group) -> None:
    cli.add_command(scripts_cmd)
