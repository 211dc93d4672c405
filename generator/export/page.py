"""``index.html``: one self-contained offline player page for a pack folder.

The page has no external URL and makes no request of its own: CSS and JS are
inline, the pack data is embedded JSON, the timelines are inline SVG built
here. It opens from ``file://`` on desktop and phone and plays the MP3s beside
it. Without JavaScript the session links still open each MP3.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import quote

from ..errors import ExportError, FileOperationError
from ..fsutil import atomic_write_text
from .diarypage import diary_assets, diary_section, diary_text
from .packdata import TIMELINE_KINDS, PackExport, TrackExport, script_json, timeline_items, to_dict

INDEX_NAME = "index.html"
SVG_W = 1000.0
SVG_H = 64.0

UI: dict[str, dict[str, str]] = {
    "en": {
        "sessions": "Sessions",
        "now": "Now playing",
        "choose": "Choose a session to begin.",
        "chapters": "Chapters",
        "transcript": "Transcript",
        "timeline": "Timeline",
        "safety": "Before you start",
        "by": "by",
        "nojs": "JavaScript is off: tap a session to play it in your browser's own player.",
        "error": "This file could not be played. Keep index.html in the same folder as the MP3 files.",
        "seek": "Click to jump to this point",
        "speech": "Speech",
        "pause": "Pause",
        "cue": "Bell / cue",
        "bed": "Ambient sound",
        "chapter": "Chapter",
        "breathe": "Breathing",
        "made": "Made with relaxgen. Plays offline.",
        "today": "Today",
        "play_today": "Start today's session",
        "resume": "Continue at",
        "all_done": "Every session is done. Well practised! Any session can be played again.",
        "done": "done",
        "progress": "Your progress",
        "days_done": "{n} of {m} days done",
        "streak": "{n} day(s) in a row",
        "practised": "Practised on",
        "none_yet": "Not yet: your practice days will appear here.",
        "forget": "Forget my progress",
        "forget_confirm": "Forget every position, done mark and practice day of this pack in this browser?",
        "no_storage": "This browser does not let the page keep anything, so it will not remember your progress. "
                      "Everything else works.",
        "private": "Your progress stays in this browser on this device; nothing is sent anywhere.",
        "reminders": "Reminders in your calendar",
        "reminders_text": "reminders.ics in this folder has one event for every session at your practice time, "
                          "with an alarm 10 minutes before. Android: open it from the Files app with your "
                          "calendar app (for Google Calendar, import it once on a computer at "
                          "calendar.google.com, Settings, Import & export). iPhone: send it to yourself by "
                          "e-mail or AirDrop, tap it and choose “Add All”.",
    },
    "de": {
        "sessions": "Einheiten",
        "now": "Jetzt",
        "choose": "Wähle eine Einheit, um zu beginnen.",
        "chapters": "Kapitel",
        "transcript": "Text",
        "timeline": "Ablauf",
        "safety": "Bevor du beginnst",
        "by": "von",
        "nojs": "JavaScript ist aus: Tippe auf eine Einheit, um sie im Player des Browsers abzuspielen.",
        "error": "Diese Datei ließ sich nicht abspielen. Lass index.html im selben Ordner wie die MP3-Dateien.",
        "seek": "Klicken, um an diese Stelle zu springen",
        "speech": "Sprache",
        "pause": "Pause",
        "cue": "Klang / Glocke",
        "bed": "Hintergrundklang",
        "chapter": "Kapitel",
        "breathe": "Atmung",
        "made": "Erstellt mit relaxgen. Spielt offline.",
        "today": "Heute",
        "play_today": "Heutige Einheit starten",
        "resume": "Weiter bei",
        "all_done": "Alle Einheiten sind geschafft. Gut geübt! Jede Einheit lässt sich wieder abspielen.",
        "done": "erledigt",
        "progress": "Dein Fortschritt",
        "days_done": "{n} von {m} Tagen geschafft",
        "streak": "{n} Tag(e) in Folge",
        "practised": "Geübt am",
        "none_yet": "Noch nichts: Hier erscheinen deine Übungstage.",
        "forget": "Fortschritt vergessen",
        "forget_confirm": "Alle Positionen, Erledigt-Marken und Übungstage dieser Sammlung in diesem Browser vergessen?",
        "no_storage": "Dieser Browser lässt die Seite nichts speichern; sie merkt sich deinen Fortschritt daher "
                      "nicht. Alles andere funktioniert.",
        "private": "Dein Fortschritt bleibt in diesem Browser auf diesem Gerät; nichts wird verschickt.",
        "reminders": "Erinnerungen im Kalender",
        "reminders_text": "reminders.ics in diesem Ordner enthält für jede Einheit einen Termin zu deiner "
                          "Übungszeit, mit Erinnerung 10 Minuten vorher. Android: Öffne die Datei in der "
                          "Dateien-App mit deiner Kalender-App (für Google Kalender einmal am Computer "
                          "importieren: calendar.google.com, Einstellungen, Importieren & exportieren). "
                          "iPhone: Schicke sie dir per E-Mail oder AirDrop, tippe sie an und wähle "
                          "„Alle hinzufügen“.",
    },
}
# German in the polite form: the listener who chose Sie reads Sie on the page as they hear it
UI["de-Sie"] = {**UI["de"], **{
    "choose": "Wählen Sie eine Einheit, um zu beginnen.",
    "safety": "Bevor Sie beginnen",
    "nojs": "JavaScript ist aus: Tippen Sie auf eine Einheit, um sie im Player des Browsers abzuspielen.",
    "error": "Diese Datei ließ sich nicht abspielen. Lassen Sie index.html im selben Ordner wie die MP3-Dateien.",
    "progress": "Ihr Fortschritt",
    "none_yet": "Noch nichts: Hier erscheinen Ihre Übungstage.",
    "no_storage": "Dieser Browser lässt die Seite nichts speichern; sie merkt sich Ihren Fortschritt daher "
                  "nicht. Alles andere funktioniert.",
    "private": "Ihr Fortschritt bleibt in diesem Browser auf diesem Gerät; nichts wird verschickt.",
    "reminders_text": "reminders.ics in diesem Ordner enthält für jede Einheit einen Termin zu Ihrer "
                      "Übungszeit, mit Erinnerung 10 Minuten vorher. Android: Öffnen Sie die Datei in der "
                      "Dateien-App mit Ihrer Kalender-App (für Google Kalender einmal am Computer "
                      "importieren: calendar.google.com, Einstellungen, Importieren & exportieren). "
                      "iPhone: Schicken Sie sie sich per E-Mail oder AirDrop, tippen Sie sie an und wählen "
                      "Sie „Alle hinzufügen“.",
}}
_TOKEN = re.compile(r"@@([A-Z_]+)@@")


def ui_text(language: str, address: str = "Sie") -> dict[str, str]:
    """The page's interface strings for ``language`` in the listener's form of address
    (German: Sie or du; ``de-AT`` -> ``de``; unknown -> English), the diary's
    (:mod:`generator.export.diarypage`) included."""
    lang = language.split("-")[0].split("_")[0].lower()
    ui = UI["de-Sie"] if lang == "de" and address != "du" else UI.get(lang, UI["en"])
    return ui | diary_text(language)


def fmt_time(seconds: float) -> str:
    """``m:ss``, or ``h:mm:ss`` from one hour (halves round up, like the page's JS)."""
    s = max(0, int(seconds + 0.5))
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def href(file: str) -> str:
    """A relative URL for a file in the pack folder (``#``, ``?``, ``%``, spaces escaped)."""
    return quote(file.replace("\\", "/"), safe="/")


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _track_length(track: TrackExport) -> float:
    ends = [start + dur for _k, start, dur, _l in timeline_items(track)]
    ends += [end for _s, end, _t in track.lines] + [start for start, _t in track.chapters]
    return max([track.duration_s, *ends, 0.001])


def timeline_svg(track: TrackExport, index: int, ui: dict[str, str]) -> str:
    """An inline SVG of the session: beds below, speech/pauses/breathing in the middle,
    cues as markers, chapter ticks across; one ``<rect class="k-KIND">`` per item."""
    total = _track_length(track)

    def x(t: float) -> float:
        return min(SVG_W, max(0.0, t / total * SVG_W))

    rows = {"bed": (50.0, 10.0), "pause": (16.0, 28.0), "speech": (12.0, 36.0),
            "breathe": (14.0, 32.0), "cue": (6.0, 48.0), "chapter": (0.0, SVG_H)}  # fmt: skip
    min_w = {"cue": 3.0, "chapter": 2.5}
    order = {"bed": 0, "pause": 1, "breathe": 2, "speech": 3, "cue": 4, "chapter": 5}
    parts: list[str] = []
    for kind, start, dur, label in sorted(timeline_items(track), key=lambda i: order[i[0]]):
        y, h = rows[kind]
        x0 = x(start)
        w = max(x(start + dur) - x0, min_w.get(kind, 1.2))
        x0 = min(x0, SVG_W - w)
        name = label or ui[kind]
        tip = f"{name} · {fmt_time(start)}" + (f"–{fmt_time(start + dur)}" if dur >= 1 else "")
        parts.append(
            f'<rect class="k-{kind}" x="{x0:.2f}" y="{y:g}" width="{w:.2f}" height="{h:g}" '
            f'data-start="{start:.3f}"><title>{_esc(tip)}</title></rect>'
        )
    label = f"{ui['timeline']}: {track.title}"
    return (
        f'<svg class="timeline" id="svg-{index}" viewBox="0 0 {SVG_W:g} {SVG_H:g}" '
        f'preserveAspectRatio="none" role="img" aria-label="{_esc(label)}" '
        f'data-duration="{total:.3f}">'
        f'<rect class="tl-bg" x="0" y="0" width="{SVG_W:g}" height="{SVG_H:g}"/>'
        + "".join(parts)
        + f'<rect class="playhead" x="0" y="0" width="3" height="{SVG_H:g}"/></svg>'
    )


def _legend(track: TrackExport, ui: dict[str, str]) -> str:
    present = {kind for kind, *_ in timeline_items(track)}
    items = "".join(
        f'<li><span class="sw k-{k}" aria-hidden="true"></span>{_esc(ui[k])}</li>'
        for k in TIMELINE_KINDS
        if k in present
    )
    return f'<ul class="legend">{items}</ul>' if items else ""


def _timelines(pack: PackExport, ui: dict[str, str]) -> str:
    blocks = []
    for i, track in enumerate(pack.tracks):
        blocks.append(
            f'<div class="tl-wrap" id="tl-{i}" data-index="{i}" hidden title="{_esc(ui["seek"])}">'
            f"{timeline_svg(track, i, ui)}"
            f'<div class="axis"><span>0:00</span><span>{fmt_time(_track_length(track))}</span></div>'
            f"{_legend(track, ui)}</div>"
        )
    return "\n".join(blocks)


def _track_list(pack: PackExport, ui: dict[str, str]) -> str:
    items = []
    for i, t in enumerate(pack.tracks):
        desc = f'<span class="t-desc">{_esc(t.description)}</span>' if t.description else ""
        items.append(
            f'<li><a class="track" href="{_esc(href(t.file))}" data-index="{i}">'
            f'<span class="t-num">{t.number:02d}</span>'
            f'<span class="t-main"><span class="t-title">{_esc(t.title)}</span>{desc}</span>'
            f'<span class="t-len">{fmt_time(t.duration_s)}</span>'
            f'<span class="t-done" title="{_esc(ui["done"])}">\u2713</span></a></li>'
        )
    return "\n".join(items)


def _header_extra(pack: PackExport, ui: dict[str, str]) -> tuple[str, str, str]:
    cover = (
        f'<img class="cover" src="{_esc(href(pack.cover))}" alt="" width="160" height="160">'
        if pack.cover
        else ""
    )
    desc = f'<p class="desc">{_esc(pack.description)}</p>' if pack.description else ""
    author = f'<p class="author">{_esc(ui["by"])} {_esc(pack.author)}</p>' if pack.author else ""
    return cover, desc, author


def _safety(pack: PackExport, ui: dict[str, str]) -> str:
    if not pack.safety.strip():
        return ""
    paras = "".join(f"<p>{_esc(p.strip())}</p>" for p in pack.safety.split("\n\n") if p.strip())
    return f'<aside class="safety" role="note"><h2>{_esc(ui["safety"])}</h2>{paras}</aside>'


def _reminders(pack: PackExport, ui: dict[str, str]) -> str:
    if not pack.reminders:
        return ""
    return (f'<aside class="safety reminders" role="note"><h2>{_esc(ui["reminders"])}</h2>'
            f'<p><a href="reminders.ics" download>reminders.ics</a></p><p>{_esc(ui["reminders_text"])}</p></aside>')


def _template() -> str:
    try:
        return (Path(__file__).parent / "templates" / INDEX_NAME).read_text("utf-8")
    except OSError as e:
        raise ExportError(
            f"the page template generator/templates/{INDEX_NAME} is missing ({e}); reinstall relaxgen"
        ) from None


def render_index_html(pack: PackExport) -> str:
    """The complete page as a string (what :func:`write_index_html` writes)."""
    ui = ui_text(pack.language, pack.address)
    cover, desc, author = _header_extra(pack, ui)
    values = {
        "LANG": _esc(pack.language or "en"),
        "TITLE": _esc(pack.title),
        "COVER": cover,
        "DESCRIPTION": desc,
        "AUTHOR": author,
        "SAFETY": _safety(pack, ui),
        "REMINDERS": _reminders(pack, ui),
        "TRACKS": _track_list(pack, ui),
        "TIMELINES": _timelines(pack, ui),
        "DIARY": diary_section(pack, ui),
        **diary_assets(),
        "PACK_JSON": script_json(to_dict(pack)),
        "UI_JSON": script_json(ui),
        **{f"UI_{k.upper()}": _esc(v) for k, v in ui.items()},
    }

    def fill(m: re.Match[str]) -> str:
        key = m.group(1)
        if key not in values:
            raise ExportError(
                f"page template has an unknown placeholder @@{key}@@; fix the template"
            )
        return values[key]

    return _TOKEN.sub(fill, _template())  # one pass: substituted text is never re-scanned


def write_index_html(pack: PackExport, folder: Path) -> Path:
    """Write ``folder/index.html`` atomically and return its path."""
    if not Path(folder).is_dir():
        raise FileOperationError(folder, "pack folder does not exist; create it before the page")
    return atomic_write_text(Path(folder) / INDEX_NAME, render_index_html(pack))
