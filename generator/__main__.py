"""``relaxgen`` and ``python -m generator``: the command line, with a quiet Ctrl-C even
while it is still loading.

Importing the command line takes a few tenths of a second (numpy, SciPy, Jinja); a
Ctrl-C then would print Python's traceback, so the import happens in here, where
:func:`main` can catch it. Nothing has started at that point: nothing to clean up.
"""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from .cli import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        sys.exit(130)
    cli_main()


if __name__ == "__main__":
    main()
