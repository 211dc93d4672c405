"""ID3v2.3 tags, chapters (CTOC + CHAP), transcript (USLT) and cover (APIC) with mutagen."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mutagen import MutagenError
from mutagen.id3 import (
    APIC,
    CHAP,
    COMM,
    CTOC,
    ID3,
    TALB,
    TCON,
    TDRC,
    TIT2,
    TLAN,
    TPE1,
    TPE2,
    TPOS,
    TRCK,
    TXXX,
    USLT,
    CTOCFlags,
)

from ..errors import ExportError
from ..paths import display

ISO639_2 = {"en": "eng", "de": "deu"}


@dataclass(frozen=True)
class TagInfo:
    title: str
    artist: str = "relaxgen"
    album: str = ""
    album_artist: str = ""
    track: tuple[int, int] = (1, 1)
    disc: tuple[int, int] | None = None
    genre: str = "Meditation"
    year: str = ""
    language: str = "en"
    comment: str = ""
    transcript: str = ""
    cover: tuple[bytes, str] | None = None  # (data, mime)
    chapters: tuple[tuple[float, float, str], ...] = field(default=())  # (start_ms, end_ms, title)
    extra: tuple[tuple[str, str], ...] = ()  # (description, text): TXXX frames


def write_tags(path: str | Path, info: TagInfo) -> None:
    """Write ID3v2.3 tags and chapters into an MP3 (in place)."""
    lang = ISO639_2.get(info.language, "eng")
    tags = ID3()
    tags.add(TIT2(encoding=1, text=info.title))
    tags.add(TPE1(encoding=1, text=info.artist))
    if info.album:
        tags.add(TALB(encoding=1, text=info.album))
    tags.add(TPE2(encoding=1, text=info.album_artist or info.artist))
    tags.add(TRCK(encoding=1, text=f"{info.track[0]}/{info.track[1]}"))
    if info.disc:
        tags.add(TPOS(encoding=1, text=f"{info.disc[0]}/{info.disc[1]}"))
    tags.add(TCON(encoding=1, text=info.genre))
    if info.year:
        tags.add(TDRC(encoding=1, text=info.year))
    tags.add(TLAN(encoding=1, text=lang))
    if info.comment:
        tags.add(COMM(encoding=1, lang=lang, desc="", text=info.comment))
    for desc, text in info.extra:
        tags.add(TXXX(encoding=1, desc=desc, text=text))
    if info.transcript:
        tags.add(USLT(encoding=1, lang=lang, desc="transcript", text=info.transcript))
    if info.cover:
        data, mime = info.cover
        tags.add(APIC(encoding=1, mime=mime, type=3, desc="Cover", data=data))
    chapters = sorted(info.chapters, key=lambda c: c[0])
    if chapters:
        ids = [f"chp{i}" for i in range(len(chapters))]
        tags.add(
            CTOC(
                element_id="toc",
                flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                child_element_ids=ids,
                sub_frames=[TIT2(encoding=1, text="Chapters")],
            )
        )
        for cid, (start, end, title) in zip(ids, chapters, strict=True):
            tags.add(
                CHAP(
                    element_id=cid,
                    start_time=int(round(start)),
                    end_time=int(round(end)),
                    start_offset=0xFFFFFFFF,
                    end_offset=0xFFFFFFFF,
                    sub_frames=[TIT2(encoding=1, text=title)],
                )
            )
    try:
        tags.save(str(path), v2_version=3, v23_sep="/")
    except (MutagenError, OSError) as e:
        cause = e.args[0] if isinstance(e, MutagenError) and e.args and isinstance(e.args[0], OSError) else e
        if isinstance(cause, OSError):
            import errno

            if cause.errno == errno.ENOSPC:
                raise ExportError(f"{display(Path(path).parent)}: no space left on the device while writing "
                                  "the tags; free some space and run again") from None
        raise ExportError(f"{display(path)}: cannot write tags: {e}") from None
