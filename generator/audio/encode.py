"""Stream float blocks into ffmpeg/libmp3lame; atomic: no finished-looking half file."""

from __future__ import annotations

import contextlib
import re
import subprocess
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import numpy as np

from ..errors import AudioError
from ..paths import display
from .ffmpeg import decode, ffmpeg_exe

DEFAULT_BITRATE = 128
_FF_PREFIX = re.compile(r"^\[[^\]]*@ 0x[0-9a-f]+\]\s*")  # "[out#0/mp3 @ 0x55...] "


class Mp3Encoder:
    """``with Mp3Encoder(tmp_path) as enc: enc.write(block)``; the caller renames on success."""

    def __init__(self, path: Path, sr: int = 44100, channels: int = 2, bitrate_kbps: int = DEFAULT_BITRATE) -> None:
        self.path = Path(path)
        self.sr = sr
        self.channels = channels
        self.bitrate = bitrate_kbps
        self.proc: subprocess.Popen[bytes] | None = None
        self._err = b""
        self._reader: threading.Thread | None = None

    def __enter__(self) -> Mp3Encoder:
        cmd = [
            ffmpeg_exe(), "-v", "error", "-nostdin", "-y",
            "-f", "f32le", "-ar", str(self.sr), "-ac", str(self.channels), "-i", "-",
            "-c:a", "libmp3lame", "-b:a", f"{self.bitrate}k", "-map_metadata", "-1",
            "-id3v2_version", "0", "-write_xing", "1", "-f", "mp3", str(self.path),
        ]
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        except OSError as e:
            raise AudioError(f"cannot start the MP3 encoder ({cmd[0]}): {e}") from None
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        return self

    def _drain(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        self._err = self.proc.stderr.read()

    def write(self, block: np.ndarray) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        try:
            self.proc.stdin.write(np.ascontiguousarray(block, dtype="<f4").tobytes())
        except (BrokenPipeError, OSError):
            self._fail("the MP3 encoder stopped while writing")

    def _fail(self, what: str) -> None:
        self.abort()
        if self._reader:
            self._reader.join(timeout=5)
        msg = self._err.decode("utf-8", "replace").strip()
        folder = display(self.path.parent)
        if "No space left on device" in msg:
            raise AudioError(f"{folder}: no space left on the device while writing the MP3; "
                             "free some space and run again")
        last = _FF_PREFIX.sub("", msg.splitlines()[-1]).strip() if msg else ""
        raise AudioError(f"{what}{': ' + last if last else ''} (writing into {folder}); "
                         "nothing was written, run again")

    def abort(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(OSError):
                self.proc.kill()
            with contextlib.suppress(Exception):
                self.proc.wait(timeout=5)
        with contextlib.suppress(OSError):
            self.path.unlink()

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        if self.proc is None:
            return
        if et is not None:
            self.abort()
            return
        assert self.proc.stdin is not None
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        rc = self.proc.wait()
        if self._reader:
            self._reader.join(timeout=5)
        if rc != 0:
            self._fail(f"the MP3 encoder failed (exit {rc})")


def mp3_round_trip(
    sr: int = 44100, bitrate_kbps: int = DEFAULT_BITRATE, channels: int = 2
) -> Callable[[np.ndarray], np.ndarray]:
    """A function that encodes float stereo samples with our settings and decodes them again."""

    def run(x: np.ndarray) -> np.ndarray:
        exe = ffmpeg_exe()
        with tempfile.TemporaryDirectory(prefix="relaxgen-cal-") as d:
            mp3 = Path(d) / "cal.mp3"
            data = x.mean(axis=1, keepdims=True) if channels == 1 else x
            try:
                enc = subprocess.run(
                    [exe, "-v", "error", "-nostdin", "-y", "-f", "f32le", "-ar", str(sr), "-ac", str(channels),
                     "-i", "-", "-c:a", "libmp3lame", "-b:a", f"{bitrate_kbps}k", str(mp3)],
                    input=np.ascontiguousarray(data, dtype="<f4").tobytes(), capture_output=True, check=False,
                )
            except OSError as e:
                raise AudioError(f"cannot start the MP3 encoder ({exe}): {e}") from None
            if enc.returncode != 0:
                lines = enc.stderr.decode("utf-8", "replace").strip().splitlines()
                last = _FF_PREFIX.sub("", lines[-1]).strip() if lines else ""
                if "No space left on device" in last:
                    last = "no space left on the device in the temporary folder"
                raise AudioError(f"the MP3 encoder failed (exit {enc.returncode}){': ' + last if last else ''}; "
                                 "nothing was written; check the ffmpeg installation (RELAXGEN_FFMPEG) and run again")
            y = decode(mp3, sr, 2)
        return y

    return run
