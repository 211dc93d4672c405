"""Coordinator scale: plan and check a course of many listeners that is all up to date.

What ``relaxgen course`` does before it builds anything, at 28,000 sessions, without
building 28,000 sessions: the bench builds one listener's pack once (fake engine,
the bench's template, ``days`` sessions), then makes every other listener's pack
folder the way a finished build leaves it: the same MP3 and sidecar files (hard
links: the check reads each MP3's header and size, not its audio), the pack files
(playlist, README, page, cover) written by relaxgen's own code (a first check run), and a build state
whose records carry each listener's own static hash (from relaxgen's own planning)
with the seed's dependencies, sizes and track data. The check then finds every
session up to date by doing all of its real work: plan, hash, read each folder's
state, re-check the dependencies, stat and read every MP3, rewrite no pack file.

Measured in a fresh interpreter per size (``kind = "coordinator"``): the planning
(``plan_course``) and the up-to-date check (``run_packs`` with nothing to build), per
session, and the process's peak RSS (sampled by the parent).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from bench.course import load_inputs


def course_spec(work: Path, listeners: int, days: int, minutes: float, template: str) -> dict[str, Any]:
    return {"template": template, "days": days, "minutes": minutes, "base_profile": {"bed": "none"},
            "listeners": [{"name": f"Listener {i}"} for i in range(1, listeners + 1)],
            "out_dir": str(work / "coordinator"), "cache": str(work / "cache" / "coordinator")}


def _settings(spec: dict[str, Any]) -> Any:
    from generator.batch.pack import PackSettings

    return PackSettings(cache_dir=str(spec["cache"]), engine="fake")


def _table(csv_path: Path, n: int | None = None) -> Any:
    from generator.batch.manifest import read_listeners
    from generator.tts.voices import load_voices

    table = read_listeners(csv_path, load_voices().keys())
    if n is not None:
        table.listeners = table.listeners[:n]
    return table


def prepare_course(spec: dict[str, Any]) -> tuple[Path, Path]:
    """Build the seed listener's pack, then lay out every listener's finished pack folder."""
    from generator.batch.buildstate import BuildState, Record, output_hash
    from generator.batch.course import Summary, build_course, plan_course, run_packs
    from generator.batch.executors import InlineExecutor

    out = Path(spec["out_dir"])
    manifest_path, csv_path, manifest, table = load_inputs(spec)
    seed = build_course(manifest, _table(csv_path, 1), out, _settings(spec), InlineExecutor())
    if seed.failed or not seed.built:
        raise RuntimeError(f"coordinator bench: the seed pack failed: {seed.failed[:2]}")
    plans = plan_course(manifest, table, out.resolve(), _settings(spec), Summary())
    seed_state = BuildState(plans[0].folder)
    for plan in plans[1:]:
        state = BuildState(plan.folder)
        for t in plan.tasks:
            rec = seed_state.records[t.name]
            for f in [t.name, *rec.files]:
                dst = plan.folder / f
                if not dst.exists():
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    os.link(plan.folder.parent / plans[0].folder.name / f, dst)
            state.records[t.name] = Record(output_hash(t.static_hash, rec.deps), t.static_hash, rec.deps,
                                           rec.files, rec.size, rec.track)
        state.save()
    settle = run_packs(plans, InlineExecutor())  # writes every pack's files, as the build would have
    if settle.built or settle.failed:
        raise RuntimeError(f"coordinator bench: the laid-out packs are not up to date: {settle.failed[:2]}")
    return manifest_path, csv_path


def measure(spec: dict[str, Any]) -> dict[str, Any]:
    """Plan and check the first ``spec['listeners_n']`` listeners (run in a fresh interpreter)."""
    from generator.batch.course import Summary, plan_course, run_packs
    from generator.batch.executors import InlineExecutor
    from generator.batch.manifest import load_manifest

    manifest = load_manifest(spec["manifest"])
    table = _table(Path(spec["csv"]), int(spec["listeners_n"]))
    out = Path(spec["out_dir"]).resolve()
    summ = Summary()
    t0 = time.perf_counter()
    plans = plan_course(manifest, table, out, _settings(spec), summ)
    t1 = time.perf_counter()
    run_packs(plans, InlineExecutor(), summary=summ)
    t2 = time.perf_counter()
    n = sum(len(p.tasks) for p in plans)
    if summ.built or summ.failed or len(summ.skipped) != n:
        raise RuntimeError(f"coordinator bench: not all up to date: {len(summ.built)} built, "
                           f"{len(summ.skipped)} skipped, failed {summ.failed[:2]}")
    return {"sessions": n, "listeners": len(plans), "plan_s": t1 - t0, "check_s": t2 - t1,
            "seconds": t2 - t0, "plan_ms": 1000 * (t1 - t0) / n, "check_ms": 1000 * (t2 - t1) / n}
