"""Shared fixtures: an isolated cache, the CLI runner, decoded-audio helpers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
GOLDEN = HERE / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="Rewrite golden plan files.")


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One synthesis cache for the whole test run, shared by the xdist workers as an installed
    relaxgen's cache is shared by its processes (each sentence is spoken once; a worker waits
    for a sentence another is speaking): the real-engine tests speak many of the same lines."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    cache = root / "clip-cache"
    cache.mkdir(exist_ok=True)
    return cache


@pytest.fixture(scope="session")
def worker_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default cache of every test in this worker (``RELAXGEN_CACHE``): tests that look at
    what a build left in it see no other worker's speech come and go."""
    return tmp_path_factory.mktemp("default-cache")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, worker_cache: Path) -> None:
    monkeypatch.setenv("RELAXGEN_CACHE", str(worker_cache))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # voices added by 'relaxgen voices add'


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def run(runner: CliRunner):  # type: ignore[no-untyped-def]
    def _run(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return _run
