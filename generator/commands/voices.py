"""``relaxgen voices``: the voice profiles and the voices this machine's engines offer."""

from __future__ import annotations

import json
from typing import Any

import click

from ..tts.base import Engine, get_engine
from ..voices import (
    description,
    engine_voices,
    language_matches,
    load_voices,
    require_voice,
    voice_status,
)

DEFAULT_LANGUAGES = ["en", "de"]


class _Engines:
    """One engine instance per name, built on first use."""

    def __init__(self) -> None:
        self._e: dict[str, Engine] = {}

    def __call__(self, name: str) -> Engine:
        if name not in self._e:
            self._e[name] = get_engine(name)
        return self._e[name]


@click.command()
@click.argument("name", required=False)
@click.option("--language", "-l", default=None, help="Only profiles and voices of this language (e.g. de).")
@click.option("--all", "show_all", is_flag=True, help="List the engine voices of every language.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def voices(name: str | None, language: str | None, show_all: bool, as_json: bool) -> None:
    """List voice profiles (built-in and yours) and the engine voices on this machine.

    With NAME, check that one profile can be used here (exit 1 if not).
    Your own profiles go in ~/.config/relaxgen/voices/*.toml.

    Example:

        relaxgen voices --language de
    """
    engines = _Engines()
    if name:
        st = require_voice(name, engines)
        if as_json:
            click.echo(json.dumps(st.as_dict(), indent=2, ensure_ascii=False))
        else:
            click.echo(f"{name}: {st.profile.engine} voice '{st.voice_id}' ({st.profile.language}, "
                       f"{st.profile.rate_wpm:g} wpm) is available here." + (f" Note: {st.note}" if st.note else ""))
        return
    profiles = [p for p in load_voices().values() if language is None or language_matches(language, [p.language])]
    status = [voice_status(p, engines) for p in sorted(profiles, key=lambda p: p.name)]
    langs = None if show_all else ([language] if language else DEFAULT_LANGUAGES)
    offered = engine_voices(engines, langs)
    if as_json:
        data: dict[str, Any] = {
            "profiles": [s.as_dict() for s in status],
            "engines": {
                k: ({"installed": True, "voices": [{"id": v.id, "name": v.name, "languages": list(v.languages)}
                                                   for v in vs]}
                    if isinstance(vs, list) else {"installed": False, "note": vs})
                for k, vs in offered.items()
            },
        }
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    click.echo("Voice profiles:")
    w = max((len(s.profile.name) for s in status), default=4)
    for s in status:
        p = s.profile
        mark = "yes" if s.available else "NO "
        line = f"  {p.name:<{w}}  {p.engine:<7}  {p.language:<5}  {p.rate_wpm:>4g} wpm  {mark}  {s.voice_id or '-'}"
        desc = description(p)
        click.echo(line + (f"  ({desc})" if desc else ""))
        if s.note:
            click.echo(f"  {'':<{w}}  {s.note}")
    click.echo(f"\nEngine voices on this machine ({'all languages' if langs is None else ', '.join(langs)}):")
    for eng, vs in offered.items():
        if isinstance(vs, str):
            click.echo(f"  {eng}: not available: {vs}")
            continue
        click.echo(f"  {eng}: {len(vs)} voice(s)")
        for v in vs:
            click.echo(f"    {v.id:<28} {v.name} [{', '.join(v.languages)}]")


def register(cli: click.Group) -> None:
    cli.add_command(voices)
