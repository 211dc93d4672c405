"""pyttsx3 engine: espeak-ng on Linux (the espeakng-loader wheel, or a system library that opens no audio device), SAPI5, NSSS.

Traps handled here (measured with the espeak-ng driver): the first long
utterance on a fresh engine can silently write no file (we warm up with a
short one, check every output and retry once); several ``save_to_file`` calls
queued before one ``runAndWait`` write only the last (we run one at a time);
``getProperty('rate')`` is unreliable (we set it every time and never read
it); the driver prints "Audio saved to ..." on stdout (we silence it).

The rate: espeak-ng speaks faster than its rate setting says, and not in
proportion (at 135 about 180 words a minute of speech time in English).
:func:`engine_rate` turns a profile's ``rate_wpm`` into the setting that
delivers it, from a table measured on espeak-ng, so ``rate_wpm`` is the
delivered rate for espeak-ng as for Piper. SAPI5 and NSSS get the rate as it is.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import io
import itertools
import os
import sys
import threading
from pathlib import Path
from typing import Any

from ..errors import SynthesisError, VoiceError
from ..model import ClipRequest
from .base import EngineVoice

_LOCK = threading.Lock()

# espeak-ng's rate setting -> delivered words per minute of speech time (clips trimmed; 23
# calm English and 10 German sentences of the library's kind; espeak-ng from espeakng-loader
# 0.2 / the system's 1.51). The setting's floor is 80.
DELIVERED: dict[str, tuple[tuple[int, float], ...]] = {
    "en": ((80, 112.9), (90, 120.4), (100, 133.9), (110, 147.3), (120, 160.3), (130, 175.0),
           (140, 189.0), (150, 200.7), (160, 214.6), (170, 228.4), (180, 240.9)),
    "de": ((80, 96.8), (90, 103.0), (100, 114.2), (110, 125.1), (120, 136.0), (130, 147.8),
           (140, 158.4), (150, 168.5), (160, 180.0), (170, 191.1), (180, 201.9)),
}
RATE_TABLE_ID = "rate-table-1"  # part of the engine version: a new table re-speaks the cache


def engine_rate(rate_wpm: float, language: str, espeak: bool = True) -> int:
    """The rate setting that makes espeak-ng deliver ``rate_wpm`` in ``language`` (the lowest
    setting, 80, for anything slower than that delivers; proportional above the table). Other
    engines behind pyttsx3 (``espeak=False``) and languages without a table get ``rate_wpm``."""
    table = DELIVERED.get(language.split("-")[0].lower()) if espeak else None
    if not table:
        return int(round(rate_wpm))
    if rate_wpm <= table[0][1]:
        return table[0][0]
    for (s0, d0), (s1, d1) in itertools.pairwise(table):
        if rate_wpm <= d1:
            return int(round(s0 + (s1 - s0) * (rate_wpm - d0) / (d1 - d0)))
    s1, d1 = table[-1]
    return int(round(s1 * rate_wpm / d1))


_ESPEAK_SOURCE: str | None = None
# espeak-ng 1.51 and older create their audio device object in every output mode, the
# retrieval mode pyttsx3 uses included: a library linked with pcaudiolib (Debian's is) then
# connects to PulseAudio or ALSA when it starts, and libpulse writes pulse/ under
# XDG_CONFIG_HOME or XDG_RUNTIME_DIR. 1.52 creates it only for playback.
SILENT_SINCE = (1, 52)


def lib_version(lib: ctypes.CDLL) -> tuple[int, int]:
    """espeak-ng's version from ``espeak_Info``, which needs no initialisation."""
    info = lib.espeak_Info
    info.restype = ctypes.c_char_p
    info.argtypes = [ctypes.c_void_p]
    text = (info(None) or b"").decode("ascii", "replace")
    nums = [int(n) for n in text.split(" ")[0].split(".")[:2] if n.isdigit()]
    return (nums[0], nums[1]) if len(nums) == 2 else (0, 0)


def ensure_espeak() -> str:
    """Load a libespeak-ng that only synthesises, for pyttsx3 to use; returns where it came from.

    relaxgen makes files and never plays them, so it must not open or probe an audio device.
    First choice: the ``espeakng-loader`` wheel (a dependency), built without audio output, so
    every machine speaks with the same espeak-ng. Else the system library, if it is 1.52 or
    newer (see :data:`SILENT_SINCE`). The library is loaded globally before pyttsx3 is imported:
    pyttsx3 opens ``libespeak-ng.so.1`` by name and gets the one already loaded.
    """
    global _ESPEAK_SOURCE
    if _ESPEAK_SOURCE is not None:
        return _ESPEAK_SOURCE
    if not sys.platform.startswith("linux"):
        _ESPEAK_SOURCE = "platform"
        return _ESPEAK_SOURCE
    try:
        if os.environ.get("RELAXGEN_NO_ESPEAK_WHEEL") == "1":
            raise ImportError("disabled by RELAXGEN_NO_ESPEAK_WHEEL")
        import espeakng_loader

        ctypes.CDLL(espeakng_loader.get_library_path(), mode=ctypes.RTLD_GLOBAL)
        os.environ["ESPEAK_DATA_PATH"] = os.path.dirname(espeakng_loader.get_data_path())
        _ESPEAK_SOURCE = "espeakng-loader"
        return _ESPEAK_SOURCE
    except (ImportError, OSError) as e:
        wheel_problem = str(e)
    system = None if os.environ.get("RELAXGEN_NO_SYSTEM_ESPEAK") == "1" else ctypes.util.find_library("espeak-ng")
    if system:
        try:
            lib = ctypes.CDLL(system, mode=ctypes.RTLD_GLOBAL)
            version = lib_version(lib)
        except (OSError, AttributeError) as e:
            raise SynthesisError(f"the system espeak-ng ({system}) could not be loaded ({e}): install the "
                                 "Python package 'espeakng-loader' (pip install espeakng-loader)") from None
        if version < SILENT_SINCE:
            raise SynthesisError(
                f"the system espeak-ng is version {version[0]}.{version[1]}, which opens an audio device "
                "when it starts (relaxgen makes files and never plays them), and the Python package "
                f"'espeakng-loader' is not usable ({wheel_problem}): install it (pip install espeakng-loader) "
                "or espeak-ng 1.52 or newer")
        _ESPEAK_SOURCE = f"system-{version[0]}.{version[1]}"
        return _ESPEAK_SOURCE
    raise SynthesisError(
        f"espeak-ng was not found ({wheel_problem}): install the Python package 'espeakng-loader' "
        "(pip install espeakng-loader) or the system package (apt-get install espeak-ng)"
    )


class Pyttsx3Engine:
    name = "pyttsx3"

    def __init__(self) -> None:
        self._engine: Any = None
        self._warm = False

    def _get(self) -> Any:
        if self._engine is None:
            ensure_espeak()
            try:
                import pyttsx3

                with _quiet():
                    self._engine = pyttsx3.init()
            except Exception as e:  # pyttsx3 raises RuntimeError, OSError, KeyError...
                raise SynthesisError(
                    f"the pyttsx3 speech engine failed to start: {e}. On Linux install "
                    "espeak-ng (apt-get install espeak-ng) or the espeakng-loader package"
                ) from None
        return self._engine

    def version(self) -> str:
        try:
            from importlib.metadata import version

            v = version("pyttsx3")
        except Exception:
            v = "?"
        src = ensure_espeak()
        lib = ""
        if src == "espeakng-loader":
            with contextlib.suppress(Exception):
                lib = "/loader-" + version("espeakng-loader")
        return f"pyttsx3-{v}/{sys.platform}/{src}{lib}/{RATE_TABLE_ID}"

    def voices(self) -> list[EngineVoice]:
        eng = self._get()
        out = []
        for v in eng.getProperty("voices"):
            langs = tuple(
                (lang.decode("utf-8", "replace") if isinstance(lang, bytes) else str(lang)).lstrip("\x05")
                for lang in (v.languages or [])
            )
            out.append(EngineVoice(str(v.id), str(v.name), langs))
        return out

    def _say_to_file(self, text: str, out: Path) -> None:
        eng = self._get()
        with _quiet():
            eng.save_to_file(text, str(out))
            eng.runAndWait()

    def synthesize(self, req: ClipRequest, out_wav: Path) -> None:
        with _LOCK:
            eng = self._get()
            try:
                rate = engine_rate(req.rate_wpm, req.language, ensure_espeak() != "platform")
                # espeak-ng keeps the rate a voice had when it was selected: a new rate set
                # just after selecting the same voice again, or just after switching voices,
                # is sometimes lost (measured). Rate, voice, rate again applies it every time.
                eng.setProperty("rate", rate)
                eng.setProperty("voice", req.voice_id)
                eng.setProperty("rate", rate)
                eng.setProperty("volume", 1.0)
                with contextlib.suppress(Exception):
                    eng.setProperty("pitch", req.pitch)
            except Exception as e:
                raise VoiceError(f"the speech engine rejected voice '{req.voice_id}': {e}") from None
            if not self._warm:
                warm = out_wav.with_name(out_wav.name + ".warm.wav")
                with contextlib.suppress(Exception):
                    self._say_to_file("Hm.", warm)
                with contextlib.suppress(OSError):
                    warm.unlink()
                self._warm = True
            for attempt in (1, 2):
                with contextlib.suppress(OSError):
                    out_wav.unlink()
                try:
                    self._say_to_file(req.text, out_wav)
                except Exception as e:
                    if attempt == 2:
                        raise SynthesisError(f"the speech engine failed on {req.text!r}: {e}") from None
                    continue
                if out_wav.is_file() and out_wav.stat().st_size > 44:
                    return
            raise SynthesisError(f"the speech engine wrote no audio for {req.text!r} (tried twice)")


@contextlib.contextmanager
def _quiet() -> Any:
    """Silence the driver's prints (Python-level stdout)."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield
