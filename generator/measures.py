"""What a listener hears in a built session, measured on its decoded audio and its timeline.

The measures behind the library's targets (docs/scripts.md, "Quiet where the method works"):
the longest unbroken silence of each chapter; for progressive muscle relaxation the tension
(from the end of the cue that starts it, "… and now tense." / "… und jetzt anspannen.", to the
start of the release cue) and the unbroken silence after each release; for autogenic training
the silence after each formula, how often the heaviness formula is said and when the first
formula comes; and the lines said more than twice.

Silence is read from the audio (20 ms frames below -50 dBFS, the session built without a bed);
which line is which comes from the timeline. Pure: audio and timeline in, numbers out.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

from .model import TimedSpeech, Timeline
from .script.timeline import BREATH_PROMPTS

FRAME_S = 0.02  # the level is measured in 20 ms frames
SILENT_DBFS = -50.0  # below this a frame is silent (speech is mastered to about -16 LUFS)

NOW_CUE = re.compile(r"\bnow,? tense\b|\bjetzt an(zu)?spannen\b|\bjetzt spannen\b", re.I)
RELEASE_CUE = re.compile(r"\blet (it |them )?go\b|\brelease\b|\bloslassen\b|\blassen Sie los\b|\blass los\b", re.I)
FORMULA = re.compile(r"\b(heavy|warm|calm|cool|breathing|breathes|beats|schwer|warm|ruhig|kühl|Atmung|atmet|"
                     r"schlägt|Sonnengeflecht|solar plexus|Stirn|forehead)\b", re.I)
HEAVINESS = re.compile(r"\b(is|are) (very )?heavy\b|\bist ganz schwer\b|\bsind ganz schwer\b|\bschwer\.$", re.I)
PROMPTS = {w.lower().rstrip(".") for words in BREATH_PROMPTS.values() for w in words.values()}


def sound_frames(audio: np.ndarray, sr: int) -> np.ndarray:
    """One bool per 20 ms frame: True where the audio is audible."""
    mono = audio.mean(axis=1) if audio.ndim == 2 else audio
    n = int(round(FRAME_S * sr))
    frames = len(mono) // n
    if frames == 0:
        return np.zeros(0, dtype=bool)
    x = mono[: frames * n].astype(np.float64).reshape(frames, n)
    rms = np.sqrt(np.mean(x * x, axis=1))
    return np.asarray(20 * np.log10(np.maximum(rms, 1e-12)) > SILENT_DBFS)


def longest_quiet(sound: np.ndarray, start_ms: float, end_ms: float) -> float:
    """The longest unbroken silence (s) between two times."""
    a = max(0, int(start_ms / 1000 / FRAME_S))
    b = min(len(sound), int(end_ms / 1000 / FRAME_S))
    longest = run = 0
    for audible in sound[a:b]:
        run = 0 if audible else run + 1
        longest = max(longest, run)
    return longest * FRAME_S


def _spoken(tl: Timeline) -> list[TimedSpeech]:
    """The spoken lines in time order, breath prompts left out."""
    return sorted((s for s in tl.speech if s.text.strip().lower().rstrip(".") not in PROMPTS),
                  key=lambda s: s.start_ms)


def _release(text: str) -> bool:
    """A release cue: a short line that lets go ("And let go.", "Und loslassen."), not a longer
    line that happens to say so ("… and let it go with a sigh")."""
    return len(text.split()) <= 6 and bool(RELEASE_CUE.search(text))


def chapter_silences(sound: np.ndarray, tl: Timeline) -> dict[str, float]:
    """Each chapter's longest unbroken silence (s); the same title twice is numbered."""
    out: dict[str, float] = {}
    for c, end in tl.chapter_spans():
        key = c.title if c.title not in out else f"{c.title} ({sum(k.startswith(c.title) for k in out) + 1})"
        out[key] = round(longest_quiet(sound, c.start_ms, end), 2)
    return out


def pmr_timing(sound: np.ndarray, tl: Timeline) -> tuple[list[float], list[float]]:
    """(tensions, release silences) in seconds: each tension from the end of its now-cue to the
    start of the next release cue; after each release cue, the longest unbroken silence before
    the next now-cue (or the next chapter, or the end)."""
    lines = _spoken(tl)
    marks = sorted([c.start_ms for c in tl.chapters] + [tl.total_ms])
    tensions, silences = [], []
    for i, s in enumerate(lines):
        if NOW_CUE.search(s.text):
            release = next((r for r in lines[i + 1:] if _release(r.text)), None)
            if release is not None:
                tensions.append(round((release.start_ms - s.end_ms) / 1000, 2))
        elif _release(s.text):
            nxt = next((r.start_ms for r in lines[i + 1:] if NOW_CUE.search(r.text)), tl.total_ms)
            nxt = min([nxt, *[m for m in marks if m > s.end_ms + 1]])
            silences.append(round(longest_quiet(sound, s.end_ms, nxt), 2))
    return tensions, silences


def formula_timing(sound: np.ndarray, tl: Timeline) -> tuple[list[float], int, float | None]:
    """(silence after each formula, heaviness formulas said, start of the first formula) in
    seconds: a formula is a short line (at most eight words) of the autogenic formulas' words."""
    lines = _spoken(tl)
    after, heavy, first = [], 0, None
    for i, s in enumerate(lines):
        if len(s.text.split()) <= 8 and FORMULA.search(s.text):
            nxt = lines[i + 1].start_ms if i + 1 < len(lines) else tl.total_ms
            after.append(round(longest_quiet(sound, s.end_ms, nxt), 2))
            heavy += bool(HEAVINESS.search(s.text))
            first = s.start_ms / 1000 if first is None else first
    return after, heavy, first


def repeated_lines(tl: Timeline, exempt_formulas: bool = False) -> dict[str, int]:
    """Sentences of more than three words said more than twice (breath prompts exempt, and the
    autogenic formulas when ``exempt_formulas``: their repetition is the method)."""
    counts = Counter(s.text.strip() for s in _spoken(tl) if len(s.text.split()) > 3)
    return {t: n for t, n in counts.items()
            if n > 2 and not (exempt_formulas and len(t.split()) <= 8 and FORMULA.search(t))}

