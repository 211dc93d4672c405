"""Incremental builds: what made each output, so a rerun builds only what changed.

Every pack folder holds ``.relaxgen-build.json``: for each MP3 it built, the
hash of everything that made it and the dependencies behind that hash:

* ``static`` — known before building: program version, template path, the
  profile fields, minutes, title and tags, cover, encoder settings;
* ``deps`` — found while building: the text of the template and every file it
  included (sha256), bed and cue files, the voice profiles used, and the speech
  engine's version.

A rerun recomputes the hash from the current static inputs and the current
state of the recorded dependencies (cheap: no rendering, no speech) and
rebuilds only outputs whose hash changed, whose files are missing, or whose
MP3 no longer reads. The state file is written atomically after every output.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..audio.mpeg import mp3_readable
from ..fsutil import atomic_write_text

STATE_NAME = ".relaxgen-build.json"
FORMAT = "1"  # bump when the output files change for the same inputs
STATE_VERSION = 1


@functools.cache
def program_version() -> str:
    """relaxgen's package version plus the output format version (looked up once per process)."""
    try:
        from importlib.metadata import version

        v = version("relaxgen")
    except Exception:
        v = "0"
    return f"{v}+format{FORMAT}"


def canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def digest(data: Any) -> str:
    return hashlib.sha256(canonical(data).encode("utf-8")).hexdigest()


def output_hash(static_hash: str, deps: Mapping[str, Mapping[str, str]]) -> str:
    return digest({"static": static_hash, "deps": deps})


def file_sha(path: str | Path) -> str:
    """sha256 of a file's bytes ("missing" when it cannot be read)."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except OSError:
        return "missing"
    return h.hexdigest()


def text_sha(path: str | Path) -> str:
    """sha256 of a text file's UTF-8 text, as :mod:`generator.script.render` records template sources."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return "missing"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def voice_fingerprints(names: set[str] | list[str], engine: str | None) -> dict[str, str]:
    """Per voice profile, what it resolves to here and a hash of its settings (as the build sees
    them: preference resolved, engine override applied), so a build that would speak with another
    voice is rebuilt."""
    from ..tts.voices import ResolvedVoices, load_voices

    voices = ResolvedVoices(load_voices(), engine)
    out: dict[str, str] = {}
    for n in sorted(names):
        if n not in voices:
            out[n] = "missing"
            continue
        r = voices.resolution(n)
        d = dataclasses.asdict(r.profile)
        d.pop("source", None)
        if r.profile.engine != "fake":  # the estimate times plans, not a real engine's speech
            d.pop("estimate", None)
        out[n] = f"{r.profile.engine}:{r.via}:{digest(d)}"
    return out


class DepChecker:
    """The current state of recorded dependencies, each looked up once per run."""

    def __init__(self, engine: str | None = None) -> None:
        self.engine = engine
        self._texts: dict[str, str] = {}
        self._files: dict[str, str] = {}
        self._voices: dict[str, str] | None = None
        self._engines: dict[str, str] = {}

    def current(self, deps: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for kind, items in deps.items():
            out[kind] = {k: self._value(kind, k) for k in items}
        return out

    def _value(self, kind: str, key: str) -> str:
        if kind == "sources":
            if key not in self._texts:
                self._texts[key] = text_sha(key)
            return self._texts[key]
        if kind == "files":
            if key not in self._files:
                self._files[key] = file_sha(key)
            return self._files[key]
        if kind == "voices":
            if self._voices is None:
                from ..tts.voices import load_voices

                self._voices = voice_fingerprints(list(load_voices()), self.engine)
            return self._voices.get(key, "missing")
        if kind == "engines":
            if key not in self._engines:
                try:
                    from ..tts.base import get_engine

                    self._engines[key] = get_engine(key).version()
                except Exception:
                    self._engines[key] = "unavailable"
            return self._engines[key]
        return "unknown"


@dataclass(frozen=True)  # encoded once when saved (BuildState.save): never changed in place
class Record:
    """One built MP3 (and its sidecars / chapter files)."""

    hash: str
    static: str
    deps: dict[str, dict[str, str]]
    files: list[str]  # every file made by this output, relative to the pack folder
    size: int  # the MP3's size in bytes
    track: dict[str, Any] = field(default_factory=dict)  # TrackExport fields

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> Record:
        return Record(str(d["hash"]), str(d["static"]), {k: dict(v) for k, v in d["deps"].items()},
                      [str(x) for x in d["files"]], int(d["size"]), dict(d.get("track", {})))


class BuildState:
    """``FOLDER/.relaxgen-build.json``: output name (relative path) -> :class:`Record`."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / STATE_NAME
        self.records: dict[str, Record] = {}
        self._encoded: dict[str, tuple[Record, str]] = {}  # name -> (record, its JSON) as last written
        # the pack files as last written: {"key": what made them, "files": {name: [size, mtime_ns]}}
        self.pack: dict[str, Any] = {}
        self.outputs_sha = ""  # sha256 of the records' text as last read or written
        self._load()

    def _load(self) -> None:
        try:
            text = self.path.read_text(encoding="utf-8")
            data = json.loads(text)
            if data.get("version") != STATE_VERSION:
                return
            self.records = {k: Record.from_dict(v) for k, v in data.get("outputs", {}).items()}
            self.pack = dict(data.get("pack") or {})
            self.outputs_sha = hashlib.sha256(text.partition("\n")[2].encode("utf-8")).hexdigest()
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self.records = {}  # missing or unreadable: everything is rebuilt
            self.pack = {}

    def save(self) -> None:
        """Write the state: a JSON object with one output per line.  Each record is
        encoded once and kept (the state is saved after every output, so re-encoding
        all of them each time made a long pack quadratic)."""
        head = json.dumps({"version": STATE_VERSION, "program": program_version(), "pack": self.pack},
                          ensure_ascii=False)  # one line: the records follow, one a line
        lines = []
        for k, rec in sorted(self.records.items()):
            got = self._encoded.get(k)
            if got is None or got[0] is not rec:
                got = (rec, json.dumps(dataclasses.asdict(rec), ensure_ascii=False))
                self._encoded[k] = got
            lines.append(f"  {json.dumps(k, ensure_ascii=False)}: {got[1]}")
        for k in [k for k in self._encoded if k not in self.records]:
            del self._encoded[k]
        self.folder.mkdir(parents=True, exist_ok=True)
        body = ",\n".join(lines) + "\n}}\n"
        atomic_write_text(self.path, head[:-1] + ', "outputs": {\n' + body)
        self.outputs_sha = hashlib.sha256(body.encode("utf-8")).hexdigest()

    def pack_files_current(self, key: str) -> bool:
        """The pack files were written for ``key`` and are as they were written then."""
        if self.pack.get("key") != key:
            return False
        return _stats(self.folder, list(self.pack.get("files", {}))) == self.pack.get("files")

    def pack_files_written(self, key: str, names: list[str]) -> None:
        self.pack = {"key": key, "files": _stats(self.folder, names)}
        self.save()

    def put(self, name: str, record: Record) -> None:
        self.records[name] = record
        self.save()

    def forget(self, name: str) -> None:
        if self.records.pop(name, None) is not None:
            self.save()

    def up_to_date(self, name: str, static_hash: str, checker: DepChecker) -> bool:
        rec = self.records.get(name)
        if rec is None or rec.static != static_hash:
            return False
        if output_hash(static_hash, checker.current(rec.deps)) != rec.hash:
            return False
        mp3 = self.folder / name
        try:
            if mp3.stat().st_size != rec.size or rec.size <= 0:
                return False
        except OSError:
            return False
        if not all((self.folder / f).is_file() for f in rec.files):
            return False
        return mp3_readable(mp3)


def _stats(folder: Path, names: list[str]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for n in names:
        with contextlib.suppress(OSError):
            st = (folder / n).stat()
            out[n] = [st.st_size, st.st_mtime_ns]
    return out


PACKAGE = Path(__file__).parents[1]  # the generator package, not this stage alone


def code_files() -> list[Path]:
    """relaxgen's own source and templates: every stage of the generator package, so a change
    anywhere in how sessions and pack files are made counts."""
    return [p for p in sorted(PACKAGE.rglob("*"))
            if p.suffix in (".py", ".html", ".js", ".css", ".j2", ".txt", ".toml") and p.is_file()]


@functools.cache
def code_fingerprint() -> str:
    """sha256 of :func:`code_files` (once per process): pack files written by other code are
    written again, whatever its version number says."""
    h = hashlib.sha256()
    for p in code_files():
        h.update(p.relative_to(PACKAGE).as_posix().encode("utf-8") + b"\0" + p.read_bytes())
    return h.hexdigest()
