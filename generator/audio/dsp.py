"""Small shared DSP helpers: levels, ramps, the true-peak interpolator, decoding user files."""

from __future__ import annotations

import io
import math
import re
import subprocess
import threading
from pathlib import Path
from typing import IO, cast

import numpy as np

from ..errors import AudioError
from ..interrupts import popen
from ..paths import display
from .ffmpeg import INPUT_LIMITS, ffmpeg_exe
from .sigproc import firwin, sliding_max

SR = 44100

# 4x true-peak interpolator (BS.1770-4 Annex 2 style): a 49-tap windowed sinc with its
# cut-off at the original Nyquist, i.e. 12 taps per phase.  Its zeros at every 4th tap
# make phase 0 the input samples themselves; phases 1-3 are 12-tap FIRs, and
# phase r at input position c is the signal at time c + r/4:
#     p_r[c] = sum_q TP_PHASES[r-1][q] * x[c + 6 - q]      (needs x[c-5 .. c+6])
TP_UP = 4
_fir = firwin(TP_UP * 12 + 1, 1.0 / TP_UP)
TP_FIR: np.ndarray = _fir / _fir[len(_fir) // 2]
TP_PHASES: tuple[np.ndarray, ...] = tuple(TP_FIR[r::TP_UP][:12].copy() for r in range(1, TP_UP))
TP_HIST = 11  # input samples of history the phases need
TP_GAIN = max(float(np.abs(h).sum()) for h in TP_PHASES)  # |p_r[c]| <= TP_GAIN * max|x[c-5..c+6]|
_TP_ROWS = np.stack(TP_PHASES)[:, ::-1].copy()  # (3, 12): phase r applied to x[c-5 .. c+6]


def db_to_gain(db: float) -> float:
    return float(10.0 ** (db / 20.0))


def gain_to_db(g: float) -> float:
    return 20.0 * math.log10(g) if g > 0 else -math.inf


def rms(x: np.ndarray) -> float:
    """RMS over all samples (all channels together)."""
    if x.size == 0:
        return 0.0
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def rms_dbfs(x: np.ndarray) -> float:
    return gain_to_db(rms(x))


def rise(n: int) -> np.ndarray:
    """A raised-cosine ramp of ``n`` samples from 0 (first sample) towards 1 (float64)."""
    if n <= 0:
        return np.zeros(0)
    return 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / n)


def fade_edges(x: np.ndarray, in_n: int, out_n: int) -> np.ndarray:
    """Raised-cosine fade-in over ``in_n`` and fade-out over ``out_n`` samples (in place; returns x).

    The first sample becomes exactly 0 and the last sample exactly 0.
    """
    n = len(x)
    in_n = min(in_n, n)
    out_n = min(out_n, n)
    shape = (-1,) + (1,) * (x.ndim - 1)
    if in_n > 0:
        x[:in_n] *= rise(in_n).reshape(shape)
    if out_n > 0:
        x[n - out_n :] *= rise(out_n)[::-1].reshape(shape)
    return x


def interval_peaks(cat: np.ndarray, lo: int, hi: int, floor: float) -> np.ndarray:
    """Peak magnitude over all channels of the signal on [c, c+1) (the sample and its
    three 4x-interpolated values) for c in [lo, hi); float64, shape (hi - lo,).

    Where that peak cannot exceed ``floor`` the sample magnitude is returned instead
    (also <= floor), which skips the interpolation for most of a typical signal.
    ``cat`` is (n, channels); needs ``5 <= lo`` and ``hi <= len(cat) - 6``.
    """
    ch = cat.shape[1]
    mag = np.abs(cat[:, 0])
    for c in range(1, ch):
        np.maximum(mag, np.abs(cat[:, c]), out=mag)
    out = mag[lo:hi].astype(np.float64)
    near = sliding_max(mag, 12)[lo - 5 : hi - 5]  # max over [c-5, c+6]
    cand = np.flatnonzero(near * TP_GAIN > floor)
    if len(cand):
        # every channel's 12-sample windows [c-5, c+6] as rows (a strided view, gathered by
        # rows): one matrix product gives the three phases of all of them
        planar = np.ascontiguousarray(cat.T)
        step = planar.strides[1]
        rows = np.ndarray((ch, planar.shape[1] - 11, 12), planar.dtype, planar, 0,
                          (planar.strides[0], step, step))  # (ch, len-11, 12), read only here
        for i in range(0, len(cand), 1 << 15):
            cc = cand[i : i + (1 << 15)]
            win = rows[:, cc + lo - 5].reshape(-1, 12).astype(np.float64, copy=False)  # (ch*m, 12)
            phases = np.abs(_TP_ROWS @ win.T)  # (3, ch*m)
            best = phases.max(axis=0).reshape(ch, len(cc)).max(axis=0)
            out[cc] = np.maximum(out[cc], best)
    return out


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


def _drain(stream: IO[bytes], sink: list[bytes]) -> None:
    sink.append(stream.read())


def decode_file(path: str | Path, what: str, sr: int = SR, max_s: float = 600.0) -> np.ndarray:
    """Decode any audio file ffmpeg reads to float32 stereo (n, 2) at ``sr``, at most ``max_s`` seconds.

    The samples are read straight into one preallocated buffer, so memory is bounded by
    ``max_s`` (about 212 MB for 10 minutes), not by the file.  ``what`` names the use
    ("bed", "cue") in error messages.
    """
    p = Path(path)
    if not p.is_file():
        raise AudioError(
            f"{display(p)}: {what} file not found; check the path (relative paths are from the script's folder)"
        )
    if p.stat().st_size == 0:
        raise AudioError(
            f"{display(p)}: {what} file is empty; use a WAV, FLAC, OGG or MP3 file with sound in it"
        )
    cap = int(math.ceil(max_s * sr))
    cmd = [ffmpeg_exe(), "-v", "error", "-nostdin", *INPUT_LIMITS, "-i", str(p), "-t", f"{cap / sr:.6f}"]
    cmd += ["-vn", "-map", "0:a:0", "-f", "f32le", "-ac", "2", "-ar", str(sr), "-"]
    buf = np.empty((cap + sr, 2), dtype=np.float32)  # 1 s of slack for resampler overshoot
    raw = buf.reshape(-1).view(np.uint8).data
    got = 0
    err: list[bytes] = []
    try:
        proc = popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as e:
        raise AudioError(f"{display(p)}: cannot run ffmpeg to decode the {what} ({e})") from None
    assert proc.stdout is not None and proc.stderr is not None
    t = threading.Thread(target=_drain, args=(proc.stderr, err), daemon=True)
    t.start()
    try:
        while got < len(raw):
            k = cast(io.BufferedReader, proc.stdout).readinto(raw[got:])
            if not k:
                break
            got += k
        if got >= len(raw):
            proc.kill()
        proc.stdout.close()
        rc = proc.wait(timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        proc.kill()
        raise AudioError(f"{display(p)}: decoding the {what} failed ({e})") from None
    except BaseException:
        proc.kill()
        raise
    finally:
        t.join(timeout=5)
    if rc != 0 and got < len(raw):
        raise AudioError(
            f"{display(p)}: not a readable audio file ({_reason(b''.join(err), rc)}); "
            f"use a WAV, FLAC, OGG or MP3 {what} file"
        )
    n = min(got // 8, cap)
    if n == 0:
        raise AudioError(
            f"{display(p)}: {what} file contains no audio; use a WAV, FLAC, OGG or MP3 file with sound in it"
        )
    out = buf[:n] if n > 0.9 * len(buf) else buf[:n].copy()
    if not np.all(np.isfinite(out)):
        np.nan_to_num(out, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
    return out
