"""``python -m bench.calibrate``: fit each default voice's speech-time estimate on the library.

Plans made without speaking (``plan --estimate``, ``relaxgen check``, ``--dry-run``, the fake
engine) time every clip with the voice profile's ``[estimate]`` table
(:mod:`generator.script.estimate`). This tool measures what the voices really take:

1. it renders every built-in script of the voice's language (every sample listener, every
   documented option, at the lengths declared for it) and keeps the unique sentences;
2. it speaks them with the voice (neural-en on Piper; calm-en, calm-en-us and calm-de forced
   onto espeak-ng; any other profile, e.g. a voice added with ``relaxgen voices add``, with its
   own engine) at the listener rates 0.8, 1.0 and 1.2, through the synthesis cache
   (``--cache-dir``, default under /tmp, so a second run speaks nothing);
3. it fits ``word_factor``, ``clip_ms`` and ``pause_ms`` by least squares over all rates (the
   rates other than 1 on a share of the sentences), each sentence weighted by 1 + how often the
   scripts at their default lengths say it (the planned speech time is a sum over the clips a
   session says: "Breathe in" counts as often as it is said); ``slowest_wpm`` comes from the engine
   (espeak-ng's lowest rate setting, Piper's largest length scale). To show that the pauses
   stretch with the rate, as the model says, it also fits pauses of one length at every rate;
4. it prints the coefficients and the error of the planned speech time (the sum over a
   session's clips, as the plan speaks them) for each script at its default length, with the
   profile's current table and with the fitted one; ``--write`` puts the fitted tables into
   the profiles' files (``voices/*.toml``, an added voice's in the user's voice folder).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from generator.api import Prepared, prepare
from generator.check import SAMPLE_PROFILES, library_templates
from generator.errors import RelaxgenError
from generator.model import ClipRequest, SpeechEstimate, VoiceProfile
from generator.profile import Profile, apply_overrides
from generator.script.estimate import breaks, words
from generator.script.render import parse_front_matter
from generator.script.timeline import estimate_ms, spoken_clips
from generator.tts.cache import ClipCache
from generator.tts.espeak import DELIVERED
from generator.tts.piper import slowest_wpm
from generator.tts.synth import Synthesizer
from generator.tts.voices import load_voices, voice_dirs

# the default voices: profile -> (language, engine it is forced onto: None speaks with its own)
VOICES = {"neural-en": ("en", None), "calm-en": ("en", "pyttsx3"), "calm-en-us": ("en", "pyttsx3"),
          "calm-de": ("de", "pyttsx3")}


def setup(voice: str) -> tuple[str, str | None]:
    """The language and forced engine of a profile (another than the defaults: its own engine)."""
    if voice in VOICES:
        return VOICES[voice]
    p: VoiceProfile = load_voices()[voice]
    return p.language.split("-")[0], None


def profile_file(voice: str) -> Path:
    """The file a profile is loaded from (the first voice folder that has it)."""
    for d in voice_dirs():
        for p in sorted(d.glob("*.toml")) if d.is_dir() else ():
            if re.search(rf'(?m)^name\s*=\s*"{re.escape(voice)}"', p.read_text(encoding="utf-8")):
                return p
    raise FileNotFoundError(f"no voice profile file names {voice}")
RATES = (0.8, 1.0, 1.2)
DEFAULT_CACHE = Path("/tmp/relaxgen-calibrate")


def library_sentences(language: str) -> list[str]:
    """The unique sentences (as spoken) of the built-in scripts of ``language``: every sample
    listener, documented option and declared length."""
    texts: dict[str, None] = {}
    for path in scripts(language):
        front = parse_front_matter(path.read_text(encoding="utf-8"), str(path))
        for sample in SAMPLE_PROFILES[language]:
            for case in (None, *front.options):
                prof = apply_overrides(sample, dict(case.sets), str(path)) if case else sample
                lo, hi = front.range_for(case)
                for minutes in dict.fromkeys(m for m in (lo, front.minutes, hi) if m is not None):
                    try:
                        prep = prepare(path, prof, minutes, engine="fake")
                    except RelaxgenError:
                        continue  # a case check reports; its sentences come with the others
                    texts.update(dict.fromkeys(r.text for r in prep.requests))
    return sorted(texts)


def scripts(language: str) -> list[Path]:
    return [p for p in library_templates() if p.parent.name == language]


def session(path: Path, voice: str, rate: float, syn: Synthesizer) -> Prepared:
    """The script at its default length, for the default listener, spoken by ``voice``."""
    language, engine = setup(voice)
    return prepare(path, Profile(name="Alex", language=language, voice=voice, rate=rate), None, engine, synth=syn)


@dataclass(frozen=True)
class Fit:
    voice: str
    estimate: SpeechEstimate
    rms_ms: float  # per clip


def features(reqs: Sequence[ClipRequest], est: SpeechEstimate) -> np.ndarray:
    """Per clip: the words' time at word_factor 1, and the factors of clip_ms and pause_ms."""
    rows = []
    for r in reqs:
        wpm = max(r.rate_wpm, est.slowest_wpm)
        scale = est.at_wpm / wpm if est.at_wpm > 0 else 1.0
        rows.append((words(r.text, r.language) * 60000.0 / wpm, scale, scale * breaks(r.text)))
    return np.array(rows, dtype=float)


def fit(voice: str, reqs: Sequence[ClipRequest], real_ms: np.ndarray, weights: np.ndarray,
        base: SpeechEstimate) -> Fit:
    """Weighted least squares of the clip lengths on the model (``base``: its at_wpm and slowest_wpm)."""
    x = features(reqs, base)
    w = np.sqrt(weights)
    coef, *_ = np.linalg.lstsq(x * w[:, None], real_ms * w, rcond=None)
    rms = float(np.sqrt(np.mean((x @ coef - real_ms) ** 2)))
    est = replace(base, word_factor=round(float(coef[0]), 4), clip_ms=round(max(0.0, float(coef[1])), 1),
                  pause_ms=round(max(0.0, float(coef[2])), 1))
    return Fit(voice, est, rms)


def error(reqs: Sequence[ClipRequest], real: dict[ClipRequest, float], est: SpeechEstimate | None) -> float:
    """Planned over real speech time, minus one (``est`` None: the profile's own table)."""
    planned = sum(estimate_ms(r if est is None else replace(r, estimate=est)) for r in reqs)
    return planned / sum(real[r] for r in reqs) - 1


def calibrate(voice: str, syn: Synthesizer, rates: Sequence[float], share: float, log=print) -> Fit:  # type: ignore[no-untyped-def]
    language, _ = setup(voice)
    texts = library_sentences(language)
    usage = Counter(r.text for p in scripts(language) for r in spoken_clips(session(p, voice, 1.0, syn).steps))
    log(f"{voice}: {len(texts)} sentences of the {language} library")
    reqs: list[ClipRequest] = []
    for rate in rates:
        base = session(scripts(language)[0], voice, rate, syn).requests[0]
        some = texts if rate == 1.0 else texts[:: max(1, round(1 / share))]
        reqs += [replace(base, text=t) for t in some]
    clips = syn.synthesize_all(reqs, lambda i, n: log(f"  spoken {i}/{n}") if i % 200 == 0 else None)
    real = np.array([clips[r].dur_ms for r in reqs])
    weights = np.array([1.0 + usage[r.text] for r in reqs])
    floor = DELIVERED[language][0][1] if base.engine == "pyttsx3" else round(slowest_wpm(base.rate_model), 1)
    at_wpm = session(scripts(language)[0], voice, 1.0, syn).requests[0].rate_wpm
    result = fit(voice, reqs, real, weights, SpeechEstimate(at_wpm=at_wpm, slowest_wpm=floor))
    fixed = fit(voice, reqs, real, weights, SpeechEstimate(slowest_wpm=floor))  # pauses of one length
    by_req = {r: float(m) for r, m in zip(reqs, real, strict=True)}
    log(f"  per clip: {result.rms_ms:.0f} ms rms; with pauses that do not stretch {fixed.rms_ms:.0f} ms")
    for rate in rates:
        some = [r for r in reqs if abs(r.rate_wpm - at_wpm * rate) < 0.01]
        log(f"  rate {rate:g}, {len(some)} sentences: {100 * error(some, by_req, None):+.1f} % now, "
            f"{100 * error(some, by_req, result.estimate):+.1f} % fitted "
            f"({100 * error(some, by_req, fixed.estimate):+.1f} % with pauses that do not stretch)")
    return result


def per_script(voice: str, est: SpeechEstimate, syn: Synthesizer, log=print) -> list[tuple[str, float, float]]:  # type: ignore[no-untyped-def]
    """Each script at its default length: the planned speech time's error now and fitted."""
    language, _ = setup(voice)
    out = []
    for path in scripts(language):
        reqs = spoken_clips(session(path, voice, 1.0, syn).steps)
        clips = syn.synthesize_all(reqs)
        real = {r: clips[r].dur_ms for r in reqs}
        out.append((path.stem, error(reqs, real, None), error(reqs, real, est)))
        log(f"  {path.stem:<22} {sum(real[r] for r in reqs) / 60000:5.1f} min speech: "
            f"{100 * out[-1][1]:+5.1f} % now, {100 * out[-1][2]:+5.1f} % fitted")
    return out


def toml_table(est: SpeechEstimate) -> str:
    rows = [("[estimate]", "speech time per clip, fitted by 'python -m bench.calibrate' (docs/voices.md)"),
            (f"word_factor = {est.word_factor:g}", "a word of typical length: word_factor x 60000 / wpm ms"),
            (f"clip_ms = {est.clip_ms:g}", "each clip: its start and end"),
            (f"pause_ms = {est.pause_ms:g}", "each comma, semicolon or colon"),
            (f"at_wpm = {est.at_wpm:g}", "the rate clip_ms and pause_ms are measured at (they stretch with it)"),
            (f"slowest_wpm = {est.slowest_wpm:g}", "the engine speaks no slower than this")]
    return "".join(f"{k:<24}# {c}\n" for k, c in rows)


def write_table(path: Path, est: SpeechEstimate) -> None:
    """Replace (or append) the ``[estimate]`` table of a voice profile file."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"(?ms)^\[estimate\].*?(?=^\[|\Z)", "", text).rstrip("\n") + "\n\n"
    path.write_text(text + toml_table(est), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.calibrate", description=__doc__.split("\n")[0],
                                 epilog="See docs/voices.md, 'How long a voice takes'.")
    ap.add_argument("--voices", default=",".join(VOICES),
                    help=f"profiles to fit (default: {','.join(VOICES)}; an added voice by its name)")
    ap.add_argument("--rates", default=",".join(f"{r:g}" for r in RATES), help="listener rates (default 0.8,1,1.2)")
    ap.add_argument("--share", type=float, default=0.25,
                    help="share of the sentences spoken at the rates other than 1 (default 0.25)")
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help=f"clip cache (default {DEFAULT_CACHE})")
    ap.add_argument("--jobs", type=int, default=None, help="speech workers (default: the number of cores)")
    ap.add_argument("--write", action="store_true", help="write the fitted tables into the profiles' files")
    a = ap.parse_args(argv)
    rates = [float(r) for r in a.rates.split(",")]
    unknown = [v for v in a.voices.split(",") if v not in load_voices()]
    if unknown or 1.0 not in rates:
        ap.error(f"unknown voice profile {unknown[0]}" if unknown else "the rates must include 1")
    with Synthesizer(ClipCache(a.cache_dir), jobs=a.jobs) as syn:
        for voice in a.voices.split(","):
            f = calibrate(voice, syn, rates, a.share)
            print(toml_table(f.estimate))
            rows = per_script(voice, f.estimate, syn)
            for label, col in (("now", 1), ("fitted", 2)):
                errs = [r[col] for r in rows]
                worst = max(rows, key=lambda r: abs(r[col]))
                print(f"  {label}: mean |error| {100 * np.mean(np.abs(errs)):.1f} %, worst {worst[0]} "
                      f"{100 * worst[col]:+.1f} %")
            if a.write:
                write_table(profile_file(voice), f.estimate)
                print(f"  written to {profile_file(voice)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
