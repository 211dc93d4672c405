"""``relaxgen voices``: the voice profiles, what each speaks with here, and adding Piper voices."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ..paths import display
from ..tts.base import Engine, get_engine
from ..tts.voices import (
    ResolvedVoices,
    description,
    engine_voices,
    language_matches,
    load_voices,
    require_voice,
    resolved_status,
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


class _VoicesGroup(click.Group):
    """``voices [NAME]`` lists or checks profiles; ``voices add|download …`` are subcommands."""

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands:
            return "check", _check, args
        return super().resolve_command(ctx, args)


@click.group(cls=_VoicesGroup, invoke_without_command=True,
             subcommand_metavar="[NAME | add MODEL.onnx | download NAME]")
@click.option("--language", "-l", default=None, help="Only profiles and voices of this language (e.g. de).")
@click.option("--all", "show_all", is_flag=True, help="List the engine voices of every language.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def voices(ctx: click.Context, language: str | None, show_all: bool, as_json: bool) -> None:
    """List voice profiles (built-in, added and yours), what each one speaks with on this
    machine and why, and the engine voices here.

    A profile names an ordered preference (e.g. calm-en: a voice you added, then the
    neural voice of the 'neural' extra, then espeak-ng); the first one installed speaks.
    `relaxgen voices NAME` checks one profile (exit 1 if it cannot be used here).
    Your own profiles go in ~/.config/relaxgen/voices/*.toml.

    Example:

        relaxgen voices --language de

        relaxgen voices download de_DE-thorsten-medium

        relaxgen voices add ~/Downloads/de_DE-thorsten-medium.onnx
    """
    if ctx.invoked_subcommand is not None:
        return
    engines = _Engines()
    resolved = ResolvedVoices(load_voices())
    names = sorted(n for n, p in resolved.items() if language is None or language_matches(language, [p.language]))
    status = [resolved_status(resolved, n, engines) for n in names]
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
        via = f" via {s.via}" if s.via and s.via != p.name else ""
        line = f"  {p.name:<{w}}  {p.engine:<7}  {p.language:<5}  {p.rate_wpm:>4g} wpm  {mark}  {s.voice_id or '-'}{via}"
        desc = description(p)
        click.echo(line + (f"  ({desc})" if desc else ""))
        for note in (s.reason, s.note):
            if note:
                click.echo(f"  {'':<{w}}  {note}")
    click.echo(f"\nEngine voices on this machine ({'all languages' if langs is None else ', '.join(langs)}):")
    for eng, vs in offered.items():
        if isinstance(vs, str):
            click.echo(f"  {eng}: not available: {vs}")
            continue
        click.echo(f"  {eng}: {len(vs)} voice(s)")
        for v in vs:
            click.echo(f"    {v.id:<28} {v.name} [{', '.join(v.languages)}]")


@click.command("check", hidden=True)
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def _check(ctx: click.Context, name: str, as_json: bool) -> None:
    """Check that voice profile NAME can be used here (exit 1 if not)."""
    as_json = as_json or bool(ctx.parent and ctx.parent.params.get("as_json"))
    st = require_voice(name, _Engines())
    if as_json:
        click.echo(json.dumps(st.as_dict(), indent=2, ensure_ascii=False))
        return
    p = st.profile
    via = f" (via {st.via}: {st.reason})" if st.via and st.via != name else ""
    click.echo(f"{name}: {p.engine} voice '{st.voice_id}' ({p.language}, {p.rate_wpm:g} wpm) is available here"
               f"{via}." + (f" Note: {st.note}" if st.note else ""))


def _added(name: str, lang: str, profile: Path) -> None:
    click.echo(f"Added voice {name} ({lang}): profile {display(profile)}. calm-{lang} speaks with it from now on "
               f"(relaxgen voices --language {lang}).")


@voices.command("add")
@click.argument("model", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--name", default=None, help="The voice profile's name (default: the model's file name).")
def add(model: Path, name: str | None) -> None:
    """Register a Piper voice from MODEL.onnx (its MODEL.onnx.json beside it).

    The files are checked (config, language, sample rate, a test sentence), copied into
    your data folder ($XDG_DATA_HOME/relaxgen/voices) and given a voice profile; the
    calm profile of its language (calm-de, calm-en) prefers it from then on.

    Example:

        relaxgen voices add ~/Downloads/de_DE-thorsten-medium.onnx
    """
    from ..tts.voicestore import add_voice

    added = add_voice(model, name)
    _added(added.name, added.config.language, added.profile)


@voices.command("download")
@click.argument("name")
@click.option("--from", "url", default=None, metavar="URL",
              help="Base URL of the voice catalogue (voices.json); default: $RELAXGEN_VOICES_URL or the "
                   "public Piper voice repository.")
@click.option("-q", "--quiet", is_flag=True, help="No progress display.")
def download(name: str, url: str | None, quiet: bool) -> None:
    """Download Piper voice NAME (needs the network) and register it as `voices add` does.

    Size and MD5 are checked against the catalogue; run it again to resume a broken
    download. Offline, copy the files and use `relaxgen voices add` instead.

    Example:

        relaxgen voices download de_DE-thorsten-medium --from http://mirror.clinic.lan/piper-voices
    """
    from ..tts.voicedownload import download_voice

    shown: dict[str, int] = {}

    def progress(file: str, got: int, total: int) -> None:
        pct = 100 * got // max(1, total)
        if shown.get(file, -10) + 10 <= pct or (got == total and shown.get(file) != 100):
            shown[file] = pct
            click.echo(f"  {file}: {got / 1e6:.1f} of {total / 1e6:.1f} MB ({pct} %)", err=True)

    added = download_voice(name, url, None if quiet else progress)
    _added(added.name, added.config.language, added.profile)


def register(cli: click.Group) -> None:
    cli.add_command(voices)
