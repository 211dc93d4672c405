"""How long a voice takes to say one clip, without speaking it: the speech time behind
``plan --estimate``, ``check``, ``--dry-run`` and the fake engine's tones.

A clip is one sentence. Its time is modelled per voice, with the coefficients of the voice
profile's ``[estimate]`` table (:class:`~generator.model.SpeechEstimate`, fitted on the
library's own sentences by ``python -m bench.calibrate``)::

    ms = words x 60000 / wpm x word_factor                the words, each weighed by its letters
       + (clip_ms + pause_ms x breaks) x at_wpm / wpm     each clip's start and end, and a pause
                                                          at each comma, semicolon or colon

``words`` counts a word of its language's typical length (the library's average, below) as one
and a longer word as more: "physiotherapist" takes longer than "rest", and a sentence of long
words longer than one of short ones. ``wpm`` is the clip's rate (the voice's, times the
listener's rate factor), but never slower than the engine can speak (``slowest_wpm``: espeak-ng's
lowest rate setting, Piper's largest length scale). The pauses stretch with the rate as the
words do (measured on espeak-ng and Piper at 0.8, 1 and 1.2 times the voice's rate): ``clip_ms``
and ``pause_ms`` are their lengths at ``at_wpm``, the profile's rate.
"""

from __future__ import annotations

from functools import lru_cache

from ..model import SpeechEstimate

# Letters per word of the library's sentences (as spoken: numbers spelled out), so a word of
# typical length counts as one word in either language.
TYPICAL_LETTERS = {"en": 4.2, "de": 4.8}
BREAKS = ",;:"
PLAIN = SpeechEstimate()  # the words at the rate, nothing else (a request without an estimate)
SHORTEST_MS = 100.0  # a clip of (almost) no letters still takes a moment


@lru_cache(maxsize=4096)
def letters(text: str) -> int:
    """The letters of ``text`` (a script says its lines many times over a plan's lengths)."""
    return sum(ch.isalpha() for ch in text)


def words(text: str, language: str) -> float:
    """The words of ``text``, each weighed by its letters against its language's typical word."""
    typical = TYPICAL_LETTERS.get(language.split("-")[0].lower(), TYPICAL_LETTERS["en"])
    return letters(text) / typical


def breaks(text: str) -> int:
    """The pauses a voice makes inside a sentence: its commas, semicolons and colons."""
    return sum(text.count(c) for c in BREAKS)


def speech_ms(text: str, language: str, rate_wpm: float, est: SpeechEstimate = PLAIN) -> float:
    """The estimated length of ``text`` spoken at ``rate_wpm`` by a voice with ``est``."""
    wpm = max(rate_wpm, est.slowest_wpm)
    scale = est.at_wpm / wpm if est.at_wpm > 0 else 1.0
    ms = words(text, language) * 60000.0 / wpm * est.word_factor
    ms += scale * (est.clip_ms + est.pause_ms * breaks(text))
    return round(max(SHORTEST_MS, ms), 1)
