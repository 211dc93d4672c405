"""Find an ffmpeg binary (system first, then the imageio-ffmpeg wheel) and decode with it."""

from __future__ import annotations

import functools
import io
import math
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path
from typing import IO, cast

import numpy as np

from ..errors import AudioError
from ..interrupts import popen, shielded
from ..paths import display
from .levels import SR

# The demuxers an input may be read with: audio files only. A playlist (HLS .m3u8) or
# concat list would make ffmpeg open the files it names, outside the folders a sound file
# may come from (generator/script/sounds.py). Names: ``ffmpeg -formats``.
AUDIO_FORMATS = "wav,w64,flac,ogg,mp3,aiff,caf,aac,mov,matroska,wv"
INPUT_LIMITS = ["-format_whitelist", AUDIO_FORMATS]


@functools.cache
def ffmpeg_exe() -> str:
    """Path of an ffmpeg with libmp3lame: ``RELAXGEN_FFMPEG``, the system one, or imageio-ffmpeg's."""
    env = os.environ.get("RELAXGEN_FFMPEG")
    if env:
        if not Path(env).is_file():
            raise AudioError(f"RELAXGEN_FFMPEG={env} does not exist; unset it or point it at ffmpeg")
        return env
    if os.environ.get("RELAXGEN_NO_SYSTEM_FFMPEG") != "1":
        found = shutil.which("ffmpeg")
        if found:
            return found
    if os.environ.get("RELAXGEN_NO_FFMPEG_WHEEL") != "1":
        try:
            import imageio_ffmpeg

            with shielded():  # it runs 'ffmpeg -version': out of the terminal's reach too
                return str(imageio_ffmpeg.get_ffmpeg_exe())
        except (ImportError, RuntimeError):
            pass
    raise AudioError(
        "ffmpeg was not found: install the Python package 'imageio-ffmpeg' "
        "(pip install imageio-ffmpeg) or the system package (apt-get install ffmpeg)"
    )


def decode(path: str | Path, sr: int = SR, channels: int = 2, max_seconds: float | None = None,
           start_s: float = 0.0, what: str = "sound") -> np.ndarray:
    """Decode the first audio stream of any file ffmpeg reads (WAV, FLAC, OGG, MP3 …) to
    float32 of shape (n, channels) at ``sr``: from ``start_s``, at most ``max_seconds``.

    The samples are read straight into one buffer; with ``max_seconds`` it is allocated
    once at that size, so memory is bounded by ``max_seconds`` (about 212 MB for 10
    minutes of stereo), not by the file.  ``what`` names the file's use ("bed", "cue") in
    error messages, which say what is wrong with the file and what to use instead.
    """
    p = Path(path)
    if not p.is_file():
        raise AudioError(f"{display(p)}: {what} file not found")
    if p.stat().st_size == 0:
        raise AudioError(f"{display(p)}: the file is empty; use a sound file with audio in it")
    cap = None if max_seconds is None else int(math.ceil(max_seconds * sr))
    cmd = [ffmpeg_exe(), "-v", "error", "-nostdin"]
    if start_s > 0:
        cmd += ["-ss", f"{start_s:.6f}"]
    cmd += [*INPUT_LIMITS, "-i", str(p)]
    if cap is not None:
        cmd += ["-t", f"{cap / sr:.6f}"]
    cmd += ["-vn", "-map", "0:a:0", "-f", "f32le", "-ac", str(channels), "-ar", str(sr), "-"]
    try:
        proc = popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as e:
        raise AudioError(f"{display(p)}: cannot run ffmpeg to decode the {what} file ({e})") from None
    assert proc.stdout is not None and proc.stderr is not None
    err: list[bytes] = []
    t = threading.Thread(target=_drain, args=(proc.stderr, err), daemon=True)
    t.start()
    try:
        buf, got = _read_samples(cast(io.BufferedReader, proc.stdout), channels, sr, cap)
        full = cap is not None and got == buf.nbytes
        if full:  # the buffer holds all that was asked for: the rest is not needed
            proc.kill()
        proc.stdout.close()
        rc = proc.wait(timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        proc.kill()
        raise AudioError(f"{display(p)}: decoding the {what} file failed ({e})") from None
    except BaseException:
        proc.kill()
        raise
    finally:
        t.join(timeout=5)
    if rc != 0 and not full:
        raise AudioError(f"{display(p)}: not a readable audio file ({_reason(b''.join(err), rc)}); "
                         "use a WAV, FLAC, OGG or MP3 file")
    n = got // (4 * channels)
    if cap is not None:
        n = min(n, cap)
    if n == 0:
        raise AudioError(f"{display(p)}: contains no audio; use a sound file with audio in it")
    out = buf[:n] if n > 0.9 * len(buf) else buf[:n].copy()
    if not np.all(np.isfinite(out)):
        np.nan_to_num(out, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
    return out


GROW_FROM_S = 60.0  # without max_seconds: the buffer's first size, doubled while the file goes on


def _read_samples(stream: io.BufferedReader, channels: int, sr: int, cap: int | None) -> tuple[np.ndarray, int]:
    """Read ``stream`` into a float32 (rows, channels) buffer: (the buffer, bytes read).

    With ``cap`` the buffer holds ``cap`` samples and 1 s of slack for the resampler's
    overshoot, and reading stops when it is full; without, it grows until the stream ends.
    """
    buf = np.empty(((cap if cap is not None else int(GROW_FROM_S * sr)) + sr, channels), dtype=np.float32)
    got = 0
    while True:
        if got == buf.nbytes:
            if cap is not None:
                return buf, got
            buf = np.concatenate([buf, np.empty_like(buf)])
        k = stream.readinto(buf.reshape(-1).view(np.uint8).data[got:])
        if not k:
            return buf, got
        got += k


def _drain(stream: IO[bytes], sink: list[bytes]) -> None:
    sink.append(stream.read())


def _reason(stderr: bytes, rc: int) -> str:
    """ffmpeg's complaint in a few plain words, without its ``[demuxer @ 0x…]`` prefixes."""
    lines = [
        re.sub(r"^(\[[^\]]*\]\s*)+", "", ln).strip()
        for ln in stderr.decode("utf-8", "replace").splitlines()
    ]
    lines = [ln for ln in lines if ln]
    text = "\n".join(lines)
    if "matches no streams" in text:
        return "it has no audio stream"
    if "Invalid data found" in text:
        return "invalid data: not audio, or a damaged file"
    return lines[-1] if lines else f"ffmpeg exit status {rc}"
