"""The benchmark suite: floors, cold and warm builds, the peer way, memory, course, cache."""

from __future__ import annotations

import datetime
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import SESSION_TEMPLATE
from .memory import MB, Measured, run_inline, run_task
from .voice import voice_targets

Log = Callable[[str], None]

LISTENERS: tuple[dict[str, Any], ...] = (
    {"name": "Anna"},
    {"name": "Ben"},
    {"name": "Clara", "skip": ["neck"]},
    {"name": "David"},
)


@dataclass(frozen=True)
class Config:
    minutes: float = 20.0  # the session of the floors, cold/warm builds and the peer way
    memory_minutes: tuple[float, ...] = (10.0, 30.0, 60.0)
    course_days: int = 14
    course_listeners: int = 4
    course_minutes: float = 2.0
    jobs: tuple[int, ...] = (1, 2)
    repeat: int = 2  # floors and builds: best of N (interleaved)
    engine: str | None = "pyttsx3"  # espeak-ng (the floors and ratios below are measured on it); None: as the voices resolve
    template: str = str(SESSION_TEMPLATE)
    quick: bool = False
    profile_dir: str | None = None  # pyinstrument text reports of the builds
    bed: str | None = None  # None: the script's bed (rain); the warm rebuild switches it to ocean
    inline: bool = False  # run floors/builds/peer in this process (smoke runs: no start-up cost)
    coordinator_listeners: tuple[int, ...] = (500, 1000, 2000)  # x coordinator_days sessions, all up to date
    coordinator_days: int = 14


QUICK = Config(
    minutes=1.0, memory_minutes=(1.0, 1.5), course_days=1, course_listeners=2,
    course_minutes=1.0, repeat=1, engine="fake", quick=True, bed="none", inline=True,
    coordinator_listeners=(3, 6, 12), coordinator_days=2,
)


@dataclass
class Suite:
    cfg: Config
    work: Path
    log: Log
    figures: dict[str, Any] = field(default_factory=dict)

    def task(self, kind: str, name: str, **spec: Any) -> Measured:
        spec = {"kind": kind, "template": self.cfg.template, "engine": self.cfg.engine, **spec}
        if self.cfg.profile_dir and kind in ("build", "peer"):
            Path(self.cfg.profile_dir).mkdir(parents=True, exist_ok=True)
            spec["profile_to"] = str(Path(self.cfg.profile_dir) / f"{name}.txt")
        inline = self.cfg.inline and kind not in ("course", "coordinator") and not name.endswith("-minute session")
        m = run_inline(spec) if inline else run_task(spec)
        self.log(f"  {name:<28} {m.result['seconds']:8.2f} s   peak RSS {m.peak_tree_mb:7.1f} MB")
        return m

    def cache(self, name: str) -> str:
        p = self.work / "cache" / name
        if p.exists():
            shutil.rmtree(p)
        return str(p)


def figures(m: Measured) -> dict[str, Any]:
    r = dict(m.result)
    r.pop("per_session", None)
    return {
        **r,
        "wall_s": m.wall_s,
        "peak_tree_mb": m.peak_tree_rss / MB,
        "peak_self_mb": m.peak_self_rss / MB,
        "maxrss_self_mb": r.pop("maxrss_self", 0) / MB,
        "maxrss_children_mb": r.pop("maxrss_children", 0) / MB,
        "rss_samples": m.samples,
    }


def best(runs: list[Measured]) -> dict[str, Any]:
    """The fastest of the runs, with every run's seconds and peak for the record."""
    b = min(runs, key=lambda m: float(m.result["seconds"]))
    out = figures(b)
    out.pop("maxrss_self", None)
    out.pop("maxrss_children", None)
    out["runs_s"] = [round(float(m.result["seconds"]), 3) for m in runs]
    out["runs_peak_mb"] = [round(m.peak_tree_rss / MB, 1) for m in runs]
    out["peak_tree_mb"] = max(m.peak_tree_rss for m in runs) / MB
    return out


def decode_to_pcm(mp3: Path, pcm: Path) -> None:
    from generator.audio.ffmpeg import ffmpeg_exe

    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-nostdin", "-y", "-i", str(mp3), "-f", "f32le", "-ac", "2",
         "-ar", "44100", str(pcm)],
        check=True,
    )


def run_suite(cfg: Config, work: Path, log: Log = print) -> dict[str, Any]:
    """Run every measurement in ``work``. Built-in bed loops are made first (untimed) in
    ``work/cache/home``, where ``RELAXGEN_CACHE`` points for every task: a build uses the
    default cache's loops whatever its own cache, as an installed relaxgen has them after
    its first build, and the bench leaves the user's cache alone."""
    old = os.environ.get("RELAXGEN_CACHE")
    os.environ["RELAXGEN_CACHE"] = str(work / "cache" / "home")  # inherited by every task
    try:
        if not cfg.quick:
            from generator.audio.beds import BED_NAMES, builtin_bed

            for name in {"rain", "ocean", cfg.bed or "rain"} & set(BED_NAMES):
                builtin_bed(name)
        return _run_suite(cfg, work, log)
    finally:
        if old is None:
            os.environ.pop("RELAXGEN_CACHE", None)
        else:
            os.environ["RELAXGEN_CACHE"] = old


def _run_suite(cfg: Config, work: Path, log: Log) -> dict[str, Any]:
    s = Suite(cfg, work, log)
    work.mkdir(parents=True, exist_ok=True)
    mins = cfg.minutes
    prof: dict[str, Any] = {"minutes": mins}
    if cfg.bed is not None:
        prof["bed"] = cfg.bed
    changed = {**prof, "bed": "ocean"} if cfg.bed is None else {**prof, "bed_level": -20.0}
    out: dict[str, Any] = {"meta": meta(cfg), "config": asdict(cfg)}

    # -- 1 + 2: cold build, floors, warm rebuild (interleaved, best of N)
    log(f"floors and builds ({mins:g}-minute session, best of {cfg.repeat}):")
    bed = work / "peer-bed.wav"
    from .peer import write_bed_wav

    write_bed_wav(bed)
    cold: list[Measured] = []
    warm: list[Measured] = []
    enc: list[Measured] = []
    syn: list[Measured] = []
    peer: list[Measured] = []
    pcm = work / "floor.f32"
    for i in range(cfg.repeat):
        cache = s.cache(f"session{i}")
        cold.append(s.task("build", f"cold build #{i + 1}", cache=cache, out=str(work / "cold.mp3"), profile=prof, minutes=mins))
        if i == 0:
            decode_to_pcm(work / "cold.mp3", pcm)
        enc.append(s.task("encode", f"encode floor #{i + 1}", pcm=str(pcm), out=str(work / "floor.mp3")))
        warm.append(s.task("build", f"warm rebuild #{i + 1}", cache=cache, out=str(work / "warm.mp3"),
                           profile=changed, minutes=mins))
        syn.append(s.task("synth", f"synthesis floor #{i + 1}", cache=s.cache(f"synth{i}"), profile=prof, minutes=mins))
        peer.append(s.task("peer", f"peer way (pydub) #{i + 1}", cache=cache, out=str(work / "peer.mp3"),
                           profile=prof, minutes=mins, bed_wav=str(bed)))
    pcm.unlink(missing_ok=True)
    e, y, c, w, p = best(enc), best(syn), best(cold), best(warm), best(peer)
    floors = e["seconds"] + y["seconds"]
    out["floors"] = {
        "encode": {**e, "x_realtime": e["audio_s"] / e["seconds"]},
        "synth": {**y, "x_realtime": y["speech_s"] / y["seconds"]},
        "sum_s": floors,
    }
    out["builds"] = {
        "cold": c,
        "warm": w,
        "ratios": {
            "cold_to_encode": c["seconds"] / e["seconds"],
            "cold_to_floors": c["seconds"] / floors,
            "warm_to_encode": w["seconds"] / e["seconds"],
            "warm_to_floors": w["seconds"] / floors,
            # against encoding the same PCM as two parts on two cores (what the builds do)
            "cold_to_two_part": c["seconds"] / e["two_part_s"],
            "warm_to_two_part": w["seconds"] / e["two_part_s"],
        },
    }
    out["peer"] = {
        **p,
        "speedup": p["seconds"] / w["seconds"],
        "memory_ratio": w["peak_tree_mb"] / p["peak_tree_mb"],
        "compared_with": "warm rebuild (both take their speech from the same clip cache)",
    }

    # -- 3b: voices (quality, speed, memory per worker) and builds with the neural voice
    from .voice import neural_installed, run_voices

    log("voices (English profiles as resolved here):")
    out["voices"] = run_voices(cfg.quick, work / "voices", log)
    if not cfg.quick and neural_installed():
        ncache = s.cache("neural")
        nc = s.task("build", "cold build, neural voice", cache=ncache, out=str(work / "ncold.mp3"), profile=prof,
                    minutes=mins, engine=None)
        nw = s.task("build", "warm rebuild, neural voice", cache=ncache, out=str(work / "nwarm.mp3"),
                    profile=changed, minutes=mins, engine=None)
        out["voices"]["builds"] = {"cold": figures(nc), "warm": figures(nw),
                                   "cold_to_espeak": nc.result["seconds"] / c["seconds"],
                                   "warm_to_espeak": nw.result["seconds"] / w["seconds"]}

    # -- 4: memory
    log("memory (cold builds, whole process tree):")
    mem: dict[str, Any] = {}
    for m in cfg.memory_minutes:
        r = s.task("build", f"{m:g}-minute session", cache=s.cache(f"mem{m:g}"), out=str(work / f"mem{m:g}.mp3"),
                   profile={**prof, "minutes": m}, minutes=m)
        mem[f"{m:g}"] = figures(r)
    out["memory"] = mem

    # -- 5 + 6: course
    log(f"course ({cfg.course_days} sessions x {cfg.course_listeners} listeners, {cfg.course_minutes:g} min each):")
    course: dict[str, Any] = {}
    per: dict[int, list[dict[str, Any]]] = {}
    listeners = []
    for i in range(cfg.course_listeners):
        base = LISTENERS[i % len(LISTENERS)]
        listeners.append(base if i < len(LISTENERS) else {**base, "name": f"{base['name']} {i + 1}"})
    for j in cfg.jobs:
        r = s.task("course", f"course -j {j}", cache=s.cache(f"course-j{j}"), out_dir=str(work / f"course-j{j}"),
                   listeners=listeners, base_profile={"bed": cfg.bed} if cfg.bed else {}, days=cfg.course_days, minutes=cfg.course_minutes, jobs=j)
        course[f"j{j}"] = figures(r)
        per[j] = r.result["per_session"]
        shutil.rmtree(work / f"course-j{j}", ignore_errors=True)
        shutil.rmtree(work / f"course-j{j}-src", ignore_errors=True)
    j_lo, j_hi = min(cfg.jobs), max(cfg.jobs)
    course["speedup"] = course[f"j{j_hi}"]["sessions_per_min"] / course[f"j{j_lo}"]["sessions_per_min"]
    from .machine import parallel_capacity

    cap = parallel_capacity(j_hi, n=2_000_000 if cfg.quick else 20_000_000, repeat=1 if cfg.quick else 5)
    log(f"  machine: {j_hi} busy processes at once do {cap['capacity']:.2f}x the work of one")
    out["machine"] = cap
    course["efficiency"] = course["speedup"] / cap["capacity"]
    # a course is MP3 encoding above all: its -j 2 against two encoders at once in this run
    two = out["floors"]["encode"]["seconds"] / out["floors"]["encode"].get("two_part_s", out["floors"]["encode"]["seconds"])
    course["of_two_encoders"] = course["speedup"] / two
    out["course"] = course
    out["cache"] = cache_figures(per[j_lo])
    out["coordinator"] = coordinator(s)
    out["codec"] = codec(s)
    out["targets"] = targets(out, cfg)
    return out


def codec(s: Suite) -> dict[str, Any]:
    """LAME's quality settings on relaxgen's material (``bench/codec.py``)."""
    from .codec import material, study, summarize

    s.log("codec study (LAME -q on a session with and without a bed, stereo and mono, 128 kbps):")
    if s.cfg.quick:
        src = material(s.work, 2.5, s.cfg.engine, "desk-break")
        r = study(src, s.work, repeat=1, use_visqol=False)
    else:
        r = study(material(s.work, 3.0, s.cfg.engine), s.work, repeat=s.cfg.repeat)
    r["by_quality"] = summarize(r["rows"])
    for q, v in r["by_quality"].items():
        vis = "" if v["visqol_change_min"] is None else f", ViSQOL {v['visqol_change_min']:+.3f}"
        s.log(f"  q {q:>4}: {v['speedup']:.2f}x the default's speed{vis}, SNR {v['snr_change_min_db']:+.2f} dB, "
              f"loudness drift <= {v['lufs_drift_max']:.2f} LU")
    return r


def coordinator(s: Suite) -> dict[str, Any]:
    """Plan and check courses of growing size, all up to date (``bench/coordinator.py``)."""
    from .coordinator import course_spec, prepare_course

    cfg = s.cfg
    sizes = sorted(cfg.coordinator_listeners)
    s.log(f"coordinator ({' / '.join(map(str, sizes))} listeners x {cfg.coordinator_days} sessions, "
          "all up to date, fake engine):")
    spec = course_spec(s.work, sizes[-1], cfg.coordinator_days, cfg.course_minutes, cfg.template)
    manifest, listeners = prepare_course(spec)
    out: dict[str, Any] = {}
    for n in sizes:
        m = s.task("coordinator", f"plan + check {n} listeners", **spec, manifest=str(manifest),
                   csv=str(listeners), listeners_n=n)
        out[str(n)] = figures(m)
        r = out[str(n)]
        s.log(f"    {r['sessions']} sessions: plan {r['plan_ms']:.2f} ms, check {r['check_ms']:.2f} ms a session")
    shutil.rmtree(spec["out_dir"], ignore_errors=True)
    return out


def cache_figures(sessions: list[dict[str, Any]]) -> dict[str, Any]:
    by: dict[int, dict[str, int]] = {}
    for r in sessions:
        d = by.setdefault(r["listener"], {"cached": 0, "synthesized": 0, "expected_hits": 0, "expected_unique": 0})
        for k in d:
            d[k] += r[k]
    rates = {
        str(k): {
            **v,
            "hit_rate": v["cached"] / max(1, v["cached"] + v["synthesized"]),
            "expected_hit_rate": v["expected_hits"] / max(1, v["expected_unique"]),
        }
        for k, v in sorted(by.items())
    }
    second = rates.get("2", rates[min(rates)])
    return {
        "second_listener_hit_rate": second["hit_rate"],
        "second_listener_expected": second["expected_hit_rate"],
        "by_listener": rates,
        "note": "hit rate = clips found in the cache / unique clips asked for, summed over the "
        "listener's sessions (the -j 1 run, listeners in order); expected = clips an earlier "
        "session of the course already asked for",
    }


def target(text: str, value: float, met: bool, unit: str = "") -> dict[str, Any]:
    return {"target": text, "value": round(value, 4), "unit": unit, "met": bool(met)}


def targets(r: dict[str, Any], cfg: Config) -> dict[str, dict[str, Any]]:
    b = r["builds"]["ratios"]
    mem = r["memory"]
    lo, hi = f"{min(cfg.memory_minutes):g}", f"{max(cfg.memory_minutes):g}"
    peak_hi, peak_lo = mem[hi]["peak_tree_mb"], mem[lo]["peak_tree_mb"]
    return {
        "warm_rebuild": target("warm rebuild <= 1.10x the encode floor", b["warm_to_encode"], b["warm_to_encode"] <= 1.10, "x"),
        "cold_build": target("cold build <= 1.25x the sum of the floors", b["cold_to_floors"], b["cold_to_floors"] <= 1.25, "x"),
        "peer_speed": target("at least 1.6x faster than the peer way", r["peer"]["speedup"], r["peer"]["speedup"] >= 1.6, "x"),
        "peer_memory": target("<= 25 % of the peer way's peak memory", 100 * r["peer"]["memory_ratio"], r["peer"]["memory_ratio"] <= 0.25, "%"),
        "long_session_peak": target(f"{hi}-minute session: peak RSS < 200 MB", peak_hi, peak_hi < 200.0, "MB"),
        "long_session_growth": target(f"{hi}-minute session within +30 MB of the {lo}-minute one", peak_hi - peak_lo, peak_hi - peak_lo <= 30.0, "MB"),
        "parallel_speedup": target("course -j 2 / -j 1 >= 0.95x what two encoders at once give (same run)",
                                   r["course"]["of_two_encoders"], r["course"]["of_two_encoders"] >= 0.95, "x"),
        **coordinator_targets(r["coordinator"]),
    } | voice_targets(r.get("voices"))


def coordinator_targets(co: dict[str, Any]) -> dict[str, dict[str, Any]]:
    sizes = sorted(co, key=int)
    lo, hi = co[sizes[0]], co[sizes[-1]]
    growth = hi["check_ms"] / lo["check_ms"]
    return {
        "coordinator_check": target(f"up-to-date check <= 3 ms a session ({hi['sessions']} sessions)",
                                    hi["check_ms"], hi["check_ms"] <= 3.0, "ms"),
        "coordinator_memory": target(f"coordinator peak <= 300 MB ({hi['sessions']} sessions)",
                                     hi["peak_tree_mb"], hi["peak_tree_mb"] <= 300.0, "MB"),
        "coordinator_linear": target(f"check time linear: ms a session at {hi['sessions']} <= 1.5x at "
                                     f"{lo['sessions']} sessions", growth, growth <= 1.5, "x"),
    }


def meta(cfg: Config) -> dict[str, Any]:
    import numpy

    from generator.audio.ffmpeg import ffmpeg_exe

    try:
        ff = subprocess.run([ffmpeg_exe(), "-version"], capture_output=True, text=True, check=False).stdout.splitlines()[0]
    except (OSError, IndexError):
        ff = "?"
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                check=False, cwd=Path(__file__).parent).stdout.strip()
    except OSError:
        commit = ""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "quick": cfg.quick,
        "python": sys.version.split()[0],
        "numpy": numpy.__version__,
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "ffmpeg": ff,
        "commit": commit,
    }


def make_workdir(path: str | None) -> tuple[Path, bool]:
    if path:
        return Path(path), False
    return Path(tempfile.mkdtemp(prefix="relaxgen-bench-")), True
