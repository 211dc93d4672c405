"""The pure data model: segments parsed from a script, and the timed plan.

Imports nothing from Jinja, pyttsx3 or pydub. All times are milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .errors import SourcePos

# ---------------------------------------------------------------- segments


@dataclass(frozen=True)
class Speech:
    """One sentence (or short phrase) of spoken text."""

    text: str
    pos: SourcePos | None = None


@dataclass(frozen=True)
class Gap:
    """An implicit pause: after a sentence, or a paragraph (blank line)."""

    kind: Literal["sentence", "paragraph"]


@dataclass(frozen=True)
class Pause:
    """``[pause 4s]`` (min == max) or elastic ``[pause 3-8s]``; ``[pause 40s hold]`` declares
    a practice hold: silence that is the practice itself, not missing guidance."""

    min_ms: float
    max_ms: float
    pos: SourcePos | None = None
    hold: bool = False

    @property
    def elastic(self) -> bool:
        return self.max_ms > self.min_ms


@dataclass(frozen=True)
class Chapter:
    title: str
    pos: SourcePos | None = None


@dataclass(frozen=True)
class Cue:
    """``[bell]``, ``[cue chime]``, ``[cue file="x.wav"]``: a short sound that takes its own time."""

    name: str | None = None
    file: str | None = None
    pos: SourcePos | None = None


BED_NAMES = ("brown-noise", "pink-noise", "rain", "ocean", "drone")  # the built-in beds (``[bed rain]``)


@dataclass(frozen=True)
class Bed:
    """An ambient bed change: ``[bed rain level=-24dB fade=6s]``, ``[bed off]``."""

    name: str | None = None  # built-in bed name, or None for file / off
    file: str | None = None
    level_db: float | None = None  # relative to the speech level; None: profile default
    fade_ms: float | None = None
    off: bool = False
    pos: SourcePos | None = None


@dataclass(frozen=True)
class Breathe:
    """``[breathe in=4 hold=7 out=8 rest=0 cycles=4 guide=4 tone=on]`` (seconds)."""

    in_s: float
    hold_s: float = 0.0
    out_s: float = 4.0
    rest_s: float = 0.0
    cycles: int = 1
    guide: int | None = None  # cycles with spoken prompts; None: all
    tone: bool = True  # soft tones on unguided cycles
    pos: SourcePos | None = None

    @property
    def cycle_ms(self) -> float:
        return (self.in_s + self.hold_s + self.out_s + self.rest_s) * 1000.0

    @property
    def guided(self) -> int:
        return self.cycles if self.guide is None else min(self.guide, self.cycles)


@dataclass(frozen=True)
class VoiceChange:
    name: str
    pos: SourcePos | None = None


@dataclass(frozen=True)
class RateChange:
    factor: float  # 0.9 == 90 %
    pos: SourcePos | None = None


@dataclass(frozen=True)
class OptionalStart:
    """``[optional 2]``: guidance from here to ``[/optional]`` may be left out, with its pauses.

    The planner adds such pieces while the session has time for them, lowest ``priority``
    first (ties in script order); see :mod:`generator.script.fill`."""

    priority: int = 1
    pos: SourcePos | None = None


@dataclass(frozen=True)
class OptionalEnd:
    """``[/optional]``: the end of an optional piece."""

    pos: SourcePos | None = None


Segment = (Speech | Gap | Pause | Chapter | Cue | Bed | Breathe | VoiceChange | RateChange | OptionalStart
           | OptionalEnd)

# ---------------------------------------------------------------- voices and clips


@dataclass(frozen=True)
class SpeechEstimate:
    """A voice's speech time per clip, for planning without speaking (the ``[estimate]`` table of a
    voice profile; the model is :func:`generator.script.estimate.speech_ms`)."""

    word_factor: float = 1.0  # a word of its language's typical length takes this x 60000 / wpm ms
    clip_ms: float = 0.0  # each clip (one sentence): its start and its end, at at_wpm
    pause_ms: float = 0.0  # each comma, semicolon or colon, at at_wpm
    at_wpm: float = 0.0  # the rate clip_ms and pause_ms are measured at (0: they do not stretch)
    slowest_wpm: float = 0.0  # the engine speaks no slower than this (its slowest setting)


@dataclass(frozen=True)
class VoiceProfile:
    """A named voice (``voices/*.toml``)."""

    name: str
    engine: str = "pyttsx3"
    language: str = "en"
    voice_ids: dict[str, str] = field(default_factory=dict)  # platform -> engine voice id
    rate_wpm: float = 150.0
    pitch: int = 50
    volume: float = 1.0
    sentence_pause_ms: float = 1200.0
    paragraph_pause_ms: float = 3000.0
    model: str | None = None  # for neural engines: a model path or package voice
    source: str | None = None  # where the profile was loaded from
    prefer: tuple[str, ...] = ()  # profiles tried before this one's own engine ("added": the user's voices)
    added: str = ""  # when 'relaxgen voices add' registered it (ISO time); newest added is preferred
    # Piper: minutes per word of speech time = a + b * length_scale, measured on this voice when it
    # was added (None: the bundled voice's model), so rate_wpm is what the voice delivers
    rate_model: tuple[float, float] | None = None
    estimate: SpeechEstimate | None = None  # None: the plain rule (loading gives a default: tts.estimates)

    def __hash__(self) -> int:  # dict field: hash by name and source
        return hash((self.name, self.source))


@dataclass(frozen=True)
class ClipRequest:
    """What to synthesise: the identity of one clip (cache key material)."""

    engine: str
    voice: str  # voice profile name
    voice_id: str  # engine voice id
    language: str
    rate_wpm: float
    pitch: int
    text: str  # normalised text, as spoken
    model: str | None = None
    rate_model: tuple[float, float] | None = None  # VoiceProfile.rate_model
    # how long the voice takes (plans without speech, the fake engine); not part of the clip's identity
    estimate: SpeechEstimate | None = field(default=None, compare=False, hash=False)

    def key_fields(self) -> tuple[str, ...]:
        fields = (
            self.engine,
            self.voice_id,
            self.language,
            f"{self.rate_wpm:.2f}",
            str(self.pitch),
            self.model or "",
            self.text,
        )
        if self.rate_model is None:
            return fields
        return (*fields, "rate-model {:.6g} {:.6g}".format(*self.rate_model))


# ---------------------------------------------------------------- timeline


@dataclass(frozen=True)
class TimedSpeech:
    start_ms: float
    dur_ms: float
    text: str  # as written in the script
    clip: ClipRequest
    pos: SourcePos | None = None
    kind: Literal["speech"] = "speech"

    @property
    def end_ms(self) -> float:
        return self.start_ms + self.dur_ms


@dataclass(frozen=True)
class TimedPause:
    start_ms: float
    dur_ms: float
    min_ms: float
    max_ms: float
    implicit: bool = False
    pos: SourcePos | None = None
    hold: bool = False  # a declared practice hold ([pause … hold])
    kind: Literal["pause"] = "pause"

    @property
    def end_ms(self) -> float:
        return self.start_ms + self.dur_ms


@dataclass(frozen=True)
class TimedCue:
    start_ms: float
    dur_ms: float
    name: str | None
    file: str | None = None
    pos: SourcePos | None = None
    kind: Literal["cue"] = "cue"

    @property
    def end_ms(self) -> float:
        return self.start_ms + self.dur_ms


@dataclass(frozen=True)
class TimedBed:
    start_ms: float
    name: str | None
    file: str | None = None
    level_db: float | None = None
    fade_ms: float | None = None
    off: bool = False
    pos: SourcePos | None = None
    kind: Literal["bed"] = "bed"


@dataclass(frozen=True)
class TimedChapter:
    start_ms: float
    title: str
    pos: SourcePos | None = None
    kind: Literal["chapter"] = "chapter"


@dataclass(frozen=True)
class TimedBreath:
    """A paced-breathing block; its prompts and tones are separate items."""

    start_ms: float
    dur_ms: float
    spec: Breathe
    beats_ms: tuple[float, ...]  # absolute start of every in-breath
    kind: Literal["breathe"] = "breathe"

    @property
    def end_ms(self) -> float:
        return self.start_ms + self.dur_ms


TimelineItem = TimedSpeech | TimedPause | TimedCue | TimedBed | TimedChapter | TimedBreath


@dataclass(frozen=True)
class Timeline:
    items: tuple[TimelineItem, ...]
    total_ms: float

    @property
    def speech(self) -> list[TimedSpeech]:
        return [i for i in self.items if isinstance(i, TimedSpeech)]

    @property
    def chapters(self) -> list[TimedChapter]:
        return [i for i in self.items if isinstance(i, TimedChapter)]

    def chapter_spans(self) -> list[tuple[TimedChapter, float]]:
        """Each chapter with its end time (next chapter's start or the total)."""
        chs = sorted(self.chapters, key=lambda c: c.start_ms)
        ends = [c.start_ms for c in chs[1:]] + [self.total_ms]
        return list(zip(chs, ends[: len(chs)], strict=True))

    @property
    def speech_ms(self) -> float:
        return sum(i.dur_ms for i in self.speech)
