"""The ``relaxgen`` command line: a thin shell over :mod:`generator.api`.

Errors are turned into one ``Error: ...`` line and exit 1 here, in one place;
bad flags exit 2 (click); tracebacks only with ``--debug``. Every command runs with the
stop signals owned (:mod:`generator.interrupts`): Ctrl-C, SIGTERM and SIGHUP stop it
cleanly with one line and exit ``128 + signal``. Commands live in
``generator/commands/`` (one module each, discovered automatically).
"""

from __future__ import annotations

import contextlib
import importlib
import pkgutil
import sys
from typing import Any

import click

from . import commands
from .errors import RelaxgenError
from .interrupts import Interrupted, owned_signals


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        debug = bool(ctx.params.get("debug"))
        try:
            with owned_signals():
                return super().invoke(ctx)
        except RelaxgenError as e:
            if debug:
                raise
            click.echo(f"Error: {e}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt as e:
            if debug:
                raise
            stop = e if isinstance(e, Interrupted) else Interrupted()
            by = "" if stop.what == "Ctrl-C" else f" by {stop.what}"
            with contextlib.suppress(OSError):  # SIGHUP: the terminal may be gone
                click.echo(f"Interrupted{by}. Finished files are kept; run the same command again to resume.",
                           err=True)
            ctx.exit(stop.exit_code)
        except BrokenPipeError:
            ctx.exit(0)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as e:  # a bug: still one line, and the way to learn more
            if debug:
                raise
            click.echo(
                f"Error: internal error ({type(e).__name__}: {e}). Nothing was written. "
                "Run 'relaxgen --debug ...' for the traceback and please report it.",
                err=True,
            )
            ctx.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.version_option(package_name="relaxgen")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """relaxgen: offline, personalised relaxation audio from scripts.

    Example:

        relaxgen build belly-breathing -o output/belly.mp3 --set name=Anna
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


for _mod in sorted(m.name for m in pkgutil.iter_modules(commands.__path__)):
    if not _mod.startswith("_"):
        importlib.import_module(f"{commands.__name__}.{_mod}").register(cli)


def main() -> None:
    try:
        cli(prog_name="relaxgen")
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
