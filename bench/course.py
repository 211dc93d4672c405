"""Course throughput: ``relaxgen course`` itself (``generator.batch.course.build_course``).

The bench writes a course manifest (one ``[[session]]`` per day, all with the
bench's template) and a listener CSV into the work folder, then builds the
course with the executor ``relaxgen course -j JOBS`` uses (``-j 1`` in the calling
process, more in the local process pool) into an empty folder
and cache - packs, playlists, covers, pages and the build manifest included,
as a user gets them. The clock runs from the call to the last file (pool
start-up included).
"""

from __future__ import annotations

import csv
import shutil
import time
from pathlib import Path
from typing import Any

from generator.batch.task import TaskResult


class _Collect:
    """A course reporter that keeps every task's result (and when it finished)."""

    def __init__(self) -> None:
        self.results: list[tuple[TaskResult, float]] = []

    def begin(self, total: int, up_to_date: int, workers: int) -> None: ...
    def started(self, worker: str, label: str) -> None: ...
    def progress(self, worker: str, label: str, frac: float) -> None: ...

    def finished(self, result: TaskResult, label: str) -> None:
        self.results.append((result, time.monotonic()))


def profiles(spec: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """Per listener, per day: the profile each session is built for."""
    out = []
    for listener in spec["listeners"]:
        days = []
        for day in range(1, int(spec["days"]) + 1):
            prof = {**spec.get("base_profile", {}), **listener, "day": day, "minutes": float(spec["minutes"])}
            days.append(prof)
        out.append(days)
    return out


def write_inputs(spec: dict[str, Any], src: Path) -> tuple[Path, Path]:
    """The course manifest and the listener CSV for ``spec``, written into ``src``."""
    src.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(spec["template"], src / "session.j2")
    lines = ['title = "Bench course"', 'description = "The benchmark session, one a day."', ""]
    for day in range(1, int(spec["days"]) + 1):
        lines += ["[[session]]", 'script = "session.j2"', f"minutes = {float(spec['minutes'])!r}",
                  f"day = {day}", f'title = "Day {day}"', ""]
    manifest = src / "course.toml"
    manifest.write_text("\n".join(lines), encoding="utf-8")
    fields = ["id", "name", "skip", "bed"]
    listeners = src / "listeners.csv"
    with listeners.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(fields)
        for i, lst in enumerate(spec["listeners"], 1):
            prof = {**spec.get("base_profile", {}), **lst}
            w.writerow([f"{i:03d}", prof["name"], " ".join(prof.get("skip", ())), prof.get("bed", "")])
    return manifest, listeners


def expected_hits(spec: dict[str, Any]) -> dict[tuple[int, int], tuple[int, int]]:
    """For each (listener, day), in build order: (unique clips, clips an earlier session
    already asked for)."""
    from bench.one import profile_from
    from generator.api import prepare
    from generator.tts.cache import ClipCache
    from generator.tts.synth import Synthesizer

    seen: set[tuple[str, ...]] = set()
    out = {}
    syn = Synthesizer(ClipCache(Path(spec["cache"])))
    for li, days in enumerate(profiles(spec), 1):
        for day, prof in enumerate(days, 1):
            # the fake engine gives the same texts, voices and rates without starting espeak-ng
            prep = prepare(spec["template"], profile_from({"profile": prof}), float(spec["minutes"]), "fake", synth=syn)
            keys = [(r.voice, str(r.rate_wpm), str(r.pitch), r.text) for r in prep.requests]
            out[(li, day)] = (len(keys), sum(1 for k in keys if k in seen))
            seen.update(keys)
    return out


def load_inputs(spec: dict[str, Any]) -> tuple[Path, Path, Any, Any]:
    """The course's manifest and CSV written beside ``spec['out_dir']``: paths, manifest, listener table."""
    from generator.batch.manifest import load_manifest, read_listeners
    from generator.tts.voices import load_voices

    out_dir = Path(spec["out_dir"])
    manifest_path, csv_path = write_inputs(spec, out_dir.parent / f"{out_dir.name}-src")
    return manifest_path, csv_path, load_manifest(manifest_path), read_listeners(csv_path, load_voices().keys())


def run_course(spec: dict[str, Any]) -> dict[str, Any]:
    from bench.one import cpu_now
    from generator.batch.course import build_course
    from generator.batch.executors import make_executor
    from generator.batch.pack import PackSettings

    out_dir = Path(spec["out_dir"])
    _, _, manifest, table = load_inputs(spec)
    expected = expected_hits(spec)
    if table.errors:
        raise RuntimeError(f"bench listener CSV: {table.errors}")
    folders = {f"{i:03d}": i for i in range(1, len(spec["listeners"]) + 1)}
    settings = PackSettings(cache_dir=str(spec["cache"]), engine=spec.get("engine"))
    collect = _Collect()
    cpu_start = cpu_now()
    t0 = time.monotonic()
    summ = build_course(manifest, table, out_dir, settings, make_executor("local", int(spec["jobs"])), reporter=collect)
    seconds = time.monotonic() - t0
    if summ.failed:
        raise RuntimeError(f"bench course: {len(summ.failed)} sessions failed: {summ.failed[:3]}")
    per = []
    for r, end in collect.results:
        li, day = folders[Path(r.folder).name.split(" ")[0]], int(r.track["number"])
        n, hits = expected[(li, day)]
        per.append({
            "listener": li, "day": day, "worker": r.worker, "end": end - t0, "seconds": r.seconds,
            "audio_s": r.track["duration_s"], "synthesized": r.synthesized, "cached": r.cached,
            "expected_unique": n, "expected_hits": hits,
        })
    per.sort(key=lambda x: (x["listener"], x["day"]))
    return {
        "seconds": seconds,
        "sessions": len(per),
        "audio_s": sum(r["audio_s"] for r in per),
        "sessions_per_min": 60.0 * len(per) / seconds,
        "workers": int(spec["jobs"]),
        "cpu_start_s": cpu_start,
        "per_session": per,
    }
