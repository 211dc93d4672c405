"""Preparing a session: check the listener's voice, render and parse a template for the
listener, check the sound files it names, and resolve its speech to clip requests. Nothing is
spoken or timed yet."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from ..audio.clips import SR
from ..audio.ffmpeg import decode
from ..errors import AudioError, ProfileError, RelaxgenError, ScriptError, did_you_mean
from ..model import Bed, ClipRequest, Cue, Segment, VoiceProfile
from ..paths import default_cache_dir, display
from ..policy import SOUND_CHECK_S
from ..profile import Profile
from ..script.fill import keep, pieces
from ..script.library import template_globals
from ..script.markers import parse_script
from ..script.practice import with_closing
from ..script.render import (
    FrontMatter,
    Rendered,
    as_data,
    parse_front_matter,
    render_template,
    resolve_template,
)
from ..script.sounds import SoundFolders, listener_sounds, template_sounds
from ..script.timeline import Step, clip_requests, resolve
from ..tts.base import resolve_voice_id, voice_from_profile
from ..tts.cache import ClipCache
from ..tts.synth import Synthesizer
from ..tts.textnorm import normalize
from ..tts.voices import Resolution, ResolvedVoices, load_voices, pick_voice, platform_key


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
    known = load_voices(voice_dirs) if voices is None else voices
    check_voice(profile, known)
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
    resolved = ResolvedVoices(known, engine)
    voice = pick_voice(resolved, profile.voice_name)
    ids: dict[str, str] = {}
    syn = synth or Synthesizer(ClipCache(default_cache_dir()))

    def voice_id(v: VoiceProfile) -> str:
        if v.name not in ids:
            if not resolve_ids or voice_from_profile(v.engine):
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


def check_voice(profile: Profile, names: Iterable[str] | None = None) -> None:
    """The voice a profile file, a CSV row or ``--set`` gave (``profile.voice_source`` says which)
    is one of the voice profiles ``names`` (default: those installed here); a ProfileError
    naming that source otherwise. A voice set in code meets :func:`pick_voice`'s VoiceError."""
    v = profile.voice
    if not v or not profile.voice_source:
        return
    known = sorted(load_voices() if names is None else names)
    if v not in known:
        raise ProfileError(f"unknown voice '{v}'{did_you_mean(v, known)}; voice profiles are {', '.join(known)} "
                           "(run 'relaxgen voices')", profile.voice_source, "voice")


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
