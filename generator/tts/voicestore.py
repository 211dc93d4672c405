"""Piper voices you add: ``relaxgen voices add MODEL.onnx`` (and what ``voices download`` fetched).

An added voice lives in the user's data folder (``$XDG_DATA_HOME/relaxgen/voices``):
``NAME/MODEL.onnx`` with its ``MODEL.onnx.json``, and the voice profile ``NAME.toml``
beside the folder (its ``model`` path relative to it, so the folder can be copied to
another machine as it is). The profile carries ``added = <time>``; ``calm-de`` and
``calm-en`` prefer the newest added voice of their language (``prefer = ["added", ...]``).
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import FileOperationError, VoiceError
from ..fsutil import atomic_path, atomic_write_text
from ..paths import display
from .textnorm import LANGUAGES
from .voices import added_voices_dir, load_voices

if TYPE_CHECKING:
    from .piper import RateModel

# Guided relaxation is spoken at about 100-120 words per minute (DOMAIN.md); an added voice
# speaks at the bundled neural voice's calm rate, so the library's lengths hold for it as well.
CALM_WPM = 120.0
SENTENCE_PAUSE_MS = 1200.0
PARAGRAPH_PAUSE_MS = 3000.0
TEST_SENTENCE = {"en": "Let your shoulders soften.", "de": "Lass deine Schultern weich werden."}
# Sentences of the library's kind (calm, with commas) on which an added voice's speaking rate is
# measured, so that its rate_wpm is what it delivers in its own language.
RATE_SENTENCES = {
    "en": ("Let your shoulders soften, and sink a little lower.",
           "Breathe in slowly through your nose, and let the breath go.",
           "Notice the weight of your body, resting on the floor.",
           "With every breath out, your back can release a little more.",
           "There is nothing you need to do right now, just rest."),
    "de": ("Lass deine Schultern weich werden, und ein wenig tiefer sinken.",
           "Atme langsam durch die Nase ein, und lass den Atem wieder gehen.",
           "Spüre das Gewicht deines Körpers, wie er auf der Unterlage ruht.",
           "Mit jedem Ausatmen darf dein Rücken ein wenig mehr loslassen.",
           "Im Moment gibt es nichts zu tun, ruhe einfach aus."),
}
SAMPLE_RATES = (8000, 48000)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")


@dataclass(frozen=True)
class VoiceConfig:
    """What relaxgen reads from a Piper ``.onnx.json``."""

    language: str  # relaxgen's language: the config's language family (de, en)
    code: str  # e.g. de_DE
    sample_rate: int
    dataset: str
    quality: str
    language_name: str


@dataclass(frozen=True)
class AddedVoice:
    name: str
    profile: Path
    model: Path
    config: VoiceConfig
    rate_wpm: float


def config_beside(onnx: Path) -> Path:
    """The ``MODEL.onnx.json`` of a model; VoiceError naming the file when it is missing."""
    if onnx.suffix != ".onnx":
        raise VoiceError(f"{display(onnx)}: a Piper voice model is an .onnx file (with its .onnx.json beside it)")
    if not onnx.is_file():
        raise VoiceError(f"{display(onnx)}: no such file")
    cfg = onnx.with_name(onnx.name + ".json")
    if not cfg.is_file():
        raise VoiceError(f"{display(onnx)}: its config {cfg.name} is missing; a Piper voice is two files: put "
                         f"{cfg.name} (from the same place as the model) beside it")
    return cfg


def read_config(cfg: Path) -> VoiceConfig:
    """Check a Piper voice config: JSON, a sample rate, a language relaxgen speaks."""
    try:
        data: dict[str, Any] = json.loads(cfg.read_text(encoding="utf-8"))
        rate = int(data["audio"]["sample_rate"])
    except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError) as e:
        raise VoiceError(f"{display(cfg)}: not a Piper voice config ({type(e).__name__}: {e})") from None
    if not SAMPLE_RATES[0] <= rate <= SAMPLE_RATES[1]:
        raise VoiceError(f"{display(cfg)}: sample rate {rate} Hz is not a voice's (8000-48000 Hz)")
    lang = data.get("language") or {}
    code = str(lang.get("code") or data.get("espeak", {}).get("voice") or "")
    family = str(lang.get("family") or re.split(r"[-_]", code)[0]).lower()
    if family not in LANGUAGES:
        raise VoiceError(f"{display(cfg)}: the voice speaks '{code or 'an unknown language'}'; relaxgen's scripts "
                         f"are in {', '.join(LANGUAGES)}, so choose a voice of one of those languages")
    return VoiceConfig(family, code, rate, str(data.get("dataset", "")), str(data.get("audio", {}).get("quality", "")),
                       str(lang.get("name_english") or family))


def speaks(onnx: Path, cfg: Path, language: str) -> RateModel:
    """Load the model and speak a test sentence in a child process (as speech workers do: a
    second espeak-ng in one process, pyttsx3's and Piper's, can crash it, and so can a broken
    model), then measure its speaking rate; VoiceError if it cannot speak."""
    import concurrent.futures
    import multiprocessing as mp
    from concurrent.futures.process import BrokenProcessPool

    probe = atomic_added_tmp()
    try:
        with concurrent.futures.ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as ex:
            return ex.submit(_probe, str(onnx), str(cfg), language, str(probe)).result()
    except BrokenProcessPool:
        raise VoiceError(f"{display(onnx)}: the voice crashed while speaking a test sentence; the model "
                         "or its config is broken") from None
    finally:
        probe.unlink(missing_ok=True)


def _probe(onnx: str, cfg: str, language: str, out: str) -> RateModel:
    """(In the child) a test sentence spoken by the voice, checked; then its rate model."""
    from .piper import load_voice, measure_rate_model

    voice = load_voice(Path(onnx), Path(cfg))  # VoiceError for a corrupt model
    text = TEST_SENTENCE[language]
    try:
        with wave.open(out, "wb") as w:
            voice.synthesize_wav(text, w)
        with wave.open(out, "rb") as r:
            seconds = r.getnframes() / r.getframerate()
    except Exception as e:  # onnxruntime errors on a model that loads but does not run
        raise VoiceError(f"{display(onnx)}: the voice could not speak a test sentence ({type(e).__name__}: {e})") from None
    if seconds < 0.3:
        raise VoiceError(f"{display(onnx)}: the voice spoke a test sentence as {seconds:.2f} s of audio; "
                         "the model or its config is broken")
    try:
        return measure_rate_model(voice, RATE_SENTENCES[language])
    except VoiceError as e:
        raise VoiceError(f"{display(onnx)}: {e}") from None


def atomic_added_tmp() -> Path:
    d = added_voices_dir()
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise FileOperationError(d, e.strerror or str(e)) from None
    return d / f".probe-{os.getpid()}.wav"


def check_name(name: str, builtin: set[str]) -> str:
    if not _NAME.match(name):
        raise VoiceError(f"'{name}' cannot name a voice: use letters, digits, '-', '_' and '.' (e.g. de_DE-thorsten-medium)")
    if name in builtin:
        raise VoiceError(f"'{name}' is a built-in voice profile; choose another --name")
    return name


def add_voice(onnx: Path, name: str | None = None, move: bool = False) -> AddedVoice:
    """Validate a Piper voice, store it in the data folder and write its profile.

    ``move`` moves the files instead of copying them (``voices download`` hands over
    what it fetched). Nothing is registered unless every check passed.
    """
    onnx = Path(onnx).expanduser()
    cfg = config_beside(onnx)
    vc = read_config(cfg)
    rate_model = speaks(onnx, cfg, vc.language)
    builtin = {n for n, v in load_voices().items() if not v.added}
    name = check_name(name or onnx.stem, builtin)
    folder = added_voices_dir() / name
    dest = folder / onnx.name
    for src, dst in ((onnx, dest), (cfg, folder / cfg.name)):
        _store(src, dst, move)
    profile = added_voices_dir() / f"{name}.toml"
    now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    desc = f"{vc.language_name} neural voice {vc.dataset or onnx.stem} ({vc.quality or 'Piper'}, {vc.code}), added"
    atomic_write_text(profile, "\n".join([
        f"# Added by 'relaxgen voices add' on {now[:10]}; calm-{vc.language} prefers the newest added voice.",
        f"name = {json.dumps(name)}",
        f"description = {json.dumps(desc)}",
        'engine = "piper"',
        f"language = {json.dumps(vc.language)}",
        f"rate_wpm = {CALM_WPM:g}",
        "# minutes per word of speech time = a + b * Piper's length_scale, measured when added",
        "rate_model = [{:.7g}, {:.7g}]".format(*rate_model),
        f"sentence_pause_ms = {SENTENCE_PAUSE_MS:g}",
        f"paragraph_pause_ms = {PARAGRAPH_PAUSE_MS:g}",
        f"model = {json.dumps(f'{name}/{onnx.name}')}",
        f"added = {json.dumps(now)}",
        "",
    ]))
    return AddedVoice(name, profile, dest, vc, CALM_WPM)


def _store(src: Path, dst: Path, move: bool) -> None:
    if src.resolve() == dst.resolve():
        return
    if move:
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)
        return
    with atomic_path(dst) as tmp:
        try:
            shutil.copyfile(src, tmp)
        except OSError as e:
            raise FileOperationError(dst, e.strerror or str(e)) from None
