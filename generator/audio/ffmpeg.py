"""Find an ffmpeg binary (system first, then the imageio-ffmpeg wheel) and decode with it."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np

from ..errors import AudioError
from ..interrupts import run, shielded
from ..paths import display

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


def decode(path: str | Path, sr: int = 44100, channels: int = 2, max_seconds: float | None = None,
           start_s: float = 0.0) -> np.ndarray:
    """Decode any audio file (from ``start_s``, at most ``max_seconds``) to float32 of shape (n, channels)."""
    p = Path(path)
    if not p.is_file():
        raise AudioError(f"{display(p)}: no such audio file")
    cmd = [ffmpeg_exe(), "-v", "error", "-nostdin"]
    if start_s > 0:
        cmd += ["-ss", f"{start_s:.6f}"]
    cmd += [*INPUT_LIMITS, "-i", str(p)]
    if max_seconds is not None:
        cmd += ["-t", f"{max_seconds:.3f}"]
    cmd += ["-vn", "-f", "f32le", "-ac", str(channels), "-ar", str(sr), "-"]
    try:
        res = run(cmd, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise AudioError(f"{display(p)}: cannot decode: {e}") from None
    if res.returncode != 0:
        from .dsp import _reason

        raise AudioError(f"{display(p)}: not a readable audio file ({_reason(res.stderr, res.returncode)}); "
                         "use a WAV, FLAC, OGG or MP3 file")
    data = np.frombuffer(res.stdout, dtype="<f4")
    if data.size == 0:
        raise AudioError(f"{display(p)}: contains no audio; use a sound file with audio in it")
    return data.reshape(-1, channels).copy()
