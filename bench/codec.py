"""Codec study: LAME's algorithmic quality (``-q``, ffmpeg's ``-compression_level``) on relaxgen's material.

The material is two sessions of a built-in script (``belly-breathing``, 3 minutes; the
smoke run: ``desk-break``, 2.5 minutes, the fake engine, no ViSQOL), one over the
rain bed and one without a bed, built at 320 kbps and decoded: that PCM is the input.
For each quality setting (``None`` = ffmpeg's default) and each output (stereo at
128 kbps, the mono option at 128 kbps) the input goes through relaxgen's own encoder
(:class:`generator.audio.encode.Mp3Encoder`, 1 s blocks as the mixer feeds it), timed
(best of ``repeat``), then decoded and compared with the input:

* **ViSQOL v3 audio mode** (``visqol-python``, a pure-Python port of Google's ViSQOL
  3.3.3; MOS-LQO 1-5) on an excerpt, resampled to the 48 kHz audio mode expects, mono
  mix-down. Chosen over PESQ: the material is speech over a noise bed, which PESQ
  (a telephone-speech model, 16 kHz) does not judge, and ViSQOL's audio mode does;
  `visqol-python` needs no compiler (PESQ's package is a C source distribution). It is
  slow (tens of seconds per excerpt here), hence the excerpt. When it is not installed
  the score is None.
* the **SNR** of the decoded file against the input over the whole material (dB), a
  cheap, deterministic cross-check;
* the **loudness drift**: integrated loudness of the decoded file minus the input's (LU).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

QUALITIES: tuple[int | None, ...] = (None, 2, 3, 5, 7)
SR = 44100


def material(work: Path, minutes: float, engine: str | None, script: str = "belly-breathing") -> dict[str, Path]:
    """The two input sessions as 320 kbps MP3s (decoded later)."""
    from generator.api import BuildOptions, build_session
    from generator.profile import Profile

    out = {}
    for name, bed in (("bed", "rain"), ("no-bed", "none")):
        path = work / f"codec-{name}.mp3"
        opts = BuildOptions(bitrate_kbps=320, engine=engine, cache_dir=work / "cache" / "codec", encoders=1)
        build_session(script, path, Profile(bed=bed), minutes, opts)
        out[name] = path
    return out


def _encode(x: Any, path: Path, channels: int, quality: int | None) -> float:
    from generator.audio.encode import Mp3Encoder

    t0 = time.perf_counter()
    with Mp3Encoder(path, SR, channels, 128, quality=quality) as enc:
        for i in range(0, len(x), SR):
            enc.write(x[i:i + SR])
    return time.perf_counter() - t0


def _visqol(ref: Any, deg: Any) -> float | None:
    try:
        from visqol import VisqolApi
    except ImportError:
        return None
    import numpy as np

    from generator.audio.sigproc import resample_poly

    api = VisqolApi()
    api.create(mode="audio")

    def at48(a: Any) -> Any:
        return resample_poly(np.asarray(a, dtype=np.float64).mean(axis=1), 160, 147)

    return float(api.measure_from_arrays(at48(ref), at48(deg), 48000).moslqo)


def integrated_lufs(x: Any, channels: int) -> float:
    from generator.audio.loudness import LoudnessMeter

    m = LoudnessMeter(SR, channels, true_peak=False)
    m.feed(x)
    return m.integrated_lufs()


def study(sources: dict[str, Path], work: Path, repeat: int = 2, excerpt_s: float = 8.0,
          use_visqol: bool = True) -> dict[str, Any]:
    import numpy as np

    from generator.audio.ffmpeg import decode

    rows: list[dict[str, Any]] = []
    for name, src in sources.items():
        for channels in (2, 1):
            x = decode(src, SR, channels)
            ref_lufs = integrated_lufs(x, channels)
            # the excerpt: from the middle of the session (speech, and the bed where there is one)
            mid = max(0, len(x) // 2 - int(excerpt_s * SR / 2))
            ex = slice(mid, mid + int(excerpt_s * SR))
            for q in QUALITIES:
                out = work / f"codec-{name}-{channels}-{q}.mp3"
                secs = min(_encode(x, out, channels, q) for _ in range(max(1, repeat)))
                y = decode(out, SR, channels)
                n = min(len(x), len(y))
                err = float(np.mean(np.square(y[:n] - x[:n])))
                snr = 10 * np.log10(float(np.mean(np.square(x[:n]))) / max(err, 1e-20))
                rows.append({
                    "material": name, "channels": channels, "quality": q, "encode_s": secs,
                    "audio_s": len(x) / SR, "x_realtime": len(x) / SR / secs, "snr_db": snr,
                    "lufs_drift": integrated_lufs(y, channels) - ref_lufs, "length_ok": len(y) == len(x),
                    "visqol": _visqol(x[ex], y[ex]) if use_visqol else None,
                })
                out.unlink(missing_ok=True)
    return {"rows": rows, "metric": "ViSQOL v3 audio mode (visqol-python), MOS-LQO, on an "
            f"{excerpt_s:g} s excerpt; SNR and loudness drift over the whole material"}


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per quality: encode speed against the default's, and the worst fidelity change against the
    default's over the materials and outputs (ViSQOL, SNR, loudness drift)."""
    out: dict[str, Any] = {}
    base = {(r["material"], r["channels"]): r for r in rows if r["quality"] is None}
    for q in QUALITIES:
        mine = [r for r in rows if r["quality"] == q]
        b = [base[(r["material"], r["channels"])] for r in mine]
        vis = [r["visqol"] - o["visqol"] for r, o in zip(mine, b, strict=True)
               if r["visqol"] is not None and o["visqol"] is not None]
        out[str(q)] = {
            "speedup": sum(o["encode_s"] for o in b) / sum(r["encode_s"] for r in mine),
            "visqol_change_min": min(vis) if vis else None,
            "snr_change_min_db": min(r["snr_db"] - o["snr_db"] for r, o in zip(mine, b, strict=True)),
            "lufs_drift_max": max(abs(r["lufs_drift"]) for r in mine),
        }
    return out
