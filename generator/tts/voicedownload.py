"""``relaxgen voices download NAME``: fetch a Piper voice from the public catalogue (or a mirror).

The only place relaxgen uses the network, and only when asked. The catalogue is the
layout of the Piper voice repository: ``BASE/voices.json`` maps each voice name to its
``files`` (path -> ``size_bytes``, ``md5_digest``), with paths like
``de/de_DE/thorsten/medium/de_DE-thorsten-medium.onnx``. Every file is downloaded to a
``.part`` file, verified (size and MD5) and then renamed into place; a broken download
resumes from its ``.part`` (HTTP Range) or starts again when the server cannot resume.
What was fetched is registered as ``relaxgen voices add`` does.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import VoiceError, closest, did_you_mean
from ..interrupts import check
from .voices import added_voices_dir
from .voicestore import AddedVoice, add_voice

DEFAULT_URL = "https://huggingface.co/rhasspy/piper-voices/resolve/main"
URL_ENV = "RELAXGEN_VOICES_URL"
TIMEOUT_S = 30.0
CHUNK = 1 << 16

Progress = Callable[[str, int, int], None]  # file name, bytes so far, bytes in all


@dataclass(frozen=True)
class RemoteFile:
    path: str  # relative to the base URL
    size: int
    md5: str

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


def base_url(given: str | None = None) -> str:
    return (given or os.environ.get(URL_ENV) or DEFAULT_URL).rstrip("/")


def _offline(base: str, reason: object) -> VoiceError:
    return VoiceError(
        f"'relaxgen voices download' needs the network and could not reach {base} ({reason}); without it, "
        "copy a voice's MODEL.onnx and MODEL.onnx.json to this machine and run: relaxgen voices add MODEL.onnx"
    )


def _open(url: str, base: str, start: int = 0) -> Any:
    req = urllib.request.Request(url, headers={"Range": f"bytes={start}-"} if start else {})
    try:
        return urllib.request.urlopen(req, timeout=TIMEOUT_S)
    except urllib.error.HTTPError as e:
        if e.code == 416 and start:  # nothing left after ``start``: the .part is suspect
            return None
        raise VoiceError(f"{url}: the server answered HTTP {e.code} ({e.reason}); check the name and "
                         f"the mirror ({URL_ENV} or --from)") from None
    except (urllib.error.URLError, OSError) as e:
        raise _offline(base, getattr(e, "reason", e)) from None


def catalogue(base: str) -> dict[str, Any]:
    """The catalogue (``voices.json``) at ``base``."""
    with _open(f"{base}/voices.json", base) as resp:
        try:
            data = json.loads(resp.read())
        except (ValueError, OSError, http.client.HTTPException) as e:
            raise VoiceError(f"{base}/voices.json: not a Piper voice catalogue ({e})") from None
    if not isinstance(data, dict):
        raise VoiceError(f"{base}/voices.json: not a Piper voice catalogue (expected an object of voices)")
    return data


def voice_files(cat: dict[str, Any], name: str, base: str) -> list[RemoteFile]:
    """The model and config of voice ``name`` (and its model card), or a did-you-mean error."""
    if name not in cat:
        near = closest(name, cat, 3)
        hint = did_you_mean(name, cat) or (f" (close: {', '.join(near)})" if near else "")
        raise VoiceError(f"unknown voice '{name}' in the catalogue at {base}{hint}; names look like "
                         "de_DE-thorsten-medium")
    try:
        files = [RemoteFile(p, int(f["size_bytes"]), str(f["md5_digest"]).lower())
                 for p, f in cat[name]["files"].items()]
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise VoiceError(f"{base}/voices.json: the entry of '{name}' has no usable file list ({e})") from None
    wanted = [f for f in files if f.name.endswith((".onnx", ".onnx.json")) or f.name == "MODEL_CARD"]
    if not any(f.name.endswith(".onnx") for f in wanted) or not any(f.name.endswith(".onnx.json") for f in wanted):
        raise VoiceError(f"{base}/voices.json: '{name}' lists no .onnx model with its .onnx.json")
    return wanted


def _md5(path: Path) -> hashlib._Hash:
    h = hashlib.md5()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h


def fetch_file(base: str, f: RemoteFile, dest: Path, progress: Progress | None = None) -> None:
    """``dest`` = the verified file; resumes a ``dest.part`` left by a broken download."""
    if dest.is_file() and dest.stat().st_size == f.size and _md5(dest).hexdigest() == f.md5:
        return
    part = dest.with_name(dest.name + ".part")
    url = f"{base}/{urllib.parse.quote(f.path)}"
    for attempt in (1, 2):  # a resumed file that fails its check is fetched once more from the start
        have = part.stat().st_size if part.is_file() else 0
        if have > f.size:
            part.unlink()
            have = 0
        resp = _open(url, base, have) if have < f.size else None
        h = _md5(part) if have else hashlib.md5()
        if resp is not None:
            with resp:
                if have and resp.status != 206:  # the server cannot resume: start again
                    have, h = 0, hashlib.md5()
                _receive(resp, part, have, h, f, base, progress)
        done = part.stat().st_size if part.is_file() else 0
        if done == f.size and h.hexdigest() == f.md5:
            os.replace(part, dest)
            return
        part.unlink(missing_ok=True)
        if attempt == 2 or not have:
            what = f"{done} bytes instead of {f.size}" if done != f.size else f"MD5 {h.hexdigest()}, expected {f.md5}"
            raise VoiceError(f"{url}: the download does not match the catalogue ({what}); it was removed. "
                             "Run the command again; if it fails again the mirror holds a different file")


def _receive(resp: Any, part: Path, have: int, h: Any, f: RemoteFile, base: str, progress: Progress | None) -> None:
    part.parent.mkdir(parents=True, exist_ok=True)
    got = have
    with part.open("ab" if have else "wb") as out:
        try:
            while chunk := resp.read(CHUNK):
                check()  # a stop keeps the .part: the next run resumes it
                out.write(chunk)
                h.update(chunk)
                got += len(chunk)
                if progress:
                    progress(f.name, got, f.size)
                if got > f.size:
                    break
        except (OSError, http.client.HTTPException) as e:
            out.flush()
            raise VoiceError(f"the download of {f.name} stopped after {got} of {f.size} bytes ({type(e).__name__}: "
                             f"{e}); run the same command again to resume it") from None
        out.flush()
        os.fsync(out.fileno())
    if got < f.size:  # the server closed the connection early but cleanly
        raise VoiceError(f"the download of {f.name} stopped after {got} of {f.size} bytes (the server closed "
                         "the connection); run the same command again to resume it")


def download_voice(name: str, url: str | None = None, progress: Progress | None = None) -> AddedVoice:
    """Fetch voice ``name`` from the catalogue at ``url`` (or $RELAXGEN_VOICES_URL, or the
    public Piper repository), verify it and register it as ``relaxgen voices add`` does."""
    base = base_url(url)
    files = voice_files(catalogue(base), name, base)
    stage = added_voices_dir() / ".download" / name
    for f in files:
        fetch_file(base, f, stage / f.name, progress)
    onnx = next(stage / f.name for f in files if f.name.endswith(".onnx"))
    try:
        added = add_voice(onnx, name, move=True)
    except VoiceError:
        shutil.rmtree(stage, ignore_errors=True)  # complete and verified, but not a usable voice
        raise
    card = stage / "MODEL_CARD"
    if card.is_file():
        os.replace(card, added.model.parent / "MODEL_CARD")
    shutil.rmtree(stage, ignore_errors=True)
    return added
