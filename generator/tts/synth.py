"""Synthesise the unique clips of a build (or pack, or course) through the cache."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..audio.clips import SR, process_engine_output
from ..model import ClipRequest
from .base import Engine, get_engine
from .cache import ClipCache


@dataclass(frozen=True)
class Clip:
    path: Path
    frames: int

    @property
    def dur_ms(self) -> float:
        return self.frames * 1000.0 / SR


@dataclass
class SynthStats:
    requested: int = 0
    synthesized: int = 0
    cached: int = 0
    texts: list[str] = field(default_factory=list)


ProgressFn = Callable[[int, int], None]


class Synthesizer:
    """Turns clip requests into cached, processed clips; one engine per name."""

    def __init__(self, cache: ClipCache, engines: dict[str, Engine] | None = None) -> None:
        self.cache = cache
        self._engines: dict[str, Engine] = dict(engines or {})
        self._versions: dict[str, str] = {}
        self.stats = SynthStats()

    def engine(self, name: str) -> Engine:
        if name not in self._engines:
            self._engines[name] = get_engine(name)
        return self._engines[name]

    def engine_version(self, name: str) -> str:
        if name not in self._versions:
            self._versions[name] = self.engine(name).version()
        return self._versions[name]

    def key(self, req: ClipRequest) -> str:
        return self.cache.key(req, self.engine_version(req.engine))

    def lookup(self, req: ClipRequest) -> Clip | None:
        hit = self.cache.get(self.key(req))
        return Clip(*hit) if hit else None

    def synthesize_all(self, reqs: Sequence[ClipRequest], progress: ProgressFn | None = None) -> dict[ClipRequest, Clip]:
        unique = list(dict.fromkeys(reqs))
        out: dict[ClipRequest, Clip] = {}
        todo: list[ClipRequest] = []
        for r in unique:
            c = self.lookup(r)
            if c is None:
                todo.append(r)
            else:
                out[r] = c
        self.stats.requested += len(unique)
        self.stats.cached += len(unique) - len(todo)
        if todo:
            with tempfile.TemporaryDirectory(prefix="relaxgen-tts-") as d:
                for i, r in enumerate(todo):
                    out[r] = self._one(r, Path(d) / f"clip{i}.wav")
                    if progress:
                        progress(i + 1, len(todo))
        return out

    def _one(self, req: ClipRequest, tmp: Path) -> Clip:
        self.engine(req.engine).synthesize(req, tmp)
        samples = process_engine_output(tmp, req.text)
        tmp.unlink(missing_ok=True)
        path, frames = self.cache.put(self.key(req), samples)
        self.stats.synthesized += 1
        self.stats.texts.append(req.text)
        return Clip(path, frames)
