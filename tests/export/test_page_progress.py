"""The pack page remembers progress (local storage, keyed by pack): headless Chromium from file://."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from generator.export.packdata import PackExport
from generator.export.page import render_index_html, write_index_html
from tests.export import test_page
from tests.export.test_page import _wait_audio, make_pack

browser = test_page.browser  # the module's headless Chromium fixture

STATE = "() => window.relaxgenPlayer.state()"
FILES = "JSON.parse(document.getElementById('pack-data').textContent).tracks.map(t => t.file)"
UTC_TODAY = dt.datetime.now(dt.UTC).date()


def _pack(folder: Path, key: str, start: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pack = make_pack(folder)
    tracks = tuple(dataclasses.replace(t, day=t.number) for t in pack.tracks)
    return write_index_html(dataclasses.replace(pack, key=key, start=start, tracks=tracks), folder)


def _open(ctx: Any, path: Path | str, errors: list[str] | None = None) -> tuple[Any, list[str]]:
    page = ctx.new_page()
    errors = [] if errors is None else errors
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(path.as_uri() if isinstance(path, Path) else path)
    return page, errors


def _finish_current(page: Any) -> None:
    """Seek into the last second and play on to the end; wait until the done mark is kept."""
    file = page.evaluate("JSON.parse(document.getElementById('pack-data').textContent)"
                         ".tracks[window.relaxgenPlayer.current()].file")
    page.evaluate("() => { const a = document.getElementById('audio'); a.currentTime = 5.5; a.play(); }")
    page.wait_for_function("f => (window.relaxgenPlayer.state().tracks[f] || {}).done === true",
                           arg=file, timeout=30_000)


def reopen(page: Any, errors: list[str], check: str, tries: int = 4) -> Any:
    """Close ``page`` and open its pack again in the same browser, as a listener who comes back
    does, until the new page shows what was kept (``check``, a JS predicate); its errors go to
    ``errors``. The new page is returned; what it shows is then asserted as before.

    Not a reload: on a loaded machine Chromium now and then gave a reloaded file:// page local
    storage as it was before the page's last write, four reloads in a row, while a new page of
    the same origin read the new value (seen in clean-clone CI runs, not reproduced alone)."""
    ctx, url = page.context, page.url
    page.close()
    for _ in range(tries):
        page, _errors = _open(ctx, url, errors)
        if page.evaluate(check):
            return page
        page.close()
    stored = page.evaluate("() => JSON.stringify(Object.assign({}, window.localStorage))")
    raise AssertionError(f"after {tries} openings the page does not show what was kept: {check}; "
                         f"its local storage: {stored}")


def _context(browser: Any, **kw: Any) -> Any:
    return browser.new_context(viewport={"width": 1200, "height": 1000}, timezone_id="UTC", **kw)


@pytest.mark.browser
def test_progress_is_remembered_per_pack(browser: Any, tmp_path: Path) -> None:
    a = _pack(tmp_path / "a", "pack-a")
    b = _pack(tmp_path / "b", "pack-b")
    ctx = _context(browser)
    page, errors = _open(ctx, a)
    files = page.evaluate(FILES)
    assert page.locator("#today-title").inner_text() == "Bauchatmung"
    assert page.locator("#prog-days").inner_text() == "0 von 3 Tagen geschafft"

    # today's session starts with one tap; played to the end it is done and today moves on
    page.locator("#today-play").click()
    _wait_audio(page, files[0])
    _finish_current(page)
    _wait_audio(page, files[1])  # the page goes on to the next session
    page.evaluate("document.getElementById('audio').pause()")
    # a position in the second session is kept too
    page.evaluate("() => { const a = document.getElementById('audio'); a.currentTime = 3.25;"
                  " a.dispatchEvent(new Event('pause')); }")
    state = page.evaluate(STATE)
    assert state["tracks"][files[0]]["done"] is True
    assert abs(state["tracks"][files[1]]["pos"] - 3.25) < 0.3
    assert state["dates"] == [UTC_TODAY.isoformat()]

    page = reopen(page, errors, f"() => {{ const t = window.relaxgenPlayer.state().tracks;"
                                f" return !!(t[{json.dumps(files[0])}] || {{}}).done"
                                f" && Math.abs((t[{json.dumps(files[1])}] || {{}}).pos - 3.25) < 0.3; }}")
    _wait_audio(page, files[1])  # today's session is loaded, at its position
    page.wait_for_function("() => Math.abs(document.getElementById('audio').currentTime - 3.25) < 0.3",
                           timeout=30_000)
    assert page.locator("#today-title").inner_text() == test_page.NASTY
    assert "Weiter bei 0:03" in page.locator("#today-note").inner_text()
    assert page.locator("a.track").nth(0).get_attribute("class") == "track done"
    assert page.locator("a.track.done").count() == 1
    assert page.locator("#prog-days").inner_text() == "1 von 3 Tagen geschafft"
    assert page.locator("#prog-streak").inner_text() == "1 Tag(e) in Folge"
    assert page.locator("#prog-dates li").get_attribute("data-date") == UTC_TODAY.isoformat()

    # another pack on the same device (same file origin) has its own progress
    other, other_errors = _open(ctx, b)
    assert other.evaluate(STATE) == {"tracks": {}, "dates": []}
    assert other.locator("#today-title").inner_text() == "Bauchatmung"
    assert other.locator("a.track.done").count() == 0
    other.close()

    # "forget my progress" clears this pack only
    page.evaluate("window.localStorage.setItem('unrelated', '1')")
    page.once("dialog", lambda d: d.accept())
    page.locator("#forget").click()
    assert page.locator("#prog-days").inner_text() == "0 von 3 Tagen geschafft"
    page = reopen(page, errors, "() => Object.keys(window.relaxgenPlayer.state().tracks).length === 0"
                                " && localStorage.getItem('unrelated') === '1'")
    assert page.evaluate(STATE) == {"tracks": {}, "dates": []}
    assert page.locator("#today-title").inner_text() == "Bauchatmung"
    assert page.evaluate("window.localStorage.getItem('unrelated')") == "1"
    assert errors == [] and other_errors == []
    ctx.close()


@pytest.mark.browser
def test_two_tabs_of_a_pack_keep_each_others_progress(browser: Any, tmp_path: Path) -> None:
    """A session finished in one tab and a diary entry made there survive what another tab of the
    same pack, opened before, keeps afterwards (its position, its own diary entry)."""
    path = _pack(tmp_path / "t", "pack-t")
    ctx = _context(browser)
    a, errors = _open(ctx, path)
    b, _ = _open(ctx, path, errors)
    files = a.evaluate(FILES)
    a.locator("#today-play").click()
    _wait_audio(a, files[0])
    _finish_current(a)
    a.locator("#d-row-0").get_by_label("Anspannung vorher").fill("7")
    a.wait_for_function("() => window.relaxgenDiary.entries().length === 1", timeout=5_000)
    # the other tab shows what this one kept ...
    # (the browser passes the other tab's writes on as it can: on a loaded machine that took over 10 s)
    b.wait_for_function(f"() => !!(window.relaxgenPlayer.state().tracks[{json.dumps(files[0])}] || {{}}).done"
                        " && window.relaxgenDiary.entries().length === 1", polling=200, timeout=60_000)
    assert b.locator("#d-row-0").get_by_label("Anspannung vorher").input_value() == "7"
    # ... and what it keeps next is added to it, not written over it
    b.locator("a.track").nth(2).click()
    _wait_audio(b, files[2])
    b.evaluate("() => { const a = document.getElementById('audio'); a.currentTime = 3.25;"
               " a.dispatchEvent(new Event('pause')); }")
    b.locator("#d-row-2").get_by_label("Anspannung nachher").fill("3")
    b.wait_for_function("() => window.relaxgenDiary.entries().length === 2", timeout=5_000)
    a.close()
    page = reopen(b, errors, f"() => {{ const t = window.relaxgenPlayer.state().tracks;"
                             f" return !!(t[{json.dumps(files[0])}] || {{}}).done"
                             f" && Math.abs((t[{json.dumps(files[2])}] || {{}}).pos - 3.25) < 0.3"
                             " && window.relaxgenDiary.entries().length === 2; }")
    assert page.locator("a.track.done").count() == 1
    assert page.locator("#d-row-0").get_by_label("Anspannung vorher").input_value() == "7"
    assert page.locator("#d-row-2").get_by_label("Anspannung nachher").input_value() == "3"
    # "forget my progress" in one tab forgets it in the other too
    other, _ = _open(ctx, path, errors)
    page.once("dialog", lambda d: d.accept())
    page.locator("#forget").click()
    other.wait_for_function("() => Object.keys(window.relaxgenPlayer.state().tracks).length === 0",
                            polling=200, timeout=60_000)
    assert other.locator("a.track.done").count() == 0
    assert errors == []
    ctx.close()


@pytest.mark.browser
def test_today_follows_the_start_date(browser: Any, tmp_path: Path) -> None:
    """With a start known, today is the session of today's course day, done or not."""
    yesterday = (UTC_TODAY - dt.timedelta(days=1)).isoformat()
    ctx = _context(browser)
    page, errors = _open(ctx, _pack(tmp_path / "c", "pack-c", start=yesterday))
    assert page.evaluate("window.relaxgenPlayer.today()") == 1
    assert page.locator("#today-title").inner_text() == test_page.NASTY
    page.locator("#today-play").click()
    _wait_audio(page, page.evaluate(FILES)[1])
    _finish_current(page)
    done = page.evaluate(FILES)[1]
    page = reopen(page, errors, f"() => !!(window.relaxgenPlayer.state().tracks[{json.dumps(done)}] || {{}}).done")
    page.wait_for_function("() => document.getElementById('today-note').textContent.includes('erledigt')",
                           timeout=30_000)  # rendered once the page has read its progress
    assert page.evaluate("window.relaxgenPlayer.today()") == 1  # still today's, marked done
    assert errors == []
    ctx.close()


@pytest.mark.browser
def test_page_plays_with_storage_disabled(browser: Any, tmp_path: Path) -> None:
    path = _pack(tmp_path / "d", "pack-d")
    ctx = _context(browser)
    # what a browser with site data blocked does: any access to localStorage throws
    ctx.add_init_script("Object.defineProperty(window, 'localStorage', { get() {"
                        " throw new DOMException('The operation is insecure.', 'SecurityError'); } });")
    page, errors = _open(ctx, path)
    assert page.evaluate("window.relaxgenPlayer.remembers") is False
    assert "merkt sich Ihren Fortschritt" in page.locator("#store-note").inner_text()
    assert not page.locator("#forget").is_visible()
    page.locator("a.track").nth(2).click()
    _wait_audio(page, page.evaluate(FILES)[2])
    page.wait_for_function("() => document.getElementById('audio').currentTime > 0.2", timeout=30_000)
    page.evaluate("() => { const a = document.getElementById('audio'); a.currentTime = 5.5; }")
    page.wait_for_function("() => document.querySelectorAll('a.track.done').length === 1", timeout=30_000)
    page.reload()  # nothing was kept
    assert page.locator("a.track.done").count() == 0
    assert errors == []
    ctx.close()


def test_reminders_note_only_with_a_calendar() -> None:
    pack = make_pack(None)
    assert 'href="reminders.ics"' not in render_index_html(pack)
    text = render_index_html(dataclasses.replace(pack, reminders=True))
    assert 'href="reminders.ics"' in text and "iPhone" in text and "Android" in text


def test_storage_key_and_start_are_in_the_page_data() -> None:
    pack: PackExport = dataclasses.replace(make_pack(None), key="0123abcd", start="2026-03-02")
    text = render_index_html(pack)
    assert '"key":"0123abcd"' in text and '"start":"2026-03-02"' in text
