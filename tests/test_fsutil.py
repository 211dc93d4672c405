"""Atomic file writes (generator/fsutil.py): a failed write leaves the old file and no temp file."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from generator.errors import FileOperationError
from generator.fsutil import TMP_PREFIX, atomic_write_text


def test_temp_files_are_hidden() -> None:
    assert TMP_PREFIX.startswith(".")  # temp files are hidden and never look finished


def test_injected_enospc_in_atomic_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "playlist.m3u8"
    dest.write_text("old", encoding="utf-8")

    def full(self: Path, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", full)
    with pytest.raises(FileOperationError) as e:
        atomic_write_text(dest, "new")
    assert str(e.value) == f"{dest}: no space left on the device; free some space and run again"
    monkeypatch.undo()
    assert dest.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["playlist.m3u8"]
