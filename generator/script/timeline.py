"""Segments -> Timeline: absolute times for every clip, pause, cue, bed change and chapter.

Pure: speech durations and cue lengths come in as functions. Elastic pauses
are scaled together (one factor within every range) so the session lands on
the target length.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ..errors import ScriptError, closest
from ..model import (
    Bed,
    Breathe,
    Chapter,
    ClipRequest,
    Cue,
    Gap,
    OptionalEnd,
    OptionalStart,
    Pause,
    RateChange,
    Segment,
    Speech,
    TimedBed,
    TimedBreath,
    TimedChapter,
    TimedCue,
    TimedPause,
    TimedSpeech,
    Timeline,
    TimelineItem,
    VoiceChange,
    VoiceProfile,
)
from ..policy import LEAD_IN_MS, TAIL_MS
from .estimate import PLAIN, speech_ms

BREATH_PROMPTS = {
    "en": {"in": "Breathe in", "hold": "Hold", "out": "And out"},
    "de": {"in": "Einatmen", "hold": "Halten", "out": "Und aus"},
}
FIT_TOLERANCE = 0.01  # ±1 % ...
FIT_TOLERANCE_MS = 2000.0  # ... or ±2 s, whichever is larger


@dataclass(frozen=True)
class PlanSettings:
    lead_in_ms: float = LEAD_IN_MS
    tail_ms: float = TAIL_MS


def tolerance_ms(target_ms: float) -> float:
    """How far a session may land from its target: ±1 % or ±2 s, whichever is larger."""
    return max(FIT_TOLERANCE * target_ms, FIT_TOLERANCE_MS)


@dataclass(frozen=True)
class Step:
    """A segment with its speech resolved to a clip request."""

    seg: Segment
    clip: ClipRequest | None = None
    prompts: tuple[tuple[str, ClipRequest], ...] = ()  # breathe: (phase, clip)
    gap_ms: float = 0.0
    piece: int | None = None  # the optional piece it belongs to (script order), None: the core


def resolve(
    segments: Sequence[Segment],
    voice: VoiceProfile,
    voices: Mapping[str, VoiceProfile],
    rate: float,
    voice_id: Callable[[VoiceProfile], str],
    normalize: Callable[[str, str], str],
) -> list[Step]:
    """Give every speech segment (and breathing prompt) its clip request."""
    steps: list[Step] = []
    cur_voice = voice
    cur_rate = rate

    def request(text: str) -> ClipRequest:
        return ClipRequest(
            engine=cur_voice.engine,
            voice=cur_voice.name,
            voice_id=voice_id(cur_voice),
            language=cur_voice.language,
            rate_wpm=round(cur_voice.rate_wpm * cur_rate, 2),
            pitch=cur_voice.pitch,
            text=normalize(text, cur_voice.language),
            model=cur_voice.model,
            rate_model=cur_voice.rate_model,
            estimate=cur_voice.estimate,
        )

    # the optional pieces are numbered in script order; every step inside one (the
    # [optional]/[/optional] markers too) carries its number (the parser has checked they pair up)
    piece: int | None = None
    count = 0
    for seg in segments:
        if isinstance(seg, OptionalStart):
            piece, count = count, count + 1
        clip: ClipRequest | None = None
        prompts: tuple[tuple[str, ClipRequest], ...] = ()
        gap_ms = 0.0
        if isinstance(seg, VoiceChange):
            if seg.name not in voices:
                near = closest(seg.name, voices, 5) or sorted(voices)
                raise ScriptError(
                    f"unknown voice '{seg.name}'; closest voice profiles: {', '.join(near)}", seg.pos
                )
            cur_voice = voices[seg.name]
        elif isinstance(seg, RateChange):
            cur_rate = rate * seg.factor
        elif isinstance(seg, Speech):
            clip = request(seg.text)
        elif isinstance(seg, Gap):
            gap_ms = cur_voice.paragraph_pause_ms if seg.kind == "paragraph" else cur_voice.sentence_pause_ms
        elif isinstance(seg, Breathe) and seg.guided:
            words = BREATH_PROMPTS.get(cur_voice.language, BREATH_PROMPTS["en"])
            phases = ["in"] + (["hold"] if seg.hold_s > 0 else []) + ["out"]
            prompts = tuple((ph, request(words[ph])) for ph in phases)
        steps.append(Step(seg, clip, prompts, gap_ms, piece))
        if isinstance(seg, OptionalEnd):
            piece = None
    return steps


def clip_requests(steps: Sequence[Step]) -> list[ClipRequest]:
    """Unique clip requests, in first-use order."""
    seen: dict[ClipRequest, None] = {}
    for st in steps:
        if st.clip is not None:
            seen.setdefault(st.clip)
        for _, c in st.prompts:
            seen.setdefault(c)
    return list(seen)


def spoken_clips(steps: Sequence[Step]) -> list[ClipRequest]:
    """Every clip as often as the plan speaks it (a breathing prompt once per guided cycle)."""
    out: list[ClipRequest] = []
    for st in steps:
        if st.clip is not None:
            out.append(st.clip)
        if isinstance(st.seg, Breathe):
            out += [c for _, c in st.prompts] * st.seg.guided
    return out


def length_range(
    steps: Sequence[Step],
    speech_ms: Callable[[ClipRequest], float],
    cue_ms: Callable[[Cue], float],
    settings: PlanSettings = PlanSettings(),
) -> tuple[float, float]:
    """The shortest and longest total length the elastic pauses allow."""
    fixed, lo, hi = sums(steps, speech_ms, cue_ms, settings)
    return fixed + lo, fixed + hi


def sums(
    steps: Sequence[Step],
    speech_ms: Callable[[ClipRequest], float],
    cue_ms: Callable[[Cue], float],
    settings: PlanSettings,
) -> tuple[float, float, float]:
    fixed = settings.lead_in_ms + settings.tail_ms
    lo = hi = 0.0
    for st in steps:
        s = st.seg
        if st.clip is not None:
            fixed += speech_ms(st.clip)
        elif isinstance(s, Gap):
            fixed += st.gap_ms
        elif isinstance(s, Pause):
            if s.elastic:
                lo += s.min_ms
                hi += s.max_ms
            else:
                fixed += s.min_ms
        elif isinstance(s, Cue):
            fixed += cue_ms(s)
        elif isinstance(s, Breathe):
            fixed += s.cycle_ms * s.cycles
    return fixed, lo, hi


def fit_factor(
    steps: Sequence[Step],
    speech_ms: Callable[[ClipRequest], float],
    cue_ms: Callable[[Cue], float],
    target_ms: float | None,
    settings: PlanSettings = PlanSettings(),
    name: str = "the script",
) -> float:
    """The factor (0 = every elastic pause at its minimum, 1 = maximum) that hits the target."""
    fixed, lo, hi = sums(steps, speech_ms, cue_ms, settings)
    if target_ms is None:
        return 0.5
    tol = tolerance_ms(target_ms)
    shortest, longest = fixed + lo, fixed + hi
    if target_ms < shortest - tol or target_ms > longest + tol:
        raise ScriptError(
            f"{name} cannot last {mins(target_ms)}: with this voice and profile it can last "
            f"{mins(shortest)} to {mins(longest)}; choose a length in that range"
        )
    if hi <= lo:
        return 0.0
    return min(1.0, max(0.0, (target_ms - shortest) / (hi - lo)))


def mins(ms: float) -> str:
    """A length as m:ss (whole seconds), e.g. '2:05 min'."""
    m, sec = divmod(int(round(ms / 1000)), 60)
    return f"{m}:{sec:02d} min"


def layout(
    steps: Sequence[Step],
    speech_ms: Callable[[ClipRequest], float],
    cue_ms: Callable[[Cue], float],
    factor: float,
    settings: PlanSettings = PlanSettings(),
) -> Timeline:
    """Place every step on the timeline with elastic pauses at ``factor``."""
    items: list[TimelineItem] = []
    t = settings.lead_in_ms
    begun = False
    for st in steps:
        s = st.seg
        at = t if begun else 0.0  # chapters and beds before anything takes time start with the file
        begun = begun or _takes_time(st)
        if st.clip is not None:
            assert isinstance(s, Speech)
            d = speech_ms(st.clip)
            items.append(TimedSpeech(t, d, s.text, st.clip, s.pos))
            t += d
        elif isinstance(s, Gap):
            items.append(TimedPause(t, st.gap_ms, st.gap_ms, st.gap_ms, implicit=True))
            t += st.gap_ms
        elif isinstance(s, Pause):
            d = s.min_ms + factor * (s.max_ms - s.min_ms) if s.elastic else s.min_ms
            d = round(d, 1)
            items.append(TimedPause(t, d, s.min_ms, s.max_ms, pos=s.pos, hold=s.hold))
            t += d
        elif isinstance(s, Cue):
            d = cue_ms(s)
            items.append(TimedCue(t, d, s.name, s.file, s.pos))
            t += d
        elif isinstance(s, Chapter):
            items.append(TimedChapter(at, s.title, s.pos))
        elif isinstance(s, Bed):
            items.append(TimedBed(at, s.name, s.file, s.level_db, s.fade_ms, s.off, s.pos))
        elif isinstance(s, Breathe):
            t = _layout_breath(items, st, s, t, speech_ms)
    total = t + settings.tail_ms
    return Timeline(tuple(items), round(total, 1))


def _takes_time(st: Step) -> bool:
    return st.clip is not None or isinstance(st.seg, Gap | Pause | Cue | Breathe)


def _layout_breath(
    items: list[TimelineItem],
    st: Step,
    s: Breathe,
    t: float,
    speech_ms: Callable[[ClipRequest], float],
) -> float:
    beats = tuple(t + k * s.cycle_ms for k in range(s.cycles))
    items.append(TimedBreath(t, s.cycle_ms * s.cycles, s, beats))
    prompts = dict(st.prompts)
    for k, beat in enumerate(beats):
        offsets = {"in": 0.0, "hold": s.in_s * 1000, "out": (s.in_s + s.hold_s) * 1000}
        if k < s.guided:
            for phase, clip in prompts.items():
                start = beat + offsets[phase]
                items.append(TimedSpeech(start, speech_ms(clip), clip.text, clip, s.pos))
        elif s.tone:
            items.append(TimedCue(beat, 0.0, "breath-in", None, s.pos))
            items.append(TimedCue(beat + offsets["out"], 0.0, "breath-out", None, s.pos))
    return t + s.cycle_ms * s.cycles


def estimate_ms(clip: ClipRequest) -> float:
    """The estimated length of a clip by its voice's model (``plan --estimate``, ``check``, the
    fake engine; :mod:`.estimate`)."""
    return speech_ms(clip.text, clip.language, clip.rate_wpm, clip.estimate or PLAIN)
