"""``relaxgen check``: render, parse and fit templates; collect every problem.

A template is checked at the lengths its front matter declares, for each documented option
combination (``[[options]]``, at the lengths declared for it), and with every voice a listener
of its language may get by default, each planned with its own rate and speech-time estimate
(the neural voice speaks more slowly than espeak-ng, so a short length may be out of its reach)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from .api import plan
from .errors import RelaxgenError
from .model import VoiceProfile
from .paths import display, scripts_dir
from .profile import LANGUAGES, Profile, apply_overrides
from .script.render import TEMPLATE_SUFFIXES, FrontMatter, OptionCase, parse_front_matter
from .tts.estimates import default_estimate
from .tts.voices import ADDED, load_voices, preference
from .tts.voicestore import CALM_WPM


@dataclass(frozen=True)
class Problem:
    template: str
    language: str
    minutes: float | None
    message: str
    option: str = ""  # the [[options]] combination, e.g. "safety=yes"
    wpm: float | None = None  # the voice's rate, when it is not the default profile's own voice
    voice: str = ""  # that voice

    def __str__(self) -> str:
        at = f" at {self.minutes:g} min" if self.minutes is not None else ""
        at += f", with {self.option}" if self.option else ""
        at += f", at {self.wpm:g} wpm ({self.voice})" if self.wpm is not None else ""
        msg = self.message if self.message.startswith(self.template) else f"{self.template}: {self.message}"
        return f"{msg} [{self.language}{at}]"


def library_templates() -> list[Path]:
    root = scripts_dir()
    out: list[Path] = []
    for lang in LANGUAGES:
        d = root / lang
        if d.is_dir():
            out.extend(sorted(p for p in d.iterdir() if p.suffix in TEMPLATE_SUFFIXES))
    return out


def expand(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.suffix in TEMPLATE_SUFFIXES and "_lib" not in q.parts))
        else:
            out.append(p)
    return out


SAMPLE_PROFILES = {
    "en": [Profile(name="Alex", language="en")],
    "de": [Profile(name="Alex", language="de", address="Sie"), Profile(name="Alex", language="de", address="du")],
}


ADDED_VOICE = "an added voice"  # stands for a voice the listener may still add


def listener_voices(language: str) -> tuple[dict[str, VoiceProfile], tuple[str, ...]]:
    """The voice profiles to plan with, and the names of the voices a listener of ``language``
    may get by default: the default profile itself first, then each voice it prefers, with its
    own rate and speech-time estimate. "added" stands for a voice the listener may still add
    (``ADDED_VOICE``: a Piper voice at 120 words a minute that estimates as a voice added without
    an ``[estimate]`` table does). A voice that plans like one before it is left out."""
    voices: dict[str, VoiceProfile] = dict(load_voices())
    default = voices.get(Profile(language=language).voice_name)
    if default is None:
        return voices, ()
    chain = [default, *preference(default, voices)[:-1]]
    if ADDED in default.prefer:
        voices[ADDED_VOICE] = VoiceProfile(ADDED_VOICE, "piper", language, rate_wpm=CALM_WPM,
                                           estimate=default_estimate("piper", language, None))
        chain.append(voices[ADDED_VOICE])
    plans_alike: dict[tuple[object, ...], str] = {}
    for v in chain:
        plans_alike.setdefault((v.rate_wpm, v.estimate), v.name)
    return voices, tuple(plans_alike.values())


def _lengths(front: FrontMatter, case: OptionCase | None) -> list[float | None]:
    lo, hi = front.range_for(case)
    default = front.minutes if front.minutes is not None and (lo is None or lo <= front.minutes) and (
        hi is None or front.minutes <= hi) else None
    return [m for m in dict.fromkeys((lo, default, hi)) if m is not None] or [None]


def check_template(path: Path) -> list[Problem]:
    """Every problem of one template: for each language it declares, each sample profile and
    each declared option combination, at the declared lengths and every default voice's rate."""
    name = display(path)
    try:
        front = parse_front_matter(path.read_text(encoding="utf-8"), name)
    except (RelaxgenError, OSError, UnicodeDecodeError) as e:
        return [Problem(name, "?", None, str(e))]
    lang = front.language or (path.parent.name if path.parent.name in LANGUAGES else "en")
    voices, names = listener_voices(lang)
    problems: list[Problem] = []
    for sample in SAMPLE_PROFILES.get(lang, [Profile(language=lang)]):
        where = f"{lang}/{sample.address}" if lang == "de" else lang
        base = replace(sample, language=lang)
        for case in (None, *front.options):
            option = case.label if case else ""
            try:
                prof = apply_overrides(base, dict(case.sets), f"{name}: [[options]] {option}") if case else base
            except RelaxgenError as e:
                problems.append(Problem(name, where, None, str(e), option))
                continue
            for k, voice in enumerate(names or (None,)):
                voiced = replace(prof, voice=voice) if k else prof  # k > 0: a voice the default one prefers
                for m in _lengths(front, case):
                    try:
                        plan(path, voiced, m, engine="fake", voices=voices)
                    except RelaxgenError as e:
                        hint = ("; declare the lengths it reaches with this option in the front matter "
                                "([[options]] min_minutes / max_minutes)") if case else ""
                        wpm = voices[voice].rate_wpm if k and voice else None
                        problems.append(Problem(name, where, m, str(e) + hint, option, wpm,
                                                (voice or "") if wpm else ""))
    return problems
