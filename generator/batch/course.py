"""Batch builds: listeners × sessions, incremental, on any executor (:mod:`.executors`).

:func:`run_packs` is the machinery ``relaxgen pack`` and ``relaxgen course``
share: it checks every task against the pack folder's build state, runs the
outdated ones on an executor, records each finished output at once (so a
killed build resumes where it stopped), and writes each pack's playlist, page
and README when its last session is done.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import RelaxgenError
from ..export.names import safe_filename, unique_names
from ..fsutil import atomic_write_text, remove_stale_temps
from ..interrupts import check, owned_signals
from ..profile import Profile
from .buildstate import (
    BuildState,
    DepChecker,
    Record,
    code_fingerprint,
    digest,
    output_hash,
    program_version,
)
from .executors import Executor, NullReporter, Reporter, task_label
from .lock import locked
from .manifest import ListenerTable, Manifest
from .pack import PackPlan, PackSettings, pack_file_names, plan_pack, write_pack_files
from .speakfirst import speech_first
from .task import SessionTask, TaskResult

# ---------------------------------------------------------------- the shared run


@dataclass
class Summary:
    built: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)  # {"output"|"row", "error"}
    seconds: float = 0.0
    interrupted: bool = False
    synthesized: int = 0
    cached: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed and not self.interrupted

    def to_dict(self) -> dict[str, Any]:
        return {"program": program_version(), "ok": self.ok, "interrupted": self.interrupted,
                "seconds": round(self.seconds, 2),
                "counts": {"built": len(self.built), "skipped": len(self.skipped), "failed": len(self.failed)},
                "clips": {"synthesized": self.synthesized, "cached": self.cached},
                "built": self.built, "skipped": self.skipped, "failed": self.failed}

    def write_json(self, path: str | Path) -> None:
        atomic_write_text(path, json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n")


def _record(res: TaskResult, t: SessionTask, state: BuildState, summ: Summary) -> None:
    """One session's result into its folder's build state and the summary."""
    if res.ok:
        state.put(res.name, Record(output_hash(t.static_hash, res.deps), t.static_hash, res.deps,
                                   res.files, res.size, res.track))
        summ.built.append(res.key)
        summ.synthesized += res.synthesized
        summ.cached += res.cached
    else:
        state.forget(res.name)
        summ.failed.append({"output": res.key, "error": res.error})


def _prune(plan: PackPlan, state: BuildState) -> None:
    """Forget (and delete) outputs this folder no longer plans, e.g. after a title change."""
    wanted = {t.name for t in plan.tasks}
    stale = [n for n in state.records if n not in wanted] if not plan.errors else []  # keep on doubt
    for name in stale:
        for f in [name, *state.records[name].files]:
            with contextlib.suppress(OSError):
                (plan.folder / f).unlink()
        state.forget(name)
    _sweep(plan.folder)


def _sweep(folder: Path) -> None:
    """Remove temp files in a pack folder and its chapter folders (the caller holds its lock)."""
    remove_stale_temps(folder)
    with contextlib.suppress(OSError):
        for sub in folder.iterdir():
            if sub.is_dir():
                remove_stale_temps(sub)


def _finish_pack(plan: PackPlan, state: BuildState, summ: Summary) -> None:
    """Write the pack's playlist, README and page; a failure there fails the pack, not the run.

    Skipped when the records, the plan and relaxgen's code are those the files were last
    written from and the files are as written then (rendering the page is most of the cost
    of checking an up-to-date pack)."""
    fields = {f.name: getattr(plan, f.name) for f in dataclasses.fields(plan) if f.name not in ("tasks", "errors")}
    key = digest({"records": state.outputs_sha, "plan": fields, "tasks": [t.name for t in plan.tasks],
                  "code": code_fingerprint()})
    if state.pack_files_current(key):
        return
    try:
        write_pack_files(plan, [state.records[t.name].track for t in plan.tasks if t.name in state.records])
        state.pack_files_written(key, pack_file_names())
    except RelaxgenError as e:
        summ.failed.append({"output": str(plan.folder), "error": f"pack files: {e}"})


def run_packs(plans: list[PackPlan], executor: Executor, force: bool = False,
              reporter: Reporter | None = None, summary: Summary | None = None) -> Summary:
    """Build every outdated session of ``plans``; record and finish each pack as it completes.

    The caller holds the output folder's lock (:func:`generator.batch.lock.locked`). A stop
    signal (:mod:`generator.interrupts`) ends the run with :class:`~.interrupts.Interrupted`
    once the sessions that finished are recorded and no temp file is left.
    """
    with owned_signals():
        return _run_packs(plans, executor, force, reporter or NullReporter(), summary or Summary())


def _run_packs(plans: list[PackPlan], executor: Executor, force: bool, rep: Reporter, summ: Summary) -> Summary:
    t0 = time.monotonic()
    states: dict[Path, BuildState] = {}  # the packs with sessions to build (finished packs are let go)
    checker = DepChecker(plans[0].tasks[0].options.get("engine") if plans and plans[0].tasks else None)
    todo: list[SessionTask] = []
    remaining: dict[Path, int] = {}
    for p in plans:
        check()
        st = BuildState(p.folder)
        _prune(p, st)
        summ.failed += [{"output": str(p.folder), "error": f"{what}: {why}"} for what, why in p.errors]
        for t in p.tasks:
            if not force and st.up_to_date(t.name, t.static_hash, checker):
                summ.skipped.append(t.key)
            else:
                todo.append(t)
                remaining[p.folder] = remaining.get(p.folder, 0) + 1
        if p.folder in remaining:
            states[p.folder] = st
        else:
            _finish_pack(p, st, summ)
    by_folder = {p.folder: p for p in plans}
    tasks = {t.key: t for t in todo}
    rep.begin(len(todo) + len(summ.skipped), len(summ.skipped), executor.workers)
    try:
        for batch, spoken in speech_first(todo, executor, rep):  # (one batch but for a local neural run)
            # closed at once on any error, so its workers never outlive this loop
            with contextlib.closing(executor.run(batch, rep)) as results:
                for res in results:
                    t = tasks[res.key]
                    folder = Path(res.folder)
                    _record(res, t, states[folder], summ)
                    rep.finished(res, task_label(t))
                    remaining[folder] -= 1
                    if remaining[folder] == 0:
                        _finish_pack(by_folder[folder], states.pop(folder), summ)
            # the sessions found what was spoken for them first in the cache: spoken in this run
            summ.synthesized += spoken
            summ.cached = max(0, summ.cached - spoken)
    except KeyboardInterrupt:
        summ.interrupted = True
        for p in plans:  # what a stopped session (or a worker killed with it) left half-written
            _sweep(p.folder)
        raise
    finally:
        summ.seconds = time.monotonic() - t0
    return summ


# ---------------------------------------------------------------- courses


def listener_folders(table: ListenerTable) -> list[str]:
    """A safe, unique folder name per listener from its id and name."""
    names = [f"{x.id} {x.profile.name}".strip() for x in table.listeners]
    return unique_names([safe_filename(n) for n in names], "")


def plan_course(manifest: Manifest, table: ListenerTable, out: Path, settings: PackSettings,
                summary: Summary, write: bool = True) -> list[PackPlan]:
    """One pack plan per good listener; the CSV's bad rows go into ``summary.failed``
    (``write=False``: a dry run, nothing is created)."""
    for e in table.errors:
        summary.failed.append({"row": e.row, "id": e.id, "error": f"{table.path.name}: {e}"})
    plans = []
    for listener, folder in zip(table.listeners, listener_folders(table), strict=True):
        plans.append(plan_pack(manifest, listener.profile, out / folder, settings, label=folder, write=write))
    return plans


def _per_task_speech(settings: PackSettings, executor: Executor) -> PackSettings:
    """Several tasks at once: each speaks with one process (parallelism is across tasks)."""
    return dataclasses.replace(settings, synth_jobs=1) if executor.workers > 1 else settings


def build_course(manifest: Manifest, table: ListenerTable, out: str | Path, settings: PackSettings,
                 executor: Executor, force: bool = False, reporter: Reporter | None = None,
                 summary: Summary | None = None) -> Summary:
    """Build a course: one pack folder per listener under ``out``."""
    root = Path(out).resolve()
    summ = summary or Summary()
    settings = dataclasses.replace(_per_task_speech(settings, executor), reminders=True)
    with locked(root):
        plans = plan_course(manifest, table, root, settings, summ)
        return run_packs(plans, executor, force, reporter, summ)


def build_pack(manifest: Manifest, profile: Profile, out: str | Path, settings: PackSettings,
               executor: Executor, force: bool = False, reporter: Reporter | None = None) -> Summary:
    """Build one pack for one listener into the folder ``out``."""
    root = Path(out).resolve()
    settings = _per_task_speech(settings, executor)
    with locked(root):
        plan = plan_pack(manifest, profile, root, settings)
        return run_packs([plan], executor, force, reporter)
