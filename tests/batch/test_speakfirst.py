"""A local run speaks the sentences of a multithreaded engine (Piper) before it builds the sessions."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from generator.batch import speakfirst
from generator.batch.executors import InlineExecutor, LocalExecutor
from generator.batch.speakfirst import SPEECH_WORKER, speech_first
from generator.batch.task import TaskResult
from generator.tts.cache import ClipCache
from generator.tts.fake import FakeEngine

from .test_course import SRC, listeners_csv


@pytest.fixture
def src(tmp_path: Path) -> Path:
    d = tmp_path / "src"
    shutil.copytree(SRC, d)
    return d


class Reporter:
    """Keeps what it is told."""

    def __init__(self) -> None:
        self.starts: list[tuple[str, str]] = []
        self.steps: list[tuple[str, float]] = []
        self.results: list[TaskResult] = []

    def begin(self, total: int, up_to_date: int, workers: int) -> None: ...

    def started(self, worker: str, label: str) -> None:
        self.starts.append((worker, label))

    def progress(self, worker: str, label: str, frac: float) -> None:
        self.steps.append((worker, frac))

    def finished(self, result: TaskResult, label: str) -> None:
        self.results.append(result)


def run(src: Path, tmp_path: Path, executor: object, listeners: int = 2) -> tuple[Any, Reporter]:
    from generator.batch.course import build_course
    from generator.batch.manifest import load_manifest, read_listeners
    from generator.batch.pack import PackSettings

    rep = Reporter()
    table = read_listeners(listeners_csv(tmp_path / "l.csv", listeners), ["calm-en", "calm-de"])
    settings = PackSettings(cache_dir=str(tmp_path / "cache"), engine="fake")
    summ = build_course(load_manifest(src / "course.toml"), table, tmp_path / "out", settings,
                        executor, reporter=rep)  # type: ignore[arg-type]
    return summ, rep


@pytest.mark.parametrize("executor", [InlineExecutor, lambda: LocalExecutor(2)], ids=["j1", "j2"])
def test_a_multithreaded_voice_is_spoken_before_the_sessions(
        src: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, executor: Any) -> None:
    monkeypatch.setattr(FakeEngine, "multithreaded", True, raising=False)
    monkeypatch.setattr(FakeEngine, "threads_for", lambda self, jobs: jobs, raising=False)  # as Piper
    monkeypatch.setattr(speakfirst, "CHUNK", 4)  # 2 listeners x 3 sessions: batches of 4 and 2
    summ, rep = run(src, tmp_path, executor())
    assert (len(summ.built), summ.failed) == (6, [])
    speech = [s for s in rep.starts if s[0] == SPEECH_WORKER]
    assert len(speech) == 2  # once before each batch
    assert [f for w, f in rep.steps if w == SPEECH_WORKER][-1] == 1.0
    # the sessions found every clip in the cache: none spoke one itself
    assert all(r.ok and r.synthesized == 0 and r.cached > 0 for r in rep.results)
    assert summ.synthesized == ClipCache(tmp_path / "cache").info().entries
    # what the sessions found was spoken in this run, so it does not count as from the cache
    assert summ.cached == sum(r.cached for r in rep.results) - summ.synthesized


def test_without_a_multithreaded_voice_the_sessions_speak(src: Path, tmp_path: Path) -> None:
    summ, rep = run(src, tmp_path, InlineExecutor())
    assert len(summ.built) == 6 and not [s for s in rep.starts if s[0] == SPEECH_WORKER]
    assert sum(r.synthesized for r in rep.results) == summ.synthesized > 0


def test_an_executor_elsewhere_gets_every_task_at_once() -> None:
    class Remote:
        workers = 4

    todo: list[Any] = ["a", "b"]
    assert list(speech_first(todo, Remote(), None)) == [(todo, 0)]  # nothing prepared, nothing spoken
