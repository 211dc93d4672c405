"""``relaxgen cache info|clear``: the synthesis cache of spoken clips."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..paths import default_cache_dir, display
from ..tts.cache import ClipCache
from ._options import cache_option


def _human(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"


@click.group()
def cache() -> None:
    """The synthesis cache: spoken clips, reused by every build.

    Changing pauses, beds, tags or order never re-synthesises speech; changing
    the text, voice, rate, pitch or engine version does.

    Example:

        relaxgen cache info
    """


@cache.command()
@cache_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def info(cache_dir: Path | None, as_json: bool) -> None:
    """Show where the cache is, how many clips it holds and their size.

    Example:

        relaxgen cache info --json
    """
    i = ClipCache(cache_dir or default_cache_dir()).info()
    if as_json:
        click.echo(json.dumps({"path": str(i.path), "entries": i.entries, "bytes": i.bytes,
                               "bed_bytes": i.bed_bytes}))
    else:
        beds = f"; built-in bed loops {_human(i.bed_bytes)}" if i.bed_bytes else ""
        click.echo(f"{display(i.path)}: {i.entries} clips, {_human(i.bytes)}{beds}")


@cache.command()
@cache_option
def clear(cache_dir: Path | None) -> None:
    """Delete every cached clip and the stored built-in bed loops (the next build
    speaks everything again and regenerates its bed).

    Example:

        relaxgen cache clear --cache-dir /tmp/relaxgen-cache
    """
    c = ClipCache(cache_dir or default_cache_dir())
    beds = c.info().bed_bytes
    n = c.clear()
    extra = f" and {_human(beds)} of bed loops" if beds else ""
    click.echo(f"Removed {n} clips{extra} from {display(c.root)}")


def register(cli: click.Group) -> None:
    cli.add_command(cache)
