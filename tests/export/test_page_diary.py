"""The practice diary on the pack page, in headless Chromium from file://: entries kept per pack,
the chart, CSV export and import (a second device), storage disabled; and the report's sorting."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.export.diary import HEADER, decode_diary, parse_diary
from generator.export.page import render_index_html, write_index_html
from tests.export import test_page
from tests.export.test_page import make_pack
from tests.export.test_page_progress import UTC_TODAY, _context, _open, reopen

browser = test_page.browser  # the module's headless Chromium fixture

TODAY = UTC_TODAY.isoformat()
YESTERDAY = (UTC_TODAY - dt.timedelta(days=1)).isoformat()
ENTRIES = "() => window.relaxgenDiary.entries()"
LISTENER = "001 Anna"


def _pack(folder: Path, key: str = "pack-d", listener: str = LISTENER) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_index_html(dataclasses.replace(make_pack(folder), key=key, listener=listener), folder)


def _markers(page: Any, kind: str) -> list[tuple[str, str]]:
    """The chart's (date or week, value) of each ``d-before``/``d-after``/``d-week`` element."""
    return [tuple(x) for x in page.eval_on_selector_all(
        f"#d-chart .d-{kind}", "els => els.map(e => [e.getAttribute('data-date') || e.getAttribute('data-week'),"
                               " e.getAttribute('data-value')])")]


def _wait_markers(page: Any, kind: str, n: int) -> None:
    page.wait_for_function("([k, n]) => document.querySelectorAll('#d-chart .d-' + k).length === n",
                           arg=[kind, n], timeout=5_000)


def _status(page: Any, text: str) -> None:
    page.wait_for_function("t => document.getElementById('d-status').textContent === t", arg=text, timeout=5_000)


def _import(page: Any, path: Path) -> None:
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Tagebuch importieren").click()
    chooser.value.set_files(str(path))


def test_rows_have_real_labels_in_both_languages() -> None:
    de = render_index_html(make_pack(None))
    for i in range(3):
        for kind, label in (("date", "Datum"), ("before", "Anspannung vorher"), ("after", "Anspannung nachher"),
                            ("note", "Notiz (optional)")):
            assert f'<label for="d-{kind}-{i}">{label}</label><input id="d-{kind}-{i}"' in de
    assert 'type="number" min="0" max="10" step="1"' in de and ">Tagebuch exportieren</button>" in de
    en = render_index_html(dataclasses.replace(make_pack(None), language="en"))
    assert '<label for="d-before-1">Tension before</label>' in en and '<label for="d-after-1">Tension after</label>' in en
    assert ">Export diary</button>" in en and ">Import diary</button>" in en
    # the German diary strings address the listener neither as du nor as Sie
    from generator.export.diarypage import DIARY_UI

    words = " ".join(DIARY_UI["de"].values()).replace(",", " ").replace(".", " ").replace(":", " ").split()
    assert not {"du", "Du", "dein", "Dein", "deine", "dich", "dir", "Sie", "Ihr", "Ihre", "Ihnen"} & set(words)


@pytest.mark.browser
def test_entries_are_kept_and_the_chart_follows(browser: Any, tmp_path: Path) -> None:
    path = _pack(tmp_path / "a")
    ctx = _context(browser)
    page, errors = _open(ctx, path)
    row = page.locator("#d-row-0")
    assert row.get_by_label("Datum").input_value() == TODAY
    assert _markers(page, "before") == [] and _markers(page, "after") == []
    assert page.locator("#d-chart-empty").is_visible()
    # clicking a label focuses its field (real <label>s), then typing fills it
    row.locator("label", has_text="Anspannung vorher").click()
    page.keyboard.type("7")
    row.get_by_label("Anspannung nachher").fill("3")
    _wait_markers(page, "after", 1)
    assert _markers(page, "before") == [(TODAY, "7")] and _markers(page, "after") == [(TODAY, "3")]
    assert row.locator(".d-state").inner_text() == "Gespeichert"
    row.get_by_label("Notiz (optional)").fill('Nacken, etwas "steif"')
    # a second session the same day: the chart shows the day's mean; a rating of 11 is refused
    row2 = page.locator("#d-row-1")
    row2.get_by_label("Anspannung vorher").fill("5")
    row2.get_by_label("Anspannung nachher").fill("11")
    assert row2.get_by_label("Anspannung nachher").get_attribute("aria-invalid") == "true"
    assert row2.locator(".d-state").inner_text() == "Bitte eine ganze Zahl von 0 bis 10 eintragen."
    row2.get_by_label("Anspannung nachher").fill("2")
    page.wait_for_function("() => document.querySelector('#d-chart .d-after').getAttribute('data-value') === '2.5'",
                           timeout=5_000)
    assert _markers(page, "before") == [(TODAY, "6")]
    weeks = _markers(page, "week")
    assert len(weeks) == 4 and weeks[-1][1] == "0.2" and [v for _w, v in weeks[:3]] == ["0", "0", "0"]
    assert not page.locator("#d-chart-empty").is_visible()
    label = page.locator("#d-chart").get_attribute("aria-label")
    assert label.startswith("Anspannung vorher und nachher pro Tag und geübte Minuten pro Woche")
    page.locator("#d-alt summary").click()
    assert page.locator("#d-days tbody tr").count() == 1
    assert page.locator("#d-days tbody td").all_inner_texts()[1:] == ["6", "2.5", "0.2"]

    page = reopen(page, errors, "() => window.relaxgenDiary.entries().length === 2")  # kept, per pack
    row, row2 = page.locator("#d-row-0"), page.locator("#d-row-1")
    assert row.get_by_label("Anspannung vorher").input_value() == "7"
    assert row.get_by_label("Anspannung nachher").input_value() == "3"
    assert row.get_by_label("Notiz (optional)").input_value() == 'Nacken, etwas "steif"'
    assert row2.get_by_label("Anspannung nachher").input_value() == "2"
    assert _markers(page, "before") == [(TODAY, "6")] and _markers(page, "after") == [(TODAY, "2.5")]
    # clearing a row's fields removes its entry
    for label_text in ("Anspannung vorher", "Anspannung nachher"):
        row2.get_by_label(label_text).fill("")
    _wait_markers(page, "after", 1)
    page.wait_for_function("() => window.relaxgenDiary.entries().length === 1", timeout=5_000)
    assert _markers(page, "before") == [(TODAY, "7")]
    # another pack on this device has its own diary
    other, other_errors = _open(ctx, _pack(tmp_path / "b", key="pack-other"))
    assert other.evaluate(ENTRIES) == [] and _markers(other, "before") == []
    assert errors == [] and other_errors == []
    page.locator("#diary").screenshot(path="/tmp/relaxgen-diary.png")
    ctx.close()


@pytest.mark.browser
def test_the_date_is_the_day_the_session_was_played(browser: Any, tmp_path: Path) -> None:
    path = _pack(tmp_path / "p", key="pack-p")
    ctx = _context(browser)
    page, errors = _open(ctx, path)
    files = page.evaluate("JSON.parse(document.getElementById('pack-data').textContent).tracks.map(t => t.file)")
    state = {"tracks": {files[0]: {"pos": 0, "done": True, "played": YESTERDAY}}, "dates": [YESTERDAY]}
    page.evaluate("s => window.localStorage.setItem('relaxgen:pack-p', JSON.stringify(s))", state)
    page = reopen(page, errors, "() => window.relaxgenPlayer.state().dates.length === 1")
    row = page.locator("#d-row-0")
    assert row.get_by_label("Datum").input_value() == YESTERDAY  # played yesterday, not rated yet
    assert page.locator("#d-row-1").get_by_label("Datum").input_value() == TODAY
    row.get_by_label("Anspannung vorher").fill("6")
    page.wait_for_function("() => window.relaxgenDiary.entries().length === 1", timeout=5_000)
    assert page.evaluate(ENTRIES)[0]["date"] == YESTERDAY
    page = reopen(page, errors, "() => window.relaxgenDiary.entries().length === 1")
    row = page.locator("#d-row-0")
    assert row.get_by_label("Datum").input_value() == TODAY  # yesterday's is rated: today's row is offered
    row.get_by_label("Datum").fill(YESTERDAY)  # choosing a day shows that day's entry
    page.wait_for_function("() => document.getElementById('d-before-0').value === '6'", timeout=5_000)
    assert errors == []
    ctx.close()


@pytest.mark.browser
def test_export_and_import_on_a_second_device(browser: Any, tmp_path: Path) -> None:
    path = _pack(tmp_path / "e", key="pack-e")
    ctx = _context(browser)
    page, errors = _open(ctx, path)
    page.get_by_role("button", name="Tagebuch exportieren").click()
    _status(page, "Das Tagebuch hat noch keine Einträge.")
    row = page.locator("#d-row-0")
    row.get_by_label("Anspannung vorher").fill("7")
    row.get_by_label("Anspannung nachher").fill("3")
    row.get_by_label("Notiz (optional)").fill('Nacken, etwas "steif" – müde')
    page.locator("#d-row-2").get_by_label("Anspannung nachher").fill("4")
    page.wait_for_function("() => window.relaxgenDiary.entries().length === 2", timeout=5_000)
    entries = page.evaluate(ENTRIES)

    with page.expect_download() as download:
        page.get_by_role("button", name="Tagebuch exportieren").click()
    assert download.value.suggested_filename == f"diary-001-Anna-{TODAY}.csv"
    csv_file = tmp_path / "diary.csv"
    download.value.save_as(csv_file)
    data = csv_file.read_bytes()
    assert data.decode("utf-8") == (
        f"{HEADER}\r\n"
        f'{LISTENER},{TODAY},Bauchatmung,0.1,7,3,"Nacken, etwas ""steif"" – müde"\r\n'
        f"{LISTENER},{TODAY},Körperreise: Füße,0.1,,4,\r\n")
    parsed = parse_diary(decode_diary(data, "diary.csv"), "diary.csv")  # what relaxgen diary reads
    assert [(e.listener, e.session, e.before, e.after, e.note) for e in parsed] == [
        (LISTENER, "Bauchatmung", 7, 3, 'Nacken, etwas "steif" – müde'), (LISTENER, "Körperreise: Füße", None, 4, "")]
    _status(page, "2 Einträge exportiert.")

    # a second device: a fresh browser with the same pack
    ctx2 = _context(browser)
    fresh, fresh_errors = _open(ctx2, path)
    assert fresh.evaluate(ENTRIES) == []
    _import(fresh, csv_file)
    _status(fresh, "Importiert: 2 neu, 0 geändert, 0 schon vorhanden.")
    assert fresh.evaluate(ENTRIES) == entries
    assert fresh.locator("#d-row-0").get_by_label("Anspannung vorher").input_value() == "7"
    assert fresh.locator("#d-row-0").get_by_label("Notiz (optional)").input_value() == 'Nacken, etwas "steif" – müde'
    assert _markers(fresh, "before") == [(TODAY, "7")] and _markers(fresh, "after") == [(TODAY, "3.5")]
    _import(fresh, csv_file)  # again: nothing doubles
    _status(fresh, "Importiert: 0 neu, 0 geändert, 2 schon vorhanden.")
    fresh = reopen(fresh, fresh_errors, "() => window.relaxgenDiary.entries().length === 2")
    assert fresh.evaluate(ENTRIES) == entries
    assert len(_markers(fresh, "after")) == 1

    # an edited file updates the entry it names; refused files change nothing
    edited = tmp_path / "edited.csv"
    edited.write_bytes(data.replace(b",0.1,,4,", b",0.1,5,4,"))
    _import(fresh, edited)
    _status(fresh, "Importiert: 0 neu, 1 geändert, 1 schon vorhanden.")
    assert len(fresh.evaluate(ENTRIES)) == 2
    other = tmp_path / "other.csv"
    other.write_text(f"{HEADER}\n002,{TODAY},Bauchatmung,10,1,1,\n", encoding="utf-8")
    latin = tmp_path / "latin1.csv"
    latin.write_bytes(data.decode("utf-8").replace("–", "-").encode("latin-1"))
    bad_rating = tmp_path / "bad.csv"
    bad_rating.write_text(f"{HEADER}\n{LISTENER},{TODAY},Bauchatmung,10,12,1,\n", encoding="utf-8")
    before = fresh.evaluate(ENTRIES)
    for f, why in ((other, "sie ist das Tagebuch von 002"), (latin, "sie ist kein UTF-8-Text"),
                   (bad_rating, "Zeile 2 ist kein gültiger Eintrag")):
        _import(fresh, f)
        _status(fresh, f"Diese Datei lässt sich nicht importieren ({why}); nichts wurde geändert.")
        assert fresh.evaluate(ENTRIES) == before
    assert errors == [] and fresh_errors == []
    ctx.close()
    ctx2.close()


@pytest.mark.browser
def test_diary_says_so_when_storage_is_disabled(browser: Any, tmp_path: Path) -> None:
    path = _pack(tmp_path / "s", key="pack-s")
    ctx = _context(browser)
    ctx.add_init_script("Object.defineProperty(window, 'localStorage', { get() {"
                        " throw new DOMException('The operation is insecure.', 'SecurityError'); } });")
    page, errors = _open(ctx, path)
    assert page.evaluate("window.relaxgenDiary.remembers") is False
    note = page.locator("#d-store").inner_text()
    assert note == ("Dieser Browser erlaubt der Seite kein Speichern: Tagebuch vor dem Schließen der Seite "
                    "exportieren.")
    assert page.evaluate("document.getElementById('d-store').getClientRects().length") == 1  # one line
    # the diary still works for this visit and can be exported
    page.locator("#d-row-0").get_by_label("Anspannung vorher").fill("8")
    _wait_markers(page, "before", 1)
    assert page.locator("#d-row-0 .d-state").inner_text() == ""  # not "saved": nothing is kept
    with page.expect_download() as download:
        page.get_by_role("button", name="Tagebuch exportieren").click()
    assert Path(download.value.path()).read_bytes().decode("utf-8").endswith(f"{TODAY},Bauchatmung,0.1,8,,\r\n")
    page.reload()
    assert page.evaluate(ENTRIES) == [] and _markers(page, "before") == []
    assert errors == []
    ctx.close()


@pytest.mark.browser
def test_report_table_sorts_offline(browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    rows = {"a.csv": ("001", 7, 4), "b.csv": ("002", 5, 5), "c.csv": ("003", 8, 2)}
    for name, (who, b, a) in rows.items():
        (tmp_path / name).write_text(f"{HEADER}\n{who},2026-03-02,Day 1,10,{b},{a},\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["diary", *rows, "-o", "report.html", "--json"])
    assert res.exit_code == 0, res.output
    assert [x["mean_change"] for x in json.loads(res.stdout)["listeners"]] == [-3.0, 0.0, -6.0]
    ctx = _context(browser)
    page, errors = _open(ctx, tmp_path / "report.html")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    order = "() => [...document.querySelectorAll('#overview tbody tr')].map(r => r.cells[0].textContent)"
    assert page.evaluate(order) == ["001", "002", "003"]
    page.get_by_role("button", name="Mean change").click()
    assert page.evaluate(order) == ["003", "001", "002"]
    assert page.locator("#overview th", has_text="Mean change").get_attribute("aria-sort") == "ascending"
    page.get_by_role("button", name="Mean change").click()
    assert page.evaluate(order) == ["002", "001", "003"]
    assert page.locator("#overview th", has_text="Mean change").get_attribute("aria-sort") == "descending"
    page.get_by_role("button", name="Listener").click()
    assert page.evaluate(order) == ["001", "002", "003"]
    assert errors == [] and requests == []
    ctx.close()
