"""The neural voice in builds: time against the CPU floor, and memory (the whole tree's PSS).

With the neural extra installed (not in a quick run), the bench builds with the voices
as they resolve here (the default English voice is Piper's "joe"): its 20-minute
session cold and warm, cold builds of the memory section's shortest and longest
sessions, and the course at the highest ``-j``. Piper's synthesis is most of a cold
build's CPU time (about 22x real time per core), so a cold build is held to its
CPU floor, not to the espeak-ng build: the CPU seconds of its whole process tree
(speech, mix, encode) divided by the cores is the least time it can take, and the
build may take at most 1.10x that. Memory is the peak PSS of the tree (the Piper
process, the building process, helpers, encoders: a page shared by several
processes counts once in all).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .machine import cpu_floor

if TYPE_CHECKING:
    from .run import Suite

NEURAL_PEAK_MB = 350.0  # cold build of the shortest memory session (10 minutes)
NEURAL_GROWTH_MB = 30.0  # the longest (60 minutes) over the shortest
NEURAL_COURSE_MB = 600.0  # the course at the highest -j
FLOOR_RATIO = 1.10


def run_neural(s: Suite, prof: dict[str, Any], changed: dict[str, Any], espeak_cold: dict[str, Any],
               espeak_warm: dict[str, Any], listeners: list[dict[str, Any]]) -> dict[str, Any]:
    """The neural builds and course of the bench (``engine=None``: voices as they resolve)."""
    from .run import course_task, figures

    cfg, mins = s.cfg, s.cfg.minutes
    cache = s.cache("neural")
    nc = figures(s.task("build", "cold build, neural voice", cache=cache, out=str(s.work / "ncold.mp3"),
                        profile=prof, minutes=mins, engine=None))
    nw = figures(s.task("build", "warm rebuild, neural voice", cache=cache, out=str(s.work / "nwarm.mp3"),
                        profile=changed, minutes=mins, engine=None))
    out: dict[str, Any] = {"cold": nc, "warm": nw, "cold_floor": cpu_floor(nc),
                           "cold_to_espeak": nc["seconds"] / espeak_cold["seconds"],
                           "warm_to_espeak": nw["seconds"] / espeak_warm["seconds"]}
    mem: dict[str, Any] = {}
    for m in (min(cfg.memory_minutes), max(cfg.memory_minutes)):
        mem[f"{m:g}"] = figures(s.task("build", f"{m:g}-minute session, neural", cache=s.cache(f"nmem{m:g}"),
                                       out=str(s.work / f"nmem{m:g}.mp3"), profile={**prof, "minutes": m},
                                       minutes=m, engine=None))
    out["memory"] = mem
    j = max(cfg.jobs)
    course = figures(course_task(s, f"ncourse-j{j}", f"course -j {j}, neural", listeners, j, engine=None))
    out["course"] = {f"j{j}": course, "cpu_floor": cpu_floor(course, j)}
    return out


def neural_targets(n: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """A cold neural build within 1.10x its CPU floor, a warm one within 1.1x espeak-ng's;
    peak PSS: the shortest memory session <= 350 MB, the longest within +30 MB of it, the
    course <= 600 MB."""
    from .targets import target

    if not n:
        return {}
    f = n["cold_floor"]
    out = {
        "voice_cold_floor": target(
            f"cold build with the neural voice <= {FLOOR_RATIO:.2f}x its CPU floor (CPU seconds of the process "
            f"tree / {f['cores']} cores)", f["ratio"], f["ratio"] <= FLOOR_RATIO, "x"),
        "voice_warm_build": target("warm rebuild with the neural voice <= 1.1x the espeak-ng one",
                                   n["warm_to_espeak"], n["warm_to_espeak"] <= 1.1, "x"),
    }
    mem = n.get("memory")
    if mem:
        sizes = sorted(mem, key=float)
        lo, hi = mem[sizes[0]]["peak_pss_mb"], mem[sizes[-1]]["peak_pss_mb"]
        out["voice_memory_peak"] = target(f"{sizes[0]}-minute cold build with the neural voice: peak PSS <= "
                                          f"{NEURAL_PEAK_MB:.0f} MB", lo, lo <= NEURAL_PEAK_MB, "MB")
        out["voice_memory_growth"] = target(f"{sizes[-1]}-minute neural build within +{NEURAL_GROWTH_MB:.0f} MB "
                                            f"of the {sizes[0]}-minute one (PSS)", hi - lo,
                                            hi - lo <= NEURAL_GROWTH_MB, "MB")
    co = n.get("course")
    if co:
        key = next(k for k in co if k.startswith("j"))
        peak = co[key]["peak_pss_mb"]
        out["voice_course_memory"] = target(f"course -{key[0]} {key[1:]} with the neural voice: peak PSS <= "
                                            f"{NEURAL_COURSE_MB:.0f} MB", peak, peak <= NEURAL_COURSE_MB, "MB")
    return out
