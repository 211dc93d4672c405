"""Content-addressed clip cache on disk.

The key covers engine, engine version, voice, rate, pitch and the normalised
text, so changing pauses, beds, tags or order never re-synthesises speech.
Writes are atomic; a corrupt entry is detected and re-made.
"""

from __future__ import annotations

import hashlib
import shutil
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..audio.clips import SR, write_wav
from ..fsutil import atomic_path, atomic_write_text
from ..model import ClipRequest

KEY_VERSION = "1"


@dataclass(frozen=True)
class CacheInfo:
    path: Path
    entries: int
    bytes: int
    bed_bytes: int = 0  # built-in bed loops stored beside the clips (beds/)


class ClipCache:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def key(self, req: ClipRequest, engine_version: str) -> str:
        h = hashlib.sha256()
        for part in (KEY_VERSION, engine_version, *req.key_fields()):
            h.update(part.encode("utf-8"))
            h.update(b"\x1f")
        return h.hexdigest()

    def path(self, key: str) -> Path:
        return self.root / "clips" / key[:2] / f"{key}.wav"

    def get(self, key: str) -> tuple[Path, int] | None:
        """The clip's path and frame count, or None when missing or corrupt."""
        p = self.path(key)
        if not p.is_file():
            return None
        try:
            with wave.open(str(p), "rb") as w:
                ok = w.getframerate() == SR and w.getnchannels() == 1 and w.getsampwidth() == 2
                frames = w.getnframes()
            expected = 44 + frames * 2
            if not ok or frames <= 0 or p.stat().st_size < expected:
                raise wave.Error("bad header or truncated")
        except (OSError, EOFError, wave.Error):
            p.unlink(missing_ok=True)
            return None
        return p, frames

    def levels(self, clip: Path) -> tuple[float, float, int]:
        """A cached clip's levels (see ``mixer.measure_clip``), kept beside it in
        ``KEY.lvl`` (with the clip's size, so a remade clip is measured again)."""
        from ..audio.mixer import measure_clip

        side = clip.with_suffix(".lvl")
        try:
            size = clip.stat().st_size
            e, k, n, s = side.read_text(encoding="ascii").split()
            if int(s) == size:
                return float(e), float(k), int(n)
        except (OSError, ValueError):
            pass
        got = measure_clip(clip)
        try:
            atomic_write_text(side, f"{got[0]!r} {got[1]!r} {got[2]} {clip.stat().st_size}\n")
        except OSError:
            pass  # a cache we cannot write only costs time
        return got

    def put(self, key: str, samples: np.ndarray) -> tuple[Path, int]:
        dest = self.path(key)
        with atomic_path(dest, ".wav") as tmp:
            write_wav(tmp, samples, SR)
        return dest, int(samples.size)

    def info(self) -> CacheInfo:
        files = list((self.root / "clips").glob("*/*.wav")) if self.root.is_dir() else []
        beds = list((self.root / "beds").glob("*.npz")) if self.root.is_dir() else []
        return CacheInfo(self.root, len(files), sum(f.stat().st_size for f in files),
                         sum(f.stat().st_size for f in beds))

    def clear(self) -> int:
        """Remove every clip and the stored bed loops (rebuilt on the next build); returns
        the number of clips removed."""
        n = self.info().entries
        for sub in ("clips", "beds"):
            if (self.root / sub).is_dir():
                shutil.rmtree(self.root / sub)
        return n
