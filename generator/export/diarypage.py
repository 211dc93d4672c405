"""The practice diary on the pack page: its strings, its rows (one per session) and its
inline CSS and script (``templates/diary.css``, ``templates/diary.js``).

The listener rates their tension before and after each session (0 to 10), with an
optional note; the page keeps the entries in the browser's local storage under the pack's
key, draws the last four weeks as inline SVG, and exports and imports them as CSV in the
format :mod:`generator.export.diary` reads (``relaxgen diary``). The German strings are
neutral labels and infinitives: they address the listener neither as du nor as Sie.
"""

from __future__ import annotations

import html
from pathlib import Path

from ..errors import ExportError
from .diary import HEADER
from .packdata import PackExport

DIARY_UI: dict[str, dict[str, str]] = {
    "en": {
        "d_title": "Practice diary",
        "d_intro": "Rate your tension before and after each session, from 0 (no tension) to 10 (the most "
                   "tension). Seeing the change over the weeks helps to keep going.",
        "d_date": "Date",
        "d_before": "Tension before",
        "d_after": "Tension after",
        "d_note": "Note (optional)",
        "d_saved": "Saved",
        "d_range": "Enter a whole number from 0 to 10.",
        "d_chart": "The last four weeks",
        "d_chart_label": "Tension before and after per day, and minutes practised per week, {from} to {to}",
        "d_minutes_week": "Minutes per week",
        "d_min": "min",
        "d_table": "The chart as a table",
        "d_day": "Day",
        "d_week": "Week from",
        "d_minutes": "Minutes",
        "d_empty_chart": "No entries in these four weeks yet.",
        "d_export": "Export diary",
        "d_import": "Import diary",
        "d_nothing": "The diary has no entries yet.",
        "d_exported": "Exported {n} entries.",
        "d_imported": "Imported: {n} new, {m} updated, {k} already there.",
        "d_import_bad": "This file cannot be imported ({why}); nothing was changed.",
        "d_bad_header": f"its first row must be {HEADER}",
        "d_bad_row": "row {n} is not a valid entry",
        "d_not_utf8": "it is not UTF-8 text",
        "d_other": "it is the diary of {who}",
        "d_no_rows": "it has no entries",
        "d_private": "The diary stays in this browser on this device. \u201cExport diary\u201d saves it as a "
                     "CSV file: for a therapist, or to import on a second device.",
        "d_no_storage": "This browser does not let the page keep the diary: export it before closing the page.",
    },
    "de": {
        "d_title": "Übungstagebuch",
        "d_intro": "Anspannung vor und nach jeder Einheit eintragen, von 0 (keine Anspannung) bis 10 "
                   "(stärkste Anspannung). Die Veränderung über die Wochen zu sehen hilft beim Dranbleiben.",
        "d_date": "Datum",
        "d_before": "Anspannung vorher",
        "d_after": "Anspannung nachher",
        "d_note": "Notiz (optional)",
        "d_saved": "Gespeichert",
        "d_range": "Bitte eine ganze Zahl von 0 bis 10 eintragen.",
        "d_chart": "Die letzten vier Wochen",
        "d_chart_label": "Anspannung vorher und nachher pro Tag und geübte Minuten pro Woche, {from} bis {to}",
        "d_minutes_week": "Minuten pro Woche",
        "d_min": "Min.",
        "d_table": "Das Diagramm als Tabelle",
        "d_day": "Tag",
        "d_week": "Woche ab",
        "d_minutes": "Minuten",
        "d_empty_chart": "In diesen vier Wochen noch keine Einträge.",
        "d_export": "Tagebuch exportieren",
        "d_import": "Tagebuch importieren",
        "d_nothing": "Das Tagebuch hat noch keine Einträge.",
        "d_exported": "{n} Einträge exportiert.",
        "d_imported": "Importiert: {n} neu, {m} geändert, {k} schon vorhanden.",
        "d_import_bad": "Diese Datei lässt sich nicht importieren ({why}); nichts wurde geändert.",
        "d_bad_header": f"die erste Zeile muss {HEADER} lauten",
        "d_bad_row": "Zeile {n} ist kein gültiger Eintrag",
        "d_not_utf8": "sie ist kein UTF-8-Text",
        "d_other": "sie ist das Tagebuch von {who}",
        "d_no_rows": "sie enthält keine Einträge",
        "d_private": "Das Tagebuch bleibt in diesem Browser auf diesem Gerät. \u201eTagebuch exportieren\u201c "
                     "speichert es als CSV-Datei: für die Therapie oder zum Importieren auf einem zweiten Gerät.",
        "d_no_storage": "Dieser Browser erlaubt der Seite kein Speichern: Tagebuch vor dem Schließen der "
                        "Seite exportieren.",
    },
}


def diary_text(language: str) -> dict[str, str]:
    """The diary's strings for ``language`` (``de-AT`` -> ``de``; unknown -> English)."""
    return DIARY_UI.get(language.split("-")[0].split("_")[0].lower(), DIARY_UI["en"])


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _field(kind: str, i: int, label: str, attrs: str) -> str:
    return (f'<div class="d-f d-f-{kind}"><label for="d-{kind}-{i}">{_esc(label)}</label>'
            f'<input id="d-{kind}-{i}" name="{kind}" {attrs}></div>')


def _row(i: int, number: int, title: str, ui: dict[str, str]) -> str:
    rating = 'type="number" min="0" max="10" step="1" inputmode="numeric" autocomplete="off"'
    return (f'<fieldset class="d-row" id="d-row-{i}" data-index="{i}">'
            f'<legend><span class="t-num">{number:02d}</span> {_esc(title)}</legend>'
            + _field("date", i, ui["d_date"], 'type="date" required')
            + _field("before", i, ui["d_before"], rating)
            + _field("after", i, ui["d_after"], rating)
            + _field("note", i, ui["d_note"], 'type="text" maxlength="500" autocomplete="off"')
            + '<p class="d-state" aria-live="polite"></p></fieldset>')


def diary_section(pack: PackExport, ui: dict[str, str]) -> str:
    """The diary panel (hidden until its script runs: without JavaScript it could keep nothing)."""
    if not pack.tracks:
        return ""
    rows = "\n".join(_row(i, t.number, t.title, ui) for i, t in enumerate(pack.tracks))
    return f"""<section class="panel" id="diary" aria-labelledby="diary-h" hidden>
<h2 id="diary-h">{_esc(ui["d_title"])}</h2>
<p class="small">{_esc(ui["d_intro"])}</p>
<div class="d-rows">
{rows}
</div>
<h3 id="d-chart-h">{_esc(ui["d_chart"])}</h3>
<div class="d-chart-wrap"><svg id="d-chart" class="d-chart" viewBox="0 0 640 290" role="img"></svg></div>
<p class="small" id="d-chart-empty" hidden>{_esc(ui["d_empty_chart"])}</p>
<details id="d-alt"><summary>{_esc(ui["d_table"])}</summary>
<table class="d-table" id="d-days"><thead><tr><th scope="col">{_esc(ui["d_day"])}</th>
<th scope="col">{_esc(ui["d_before"])}</th><th scope="col">{_esc(ui["d_after"])}</th>
<th scope="col">{_esc(ui["d_minutes"])}</th></tr></thead><tbody></tbody></table>
<table class="d-table" id="d-weeks"><thead><tr><th scope="col">{_esc(ui["d_week"])}</th>
<th scope="col">{_esc(ui["d_minutes"])}</th></tr></thead><tbody></tbody></table>
</details>
<div class="d-actions">
<button type="button" class="quiet" id="d-export">{_esc(ui["d_export"])}</button>
<button type="button" class="quiet" id="d-import">{_esc(ui["d_import"])}</button>
<input type="file" id="d-file" accept=".csv,text/csv" hidden>
</div>
<p id="d-status" role="status" aria-live="polite"></p>
<p class="small" id="d-store">{_esc(ui["d_private"])}</p>
</section>"""


def diary_assets() -> dict[str, str]:
    """The diary's inline CSS and script, as page template values."""
    folder = Path(__file__).parent / "templates"
    try:
        return {"DIARY_CSS": (folder / "diary.css").read_text("utf-8"),
                "DIARY_JS": (folder / "diary.js").read_text("utf-8")}
    except OSError as e:
        raise ExportError(f"a diary template in generator/export/templates is missing ({e}); "
                          "reinstall relaxgen") from None
