"""One pack for one listener: its tasks (one MP3 each, :mod:`generator.batch.task`) and the
pack folder around them.

The pack folder holds ``01 Title.mp3`` ... (tagged, chaptered) with ``.lrc`` and
``.srt`` sidecars, ``playlist.m3u8``, ``cover.jpg`` (or the manifest's image),
``README.txt``, ``index.html``, for a course (or with ``reminders``) ``reminders.ics``
(:mod:`generator.export.reminders`) and, with ``split_chapters``, one subfolder per
session (``01 Title/``) with one MP3 per chapter and its own ``playlist.m3u8``.

Tasks are plain, picklable data (:class:`~generator.batch.task.SessionTask`);
:func:`~generator.batch.task.run_task` builds one in any process (a pool worker, a Dask
worker) and returns plain data. The pack-level files are written by the coordinating process with
:func:`write_pack_files` from the tracks' records.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import RelaxgenError
from ..export.names import track_filename
from ..export.packdata import PackExport, TrackExport
from ..export.playlist import m3u8_text
from ..export.readme import readme_text
from ..export.reminders import REMINDERS_NAME, previous, reminders_ics
from ..fsutil import atomic_write_bytes
from ..policy import TARGET_LUFS
from ..profile import Profile
from ..script.practice import (
    PracticeDay,
    Schedule,
    closing_line,
    course_day,
    machine_timezone,
    next_days,
    pack_key,
)
from .task import SessionTask, profile_to_dict

SAFETY = {
    "en": "Safety: do not listen while driving or operating machinery; stop if anything hurts; "
          "this is no substitute for medical advice.",
    "de": "Sicherheit: nicht beim Autofahren oder Bedienen von Maschinen hören; bei Schmerzen "
          "aufhören; ersetzt keine ärztliche Beratung.",
}


def safety_note(language: str) -> str:
    return SAFETY.get(language, SAFETY["en"])


# ---------------------------------------------------------------- planning a pack


@dataclass(frozen=True)
class PackSettings:
    """Build settings shared by every session of a pack or course."""

    cache_dir: str
    bitrate_kbps: int = 128
    mono: bool = False
    target_lufs: float = TARGET_LUFS
    engine: str | None = None
    include_dirs: tuple[str, ...] = ()
    sounds_dirs: tuple[str, ...] = ()  # further folders sound files may be read from (absolute)
    split_chapters: bool = False
    synth_jobs: int | None = None  # speech processes per task (1 when several tasks run at once)
    reminders: bool = False  # write reminders.ics (always for a course)
    encoder_quality: int | None = None  # LAME -q 0..9 (None: each output's, encode.output_quality)

    def options(self) -> dict[str, Any]:
        return {"bitrate_kbps": self.bitrate_kbps, "mono": self.mono, "target_lufs": self.target_lufs,
                "engine": self.engine, "include_dirs": list(self.include_dirs),
                "sounds_dirs": list(self.sounds_dirs), "cache_dir": self.cache_dir,
                "synth_jobs": self.synth_jobs, "encoder_quality": self.encoder_quality}


@dataclass
class PackPlan:
    """One pack for one listener: where, what, and the sessions that could not be planned."""

    folder: Path
    title: str
    language: str
    description: str = ""
    author: str = ""
    cover: str | None = None  # file name of the cover in the folder
    label: str = ""
    tasks: list[SessionTask] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (what, why)
    schedule: Schedule | None = None  # when the listener practises which session
    reminders: bool = False
    address: str = "Sie"  # the listener's form of address
    listener: str = ""  # who the pack is for (the page's diary names them in its export)


_COVERS: dict[tuple[str, str, str], bytes] = {}


def _write_if_changed(path: Path, data: bytes) -> bool:
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    atomic_write_bytes(path, data)
    return True


def _cover(manifest: Any, language: str) -> tuple[bytes, str]:
    from ..export.cover import generate_cover, load_user_cover

    if manifest.cover is not None:
        data, mime = load_user_cover(manifest.cover)
        return data, "cover.png" if mime == "image/png" else "cover.jpg"
    key = (manifest.title, manifest.author or "relaxgen", language)
    if key not in _COVERS:
        _COVERS[key] = generate_cover(key[0], key[1], language)
    return _COVERS[key], "cover.jpg"


def plan_pack(manifest: Any, profile: Profile, folder: Path, settings: PackSettings,
              label: str = "", write: bool = True) -> PackPlan:
    """The tasks of one pack for one listener; writes the cover (needed by every task) first.

    ``manifest`` is a :class:`generator.batch.manifest.Manifest`. ``write=False`` (a dry run)
    creates nothing: the tasks' hashes are those of the cover a build would write.
    """
    from ..script.render import parse_front_matter, resolve_template
    from .manifest import session_profile

    manifest = manifest.for_language(profile.language)  # before anything is written
    folder = Path(folder).resolve()
    if write:
        folder.mkdir(parents=True, exist_ok=True)
    plan = PackPlan(folder, manifest.title, profile.language, manifest.description, manifest.author,
                    label=label, address=profile.address,
                    listener=profile.id or profile.name or label or folder.name)
    cover_sha: str | None = None
    try:
        data, cover_name = _cover(manifest, profile.language)
        if write:
            _write_if_changed(folder / cover_name, data)
        plan.cover = cover_name
        cover_sha = hashlib.sha256(data).hexdigest()  # as the cover file's (one hash per pack)
    except RelaxgenError as e:
        plan.errors.append(("cover", str(e)))
    artist = manifest.author or "relaxgen"
    comment = " ".join(x for x in (manifest.description, safety_note(profile.language)) if x)
    total = len(manifest.sessions)
    parts = max((s.part or 1 for s in manifest.sessions), default=1)
    planned = []
    for s in manifest.sessions:
        try:
            path = resolve_template(s.script, profile.language).resolve()
            front = parse_front_matter(path.read_text(encoding="utf-8"), str(path))
        except (RelaxgenError, OSError, UnicodeDecodeError) as e:
            plan.errors.append((f"session {s.number} ({s.script})", str(e)))
            continue
        title = s.title or front.title or path.stem.replace("-", " ").capitalize()
        planned.append((s, path, title))
    days = tuple(PracticeDay(s.number, course_day(s.number, s.day), title, s.minutes,
                             track_filename(s.number, total, title)) for s, _p, title in planned)
    plan.schedule = schedule(manifest.title, profile, label or profile.name or folder.name,
                             manifest.start, days)
    plan.reminders = settings.reminders
    following = next_days(days)
    earlier: list[str] = []
    for (s, path, title), day in zip(planned, days, strict=True):
        nxt = following.get(s.number)
        closing = "" if nxt is None or profile.sleep or s.day is None else \
            closing_line(profile.language, profile.address, day.day, nxt)
        listener = replace(session_profile(profile, s), earlier=tuple(earlier))
        earlier.append(path.stem)
        task = SessionTask(
            folder=str(folder), name=day.file, template=str(path),
            profile=profile_to_dict(listener), minutes=s.minutes, title=title,
            album=manifest.title, artist=artist, comment=comment, track=(s.number, total),
            cover=str(folder / plan.cover) if plan.cover else None, options=settings.options(),
            split_chapters=settings.split_chapters, label=label,
            disc=(s.part or 1, parts) if any(x.part for x in manifest.sessions) else None,
            closing=closing,
        )
        plan.tasks.append(task.with_hash(cover_sha))
    return plan


def schedule(album: str, profile: Profile, listener: str, start: str | None,
             days: tuple[PracticeDay, ...]) -> Schedule:
    """When ``profile`` practises: the profile's start (else the manifest's), time and zone.
    ``listener`` names the listener within the pack's album (the CSV id wins)."""
    return Schedule(pack_key(album, profile.id or listener), profile.start or start, profile.practice_time,
                    profile.timezone or machine_timezone(), profile.language, profile.address, days)


# ---------------------------------------------------------------- the pack folder files


def pack_export(plan: PackPlan, tracks: list[dict[str, Any]]) -> PackExport:
    ts = tuple(TrackExport(**{**t, "chapters": tuple(tuple(c) for c in t.get("chapters", ())),
                               "lines": tuple(tuple(x) for x in t.get("lines", ())),
                               "timeline": tuple(t.get("timeline", ()))})
               for t in sorted(tracks, key=lambda t: int(t["number"])))
    sch = plan.schedule
    if sch is not None:
        by_number = {d.number: d.day for d in sch.days}
        ts = tuple(replace(t, day=by_number.get(t.number)) for t in ts)
    return PackExport(plan.title, plan.language, ts, plan.description, plan.author, plan.cover,
                      safety_note(plan.language), key=sch.key if sch else "",
                      start=sch.start if sch else None, reminders=plan.reminders, address=plan.address,
                      listener=plan.listener)


def pack_file_names() -> list[str]:
    """Every file :func:`write_pack_files` writes (a run checks they are still as written)."""
    try:
        from ..export.page import INDEX_NAME
    except ImportError:
        return ["playlist.m3u8", "README.txt"]
    return ["playlist.m3u8", "README.txt", INDEX_NAME]


def write_pack_files(plan: PackPlan, tracks: list[dict[str, Any]]) -> list[str]:
    """playlist.m3u8, README.txt and index.html for the built tracks; returns the names changed
    (:func:`pack_file_names` lists them all)."""
    pack = pack_export(plan, tracks)
    files = {"playlist.m3u8": m3u8_text(pack), "README.txt": readme_text(pack, len(plan.tasks), pack.safety or safety_note(pack.language))}
    changed = [n for n, text in files.items() if _write_if_changed(plan.folder / n, text.encode("utf-8"))]
    if plan.reminders and plan.schedule is not None and _write_reminders(plan, pack):
        changed.append(REMINDERS_NAME)
    try:
        from ..export.page import INDEX_NAME, render_index_html
    except ImportError:  # the page module is optional
        return changed
    if _write_if_changed(plan.folder / INDEX_NAME, render_index_html(pack).encode("utf-8")):
        changed.append(INDEX_NAME)
    return changed


def _write_reminders(plan: PackPlan, pack: PackExport) -> bool:
    """reminders.ics; without a start the first build's day stays the start (read back from the
    file), and an unchanged calendar keeps its DTSTAMP, so a rebuild leaves the file alone."""
    sch = plan.schedule
    assert sch is not None
    path = plan.folder / REMINDERS_NAME
    try:
        old: bytes | None = path.read_bytes()
    except OSError:
        old = None
    old_start, old_stamp = previous(old)
    now = dt.datetime.now(dt.UTC)
    start = (dt.date.fromisoformat(sch.start) if sch.start else
             old_start or now.astimezone(zoneinfo.ZoneInfo(sch.timezone)).date())
    durations = {t.number: t.duration_s for t in pack.tracks}

    def ics(stamp: dt.datetime) -> bytes:
        return reminders_ics(sch, plan.title, start, pack.safety, durations, stamp)

    data = ics(old_stamp or now)
    if data == old:
        return False
    atomic_write_bytes(path, ics(now) if old_stamp else data)
    return True
