"""Codec study: LAME's algorithmic quality (``-q``, ffmpeg's ``-compression_level``) on relaxgen's material.

The material: real built sessions, spoken by the default English voice as it resolves
here (the neural Piper voice when the ``neural`` extra is installed, else espeak-ng),
each built over every built-in bed and without one, in stereo and with the mono option,
at 320 kbps (LAME ``-q 2``) and decoded: that PCM is the input. Several excerpts of
30 s are taken from different places of each session, each starting 2 s before the
first sentence after its place (so it has speech, the pause around it and the bed).

For each quality the whole input goes through relaxgen's own encoder
(:class:`generator.audio.encode.Mp3Encoder`, 128 kbps, 1 s blocks as the mixer feeds it),
timed (best of ``repeat``: wall seconds, and the encoder process's CPU seconds, which
other jobs on the machine change less), then decoded and compared with the input:

* **ViSQOL v3 audio mode** (``visqol-python``, a pure-Python port of Google's ViSQOL
  3.3.3; MOS-LQO 1-5) on each excerpt, resampled to the 48 kHz audio mode expects,
  stereo mixed down to one channel (ViSQOL scores one). Chosen over PESQ: the
  material is speech over a noise bed, which PESQ (a telephone-speech model, 16 kHz)
  does not judge, and ViSQOL's audio mode does. Deterministic; about 10 s per 30 s
  excerpt here. When it is not installed the scores are None.
* the **SNR** of the decoded file against the input over the whole session (dB), a
  cheap, deterministic cross-check;
* the **loudness drift**: integrated loudness of the decoded file minus the input's (LU).

:mod:`bench.codecstats` turns the rows into means and spreads per case and the decision.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

SR = 44100
BEDS: tuple[str, ...] = ("brown-noise", "pink-noise", "rain", "ocean", "drone", "none")
QUALITIES: tuple[int, ...] = (3, 7, 5, 2)  # 3 first: ffmpeg's default (its files equal -q 3's)
EXCERPT_S = 30.0
LEAD_S = 2.0  # an excerpt starts this long before its first sentence
Log = Callable[[str], None]


@dataclass(frozen=True)
class Plan:
    """What the study builds and measures."""

    sessions: tuple[tuple[str, float, tuple[float, ...]], ...]  # (script, minutes, excerpt places 0..1)
    beds: tuple[str, ...] = BEDS
    qualities: tuple[int, ...] = QUALITIES
    excerpt_s: float = EXCERPT_S
    engine: str | None = None  # None: the default voice as it resolves (neural when installed)
    repeat: int = 1  # encodes per quality (CPU-s change little with load; the qualities take turns)
    visqol: bool = True


# four excerpts of 30 s: two from a breathing practice, two from a body scan
FULL = Plan(sessions=(("belly-breathing", 6.0, (0.2, 0.6)), ("body-scan", 10.0, (0.3, 0.75))))
QUICK = Plan(sessions=(("desk-break", 2.0, (0.3,)),), beds=("rain",), qualities=(3, 7),
             excerpt_s=5.0, engine="fake", visqol=False)


@dataclass(frozen=True)
class Source:
    script: str
    bed: str
    channels: int
    path: Path
    excerpts_s: tuple[float, ...]  # excerpt starts (s)
    voice: str  # the voice profile that spoke, and its engine


def excerpt_starts(speech_starts_ms: list[float], total_ms: float, places: tuple[float, ...],
                   excerpt_s: float) -> tuple[float, ...]:
    """For each place (a fraction of the session): LEAD_S before the first sentence from
    there on, kept inside the session."""
    out = []
    latest = max(0.0, total_ms / 1000 - excerpt_s)
    for f in places:
        at = next((s for s in sorted(speech_starts_ms) if s >= f * total_ms), f * total_ms) / 1000
        out.append(round(min(latest, max(0.0, at - LEAD_S)), 3))
    return tuple(out)


def material(work: Path, plan: Plan, log: Log = print) -> list[Source]:
    """Every session of the plan over every bed, stereo and mono, as 320 kbps MP3s."""
    from generator.api import BuildOptions, build_session
    from generator.profile import Profile

    out = []
    for script, minutes, places in plan.sessions:
        for bed in plan.beds:
            for channels in (2, 1):
                path = work / f"codec-{script}-{bed}-{channels}.mp3"
                opts = BuildOptions(bitrate_kbps=320, mono=channels == 1, engine=plan.engine, encoder_quality=2,
                                    cache_dir=work / "cache" / "codec", encoders=1)
                t0 = time.perf_counter()
                built = build_session(script, path, Profile(bed=bed), minutes, opts)
                tl = built.timeline
                starts = excerpt_starts([s.start_ms for s in tl.speech], tl.total_ms, places, plan.excerpt_s)
                v = built.prepared.resolution
                out.append(Source(script, bed, channels, path, starts, f"{v.via} ({v.profile.engine})"))
                log(f"  built {path.name} ({tl.total_ms / 60000:.1f} min, {time.perf_counter() - t0:.0f} s)")
    return out


def _encode(x: Any, path: Path, channels: int, quality: int | None) -> tuple[float, float]:
    """Wall seconds and the encoder process's CPU seconds (it is reaped inside the ``with``)."""
    from generator.audio.encode import Mp3Encoder

    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with Mp3Encoder(path, SR, channels, 128, quality=quality) as enc:
        for i in range(0, len(x), SR):
            enc.write(x[i:i + SR])
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def _visqol_api() -> Any:
    try:
        from visqol import VisqolApi
    except ImportError:
        return None
    api = VisqolApi()
    api.create(mode="audio")
    return api


def _visqol(api: Any, ref: Any, deg: Any) -> float:
    import numpy as np

    from generator.audio.filters import resample_poly

    def at48(a: Any) -> Any:
        return resample_poly(np.asarray(a, dtype=np.float64).mean(axis=1), 160, 147)

    return float(api.measure_from_arrays(at48(ref), at48(deg), 48000).moslqo)


def integrated_lufs(x: Any, channels: int) -> float:
    from generator.audio.loudness import LoudnessMeter

    m = LoudnessMeter(SR, channels, true_peak=False)
    m.feed(x)
    return m.integrated_lufs()


def study(sources: list[Source], work: Path, plan: Plan, log: Log = print) -> list[dict[str, Any]]:
    """One row per source and quality; ``visqol`` holds one score per excerpt."""
    import numpy as np

    from generator.audio.ffmpeg import decode

    api = _visqol_api() if plan.visqol else None
    rows: list[dict[str, Any]] = []
    for src in sources:
        x = decode(src.path, SR, src.channels)
        ref_lufs = integrated_lufs(x, src.channels)
        spans = [slice(int(s * SR), int(s * SR) + int(plan.excerpt_s * SR)) for s in src.excerpts_s]
        for q in plan.qualities:
            out = work / f"codec-out-{q}.mp3"
            runs = [_encode(x, out, src.channels, q) for _ in range(max(1, plan.repeat))]
            y = decode(out, SR, src.channels)
            n = min(len(x), len(y))
            err = float(np.mean(np.square(y[:n] - x[:n])))
            snr = 10 * np.log10(float(np.mean(np.square(x[:n]))) / max(err, 1e-20))
            scores = [_visqol(api, x[e], y[e]) for e in spans] if api is not None else None
            rows.append({
                "script": src.script, "bed": src.bed, "channels": src.channels, "quality": q,
                "encode_s": min(w for w, _ in runs), "encode_cpu_s": min(c for _, c in runs),
                "audio_s": len(x) / SR, "snr_db": snr, "lufs_drift": integrated_lufs(y, src.channels) - ref_lufs,
                "length_ok": len(y) == len(x), "excerpts_s": list(src.excerpts_s), "visqol": scores,
            })
            out.unlink(missing_ok=True)
            vis = "" if scores is None else " ViSQOL " + " ".join(f"{v:.3f}" for v in scores)
            log(f"  {src.script} {src.bed} {'stereo' if src.channels == 2 else 'mono'} -q {q}: "
                f"{rows[-1]['encode_cpu_s']:.2f} CPU-s{vis}")
    return rows


def default_is_q3(work: Path) -> bool:
    """ffmpeg's default for libmp3lame writes the same file as ``-q 3`` (so 3 stands for it)."""
    import numpy as np

    x = (0.1 * np.random.default_rng(5).standard_normal((5 * SR, 2))).astype(np.float32)
    data = []
    for q in (None, 3):
        p = work / f"codec-default-{q}.mp3"
        _encode(x, p, 2, q)
        data.append(p.read_bytes())
        p.unlink()
    return data[0] == data[1]


def run(work: Path, plan: Plan, log: Log = print) -> dict[str, Any]:
    """The whole study: material, rows, per-case figures and the decision."""
    from .codecstats import aggregate, decide

    t0 = time.perf_counter()
    work.mkdir(parents=True, exist_ok=True)
    sources = material(work, plan, log)
    rows = study(sources, work, plan, log)
    for s in sources:
        s.path.unlink(missing_ok=True)
    cases = aggregate(rows)
    return {
        "plan": asdict(plan), "rows": rows, "cases": cases, "decision": decide(cases),
        "default_is_q3": default_is_q3(work), "voices": sorted({s.voice for s in sources}),
        "metric": f"ViSQOL v3 audio mode (visqol-python), MOS-LQO, on {plan.excerpt_s:g} s excerpts; "
                  "SNR and loudness drift over whole sessions; encode CPU-s of the encoder process",
        "seconds": time.perf_counter() - t0,
    }



def section(work: Path, quick: bool, log: Log = print) -> dict[str, Any]:
    """The bench's codec section (``python -m bench --only codec`` runs it alone). It speaks
    with the default voice as it resolves here whatever ``--engine`` says (the smoke run:
    the fake engine, no ViSQOL)."""
    from .codecstats import table

    plan = QUICK if quick else FULL
    beds = ", ".join(plan.beds)
    log(f"codec study (LAME -q {', '.join(map(str, plan.qualities))}; {beds}; stereo and mono, 128 kbps; "
        f"{sum(len(p) for _, _, p in plan.sessions)} excerpts of {plan.excerpt_s:g} s):")
    res = run(work / "codec", plan, log)
    for line in table(res).splitlines():
        log("  " + line)
    log(f"  the study took {res['seconds'] / 60:.1f} min")
    return res
