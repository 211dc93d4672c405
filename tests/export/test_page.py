"""The offline pack page: static checks, and a real headless Chromium from file://."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from generator.export.names import track_filename
from generator.export.packdata import PackExport, TrackExport
from generator.export.page import fmt_time, href, render_index_html, write_index_html

CHROMIUM = "/usr/bin/chromium"
NASTY = 'Ruhe <b>&amp;</b> "Zeit" </script><!-- ü'


def _timeline(dur: float, with_bed: bool = True) -> tuple[dict[str, object], ...]:
    items: list[dict[str, object]] = [
        {"kind": "chapter", "start": 0.0, "dur": 0.0, "label": "Ankommen"},
        {"kind": "speech", "start": 0.0, "dur": 1.5, "label": "Willkommen."},
        {"kind": "pause", "start": 1.5, "dur": 1.0, "label": ""},
        {"kind": "cue", "start": 2.5, "dur": 0.3, "label": "bell"},
        {"kind": "chapter", "start": 2.5, "dur": 0.0, "label": "Atmen"},
        {"kind": "breathe", "start": 2.8, "dur": 1.7, "label": "4-0-8"},
        {"kind": "chapter", "start": 4.5, "dur": 0.0, "label": "Ende"},
        {"kind": "speech", "start": 4.5, "dur": 1.2, "label": "Danke."},
    ]
    if with_bed:
        items.append({"kind": "bed", "start": 0.0, "dur": dur, "label": "rain"})
    return tuple(items)


def make_pack(folder: Path | None, n: int = 3, dur: float = 6.0) -> PackExport:
    titles = ["Bauchatmung", NASTY, "Körperreise: Füße"][:n]
    tracks = []
    for i, title in enumerate(titles):
        file = track_filename(i + 1, n, title)
        if folder is not None:
            _sine(folder / file, dur, 330 + 110 * i)
        tracks.append(
            TrackExport(
                number=i + 1,
                title=title,
                artist="Anna & Co",
                file=file,
                duration_s=dur,
                chapters=((0.0, "Ankommen"), (2.5, "Atmen <ruhig>"), (4.5, "Ende")),
                lines=(
                    (0.0, 1.5, f"Willkommen zu Einheit {i + 1}."),
                    (2.8, 4.4, "Atme ein & aus, </script> ganz ruhig."),
                    (4.5, 5.7, "Danke."),
                ),
                timeline=_timeline(dur, with_bed=i != 1),
                description="Kurz & sanft" if i == 0 else "",
            )
        )
    return PackExport(
        title="Rücken <entspannen> & Ruhe",
        language="de",
        tracks=tuple(tracks),
        description="Drei kurze Einheiten.",
        author="Praxis Müller",
        safety="Höre nicht beim Autofahren zu.\n\nBei Schmerzen: aufhören & Arzt fragen.",
    )


def _ffmpeg() -> str | None:
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except Exception:  # pragma: no cover - depends on the machine
        return None


def _sine(path: Path, dur: float, freq: int) -> None:
    exe = _ffmpeg()
    if exe is None:
        pytest.skip("no ffmpeg binary to make test MP3s")
    subprocess.run(
        [exe, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
         "-i", f"sine=f={freq}:d={dur}", "-c:a", "libmp3lame", "-b:a", "64k", str(path)],
        check=True,
    )  # fmt: skip


# ---------------------------------------------------------------- static checks


def test_static_page_is_self_contained_and_escaped(tmp_path: Path) -> None:
    pack = make_pack(None)
    page = write_index_html(pack, tmp_path)
    assert page == tmp_path / "index.html"
    text = page.read_text(encoding="utf-8")
    assert text == render_index_html(pack)
    assert "@@" not in text
    # no external URL, no network API
    assert "://" not in text
    assert not re.search(r"(?i)(src|href)=[\"']?//", text)
    for api in ("fetch(", "XMLHttpRequest", "import(", '<link rel="stylesheet', 'src="http'):
        assert api not in text
    # the nasty title is escaped everywhere it appears as HTML, never raw
    assert NASTY not in text
    assert "</script><!--" not in text.replace("</script>\n<script", "")
    assert "Ruhe &lt;b&gt;&amp;amp;&lt;/b&gt; &quot;Zeit&quot; &lt;/script&gt;&lt;!-- ü" in text
    assert text.count("<script") == text.count("</script>") == 3
    # embedded JSON parses back to the pack
    blob = re.search(r'<script type="application/json" id="pack-data">(.*?)</script>', text, re.S)
    assert blob is not None
    data = json.loads(blob.group(1))
    assert data["tracks"][1]["title"] == NASTY
    assert data["tracks"][0]["lines"][1][2] == "Atme ein & aus, </script> ganz ruhig."
    assert 'lang="de"' in text and "Einheiten" in text


def test_helpers() -> None:
    assert fmt_time(0) == "0:00"
    assert fmt_time(61.4) == "1:01"
    assert fmt_time(3725) == "1:02:05"
    assert href("01 Körper #1?.mp3") == "01%20K%C3%B6rper%20%231%3F.mp3"


def test_cover_and_links_are_quoted() -> None:
    pack = PackExport(
        title="x",
        language="en",
        cover='cover "1" #a.jpg',
        tracks=(TrackExport(1, "a", "b", "01 a&b #1.mp3", 5.0),),
    )
    text = render_index_html(pack)
    assert '<img class="cover" src="cover%20%221%22%20%23a.jpg"' in text
    assert 'href="01%20a%26b%20%231.mp3"' in text
    assert "Sessions" in text and "0:05" in text


def test_english_fallback_ui() -> None:
    pack = PackExport(title="Calm", language="xx", tracks=())
    text = render_index_html(pack)
    assert "Sessions" in text and 'lang="xx"' in text


# ---------------------------------------------------------------- the real browser


@pytest.fixture(scope="module")
def browser() -> Any:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (tests/setup-system.sh installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--autoplay-policy=no-user-gesture-required"],
        )  # fmt: skip
        yield b
        b.close()


def _wait_audio(page: Any, file: str) -> None:
    page.wait_for_function(
        "f => { const a = document.getElementById('audio');"
        " return decodeURIComponent(a.currentSrc).endsWith(f) && a.readyState >= 1; }",
        arg=file,
        timeout=30_000,
    )


@pytest.mark.browser
def test_page_in_headless_chromium(browser: Any, tmp_path: Path) -> None:
    pack = make_pack(tmp_path)
    page_path = write_index_html(pack, tmp_path)
    ctx = browser.new_context(viewport={"width": 1200, "height": 1000})
    page = ctx.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(page_path.as_uri())

    # every track listed, with number, title and length
    rows = page.locator("a.track")
    assert rows.count() == 3
    for i, t in enumerate(pack.tracks):
        row = rows.nth(i)
        assert row.locator(".t-title").inner_text() == t.title
        assert row.locator(".t-len").inner_text() == "0:06"
        assert row.locator(".t-num").inner_text() == f"{i + 1:02d}"
    assert "Autofahren" in page.locator(".safety").inner_text()
    assert page.locator("h1").inner_text() == pack.title

    # the first track is loaded; clicking another loads it
    _wait_audio(page, pack.tracks[0].file)
    rows.nth(1).click()
    _wait_audio(page, pack.tracks[1].file)
    assert rows.nth(1).get_attribute("aria-current") == "true"
    assert NASTY in page.locator("#now").inner_text()
    page.evaluate("document.getElementById('audio').pause()")

    # a chapter button seeks to the chapter start (and plays)
    chapters = page.locator("#chapters button.chap")
    assert chapters.count() == 3
    assert "Atmen <ruhig>" in chapters.nth(1).inner_text()
    chapters.nth(1).click()
    t = page.evaluate("document.getElementById('audio').currentTime")
    assert 2.2 <= t <= 2.5 + 2.0  # it seeks, then plays on (slowly on a loaded machine)
    # the seek itself, read in the same tick as the click
    t = page.evaluate(
        "() => { document.querySelectorAll('#chapters button.chap')[1].click();"
        " return document.getElementById('audio').currentTime; }"
    )
    assert abs(t - 2.5) <= 0.3
    assert chapters.nth(1).get_attribute("aria-pressed") == "true"
    page.evaluate("document.getElementById('audio').pause()")

    # the transcript highlight follows currentTime
    for at, expected in ((0.4, 0), (3.0, 1), (5.0, 2), (1.0, 0)):
        page.evaluate(
            "t => { const a = document.getElementById('audio'); a.pause(); a.currentTime = t;"
            " a.dispatchEvent(new Event('timeupdate')); }",
            at,
        )
        page.wait_for_function(
            "i => { const n = document.querySelectorAll('#transcript p.now');"
            " const all = document.querySelectorAll('#transcript p');"
            " return n.length === 1 && all[i] === n[0]; }",
            arg=expected,
            timeout=5_000,
        )
    assert "</script>" in page.locator("#transcript p").nth(1).inner_text()

    # the timeline SVG of the current track is visible, with an element per kind present
    svg = page.locator("#tl-1 svg.timeline")
    assert svg.is_visible()
    assert not page.locator("#tl-0").is_visible()
    for kind in ("speech", "pause", "cue", "chapter", "breathe"):
        assert svg.locator(f"rect.k-{kind}").count() >= 1, kind
    assert svg.locator("rect.k-bed").count() == 0  # track 2 has no bed
    assert page.locator("#tl-1 .legend li").count() == 5
    assert page.locator("#tl-0 svg rect.k-bed").count() == 1
    assert page.locator("#tl-0 .legend li").count() == 6
    box = svg.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] >= 40

    # clicking the timeline seeks there
    svg.click(position={"x": box["width"] * 0.75, "y": box["height"] / 2})
    t = page.evaluate("document.getElementById('audio').currentTime")
    assert abs(t - 4.5) <= 0.3
    page.evaluate("document.getElementById('audio').pause()")

    # the next track plays when one ends
    page.evaluate(
        "() => { const a = document.getElementById('audio'); a.currentTime = 5.9; a.play(); }"
    )
    _wait_audio(page, pack.tracks[2].file)
    assert rows.nth(2).get_attribute("aria-current") == "true"

    page.screenshot(path="/tmp/relaxgen-page.png", full_page=True)
    assert errors == []
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
    ctx.close()


@pytest.mark.browser
def test_page_on_phone_dark(browser: Any, tmp_path: Path) -> None:
    pack = make_pack(tmp_path, n=2)
    page_path = write_index_html(pack, tmp_path)
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844}, color_scheme="dark", has_touch=True, is_mobile=True
    )
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(page_path.as_uri())
    # no horizontal scrolling; touch targets at least 44 px high
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for h in page.eval_on_selector_all(
        "a.track, button.chap", "els => els.map(e => e.getBoundingClientRect().height)"
    ):
        assert h >= 44
    bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert bg == "rgb(21, 25, 26)"
    page.locator("a.track").nth(1).tap()
    _wait_audio(page, pack.tracks[1].file)
    page.screenshot(path="/tmp/relaxgen-page-phone.png", full_page=True)
    assert errors == []
    ctx.close()
