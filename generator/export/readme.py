"""README.txt of a pack folder, in the listener's language and form of address."""

from __future__ import annotations

from .packdata import PackExport

# The lines that name the files, the same in both German forms of address
_DE_FILES = {
    "files": [
        "  playlist.m3u8   alle Einheiten der Reihe nach (öffnet sich in VLC und den meisten Musik-Apps)",
        "  index.html      eine Player-Seite: im Browser öffnen, funktioniert ohne Internet",
        "  *.lrc, *.srt    der gesprochene Text mit Zeiten (Liedtext / Untertitel)",
    ],
    "reminders_file": "  reminders.ics   eine Erinnerung im Kalender für jede Einheit (siehe unten)",
}
# Each language's texts; German in the listener's form of address ("de-Sie", "de-du").
TEXT: dict[str, dict[str, object]] = {
    "en": {
        "by": "By {author}",
        "inside": "What is inside",
        "track": "  {file}  ({clock}, {n} chapter{s})",
        "missing": "  ({n} session(s) not built yet: run the build again)",
        "files": [
            "  playlist.m3u8   all sessions in order (opens in VLC and most music players)",
            "  index.html      a player page: open it in a browser, works offline",
            "  *.lrc, *.srt    the spoken words with times (lyrics / subtitles)",
        ],
        "reminders_file": "  reminders.ics   a reminder in your calendar for every session (see below)",
        "phone": [
            "Copying it to a phone",
            "  Android: connect the phone by USB, choose 'File transfer', and copy this whole",
            "  folder into the phone's Music folder. Any music app finds the sessions;",
            "  apps such as VLC or Musicolet show the chapters and play the playlist.",
            "  iPhone: in the VLC app choose 'Sharing via WiFi' or use the Finder/iTunes file",
            "  sharing for VLC, and copy the folder; or add the MP3s to the Music app.",
            "  Everything plays offline; no account or network is needed.",
        ],
        "reminders": [
            "Reminders in your calendar",
            "  reminders.ics has one event for every session, at your practice time, with an",
            "  alarm 10 minutes before. Importing it again after an update changes the events",
            "  instead of adding them twice.",
            "  Android: copy reminders.ics to the phone and open it from the Files app with your",
            "  calendar app (Samsung Calendar, Etar and most others offer 'Import'). For Google",
            "  Calendar, import it once on a computer: calendar.google.com > Settings > Import &",
            "  export; the phone shows the events after the next sync.",
            "  iPhone: send reminders.ics to yourself by e-mail or AirDrop, tap it and choose",
            "  'Add All' (the Calendar app asks which calendar to use).",
        ],
        "progress": [
            "Your progress",
            "  index.html remembers, in this browser only, where you stopped, which sessions you",
            "  finished and on which days you practised; it shows today's session first.",
            "  Nothing leaves the device; 'Forget my progress' on the page clears it.",
        ],
        "safety": "Safety",
        "where": "  Listen lying or sitting comfortably, where you can safely fall asleep.",
    },
    "de-Sie": {
        "by": "Von {author}",
        "inside": "Was in diesem Ordner ist",
        "track": "  {file}  ({clock}, {n} Kapitel)",
        "missing": "  ({n} Einheit(en) noch nicht erstellt: Starten Sie die Erstellung noch einmal.)",
        **_DE_FILES,
        "phone": [
            "Auf das Handy kopieren",
            "  Android: Verbinden Sie das Handy per USB, wählen Sie „Dateiübertragung“ und kopieren",
            "  Sie diesen ganzen Ordner in den Musik-Ordner des Handys. Jede Musik-App findet die",
            "  Einheiten; Apps wie VLC oder Musicolet zeigen die Kapitel und spielen die Playlist.",
            "  iPhone: Wählen Sie in der VLC-App „Über WLAN teilen“ oder nutzen Sie die Dateifreigabe",
            "  im Finder bzw. in iTunes für VLC und kopieren Sie den Ordner; oder fügen Sie die",
            "  MP3-Dateien der Musik-App hinzu.",
            "  Alles spielt ohne Internet; Sie brauchen kein Konto.",
        ],
        "reminders": [
            "Erinnerungen im Kalender",
            "  reminders.ics enthält für jede Einheit einen Termin zu Ihrer Übungszeit, mit einer",
            "  Erinnerung 10 Minuten vorher. Wenn Sie die Datei nach einer Änderung noch einmal",
            "  importieren, werden die Termine geändert, nicht doppelt angelegt.",
            "  Android: Kopieren Sie reminders.ics auf das Handy und öffnen Sie sie in der",
            "  Dateien-App mit Ihrer Kalender-App (Samsung Kalender, Etar und die meisten anderen",
            "  bieten „Importieren“). Google Kalender: einmal am Computer importieren,",
            "  calendar.google.com > Einstellungen > Importieren & exportieren; das Handy zeigt",
            "  die Termine nach dem nächsten Abgleich.",
            "  iPhone: Schicken Sie sich reminders.ics per E-Mail oder AirDrop, tippen Sie die",
            "  Datei an und wählen Sie „Alle hinzufügen“.",
        ],
        "progress": [
            "Ihr Fortschritt",
            "  index.html merkt sich, nur in diesem Browser, wo Sie aufgehört haben, welche",
            "  Einheiten Sie beendet und an welchen Tagen Sie geübt haben; die Seite zeigt die",
            "  heutige Einheit zuerst. Nichts verlässt das Gerät; „Fortschritt vergessen“ auf der",
            "  Seite löscht alles.",
        ],
        "safety": "Sicherheit",
        "where": "  Hören Sie bequem liegend oder sitzend, an einem Ort, an dem Sie gefahrlos einschlafen können.",
    },
    "de-du": {
        "by": "Von {author}",
        "inside": "Was in diesem Ordner ist",
        "track": "  {file}  ({clock}, {n} Kapitel)",
        "missing": "  ({n} Einheit(en) noch nicht erstellt: Starte die Erstellung noch einmal.)",
        **_DE_FILES,
        "phone": [
            "Auf das Handy kopieren",
            "  Android: Verbinde das Handy per USB, wähle „Dateiübertragung“ und kopiere diesen",
            "  ganzen Ordner in den Musik-Ordner des Handys. Jede Musik-App findet die Einheiten;",
            "  Apps wie VLC oder Musicolet zeigen die Kapitel und spielen die Playlist.",
            "  iPhone: Wähle in der VLC-App „Über WLAN teilen“ oder nutze die Dateifreigabe im",
            "  Finder bzw. in iTunes für VLC und kopiere den Ordner; oder füge die MP3-Dateien",
            "  der Musik-App hinzu.",
            "  Alles spielt ohne Internet; du brauchst kein Konto.",
        ],
        "reminders": [
            "Erinnerungen im Kalender",
            "  reminders.ics enthält für jede Einheit einen Termin zu deiner Übungszeit, mit einer",
            "  Erinnerung 10 Minuten vorher. Wenn du die Datei nach einer Änderung noch einmal",
            "  importierst, werden die Termine geändert, nicht doppelt angelegt.",
            "  Android: Kopiere reminders.ics auf das Handy und öffne sie in der Dateien-App mit",
            "  deiner Kalender-App (Samsung Kalender, Etar und die meisten anderen bieten",
            "  „Importieren“). Google Kalender: einmal am Computer importieren,",
            "  calendar.google.com > Einstellungen > Importieren & exportieren; das Handy zeigt",
            "  die Termine nach dem nächsten Abgleich.",
            "  iPhone: Schicke dir reminders.ics per E-Mail oder AirDrop, tippe die Datei an und",
            "  wähle „Alle hinzufügen“.",
        ],
        "progress": [
            "Dein Fortschritt",
            "  index.html merkt sich, nur in diesem Browser, wo du aufgehört hast, welche Einheiten",
            "  du beendet und an welchen Tagen du geübt hast; die Seite zeigt die heutige Einheit",
            "  zuerst. Nichts verlässt das Gerät; „Fortschritt vergessen“ auf der Seite löscht alles.",
        ],
        "safety": "Sicherheit",
        "where": "  Höre bequem liegend oder sitzend, an einem Ort, an dem du gefahrlos einschlafen kannst.",
    },
}


def readme_language(language: str, address: str) -> dict[str, object]:
    """The README texts for a listener: English, or German in their form of address."""
    if language.split("-")[0].lower() == "de":
        return TEXT["de-du" if address == "du" else "de-Sie"]
    return TEXT["en"]


def _clock(seconds: float) -> str:
    m, s = divmod(round(seconds), 60)
    return f"{m}:{s:02d}"


def _heading(lines: list[str]) -> list[str]:
    """A section: its title underlined, then its lines."""
    return ["", lines[0], "-" * len(lines[0]), *lines[1:]]


def readme_text(pack: PackExport, planned: int, safety: str) -> str:
    """README.txt for ``pack`` (``planned`` sessions in all; ``safety``: the safety note)."""
    t = readme_language(pack.language, pack.address)
    lines = [pack.title, "=" * len(pack.title), ""]
    if pack.description:
        lines += [pack.description, ""]
    if pack.author:
        lines += [str(t["by"]).format(author=pack.author), ""]
    inside = str(t["inside"])
    lines += [inside, "-" * len(inside)]
    lines += [str(t["track"]).format(file=tr.file, clock=_clock(tr.duration_s), n=len(tr.chapters),
                                     s="" if len(tr.chapters) == 1 else "s") for tr in pack.tracks]
    if len(pack.tracks) < planned:
        lines.append(str(t["missing"]).format(n=planned - len(pack.tracks)))
    lines += [*t["files"], *([str(t["reminders_file"])] if pack.reminders else [])]  # type: ignore[misc]
    lines += _heading(list(t["phone"]))  # type: ignore[call-overload]
    if pack.reminders:
        lines += _heading(list(t["reminders"]))  # type: ignore[call-overload]
    lines += _heading(list(t["progress"]))  # type: ignore[call-overload]
    lines += _heading([str(t["safety"]), "  " + safety.split(": ", 1)[-1], str(t["where"])])
    return "\n".join([*lines, ""])
