"""The library as a listener hears it: each built-in script × language × length is built
with the default voice of its language and measured on the decoded MP3.

Measures (per build): the speech share (time the voice is audible within spoken lines,
over the whole length), the longest unbroken silence and where it is (chapter, time;
declared practice holds, ``[pause … hold]``, are the practice and do not count), each
chapter's longest silence, the speaking rate (words per minute of speech time), whether
the length was met, the lines said more than twice, and the method's own timing
(:mod:`generator.measures`): PMR tension and the silence after each release, the silence
after each autogenic formula. Targets per method (docs/scripts.md, "Quiet where the method
works"): speech share PMR 30-55 %, autogenic training 20-45 %, body scan 40-70 %, imagery
40-65 %, breathing 20-50 %; PMR tension 5-7 s and at least 20 s of unbroken silence after each
release (15 s at a script's shortest length); at least 10 s after each autogenic formula,
the heaviness formula three times or more, the first formula within 45 s; no unbroken
silence over 60 s outside a declared hold; no line said more than twice.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .api import BuildOptions, build_session
from .audio.clips import SR
from .audio.ffmpeg import decode
from .check import library_templates
from .errors import ScriptError
from .measures import chapter_silences, formula_timing, pmr_timing, repeated_lines, sound_frames
from .model import TimedPause, Timeline
from .profile import Profile
from .script.render import parse_front_matter
from .script.timeline import FIT_TOLERANCE, FIT_TOLERANCE_MS

BREATHING = ("belly-breathing", "box-breathing", "breathing-478", "resonance-breathing")
# pmr-recall is PMR without tensing: PMR's speech share, no tension or release to time
METHODS = {"pmr-4": "pmr", "pmr-7": "pmr", "pmr-16": "pmr", "pmr-recall": "recall", "autogenic": "autogenic",
           "body-scan": "body-scan", "beach-walk": "imagery", "safety-intro": "introduction"}
SHARE_TARGETS = {"pmr": (0.30, 0.55), "recall": (0.30, 0.55), "autogenic": (0.20, 0.45), "body-scan": (0.40, 0.70),
                 "imagery": (0.40, 0.65), "breathing": (0.20, 0.50), "guided": (0.30, 0.65),
                 "introduction": (0.40, 0.80)}
MAX_UNGUIDED_S = 60.0
TENSION_S = (5.0, 7.0)
RELEASE_SILENCE_S = (20.0, 15.0)  # after each release: at the default and longer lengths, at the shortest
FORMULA_SILENCE_S = 10.0
FIRST_FORMULA_S = 45.0
FRAME_S = 0.02


def method_of(name: str, tags: Iterable[str] = ()) -> str:
    """Which targets apply: 'pmr', 'recall' (PMR by recall), 'autogenic', 'body-scan', 'imagery', 'breathing',
    'introduction' or 'guided' (a script of its own kind, e.g. the desk break)."""
    tags = set(tags)
    if "breathing" in tags or name in BREATHING:
        return "breathing"
    if "introduction" in tags:
        return "introduction"
    return METHODS.get(name, "guided")


@dataclass
class Measure:
    script: str
    language: str
    minutes: float | None  # the target asked for (None: the script's natural length)
    which: str  # min | default | max
    method: str
    length_s: float = 0.0
    length_met: bool = False
    speech_share: float = 0.0
    longest_silence_s: float = 0.0
    longest_silence_at_s: float = 0.0
    longest_silence_chapter: str = ""
    words_per_minute: float = 0.0
    chapter_silence_s: dict[str, float] = field(default_factory=dict)
    tension_s: list[float] = field(default_factory=list)
    release_silence_s: list[float] = field(default_factory=list)
    formula_silence_s: list[float] = field(default_factory=list)
    heaviness_said: int = 0
    first_formula_s: float | None = None
    repeated: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, object]:
        d = dataclasses.asdict(self)
        d["ok"] = self.ok
        return d


def measure(audio: np.ndarray, tl: Timeline, sr: int = SR) -> dict[str, float | str]:
    """Speech share, longest unguided silence (and where) and words per minute of a built
    session: its decoded audio (built without a bed) and its timeline."""
    sound = sound_frames(audio, sr)
    n = len(sound)
    t = (np.arange(n) + 0.5) * FRAME_S * 1000.0  # frame centres, ms
    in_speech = np.zeros(n, dtype=bool)
    hold = np.zeros(n, dtype=bool)
    for it in tl.items:
        span = (t >= it.start_ms) & (t < it.start_ms + float(getattr(it, "dur_ms", 0.0)))
        if it.kind == "speech":
            in_speech |= span
        elif isinstance(it, TimedPause) and it.hold:
            hold |= span
    quiet = ~sound & ~hold
    longest, at = 0, 0
    run = 0
    for i, q in enumerate(quiet):  # the longest run of quiet frames
        run = run + 1 if q else 0
        if run > longest:
            longest, at = run, i - run + 1
    at_ms = at * FRAME_S * 1000.0
    chapter = ""
    for c in sorted(tl.chapters, key=lambda c: c.start_ms):
        if c.start_ms <= at_ms:
            chapter = c.title
    speech_s = float(np.count_nonzero(sound & in_speech)) * FRAME_S
    words = sum(len(s.text.split()) for s in tl.speech)
    spoken_s = sum(s.dur_ms for s in tl.speech) / 1000.0
    return {
        "length_s": n * FRAME_S,
        "speech_share": speech_s / (n * FRAME_S) if n else 0.0,
        "longest_silence_s": longest * FRAME_S,
        "longest_silence_at_s": at_ms / 1000.0,
        "longest_silence_chapter": chapter,
        "words_per_minute": 60.0 * words / spoken_s if spoken_s else 0.0,
    }


def method_measures(audio: np.ndarray, tl: Timeline, method: str, sr: int = SR) -> dict[str, object]:
    """The measures of :mod:`generator.measures` that apply to ``method``."""
    sound = sound_frames(audio, sr)
    out: dict[str, object] = {"chapter_silence_s": chapter_silences(sound, tl),
                              "repeated": repeated_lines(tl, exempt_formulas=method == "autogenic")}
    if method == "pmr":
        out["tension_s"], out["release_silence_s"] = pmr_timing(sound, tl)
    if method == "autogenic":
        out["formula_silence_s"], out["heaviness_said"], out["first_formula_s"] = formula_timing(sound, tl)
    return out


def judge(m: Measure) -> None:
    """Fill ``m.problems`` from the targets (the speech share is a target at the default length)."""
    lo, hi = SHARE_TARGETS[m.method]
    if m.which == "default" and not lo <= m.speech_share <= hi:
        m.problems.append(f"speech share {100 * m.speech_share:.0f} % outside {100 * lo:.0f}-{100 * hi:.0f} %")
    if m.longest_silence_s > MAX_UNGUIDED_S:
        m.problems.append(f"{m.longest_silence_s:.0f} s of unbroken silence at {m.longest_silence_at_s:.0f} s "
                          f"({m.longest_silence_chapter or 'start'}); guide it or declare it: [pause … hold]")
    if not m.length_met:
        m.problems.append(f"length {m.length_s / 60:.2f} min, asked {m.minutes:g} min")
    if m.repeated:
        m.problems.append(f"said more than twice: {', '.join(f'{t!r} x{n}' for t, n in m.repeated.items())}")
    if m.method == "pmr":
        off = [t for t in m.tension_s if not TENSION_S[0] - 0.3 <= t <= TENSION_S[1] + 0.3]
        if off or not m.tension_s:
            m.problems.append(f"tension {off or 'not found'} s, not {TENSION_S[0]:g}-{TENSION_S[1]:g} s from "
                              "the now-cue to the release cue")
        floor = RELEASE_SILENCE_S[1] if m.which == "min" else RELEASE_SILENCE_S[0]
        short = [x for x in m.release_silence_s if x < floor]
        if short:
            m.problems.append(f"release silence {min(short):.1f} s, under {floor:g} s")
    if m.method == "autogenic":
        short = [x for x in m.formula_silence_s if x < FORMULA_SILENCE_S]
        if short:
            m.problems.append(f"{len(short)} formula(s) followed by {min(short):.1f} s, under {FORMULA_SILENCE_S:g} s")
        if m.heaviness_said < 3:
            m.problems.append(f"the heaviness formula said {m.heaviness_said} time(s), not three")
        if m.first_formula_s is not None and m.first_formula_s > FIRST_FORMULA_S:
            m.problems.append(f"the first formula at {m.first_formula_s:.0f} s, after {FIRST_FORMULA_S:g} s")


def lengths_of(path: Path, which: Iterable[str]) -> list[tuple[str, float | None]]:
    front = parse_front_matter(path.read_text(encoding="utf-8"), str(path))
    by = {"min": front.min_minutes, "default": front.minutes, "max": front.max_minutes}
    out: list[tuple[str, float | None]] = []
    for w in which:
        m = by[w]
        if m is not None and all(m != x for _, x in out):
            out.append((w, m))
    return out or [("default", None)]


def library_report(scripts: Iterable[str] | None = None, languages: Iterable[str] | None = None,
                   which: Iterable[str] = ("min", "default", "max"), cache_dir: Path | None = None,
                   engine: str | None = None, progress: Callable[[Measure], None] | None = None) -> list[Measure]:
    """Build and measure every chosen script × language × length (see the module doc)."""
    wanted = set(scripts) if scripts else None
    langs = set(languages) if languages else None
    out: list[Measure] = []
    which = tuple(which)
    with tempfile.TemporaryDirectory(prefix="relaxgen-report-") as d:
        for path in library_templates():
            name, lang = path.stem, path.parent.name
            if (wanted is not None and name not in wanted) or (langs is not None and lang not in langs):
                continue
            front = parse_front_matter(path.read_text(encoding="utf-8"), str(path))
            for w, minutes in lengths_of(path, which):
                m = Measure(name, lang, minutes, w, method_of(name, front.tags))
                mp3 = Path(d) / f"{lang}-{name}-{w}.mp3"
                profile = Profile(name="Alex", language=lang, bed="none")
                opts = BuildOptions(cache_dir=cache_dir, engine=engine, mono=True, encoders=1)
                try:
                    built = build_session(path, mp3, profile, minutes, opts)
                except ScriptError as e:  # e.g. a length the script cannot reach: a finding too
                    m.problems.append(str(e))
                else:
                    audio = decode(mp3, SR, 1)
                    mp3.unlink()
                    for k, v in {**measure(audio, built.timeline), **method_measures(audio, built.timeline,
                                                                                       m.method)}.items():
                        setattr(m, k, v)
                    target_s = (minutes or 0.0) * 60.0
                    m.length_met = minutes is None or abs(m.length_s - target_s) <= max(
                        FIT_TOLERANCE * target_s, FIT_TOLERANCE_MS / 1000.0) + 0.5
                    judge(m)
                out.append(m)
                if progress:
                    progress(m)
    return out


def report_table(measures: list[Measure]) -> str:
    head = f"{'script':<22}{'lang':<5}{'length':>8} {'min':>6} {'speech':>7} {'wpm':>5} {'silence':>8}  result"
    lines = [head]
    for m in measures:
        res = "ok" if m.ok else "; ".join(m.problems)
        lines.append(f"{m.script:<22}{m.language:<5}{m.which:>8} {m.length_s / 60:6.2f} "
                     f"{100 * m.speech_share:6.0f}% {m.words_per_minute:5.0f} {m.longest_silence_s:7.0f}s  {res}")
    bad = sum(not m.ok for m in measures)
    lines.append(f"{len(measures)} build(s), {len(measures) - bad} meeting every target, {bad} not")
    return "\n".join(lines)
