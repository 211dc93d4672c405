"""The bench's targets: each a measured value, its bound and whether it was met."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .neural import neural_targets
from .voice import voice_targets

if TYPE_CHECKING:
    from .run import Config


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
        "course_cpu_floor": course_target(r["course"]),
        **coordinator_targets(r["coordinator"]),
    } | voice_targets(r.get("voices")) | neural_targets(r.get("voices", {}).get("builds"))


def course_target(co: dict[str, Any]) -> dict[str, Any]:
    f = co["cpu_floor"]
    return target(f"course -j {f['jobs']} <= 1.10x its CPU floor (CPU seconds of the process tree / "
                  f"{f['cores']} cores)", f["ratio"], f["ratio"] <= 1.10, "x")


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
