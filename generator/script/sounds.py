"""Where sound files may be read from: the sandbox for ``[bed file=…]``, ``[cue file=…]``
and a listener's ``bed`` file.

Templates, profiles and listener CSVs may come from someone else, so a sound file
name is looked up only inside a few folders: for a template its own folder, the
``--sounds-dir`` folders, the ``-I`` folders, ``scripts/_lib/`` and ``scripts/``; for
a listener's bed the profile file's (or CSV's) folder and the ``--sounds-dir``
folders. A name that leads out of them (an absolute path, ``~``, a ``..`` that
climbs out, a symbolic link that points out) is refused before anything outside
is looked at: the path is walked one component at a time and each link is read
only while the walk is still inside, so the refusal is the same whether such a
file exists or not.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import RelaxgenError
from ..paths import display, include_folders

MAX_LINKS = 40  # symbolic links followed for one name (a loop ends here)
ALLOW_HINT = "allow its folder with --sounds-dir DIR and name the file relative to that folder"


@dataclass(frozen=True)
class SoundFolders:
    """The folders sound file names are looked up in, in order; names are written
    relative to the first (the template's, profile's or CSV's folder)."""

    folders: tuple[Path, ...]
    described: str  # the folders as an error message names them

    def find(self, name: str, what: str, fail: Callable[[str], RelaxgenError]) -> Path:
        """The real path of the sound file ``name`` (``what``: "bed", "cue"); raises
        ``fail(message)`` when the name leads outside the folders or no folder holds it."""
        roots = tuple(Path(os.path.realpath(f)) for f in self.folders if f.is_dir())
        first = Path(name).parts[:1]
        refused = not roots or Path(name).is_absolute() or bool(first and first[0].startswith("~"))
        for root in () if refused else roots:
            real = _walk(root, name, roots)
            if real is None:
                refused = True
                break
            if real.is_file():
                return real
        if refused:
            raise fail(f"{name}: {what} files are read only from {self.described}, and this name leads "
                       f"outside them; copy the file into the first of them, or {ALLOW_HINT}")
        looked = ", ".join(display(r) for r in roots)
        raise fail(f"{name}: {what} file not found (looked in {looked}); put it next to the "
                   f"template, or {ALLOW_HINT}")


def template_sounds(template: Path, include_dirs: Sequence[Path] = (), sounds_dirs: Sequence[Path] = ()) -> SoundFolders:
    """Where a template's ``[bed file=…]`` and ``[cue file=…]`` are found: its own folder,
    then ``--sounds-dir`` folders, then the folders its includes come from."""
    own, *rest = include_folders(template, include_dirs)
    return SoundFolders((own, *sounds_dirs, *rest),
                        "the template's folder, --sounds-dir folders, -I folders and scripts/")


def listener_sounds(folder: Path, sounds_dirs: Sequence[Path] = ()) -> SoundFolders:
    """Where a listener's bed file is found: ``folder`` (the profile file's or the CSV's),
    then ``--sounds-dir`` folders."""
    return SoundFolders((folder, *sounds_dirs), "the profile's (or CSV's) folder and --sounds-dir folders")


def _inside(p: Path, roots: tuple[Path, ...]) -> bool:
    return any(p == r or r in p.parents for r in roots)


def _above(p: Path, roots: tuple[Path, ...]) -> bool:
    """``p`` is a folder on the way to a root (real folders: none of them is a link)."""
    return any(p in r.parents for r in roots)


def _walk(start: Path, name: str, roots: tuple[Path, ...]) -> Path | None:
    """Where ``name`` leads from the real folder ``start``, resolving links one step at a
    time; None as soon as a step leaves ``roots`` (that step is never looked at)."""
    cur = start
    todo = list(reversed(Path(name).parts))
    links = 0
    while todo:
        part = todo.pop()
        if part in ("", "."):
            continue
        cur = cur.parent if part == ".." else cur / part
        if _above(cur, roots):
            continue
        if not _inside(cur, roots):
            return None
        if not os.path.islink(cur):
            continue
        links += 1
        if links > MAX_LINKS:
            return None
        try:
            target = Path(os.readlink(cur))
        except OSError:
            return None
        cur = Path(target.anchor) if target.is_absolute() else cur.parent
        todo.extend(reversed(target.parts[1:] if target.is_absolute() else target.parts))
    return cur if _inside(cur, roots) else None
