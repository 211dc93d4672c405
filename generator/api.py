"""The library API: plan and build one session. The CLI is a thin shell over this."""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from .audio.clips import SR
from .audio.cues import cue_length_ms
from .audio.encode import (
    DEFAULT_BITRATE,
    Mp3Encoder,
    Mp3PartEncoder,
    expected_loss_db,
    output_quality,
    read_back,
)
from .audio.ffmpeg import decode
from .audio.master import MixReport, Parts, render_to, split_parts
from .audio.mixer import MixSettings, SessionMix
from .audio.mp3join import FRAME_SAMPLES
from .errors import AudioError, ProfileError, RelaxgenError, ScriptError
from .export.tags import TagInfo, write_tags
from .fsutil import atomic_path
from .interrupts import owned_signals
from .model import Bed, ClipRequest, Cue, Segment, Timeline, VoiceProfile
from .paths import default_cache_dir, display
from .policy import (
    CUE_MAX_S,
    FADE_OUT_MS,
    LEAD_IN_MS,
    MAX_SESSION_MIN,
    SLEEP_FADE_OUT_MS,
    SLEEP_TAIL_MS,
    SOUND_CHECK_S,
    TAIL_MS,
)
from .profile import Profile
from .script.fill import Reach, choose, keep, order, pieces, reaches, unreachable
from .script.library import template_globals
from .script.markers import parse_script
from .script.practice import with_closing
from .script.render import (
    FrontMatter,
    Rendered,
    as_data,
    parse_front_matter,
    render_template,
    resolve_template,
)
from .script.sounds import SoundFolders, listener_sounds, template_sounds
from .script.timeline import (
    PlanSettings,
    Step,
    clip_requests,
    estimate_ms,
    fit_factor,
    layout,
    resolve,
)
from .tts.base import resolve_voice_id
from .tts.cache import ClipCache
from .tts.pool import mp_helpers, stop_mp_helpers
from .tts.synth import Synthesizer
from .tts.textnorm import normalize
from .tts.voices import Resolution, ResolvedVoices, load_voices, pick_voice, platform_key


def template_variables(profile: Profile) -> dict[str, Any]:
    variables: dict[str, Any] = as_data(profile.template_vars())
    helpers = template_globals(profile)
    clash = sorted(set(profile.extra) & set(helpers))
    if clash:
        raise ProfileError(f"the template variable '{clash[0]}' has the name of a script-library helper "
                           f"({', '.join(sorted(helpers))}); give it another name (in --set, the "
                           "manifest's set table or the CSV's set. column)", None, clash[0])
    variables.update(helpers)
    return variables


def course_context(earlier: tuple[str, ...], template: Path) -> dict[str, Any]:
    """The template variable ``course``: this session's place in its pack or course (``session``,
    1-based; 1 on its own), the scripts heard in the sessions before it (``earlier``) and
    whether this script is one of them (``heard``)."""
    return {"session": len(earlier) + 1, "earlier": list(earlier), "heard": template.stem in earlier}


@dataclass
class Prepared:
    """A session rendered, parsed and resolved to clip requests; not yet timed."""

    path: Path
    rendered: Rendered
    segments: list[Segment]
    voice: VoiceProfile
    steps: list[Step]  # every step, the optional pieces' too
    target_ms: float | None
    profile: Profile
    resolution: Resolution  # which voice speaks for the profile's voice here, and why
    sounds: SoundFolders  # where the template's sound files are found
    bed_file: Path | None = None  # the listener's bed file, found (None: the bed is not a file)
    closing: str = ""  # spoken last (see prepare), within the target length
    taken: tuple[int, ...] | None = None  # the optional pieces spoken, in the order added (None: all)

    @property
    def spoken(self) -> list[Step]:
        """The steps this session speaks: the core and the optional pieces taken."""
        return keep(self.steps, range(len(self.steps)) if self.taken is None else self.taken)

    @property
    def requests(self) -> list[ClipRequest]:
        """The clips this session speaks (unique, in first-use order)."""
        return clip_requests(self.spoken)

    def left_out(self) -> list[int]:
        """The optional pieces not spoken, in script order."""
        return [p.index for p in pieces(self.steps) if self.taken is not None and p.index not in self.taken]

    def sound_file(self, name: str) -> Path:
        """The sound file a marker names (checked by :func:`prepare` already)."""
        return self.sounds.find(name, "sound", AudioError)

    def sound_files(self) -> list[Path]:
        """Every sound file the session reads: the markers' and the listener's bed."""
        names = dict.fromkeys(s.file for s in self.segments if isinstance(s, Bed | Cue) and s.file)
        return [self.sound_file(n) for n in names] + ([self.bed_file] if self.bed_file else [])

    @property
    def front(self) -> FrontMatter:
        return self.rendered.front

    @property
    def title(self) -> str:
        return self.front.title or self.path.stem.replace("-", " ").capitalize()


def prepare(
    template: str | Path,
    profile: Profile = Profile(),
    minutes: float | None = None,
    engine: str | None = None,
    include_dirs: list[Path] | None = None,
    voice_dirs: list[Path] | None = None,
    synth: Synthesizer | None = None,
    resolve_ids: bool = True,
    sounds_dirs: list[Path] | None = None,
    closing: str = "",
    voices: Mapping[str, VoiceProfile] | None = None,
) -> Prepared:
    """Render and parse a template for a listener; resolve voices to clip requests.

    ``engine`` forces every voice onto that engine (``"fake"`` for tests); otherwise each
    voice profile resolves to the first installed voice of its preference. ``sounds_dirs``
    are further folders sound files may be read from (:mod:`generator.script.sounds`); ``closing``
    is spoken last in the last chapter (a course's "Tomorrow: ..." line); ``voices`` are the voice
    profiles to choose from instead of those in ``voice_dirs`` and the voice folders.
    """
    path = resolve_template(str(template), profile.language)
    try:
        front = parse_front_matter(path.read_text(encoding="utf-8"), display(path))
    except (OSError, UnicodeDecodeError):
        front = FrontMatter()  # render_template reports it properly
    target = minutes if minutes is not None else profile.minutes
    if target is None:
        target = front.minutes
    variables = template_variables(profile)
    variables["minutes"] = target  # the length this session is fitted to (None: the script's choice)
    variables["course"] = course_context(profile.earlier, path)
    rendered = render_template(path, variables, include_dirs)
    if rendered.front.language and rendered.front.language != profile.language:
        raise ScriptError(
            f"the template is written in '{rendered.front.language}' but the profile's language is "
            f"'{profile.language}'; set language = \"{rendered.front.language}\" or use the "
            f"'{profile.language}' version of the script",
            None,
        )
    segments = with_closing(parse_script(rendered.text, rendered.name, rendered.anchors), closing)
    sounds = template_sounds(path, include_dirs or [], sounds_dirs or [])
    check_sound_files(segments, sounds)
    bed_file = listener_bed(profile, sounds_dirs or [])
    if not any(getattr(s, "text", None) for s in segments):
        raise ScriptError(f"{rendered.name}: the template renders no speech; add some text to speak")
    resolved = ResolvedVoices(load_voices(voice_dirs) if voices is None else voices, engine)
    voice = pick_voice(resolved, profile.voice_name)
    ids: dict[str, str] = {}
    syn = synth or Synthesizer(ClipCache(default_cache_dir()))

    def voice_id(v: VoiceProfile) -> str:
        if v.name not in ids:
            if v.engine in ("piper", "fake") or not resolve_ids:
                ids[v.name] = v.voice_ids.get(platform_key()) or f"{v.engine}/{v.language}"
            else:
                ids[v.name] = resolve_voice_id(v, syn.engine(v.engine), platform_key())
        return ids[v.name]

    steps = resolve(segments, voice, resolved, profile.rate, voice_id, normalize)
    return Prepared(
        path, rendered, segments, voice, steps,
        None if target is None else target * 60000.0, profile, resolved.resolution(voice.name), sounds, bed_file,
        closing,
    )


def check_sound_files(segments: list[Segment], sounds: SoundFolders) -> None:
    """Every ``[cue file=…]`` and ``[bed file=…]`` is inside ``sounds``, exists and decodes,
    before any speech is made."""
    for seg in segments:
        if not isinstance(seg, Cue | Bed) or seg.file is None:
            continue
        p = sounds.find(seg.file, "cue" if isinstance(seg, Cue) else "bed", partial(ScriptError, pos=seg.pos))
        try:
            decode(p, SR, 1, max_seconds=SOUND_CHECK_S)
        except RelaxgenError as e:
            raise ScriptError(str(e), seg.pos) from None


def listener_bed(profile: Profile, sounds_dirs: list[Path]) -> Path | None:
    """The listener's bed file (relative to where it was given), checked like the markers' files."""
    name = profile.bed_file
    if name is None:
        return None

    def fail(message: str) -> ProfileError:
        return ProfileError(message, profile.bed_source or None, "bed")

    p = listener_sounds(Path(profile.bed_dir or Path.cwd()), sounds_dirs).find(name, "bed", fail)
    try:
        decode(p, SR, 1, max_seconds=SOUND_CHECK_S)
    except RelaxgenError as e:
        raise fail(str(e)) from None
    return p


def _cue_ms(sound_file: Callable[[str], Path]) -> Callable[[Cue], float]:
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

    cue_ms = _cue_ms(prep.sound_file)
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
    rs = reaches(prep.steps, speech_ms, _cue_ms(prep.sound_file), plan_settings(prep.profile))
    r = choose(rs, prep.target_ms)
    if r is None:
        assert prep.target_ms is not None
        raise ScriptError(unreachable(rs, pieces(prep.steps), prep.target_ms, prep.rendered.name))
    return replace(prep, taken=r.taken)


def reach(prep: Prepared) -> list[Reach]:
    """What ``prep`` can reach by the calibrated estimate: the core alone, then with each piece
    added in order (:func:`generator.script.fill.reaches`)."""
    return reaches(prep.steps, estimate_ms, _cue_ms(prep.sound_file), plan_settings(prep.profile))


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
        rs = reaches(prep.steps, length, _cue_ms(prep.sound_file), plan_settings(prep.profile))
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
    then each clip lasts what its voice's estimate says (:mod:`.script.estimate`)."""
    profile = profile or Profile()
    syn = Synthesizer(ClipCache(cache_dir or default_cache_dir()))
    no_engine = estimate or engine == "fake"
    prep = prepare(template, profile, minutes, engine, include_dirs, synth=syn, resolve_ids=not no_engine,
                   sounds_dirs=sounds_dirs, closing=closing, voices=voices)
    prep = estimated(prep)
    if no_engine:
        return prep, timed(prep, {c: estimate_ms(c) for c in prep.requests})
    lengths = _spoken_lengths(syn, prep.requests)
    prep = settle(prep, lengths, partial(_spoken_lengths, syn))
    return prep, timed(prep, lengths)


def _spoken_lengths(syn: Synthesizer, requests: list[ClipRequest],
                    progress: Callable[[int, int], None] | None = None) -> dict[ClipRequest, float]:
    clips = syn.synthesize_all(requests, progress)
    return {c: clips[c].dur_ms for c in requests}


def plan_session(
    template: str | Path,
    profile: Profile | None = None,
    minutes: float | None = None,
    engine: str | None = "fake",
    estimate: bool = False,
    cache_dir: Path | None = None,
    include_dirs: list[Path] | None = None,
    sounds_dirs: list[Path] | None = None,
) -> Timeline:
    """The timed plan of a session (see :func:`plan`)."""
    return plan(template, profile, minutes, engine, estimate, cache_dir, include_dirs, sounds_dirs)[1]


@dataclass(frozen=True)
class BuildOptions:
    bitrate_kbps: int = DEFAULT_BITRATE
    mono: bool = False
    target_lufs: float = -16.0
    cache_dir: Path | None = None
    engine: str | None = None  # override every voice's engine ("fake" for tests)
    jobs: int | None = None  # speech worker processes (default: the number of cores)
    encoders: int | None = None  # MP3 encoders per session: 2 encodes two halves on two cores (default: 2 with 2+ cores)
    include_dirs: tuple[Path, ...] = ()
    sounds_dirs: tuple[Path, ...] = ()  # further folders sound files may be read from
    album: str = ""
    artist: str = ""
    track: tuple[int, int] = (1, 1)
    disc: tuple[int, int] | None = None
    comment: str = ""
    cover: tuple[bytes, str] | None = None
    title: str | None = None
    closing: str = ""  # spoken last in the last chapter (see prepare)
    encoder_quality: int | None = None  # LAME -q 0 (best) .. 9 (fastest); None: the output's (output_quality)


@dataclass
class BuildResult:
    path: Path
    title: str
    timeline: Timeline
    mix: MixReport
    synthesized: int
    cached: int
    prepared: Prepared = field(repr=False)
    encoder_quality: int  # the LAME -q it was encoded with (output_quality)


ProgressFn = Callable[[str, float], None]


def build_session(
    template: str | Path,
    out: str | Path,
    profile: Profile = Profile(),
    minutes: float | None = None,
    options: BuildOptions = BuildOptions(),
    progress: ProgressFn | None = None,
    synth: Synthesizer | None = None,
) -> BuildResult:
    """Render, speak, mix and encode one session into a tagged, chaptered MP3 (atomically).

    Ctrl-C, SIGTERM and SIGHUP stop it at its next safe point with
    :class:`~.interrupts.Interrupted`, leaving nothing half-written (:mod:`.interrupts`)."""
    with owned_signals():
        return _build_session(template, Path(out), profile, minutes, options, progress, synth)


def _build_session(template: str | Path, out: Path, profile: Profile, minutes: float | None,
                   options: BuildOptions, progress: ProgressFn | None, synth: Synthesizer | None) -> BuildResult:
    if out.suffix.lower() != ".mp3":
        raise ScriptError(f"{display(out)}: the output must be an .mp3 file")
    helpers = mp_helpers()
    syn = synth or Synthesizer(ClipCache(options.cache_dir or default_cache_dir()), jobs=options.jobs)
    prep = prepare(template, profile, minutes, options.engine, list(options.include_dirs), synth=syn,
                   sounds_dirs=list(options.sounds_dirs), closing=options.closing)
    prep = estimated(prep)  # a length out of reach fails before any speech
    if prep.target_ms is None:  # so does a far too long script (a target is capped anyway)
        timed(prep, {c: estimate_ms(c) for c in prep.requests})
    before = (syn.stats.synthesized, syn.stats.cached)
    clips = dict(syn.synthesize_all(prep.requests, (lambda i, n: progress("speech", i / n)) if progress else None))

    def speak(more: list[ClipRequest]) -> dict[ClipRequest, float]:
        clips.update(syn.synthesize_all(more))
        return {c: clips[c].dur_ms for c in more}

    prep = settle(prep, {c: clips[c].dur_ms for c in prep.requests}, speak)
    if synth is None:
        syn.close()  # our own speech workers are not needed while mixing: free their memory
        stop_mp_helpers(helpers)  # and the fork server and resource tracker started for them
    tl = timed(prep, {c: clips[c].dur_ms for c in prep.requests})
    settings = MixSettings(
        channels=1 if options.mono else 2,
        target_lufs=options.target_lufs,
        bed_level_db=profile.bed_level,
        bed_override=str(prep.bed_file) if prep.bed_file else profile.bed,
        fade_out_ms=SLEEP_FADE_OUT_MS if profile.sleep else FADE_OUT_MS,
    )
    mix = SessionMix(tl, {c: clips[c].path for c in prep.requests}, settings, prep.sound_file, syn.cache.levels,
                     cache_dir=syn.cache.root)
    title = options.title or prep.title
    parts = split_parts(mix, FRAME_SAMPLES) if _encoders(options) > 1 else None
    quality = output_quality(settings.channels, bool(mix.beds), options.encoder_quality)
    with atomic_path(out) as tmp:
        report = render_to(
            mix,
            lambda: Mp3Encoder(tmp, SR, settings.channels, options.bitrate_kbps, quality=quality),
            (lambda f: progress("mix", f)) if progress else None,
            read_back(tmp, SR, settings.channels),
            expected_loss_db(options.bitrate_kbps),
            parts,
            _part_encoder(tmp, parts, settings.channels, options.bitrate_kbps, quality),
        )
        write_tags(tmp, _tags(prep, tl, title, options))
    return BuildResult(
        out, title, tl, report,
        syn.stats.synthesized - before[0], syn.stats.cached - before[1], prep, quality,
    )


def _part_encoder(tmp: Path, parts: Parts | None, channels: int, kbps: int,
                  quality: int) -> Callable[[], Mp3PartEncoder] | None:
    if parts is None:
        return None
    return lambda: Mp3PartEncoder(tmp, parts, SR, channels, kbps, quality)


def _encoders(o: BuildOptions) -> int:
    """Encoders for one session: as asked, else two where two cores are free for it."""
    if o.encoders is not None:
        return o.encoders
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 2 if min(cores, o.jobs or cores) >= 2 else 1


def _tags(prep: Prepared, tl: Timeline, title: str, o: BuildOptions) -> TagInfo:
    chapters = tuple((c.start_ms, end, c.title) for c, end in tl.chapter_spans())
    transcript = "\n".join(s.text for s in sorted(tl.speech, key=lambda x: x.start_ms))
    return TagInfo(
        title=title,
        artist=o.artist or f"relaxgen ({prep.voice.name})",
        album=o.album or title,
        album_artist=o.artist or "relaxgen",
        track=o.track,
        disc=o.disc,
        year=str(datetime.date.today().year),
        language=prep.profile.language,
        comment=o.comment or prep.front.description,
        transcript=transcript,
        cover=o.cover,
        chapters=chapters,
        extra=(("relaxgen voice", prep.resolution.describe()),),
    )
