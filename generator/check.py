"""``relaxgen check``: render, parse and fit templates; collect every problem.

A template is checked at the lengths its front matter declares, for each documented option
combination (``[[options]]``, at the lengths declared for it), and with every voice a listener
of its language may get by default, each planned with its own rate and speech-time estimate
(the neural voice speaks more slowly than espeak-ng, so a short length may be out of its reach)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .api import check_voice, plan, reach
from .errors import RelaxgenError
from .model import VoiceProfile
from .paths import display, scripts_dir
from .profile import LANGUAGES, Profile, apply_overrides
from .script.fill import holes, pieces
from .script.render import (
    TEMPLATE_SUFFIXES,
    FrontMatter,
    OptionCase,
    builtin_names,
    parse_front_matter,
)
from .script.timeline import mins
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
    """The built-in scripts of every language."""
    root = scripts_dir()
    out: list[Path] = []
    for lang in LANGUAGES:
        d = root / lang
        if d.is_dir():
            out.extend(sorted(p for p in d.iterdir() if p.suffix in TEMPLATE_SUFFIXES))
    return out


def library_manifests() -> list[Path]:
    """The built-in pack and course manifests."""
    root = scripts_dir()
    return [p for kind in ("packs", "courses") for p in sorted((root / kind).glob("*.toml"))]


def check_manifest(path: Path) -> list[Problem]:
    """A pack or course manifest: it loads, and its titles and descriptions exist in every
    language its scripts exist in (a listener reads and hears their own; a table per language
    that lacks one is a problem, never English by default)."""
    from .batch.manifest import load_manifest  # the check of templates needs no batch stage

    name = display(path)
    try:
        manifest = load_manifest(path)
    except RelaxgenError as e:
        return [Problem(name, "?", None, str(e))]
    problems = []
    for lang in _manifest_languages(manifest):
        try:
            manifest.for_language(lang)
        except RelaxgenError as e:
            problems.append(Problem(name, lang, None, str(e)))
    return problems


def _manifest_languages(manifest: Any) -> list[str]:
    """The languages every session's script exists in (built-in scripts: each language that has it)."""
    langs = set(LANGUAGES)
    for sp in manifest.sessions:
        if sp.is_builtin:
            langs &= {lang for lang in LANGUAGES if sp.script in builtin_names(lang)}
        else:
            front = parse_front_matter(Path(sp.script).read_text(encoding="utf-8"), sp.script)
            langs &= {front.language} if front.language else langs
    return sorted(langs)


def expand(paths: Iterable[Path]) -> list[Path]:
    """Templates (and manifests named as files) to check; folders give their templates."""
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
                check_voice(prof)
            except RelaxgenError as e:
                problems.append(Problem(name, where, None, str(e), option))
                continue
            lo, hi = front.range_for(case)
            for k, voice in enumerate(names or (None,)):
                voiced = replace(prof, voice=voice) if k else prof  # k > 0: a voice the default one prefers
                wpm = voices[voice].rate_wpm if k and voice else None
                named = (voice or "") if wpm else ""
                seen: set[str] = set()
                for m in _lengths(front, case):
                    try:
                        prep, _tl = plan(path, voiced, m, engine="fake", voices=voices)
                    except RelaxgenError as e:
                        hint = ("; declare the lengths it reaches with this option in the front matter "
                                "([[options]] min_minutes / max_minutes)") if case else ""
                        problems.append(Problem(name, where, m, str(e) + hint, option, wpm, named))
                        continue
                    inside = [h for h in holes(reach(prep), pieces(prep.steps), None if lo is None else lo * 60000,
                                               None if hi is None else hi * 60000)
                              if h.describe() not in seen]
                    for h in inside:
                        seen.add(h.describe())
                        problems.append(Problem(name, where, m, (
                            f"no length from {mins(h.after_ms)} to {mins(h.before_ms)} can be reached (a hole in the "
                            f"declared range): {h.describe()}; widen the elastic pauses before it or shorten it"),
                            option, wpm, named))
    return problems
