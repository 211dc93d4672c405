"""Stream float blocks into ffmpeg/libmp3lame; atomic: no finished-looking half file.

The blocks go to the encoder through a feeder thread and a queue of a few blocks, so
the mixer renders the next blocks while the encoder works on the last ones: without
it both would take turns (a pipe holds 64 KB, 0.2 s of audio) and a build would cost
the mix time plus the encode time instead of the larger of the two.
"""

from __future__ import annotations

import contextlib
import queue
import re
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING

import numpy as np

from ..errors import AudioError
from ..interrupts import popen
from ..paths import display
from .ffmpeg import decode, ffmpeg_exe
from .mp3join import JoinError, join

if TYPE_CHECKING:
    from .master import Parts

DEFAULT_BITRATE = 128
# LAME's -q for each kind of output when a build sets none (--encoder-quality, a manifest's
# encoder_quality), from the codec study of 2026-12-06 (bench/codec.py; docs/performance.md,
# "The encoder's own work": the neural voice over every bed, four 30 s excerpts, ViSQOL audio
# mode). Stereo under a bed: -q 7, which does no noise shaping, loses up to 0.17 (ocean) and
# -q 3 up to 0.07 (brown noise) against the best setting there; -q 2 loses least (at most
# 0.031, pink noise) for 1.25x the encode time of -q 3. Mono, and outputs without a bed: -q 7
# scores as high as any (higher in mono under a bed) and encodes 1.5-2.4x faster than -q 3.
QUALITY_BY_OUTPUT: dict[str, int] = {
    "stereo with a bed": 2, "mono with a bed": 7, "stereo without a bed": 7, "mono without a bed": 7,
}
# the most common output's (stereo with a bed): where the output is not known (an encoder
# on its own, the dry run's calibration, the bench's encode floor)
DEFAULT_QUALITY = QUALITY_BY_OUTPUT["stereo with a bed"]
QUEUE_BLOCKS = 6  # blocks waiting for the encoder (1 s blocks: 6 s of audio, ~2 MB)
PIPE_BYTES = 1 << 20  # ask Linux for a 1 MB pipe (default 64 KB)
FEEDER_POLL_S = 0.1  # the feeder's longest wait for a block before it checks for an abort
_FF_PREFIX = re.compile(r"^\[[^\]]*@ 0x[0-9a-f]+\]\s*")  # "[out#0/mp3 @ 0x55...] "


def output_quality(channels: int, bed: bool, chosen: int | None = None) -> int:
    """The LAME -q to encode an output with: ``chosen`` when given, else the one for its
    kind (:data:`QUALITY_BY_OUTPUT`: stereo or mono, whether a bed plays)."""
    if chosen is not None:
        return chosen
    kind = ("stereo" if channels == 2 else "mono") + (" with a bed" if bed else " without a bed")
    return QUALITY_BY_OUTPUT[kind]


class Mp3Encoder:
    """``with Mp3Encoder(tmp_path) as enc: enc.write(block)``; the caller renames on success.

    ``quality``: LAME's algorithmic quality 0 (best, slowest) .. 9 (fastest), ffmpeg's
    ``-compression_level`` for libmp3lame; None leaves ffmpeg's default (LAME -q 3). A build
    picks it with :func:`output_quality`.
    """

    def __init__(self, path: Path, sr: int = 44100, channels: int = 2, bitrate_kbps: int = DEFAULT_BITRATE,
                 queue_blocks: int = QUEUE_BLOCKS, quality: int | None = DEFAULT_QUALITY) -> None:
        if quality is not None and not 0 <= quality <= 9:
            raise AudioError(f"the encoder quality must be 0 (best) to 9 (fastest), not {quality}")
        self.path = Path(path)
        self.sr = sr
        self.channels = channels
        self.bitrate = bitrate_kbps
        self.quality = quality
        self.proc: subprocess.Popen[bytes] | None = None
        self._err = b""
        self._reader: threading.Thread | None = None
        self._feeder: threading.Thread | None = None
        self._queue: queue.Queue[bytes | None] = queue.Queue(queue_blocks)
        self._broken = threading.Event()
        self._stop = threading.Event()  # abort: the feeder ends without writing more

    def __enter__(self) -> Mp3Encoder:
        cmd = [
            ffmpeg_exe(), "-v", "error", "-nostdin", "-y",
            "-f", "f32le", "-ar", str(self.sr), "-ac", str(self.channels), "-i", "-",
            "-c:a", "libmp3lame", "-b:a", f"{self.bitrate}k",
            *(["-compression_level", str(self.quality)] if self.quality is not None else []), "-map_metadata", "-1",
            "-id3v2_version", "0", "-write_xing", "1", "-f", "mp3", str(self.path),
        ]
        try:
            self.proc = popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        except OSError as e:
            raise AudioError(f"cannot start the MP3 encoder ({cmd[0]}): {e}") from None
        _grow_pipe(self.proc.stdin)
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        self._feeder = threading.Thread(target=self._feed, daemon=True)
        self._feeder.start()
        return self

    def _drain(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        self._err = self.proc.stderr.read()

    def _feed(self) -> None:
        """The feeder thread: queued blocks into the encoder's stdin (the GIL is free while
        it waits on the pipe).

        It waits for blocks with a timeout and checks ``_stop`` between them: an
        exception in the main thread between a ``Condition.notify`` waking this thread and
        removing it from the waiters (CPython, ``threading.py``) leaves a stale waiter
        behind that eats the next wake-up, so a sentinel put by :meth:`abort` may never
        wake a plain ``get``.
        """
        assert self.proc is not None and self.proc.stdin is not None
        while not self._stop.is_set():
            try:
                data = self._queue.get(timeout=FEEDER_POLL_S)
            except queue.Empty:
                continue
            if data is None or self._stop.is_set():
                return
            try:
                self.proc.stdin.write(data)
            except (BrokenPipeError, OSError, ValueError):
                self._broken.set()
                return

    def write(self, block: np.ndarray) -> None:
        assert self.proc is not None
        data = np.ascontiguousarray(block, dtype="<f4").tobytes()
        while not self._broken.is_set():
            try:
                self._queue.put(data, timeout=0.5)
                return
            except queue.Full:
                if self._feeder is None or not self._feeder.is_alive():
                    break
        self._fail("the MP3 encoder stopped while writing")

    def _stop_feeder(self) -> bool:
        """Let the feeder write what is queued and stop; False if the pipe broke."""
        if self._feeder is None:
            return True
        while self._feeder.is_alive():
            try:
                self._queue.put(None, timeout=0.5)
                break
            except queue.Full:
                continue
        self._feeder.join()
        self._feeder = None
        return not self._broken.is_set()

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
        self._stop.set()
        if self.proc is not None:
            with contextlib.suppress(OSError):
                self.proc.kill()
            with contextlib.suppress(Exception):
                self.proc.wait(timeout=5)
        if self._feeder is not None:  # the killed encoder breaks its pipe: the feeder ends
            while True:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break
            with contextlib.suppress(queue.Full):
                self._queue.put_nowait(None)
            self._feeder.join(timeout=5)
            self._feeder = None
        with contextlib.suppress(OSError):
            self.path.unlink()

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        if self.proc is None:
            return
        if et is not None:
            self.abort()
            return
        assert self.proc.stdin is not None
        if not self._stop_feeder():
            self._fail("the MP3 encoder stopped while writing")
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        rc = self.proc.wait()
        if self._reader:
            self._reader.join(timeout=5)
        if rc != 0:
            self._fail(f"the MP3 encoder failed (exit {rc})")


class Mp3PartEncoder:
    """Two :class:`Mp3Encoder` processes, one per part of a :class:`~.master.Parts`
    layout, joined into ``path`` when both finished (see :mod:`.mp3join`).

    ``joined`` is False after closing when the streams had no usable joint; then
    nothing is at ``path`` and the caller encodes in one stream. The part files live
    next to ``path`` and are gone afterwards, whatever happened.
    """

    def __init__(self, path: Path, parts: Parts, sr: int = 44100, channels: int = 2,
                 bitrate_kbps: int = DEFAULT_BITRATE, quality: int | None = DEFAULT_QUALITY) -> None:
        self.path = Path(path)
        self.parts = parts
        self.joined = False
        self._paths = [self.path.with_name(f"{self.path.name}.part{i}") for i in (1, 2)]
        # half the queue each: the mixer keeps two encoders busy with the same memory as one
        self._encoders = [Mp3Encoder(p, sr, channels, bitrate_kbps, QUEUE_BLOCKS // 2, quality) for p in self._paths]
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> Mp3PartEncoder:
        try:
            with contextlib.ExitStack() as stack:
                for e in self._encoders:
                    stack.enter_context(e)
                self._stack = stack.pop_all()
        except BaseException:
            self._remove_parts()
            raise
        return self

    def write_part(self, part: int, block: np.ndarray) -> None:
        self._encoders[part].write(block)

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        try:
            self._stack.__exit__(et, ev, tb)  # finishes (or on an error kills) both encoders
            if et is None:
                p = self.parts
                try:
                    join(self._paths[0], self._paths[1], p.b_start, p.total, p.joint, self.path)
                    self.joined = True
                except (JoinError, OSError) as e:
                    with contextlib.suppress(OSError):
                        self.path.unlink()
                    if isinstance(e, OSError):
                        raise AudioError(f"cannot write {display(self.path)} ({e.strerror or e}); "
                                         "nothing was written, run again") from None
        finally:
            self._remove_parts()

    def _remove_parts(self) -> None:
        for p in self._paths:
            with contextlib.suppress(OSError):
                p.unlink()


def _grow_pipe(f: IO[bytes] | None) -> None:
    """A bigger pipe to the encoder where the OS allows it (Linux F_SETPIPE_SZ)."""
    if f is None:
        return
    with contextlib.suppress(Exception):
        import fcntl

        fcntl.fcntl(f.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)


def read_back(path: Path, sr: int, channels: int) -> Callable[[int, int], np.ndarray]:
    """``(start, n) -> samples``: a span of the MP3 at ``path`` decoded again (the mixer
    measures the codec's loudness loss on it)."""

    def run(start: int, n: int) -> np.ndarray:
        try:
            return decode(path, sr, channels, max_seconds=n / sr, start_s=start / sr)
        except AudioError as e:  # decode's own advice is about user files: keep only ffmpeg's reason
            m = re.search(r"not a readable audio file \((.*)\); use a", str(e))
            why = m.group(1) if m else str(e).removeprefix(f"{display(path)}: ")
            raise AudioError(f"the MP3 just encoded could not be read back ({why}); nothing was written; "
                             "check the ffmpeg installation (RELAXGEN_FFMPEG) and run again") from None

    return run


def expected_loss_db(bitrate_kbps: int) -> float:
    """The loudness LAME usually removes from a mix at this bitrate (measured on speech
    with beds at 44.1 kHz, stereo and mono alike: 0.38-0.45 dB up to 160 kbps, 0.27 at
    192, none from 256); the first guess of the gain includes it."""
    if bitrate_kbps <= 160:
        return 0.43
    if bitrate_kbps < 256:
        return 0.27
    return 0.0
