"""Timing a prepared session: choose the optional pieces that reach its target length, correct
the choice on the real clips, fit the elastic pauses and lay out the timeline
(:mod:`generator.script.fill`, :mod:`generator.script.timeline`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import partial
from pathlib import Path

from ..audio.clips import SR
from ..audio.cues import cue_length_ms
from ..audio.ffmpeg import decode
from ..errors import ScriptError
from ..model import ClipRequest, Cue, Timeline, VoiceProfile
from ..paths import default_cache_dir
from ..policy import CUE_MAX_S, LEAD_IN_MS, MAX_SESSION_MIN, SLEEP_TAIL_MS, TAIL_MS
from ..profile import Profile
from ..script.fill import Reach, choose, keep, order, pieces, reaches, unreachable
from ..script.timeline import PlanSettings, clip_requests, estimate_ms, fit_factor, layout
from ..tts.base import speaks_estimates
from ..tts.cache import ClipCache
from ..tts.synth import Synthesizer
from .prepare import Prepared, prepare


def cue_lengths(sound_file: Callable[[str], Path]) -> Callable[[Cue], float]:
    """How long each cue lasts in milliseconds: a built-in cue's exact length, a cue file's
    decoded length (each file decoded once; ``sound_file`` finds it)."""
    lengths: dict[str, float] = {}

    def f(c: Cue) -> float:
        if c.file is None:
            return cue_length_ms(c.name or "bell")
        if c.file not in lengths:
            lengths[c.file] = len(decode(sound_file(c.file), SR, 1, max_seconds=CUE_MAX_S)) * 1000.0 / SR
        return lengths[c.file]

    return f


def plan_settings(profile: Profile) -> PlanSettings:
    return PlanSettings(lead_in_ms=LEAD_IN_MS, tail_ms=SLEEP_TAIL_MS if profile.sleep else TAIL_MS)


def timed(prep: Prepared, durations: Mapping[ClipRequest, float]) -> Timeline:
    """Fit the elastic pauses of the steps spoken to the target and lay out the timeline."""
    def speech_ms(c: ClipRequest) -> float:
        return durations[c]

    cue_ms = cue_lengths(prep.sound_file)
    ps = plan_settings(prep.profile)
    factor = fit_factor(prep.spoken, speech_ms, cue_ms, prep.target_ms, ps, prep.rendered.name)
    tl = layout(prep.spoken, speech_ms, cue_ms, factor, ps)
    if tl.total_ms > MAX_SESSION_MIN * 60000:
        h, m = divmod(round(tl.total_ms / 60000), 60)
        raise ScriptError(f"{prep.rendered.name}: the session would last {h} h {m:02d} min; a session can be at "
                          f"most {MAX_SESSION_MIN // 60} hours: shorten the script or its pauses")
    return tl


def select(prep: Prepared, speech_ms: Callable[[ClipRequest], float]) -> Prepared:
    """``prep`` with the optional pieces chosen for its target from these speech lengths
    (:mod:`generator.script.fill`); a ScriptError names the lengths it can reach, or the
    piece that leaves a hole, when none reaches the target."""
    rs = reaches(prep.steps, speech_ms, cue_lengths(prep.sound_file), plan_settings(prep.profile))
    r = choose(rs, prep.target_ms)
    if r is None:
        assert prep.target_ms is not None
        raise ScriptError(unreachable(rs, pieces(prep.steps), prep.target_ms, prep.rendered.name))
    return replace(prep, taken=r.taken)


def reach(prep: Prepared) -> list[Reach]:
    """What ``prep`` can reach by the calibrated estimate: the core alone, then with each piece
    added in order (:func:`generator.script.fill.reaches`)."""
    return reaches(prep.steps, estimate_ms, cue_lengths(prep.sound_file), plan_settings(prep.profile))


def estimated(prep: Prepared) -> Prepared:
    """The pieces chosen from the calibrated estimate of every clip (the same on every machine)."""
    return select(prep, estimate_ms)


def settle(prep: Prepared, lengths: dict[ClipRequest, float],
           speak: Callable[[list[ClipRequest]], Mapping[ClipRequest, float]]) -> Prepared:
    """``prep``'s choice corrected on the real clips (``lengths``, the spoken ones), so the fit holds
    when a real clip differs from its estimate: while the real speech is too long for the target,
    the last piece added is left out again; while it is too short, the next piece in order is
    spoken (``speak`` makes its clips and gives their lengths) and added. Both steps depend only
    on the clips' real lengths, so the result is as deterministic as the engine."""
    if prep.target_ms is None or prep.taken is None:
        return prep
    target = prep.target_ms
    added = [p.index for p in order(pieces(prep.steps))]
    k, moved = len(prep.taken), 0

    def length(c: ClipRequest) -> float:
        return lengths[c] if c in lengths else estimate_ms(c)

    while True:
        rs = reaches(prep.steps, length, cue_lengths(prep.sound_file), plan_settings(prep.profile))
        r = rs[k]
        if r.reaches(target):
            return replace(prep, taken=r.taken)
        step = -1 if target < r.shortest_ms else 1
        if not 0 <= k + step < len(rs) or moved == -step:  # out of pieces, or a hole between two choices
            raise ScriptError(unreachable(rs, pieces(prep.steps), target, prep.rendered.name))
        k, moved = k + step, step
        new = [c for c in clip_requests(keep(prep.steps, added[:k])) if c not in lengths]
        if new:
            lengths.update(speak(new))


def spoken_lengths(syn: Synthesizer, requests: list[ClipRequest],
                   progress: Callable[[int, int], None] | None = None) -> dict[ClipRequest, float]:
    """Speak ``requests`` (or find them in the cache) and give each clip's length in milliseconds."""
    clips = syn.synthesize_all(requests, progress)
    return {c: clips[c].dur_ms for c in requests}


def plan(
    template: str | Path,
    profile: Profile | None = None,
    minutes: float | None = None,
    engine: str | None = "fake",
    estimate: bool = False,
    cache_dir: Path | None = None,
    include_dirs: list[Path] | None = None,
    sounds_dirs: list[Path] | None = None,
    closing: str = "",
    voices: Mapping[str, VoiceProfile] | None = None,
) -> tuple[Prepared, Timeline]:
    """Prepare and time a session. ``estimate`` (or the fake engine) needs no speech engine;
    then each clip lasts what its voice's estimate says (:mod:`generator.script.estimate`)."""
    profile = profile or Profile()
    syn = Synthesizer(ClipCache(cache_dir or default_cache_dir()))
    no_engine = estimate or speaks_estimates(engine)
    prep = prepare(template, profile, minutes, engine, include_dirs, synth=syn, resolve_ids=not no_engine,
                   sounds_dirs=sounds_dirs, closing=closing, voices=voices)
    prep = estimated(prep)
    if no_engine:
        return prep, timed(prep, {c: estimate_ms(c) for c in prep.requests})
    lengths = spoken_lengths(syn, prep.requests)
    prep = settle(prep, lengths, partial(spoken_lengths, syn))
    return prep, timed(prep, lengths)
