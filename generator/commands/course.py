"""``relaxgen course``: one pack per listener of a CSV; shared batch options and progress display."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from ..audio.encode import QUALITY_BY_OUTPUT
from ..batch.course import Summary, build_course
from ..batch.dryrun import DryRun, dry_run_course
from ..batch.executors import Executor, make_executor
from ..batch.manifest import Manifest, load_manifest, read_listeners
from ..batch.pack import PackSettings
from ..batch.task import TaskResult
from ..paths import default_cache_dir, display
from ..policy import TARGET_LUFS
from ..tts.voices import load_voices
from ._options import cache_option, engine_option, sounds_option

F = TypeVar("F", bound=Callable[..., Any])


def batch_options(f: F) -> F:
    """Options shared by ``pack`` and ``course``."""
    for opt in reversed([
        click.option("-o", "--output", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
                     help="The output folder."),
        click.option("-j", "--jobs", type=click.IntRange(1, 512), default=None,
                     help="Sessions built at once (default: the number of cores)."),
        click.option("--executor", default="local", show_default=True, metavar="local|dask://HOST:PORT",
                     help="Where to run: a local process pool or an existing Dask cluster."),
        click.option("--force", is_flag=True, help="Rebuild everything, even outputs that are up to date."),
        click.option("--split-chapters", is_flag=True,
                     help="Also write one MP3 per chapter (a subfolder per session)."),
        click.option("--bitrate", type=click.IntRange(32, 320), default=128, show_default=True,
                     help="MP3 bitrate in kbps."),
        click.option("--mono", is_flag=True, help="Write mono MP3s."),
        click.option("--encoder-quality", "encoder_quality", type=click.IntRange(0, 9), default=None,
                     help="LAME's algorithmic quality, 0 (best, slowest) to 9 (fastest); default: the "
                          "manifest's encoder_quality, else relaxgen's for each output ("
                          + "; ".join(f"{kind} {q}" for kind, q in QUALITY_BY_OUTPUT.items())
                          + "; docs/performance.md)."),
        click.option("--lufs", "target_lufs", type=click.FloatRange(-40, -10), default=TARGET_LUFS, show_default=True,
                     help="Integrated loudness target."),
        cache_option,
        engine_option,
        sounds_option,
        click.option("--report", "report", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="Write a JSON report (built, skipped, failed with reasons)."),
        click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors and failures."),
        click.option("--dry-run", "dry_run", is_flag=True,
                     help="Speak and encode nothing: print what a run would build, its hours of audio, "
                          "sentences (and how many are cached), disk space and an estimated time."),
        click.option("--json", "as_json", is_flag=True, help="With --dry-run: print the plan as JSON."),
    ]):
        f = opt(f)
    return f


def settings_from(p: dict[str, Any], manifest: Manifest | None = None) -> PackSettings:
    cache = p.get("cache_dir") or default_cache_dir()
    quality = p.get("encoder_quality")
    if quality is None and manifest is not None:
        quality = manifest.encoder_quality  # None: each output's (generator.audio.encode.output_quality)
    return PackSettings(cache_dir=str(Path(cache).expanduser().resolve()), bitrate_kbps=p["bitrate"],
                        mono=p["mono"], target_lufs=p["target_lufs"], engine=p.get("engine"),
                        sounds_dirs=tuple(str(Path(d).resolve()) for d in p.get("sounds_dirs", ())),
                        split_chapters=p["split_chapters"],
                        encoder_quality=quality)


class PlainReporter:
    """One line per finished session (CI, pipes)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.total = self.done = 0
        self.t0 = time.monotonic()

    def begin(self, total: int, up_to_date: int, workers: int) -> None:
        self.total, self.done = total, up_to_date
        if not self.quiet:
            click.echo(f"{total} session(s): {up_to_date} up to date, {total - up_to_date} to build "
                       f"on {workers} worker(s)", err=True)

    def started(self, worker: str, label: str) -> None: ...

    def progress(self, worker: str, label: str, frac: float) -> None: ...

    def finished(self, result: TaskResult, label: str) -> None:
        self.done += 1
        if result.ok and self.quiet:
            return
        what = f"built  {label} ({result.seconds:.1f} s)" if result.ok else f"FAILED {label}: {result.error}"
        click.echo(f"[{self.done}/{self.total}] {what}", err=True)


class RichReporter:
    """Overall bar with ETA and one line per worker (a terminal)."""

    def __init__(self, progress: Any) -> None:
        self.p = progress
        self.overall: Any = None
        self.rows: dict[str, Any] = {}

    def begin(self, total: int, up_to_date: int, workers: int) -> None:
        self.overall = self.p.add_task(f"{total - up_to_date} to build, {up_to_date} up to date",
                                       total=max(1, total), completed=up_to_date)

    def _row(self, worker: str) -> Any:
        if worker not in self.rows:
            self.rows[worker] = self.p.add_task(f"  worker {len(self.rows) + 1}", total=1.0)
        return self.rows[worker]

    def started(self, worker: str, label: str) -> None:
        self.p.update(self._row(worker), completed=0.0, description=f"  worker {self._n(worker)}: {label}")

    def progress(self, worker: str, label: str, frac: float) -> None:
        self.p.update(self._row(worker), completed=frac, description=f"  worker {self._n(worker)}: {label}")

    def _n(self, worker: str) -> int:
        return list(self.rows).index(worker) + 1 if worker in self.rows else len(self.rows)

    def finished(self, result: TaskResult, label: str) -> None:
        self.p.advance(self.overall, 1)
        if result.worker:
            self.p.update(self._row(result.worker), completed=1.0)
        if not result.ok:
            self.p.console.print(f"[red]FAILED[/red] {label}: {result.error}", markup=True, highlight=False)


@contextlib.contextmanager
def reporter_for(quiet: bool) -> Iterator[Any]:
    if quiet or not sys.stderr.isatty():
        yield PlainReporter(quiet)
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True), transient=True) as p:
        yield RichReporter(p)


def finish(summary: Summary, report: Path | None, quiet: bool, out: Path) -> None:
    """Print the summary, write the report, exit 1 if anything failed."""
    if report is not None:
        summary.write_json(report)
    if not quiet or summary.failed:
        click.echo(f"{len(summary.built)} built, {len(summary.skipped)} up to date, {len(summary.failed)} failed "
                   f"in {summary.seconds:.1f} s ({summary.synthesized} clips spoken, {summary.cached} from cache) "
                   f"-> {display(out)}", err=True)
    for f in summary.failed:
        where = "" if "row" in f else display(str(f.get("output", ""))) + ": "
        click.echo(f"  failed: {where}{f['error']}", err=True)
    if summary.failed:
        raise SystemExit(1)


def dry_run_done(dry_run: bool, as_json: bool, executor: str, jobs: int | None, out: Path,
                 plan: Callable[[int], DryRun]) -> bool:
    """With --dry-run: show ``plan(workers)`` and return True (then nothing is built)."""
    if not (dry_run or as_json):
        return False
    if not dry_run:
        raise click.UsageError("--json goes with --dry-run (a build's report is --report FILE)")
    # a dry run connects to no Dask cluster: the local pool's workers, or -j
    workers = (jobs or os.cpu_count() or 1) if executor == "local" else (jobs or 1)
    show_dry_run(plan(workers), as_json, out)
    return True


def show_dry_run(d: DryRun, as_json: bool, out: Path) -> None:
    """Print a dry run (text to stderr, JSON to stdout); exit 1 when a session would fail."""
    if as_json:
        click.echo(json.dumps({"output": str(out), **d.to_dict()}, ensure_ascii=False, indent=2))
    else:
        h, m = divmod(round(d.build_audio_s / 60), 60)
        lines = [
            f"Dry run for {display(out)} (nothing spoken, encoded or written):",
            f"  sessions: {len(d.to_build)} to build, {len(d.up_to_date)} up to date, {len(d.failed)} failing",
            f"  audio to build: {h} h {m:02d} min ({d.audio_s / 3600:.2f} h in all)",
            f"  sentences: {d.sentences} unique, {d.sentences_cached} already in the cache "
            f"({d.speech_s / 60:.1f} min of speech to make)",
            f"  disk: {d.build_bytes / 1e6:.1f} MB of new MP3s ({d.disk_bytes / 1e6:.1f} MB in all, "
            "bitrate x duration)",
            f"  estimated time: {_clock(d.estimate_s)} on {d.workers} worker(s) ({d.basis})",
        ]
        click.echo("\n".join(lines), err=True)
        for f in d.failed:
            where = "" if "row" in f else display(str(f.get("output", ""))) + ": "
            click.echo(f"  would fail: {where}{f['error']}", err=True)
    if d.failed:
        raise SystemExit(1)


def _clock(seconds: float) -> str:
    m, s = divmod(round(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}"


def run_with(executor: Executor, fn: Callable[[Any], Summary], quiet: bool) -> Summary:
    try:
        with reporter_for(quiet) as rep:
            return fn(rep)
    finally:
        close = getattr(executor, "close", None)
        if close:
            close()


@click.command()
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--profiles", "profiles", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Listener CSV: a header row of profile fields, 'id' required and unique.")
@batch_options
def course(manifest: Path, profiles: Path, out: Path, jobs: int | None, executor: str, force: bool,
           report: Path | None, quiet: bool, dry_run: bool, as_json: bool, **opts: Any) -> None:
    """Build a course: one pack folder per listener of the CSV, one track per course day.

    A bad CSV row is reported with its row number and skipped; the others are
    built; the exit code is 1 when anything failed. Reruns rebuild only what
    changed; an interrupted build resumes where it stopped.

    Example:

        relaxgen course scripts/courses/back-relief-14-days.toml --profiles listeners.csv -o output/course -j 4
    """
    m = load_manifest(manifest)
    table = read_listeners(profiles, load_voices().keys())
    settings = settings_from(opts, m)
    if dry_run_done(dry_run, as_json, executor, jobs, out,
                    lambda w: dry_run_course(m, table, out, settings, w, force)):
        return
    ex = make_executor(executor, jobs)
    summary = Summary()
    try:
        run_with(ex, lambda rep: build_course(m, table, out, settings, ex, force, rep, summary), quiet)
    except KeyboardInterrupt:
        if report is not None:
            summary.write_json(report)
        click.echo(f"Stopped after {len(summary.built)} built session(s).", err=True)
        raise
    finish(summary, report, quiet, out)


def register(cli: click.Group) -> None:
    cli.add_command(course)
