"""One session of a pack or course as a task: plain, picklable data in
(:class:`SessionTask`), one tagged, chaptered MP3 with its sidecars out
(:class:`TaskResult`), built by :func:`run_task` in any process (a pool worker,
a Dask worker).
"""

from __future__ import annotations

import dataclasses
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..api import BuildOptions, BuildResult, Prepared, build_session, estimated, prepare
from ..audio.clips import SR
from ..audio.encode import QUALITY_BY_OUTPUT
from ..errors import RelaxgenError
from ..export.names import safe_filename, track_filename
from ..export.packdata import PackExport, TrackExport
from ..export.playlist import m3u8_text
from ..export.sidecars import lrc_text, srt_text
from ..fsutil import atomic_path, atomic_write_bytes
from ..interrupts import check
from ..model import Timeline
from ..policy import TARGET_LUFS
from ..profile import Profile
from .buildstate import digest, file_sha, program_version, voice_fingerprints

CHAPTER_PLAYLIST = "playlist.m3u8"


def profile_to_dict(p: Profile) -> dict[str, Any]:
    d = dataclasses.asdict(p)
    d["skip"], d["gentle"], d["earlier"] = list(p.skip), list(p.gentle), list(p.earlier)
    return d


def profile_from_dict(d: dict[str, Any]) -> Profile:
    d = dict(d)
    d["skip"], d["gentle"] = tuple(d.get("skip", ())), tuple(d.get("gentle", ()))
    d["earlier"] = tuple(d.get("earlier", ()))
    return Profile(**d)


@dataclass(frozen=True)
class SessionTask:
    """Everything one worker needs to build one MP3 (plain data, picklable)."""

    folder: str  # the pack folder (absolute)
    name: str  # the MP3's file name in the pack folder
    template: str  # absolute template path
    profile: dict[str, Any]
    minutes: float
    title: str
    album: str
    artist: str
    comment: str
    track: tuple[int, int]
    cover: str | None  # the cover file in the pack folder
    options: dict[str, Any]  # bitrate_kbps, mono, target_lufs, engine, include_dirs, sounds_dirs, cache_dir
    split_chapters: bool = False
    label: str = ""  # who it is for (progress display)
    static_hash: str = ""
    disc: tuple[int, int] | None = None  # (part, parts) of a multi-part course
    closing: str = ""  # spoken last in the last chapter ("Tomorrow: ..."), see generator.script.practice

    @property
    def key(self) -> str:
        return str(Path(self.folder) / self.name)

    def static_inputs(self, cover_sha: str | None = None) -> dict[str, Any]:
        """What is known before building: part of the output's hash (``cover_sha``: the
        cover's sha256 when the caller knows it, e.g. once for a whole pack)."""
        prof = profile_from_dict(self.profile)
        opts = {k: v for k, v in self.options.items() if k not in ("cache_dir", "synth_jobs")}
        if opts.get("encoder_quality") is None:  # the output's quality: the rule is what decides it
            opts["encoder_quality"] = {"by_output": QUALITY_BY_OUTPUT}
        return {
            "program": program_version(), "template": self.template, "profile": prof.used_fields(),
            "minutes": self.minutes, "title": self.title, "album": self.album, "artist": self.artist,
            "comment": self.comment, "track": list(self.track),
            "cover": (cover_sha or file_sha(self.cover)) if self.cover else None, "options": opts,
            "split_chapters": self.split_chapters,
        } | ({"disc": list(self.disc)} if self.disc else {}) | ({"closing": self.closing} if self.closing else {})

    def with_hash(self, cover_sha: str | None = None) -> SessionTask:
        return dataclasses.replace(self, static_hash=digest(self.static_inputs(cover_sha)))


@dataclass
class TaskResult:
    key: str
    folder: str
    name: str
    ok: bool
    error: str = ""
    deps: dict[str, dict[str, str]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    size: int = 0
    track: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    worker: str = ""
    synthesized: int = 0
    cached: int = 0


# ---------------------------------------------------------------- the worker side

_SYNTHS: dict[str, Any] = {}
ProgressFn = Callable[[str, float], None]


def _synth(cache_dir: str, jobs: int | None) -> Any:
    """One Synthesizer per worker process, cache folder and speech job count (engines start once)."""
    from ..tts.cache import ClipCache
    from ..tts.synth import Synthesizer

    key = f"{cache_dir}\x00{jobs}"
    if key not in _SYNTHS:
        _SYNTHS[key] = Synthesizer(ClipCache(cache_dir), jobs=jobs)
    return _SYNTHS[key]


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_task(task: SessionTask, progress: ProgressFn | None = None) -> TaskResult:
    """Build one session MP3 with its sidecars (and chapter files); never raises for build errors.

    A stop request (:mod:`.interrupts`) raises at the build's safe points, up to and during
    chapter cutting; once the MP3 is in place, its sidecars and dependencies take milliseconds
    and have no safe point, so a session past that point is always returned whole (the
    caller records it)."""
    t0 = time.monotonic()
    res = TaskResult(task.key, task.folder, task.name, ok=False, worker=worker_name())
    try:
        _build(task, res, progress)
        res.ok = True
    except RelaxgenError as e:
        res.error = str(e)
    except Exception as e:  # a bug must fail this session, not the whole batch
        import traceback

        where = traceback.extract_tb(e.__traceback__)[-1]
        res.error = f"internal error {type(e).__name__}: {e} (at {Path(where.filename).name}:{where.lineno})"
    res.seconds = time.monotonic() - t0
    return res


def prepare_task(task: SessionTask, synth: Any) -> Prepared:
    """The session prepared as its build prepares it (rendered, parsed, sound files checked,
    voices resolved to clip requests, the optional pieces chosen from the calibrated estimate),
    speaking nothing."""
    o = task.options
    return estimated(prepare(task.template, profile_from_dict(task.profile), task.minutes, o.get("engine"),
                   [Path(x) for x in o.get("include_dirs", ())], synth=synth,
                   sounds_dirs=[Path(x) for x in o.get("sounds_dirs", ())], closing=task.closing))


def _build(task: SessionTask, res: TaskResult, progress: ProgressFn | None) -> None:
    folder = Path(task.folder)
    o = task.options
    cover: tuple[bytes, str] | None = None
    if task.cover:
        data = Path(task.cover).read_bytes()
        cover = (data, "image/png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "image/jpeg")
    opts = BuildOptions(
        bitrate_kbps=int(o.get("bitrate_kbps", 128)), mono=bool(o.get("mono", False)),
        target_lufs=float(o.get("target_lufs", TARGET_LUFS)), cache_dir=Path(o["cache_dir"]),
        engine=o.get("engine"), include_dirs=tuple(Path(p) for p in o.get("include_dirs", ())),
        sounds_dirs=tuple(Path(p) for p in o.get("sounds_dirs", ())),
        album=task.album, artist=task.artist, track=task.track, comment=task.comment,
        cover=cover, title=task.title, disc=task.disc, closing=task.closing,
        encoders=1,  # a pack's or course's sessions run side by side: one core each
        encoder_quality=o.get("encoder_quality"),
    )
    profile = profile_from_dict(task.profile)
    syn = _synth(str(o["cache_dir"]), o.get("synth_jobs"))
    mp3 = folder / task.name
    built = build_session(task.template, mp3, profile, task.minutes, opts, progress, syn)
    track = track_export(built, task)
    chapters = (split_chapters(mp3, built.timeline, track, task, cover, built.encoder_quality)
                if task.split_chapters else [])
    res.files = [p.name for p in write_track_sidecars(track, mp3)] + chapters
    res.deps = build_deps(built, opts.engine, syn)
    res.size = mp3.stat().st_size
    res.track = dataclasses.asdict(track)
    res.synthesized, res.cached = built.synthesized, built.cached


def build_deps(built: BuildResult, engine: str | None, syn: Any) -> dict[str, dict[str, str]]:
    """The dependencies found while building (see :mod:`generator.batch.buildstate`)."""
    prep = built.prepared
    sources = {str(Path(k).resolve()): v for k, v in prep.rendered.sources.items()}
    files = {str(p): file_sha(p) for p in prep.sound_files()}
    voices = {r.voice for r in prep.requests} | {prep.voice.name}
    engines = {r.engine for r in prep.requests}
    return {
        "sources": sources, "files": files,
        "voices": voice_fingerprints(voices, engine),
        "engines": {e: syn.engine_version(e) for e in sorted(engines)},
    }


def track_export(built: BuildResult, task: SessionTask) -> TrackExport:
    tl = built.timeline
    return TrackExport(
        number=task.track[0], title=task.title, artist=task.artist, file=task.name,
        duration_s=tl.total_ms / 1000.0,
        chapters=tuple((c.start_ms / 1000.0, c.title) for c in sorted(tl.chapters, key=lambda c: c.start_ms)),
        lines=tuple((s.start_ms / 1000.0, s.end_ms / 1000.0, s.text)
                    for s in sorted(tl.speech, key=lambda s: s.start_ms)),
        timeline=timeline_items(tl),
        description=built.prepared.front.description,
    )


def timeline_items(tl: Timeline) -> tuple[dict[str, object], ...]:
    out: list[dict[str, object]] = []
    for it in tl.items:
        start = round(it.start_ms / 1000.0, 3)
        dur = round(float(getattr(it, "dur_ms", 0.0)) / 1000.0, 3)
        label = str(getattr(it, "text", "") or getattr(it, "title", "") or getattr(it, "name", "") or "")
        out.append({"kind": it.kind, "start": start, "dur": dur, "label": label})
    return tuple(out)


def write_track_sidecars(track: TrackExport, mp3: Path) -> list[Path]:
    """``X.lrc`` and ``X.srt`` beside ``X.mp3`` (the .srt only when there are spoken lines)."""
    out = [atomic_write_bytes(mp3.with_suffix(".lrc"), lrc_text(track).encode("utf-8"))]
    if track.lines:
        out.append(atomic_write_bytes(mp3.with_suffix(".srt"), srt_text(track).encode("utf-8")))
    return out


def split_chapters(mp3: Path, tl: Timeline, track: TrackExport, task: SessionTask,
                   cover: tuple[bytes, str] | None, quality: int) -> list[str]:
    """One MP3 per chapter in ``<session stem>/`` (cut from the decoded session, re-encoded at the
    session's LAME ``quality``, tagged)."""
    from ..audio.encode import Mp3Encoder
    from ..audio.ffmpeg import decode
    from ..export.tags import TagInfo, write_tags

    spans = tl.chapter_spans()
    if not spans:
        return []
    channels = 1 if task.options.get("mono") else 2
    audio = decode(mp3, SR, channels)
    sub = safe_filename(Path(task.name).stem)
    folder = mp3.parent / sub
    n = len(spans)
    tracks: list[TrackExport] = []
    written: list[str] = []
    profile = profile_from_dict(task.profile)
    for i, (ch, end) in enumerate(spans, 1):
        check()
        start = 0.0 if i == 1 else ch.start_ms
        a, b = int(round(start * SR / 1000)), min(len(audio), int(round(end * SR / 1000)))
        name = track_filename(i, n, ch.title)
        with atomic_path(folder / name) as tmp:
            with Mp3Encoder(tmp, SR, channels, int(task.options.get("bitrate_kbps", 128)),
                            quality=quality) as enc:
                enc.write(audio[a:b])
            write_tags(tmp, TagInfo(
                title=ch.title, artist=task.artist, album=f"{task.album} – {task.title}",
                album_artist=task.artist, track=(i, n), language=profile.language,
                comment=task.comment, cover=cover, year=time.strftime("%Y")))
        written.append(f"{sub}/{name}")
        tracks.append(TrackExport(i, ch.title, task.artist, name, (b - a) / SR))
    pl = PackExport(f"{task.album} – {task.title}", profile.language, tuple(tracks))
    atomic_write_bytes(folder / CHAPTER_PLAYLIST, m3u8_text(pl).encode("utf-8"))
    written.append(f"{sub}/{CHAPTER_PLAYLIST}")
    return written
