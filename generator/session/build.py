"""Building a session: speak a prepared session, time it on its real clips, mix, encode and tag
one MP3, written atomically."""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..audio.clips import SR
from ..audio.encode import (
    DEFAULT_BITRATE,
    Mp3Encoder,
    Mp3PartEncoder,
    expected_loss_db,
    output_quality,
    read_back,
)
from ..audio.master import MixReport, Parts, render_to, split_parts
from ..audio.mixer import MixSettings, SessionMix
from ..audio.mp3join import FRAME_SAMPLES
from ..errors import ScriptError
from ..export.tags import TagInfo, write_tags
from ..fsutil import atomic_path
from ..interrupts import owned_signals
from ..model import ClipRequest, Timeline
from ..paths import default_cache_dir, display
from ..policy import FADE_OUT_MS, SLEEP_FADE_OUT_MS, TARGET_LUFS
from ..profile import Profile
from ..script.timeline import estimate_ms
from ..tts.cache import ClipCache
from ..tts.pool import mp_helpers, stop_mp_helpers
from ..tts.synth import Synthesizer
from .prepare import Prepared, prepare
from .timing import estimated, settle, timed


@dataclass(frozen=True)
class BuildOptions:
    bitrate_kbps: int = DEFAULT_BITRATE
    mono: bool = False
    target_lufs: float = TARGET_LUFS
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
    :class:`~generator.interrupts.Interrupted`, leaving nothing half-written
    (:mod:`generator.interrupts`)."""
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
