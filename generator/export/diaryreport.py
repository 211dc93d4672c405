"""``relaxgen diary``'s report: exported practice diaries read, summarised and written as one
offline HTML page (a chart per listener, a sortable overview) or as JSON.

Reading and writing sit here at the edges; the parsing and the figures are
:mod:`generator.export.diary`'s pure functions. The page has no external URL: CSS, the
sorting script and the charts (hand-made SVG) are inline. Nothing is written unless every
file is valid; the HTML is written atomically.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from ..errors import DiaryError, ExportError
from ..fsutil import atomic_write_text
from ..paths import display
from .diary import (
    Day,
    Entry,
    ListenerSummary,
    Report,
    decode_diary,
    merge_entries,
    parse_diary,
    summarise,
)

TEMPLATE = "diary-report.html"
W, H = 640.0, 232.0
LEFT, RIGHT, TOP, BOTTOM = 44.0, 16.0, 40.0, 186.0
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TOKEN = re.compile(r"@@([A-Z_]+)@@")


def read_report(paths: Sequence[Path], course: str | None = None, days_planned: int | None = None) -> Report:
    """Read every diary in ``paths`` and summarise them (errors name the file and row)."""
    files: list[list[Entry]] = []
    names: list[str] = []
    for p in paths:
        src = display(p)
        try:
            data = Path(p).read_bytes()
        except OSError as e:
            raise DiaryError(f"cannot read the file: {e.strerror or e}", src) from None
        files.append(parse_diary(decode_diary(data, src), src))
        names.append(src)
    return summarise(merge_entries(files), names, course, days_planned)


def report_json(report: Report) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2)


def write_report_html(report: Report, out: Path) -> Path:
    return atomic_write_text(out, render_report_html(report))


# ---------------------------------------------------------------- the page


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def fmt_day(d: dt.date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]}"


def fmt_num(x: float | None, signed: bool = False) -> str:
    """One decimal at most (``6.2``, ``6``), a typographic minus, ``+`` when ``signed``; ``–`` for none."""
    if x is None:
        return "\u2013"
    r = round(x, 1)
    if r == 0:
        return "0"
    return ("\u2212" if r < 0 else "+" if signed else "") + f"{abs(r):.1f}".removesuffix(".0")


def chart_svg(s: ListenerSummary, index: int) -> str:
    """Before and after per day as hand-made SVG, readable in black and white: before is a
    solid line with filled circles, after a dashed line with open squares."""
    first, last = s.days[0].date, s.days[-1].date
    span = (last - first).days + 1
    step = (W - LEFT - RIGHT) / span

    def x(d: dt.date) -> float:
        return LEFT + ((d - first).days + 0.5) * step

    def y(v: float) -> float:
        return BOTTOM - v / 10 * (BOTTOM - TOP)

    parts = [f'<rect class="c-bg" x="{LEFT:g}" y="{TOP:g}" width="{W - LEFT - RIGHT:g}" '
             f'height="{BOTTOM - TOP:g}"/>']
    for v in (0, 2, 4, 6, 8, 10):
        parts.append(f'<line class="c-grid" x1="{LEFT:g}" x2="{W - RIGHT:g}" y1="{y(v):.1f}" y2="{y(v):.1f}"/>'
                     f'<text class="c-axis" x="{LEFT - 8:g}" y="{y(v) + 4:.1f}" text-anchor="end">{v}</text>')
    ticks = _ticks(first, span)
    for d in ticks:
        parts.append(f'<text class="c-axis" x="{x(d):.1f}" y="{BOTTOM + 20:g}" text-anchor="middle">'
                     f"{fmt_day(d)}</text>")
    parts.append(_series(s.days, "after", x, y))  # before's filled circle shows inside after's square
    parts.append(_series(s.days, "before", x, y))
    parts.append(_legend())
    title = (f"Tension before and after practising, per day, {first.isoformat()} to {last.isoformat()} "
             f"(the listener's own ratings, 0 to 10): mean before {fmt_num(s.mean_before)}, "
             f"mean after {fmt_num(s.mean_after)}. The table below lists every entry.")
    return (f'<svg class="chart" viewBox="0 0 {W:g} {H:g}" role="img" aria-labelledby="chart-t-{index}">'
            f'<title id="chart-t-{index}">{_esc(title)}</title>' + "".join(parts) + "</svg>")


def _ticks(first: dt.date, span: int) -> list[dt.date]:
    n = min(span, 7)
    if n <= 1:
        return [first]
    return sorted({first + dt.timedelta(days=round(i * (span - 1) / (n - 1))) for i in range(n)})


def _series(days: Sequence[Day], which: str, x: Callable[[dt.date], float], y: Callable[[float], float]) -> str:
    pts = [(d.date, getattr(d, which)) for d in days if getattr(d, which) is not None]
    if not pts:
        return ""
    line = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in pts)
    out = [f'<polyline class="c-line c-{which}" points="{line}"/>']
    for d, v in pts:
        tip = f"<title>{d.isoformat()}: {which} {fmt_num(v)}</title>"
        if which == "before":
            out.append(f'<circle class="m-before" cx="{x(d):.1f}" cy="{y(v):.1f}" r="4.5" '
                       f'data-date="{d.isoformat()}" data-value="{v:g}">{tip}</circle>')
        else:
            out.append(f'<rect class="m-after" x="{x(d) - 4.5:.1f}" y="{y(v) - 4.5:.1f}" width="9" height="9" '
                       f'data-date="{d.isoformat()}" data-value="{v:g}">{tip}</rect>')
    return "".join(out)


def _legend() -> str:
    return ('<g class="c-legend" aria-hidden="true">'
            '<line class="c-line c-before" x1="48" x2="80" y1="16" y2="16"/>'
            '<circle class="m-before" cx="64" cy="16" r="4.5"/>'
            '<text x="88" y="21">Tension before</text>'
            '<line class="c-line c-after" x1="220" x2="252" y1="16" y2="16"/>'
            '<rect class="m-after" x="231.5" y="11.5" width="9" height="9"/>'
            '<text x="260" y="21">Tension after</text></g>')


OVERVIEW = (("listener", "Listener", "text"), ("first", "First day", "text"), ("last", "Last day", "text"),
            ("days_practised", "Days practised", "num"), ("days_planned", "Days planned", "num"),
            ("sessions", "Sessions", "num"), ("minutes", "Minutes", "num"),
            ("mean_before", "Mean before", "num"), ("mean_after", "Mean after", "num"),
            ("mean_change", "Mean change", "num"))  # fmt: skip


def _overview(report: Report) -> str:
    sort = ' aria-sort="ascending"'  # the rows come sorted by listener
    head = "".join(f'<th scope="col" data-type="{t}"{sort if k == "listener" else ""}>'
                   f'<button type="button">{_esc(label)}</button></th>' for k, label, t in OVERVIEW)
    rows = []
    for i, s in enumerate(report.listeners):
        d = s.to_dict()
        cells = []
        for k, _label, t in OVERVIEW:
            v = d[k]
            if k == "listener":
                shown = f'<a href="#listener-{i}">{_esc(v)}</a>'
            elif t == "num":
                shown = fmt_num(v, signed=k == "mean_change") if isinstance(v, float | int) else "\u2013"
            else:
                shown = _esc(v)
            sort = "" if v is None else _esc(v)
            cells.append(f'<td data-sort="{sort}">{shown}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<table id="overview"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def _practised(s: ListenerSummary) -> str:
    if s.days_planned is None:
        return f"{s.days_practised} (no course manifest given)"
    return f"{s.days_practised} of {s.days_planned} planned"


def _listener(s: ListenerSummary, i: int) -> str:
    rated = (f"{fmt_num(s.mean_change, signed=True)} (from {fmt_num(s.mean_before)} before to "
             f"{fmt_num(s.mean_after)} after, over {s.rated} session(s) rated both before and after)"
             if s.rated else "\u2013 (no session rated both before and after)")
    facts = (("Days practised", _practised(s)),
             ("Mean change before \u2192 after", rated),
             ("Sessions, minutes", f"{len(s.entries)} session(s), {fmt_num(s.minutes)} minutes"),
             ("Diary file(s)", ", ".join(s.files)))  # fmt: skip
    dl = "".join(f'<dt>{_esc(k)}</dt><dd data-fact="{n}">{_esc(v)}</dd>'
                 for n, (k, v) in enumerate(facts))
    rows = "".join(
        f"<tr><td>{e.date.isoformat()}</td><td>{_esc(e.session)}</td><td>{fmt_num(e.minutes)}</td>"
        f"<td>{fmt_num(e.before)}</td><td>{fmt_num(e.after)}</td><td>{_esc(e.note)}</td></tr>"
        for e in s.entries)
    entries = ('<details><summary>Every entry (the chart as a table)</summary><table class="entries">'
               "<thead><tr><th>Date</th><th>Session</th><th>Minutes</th><th>Before</th><th>After</th>"
               f"<th>Note</th></tr></thead><tbody>{rows}</tbody></table></details>")
    return (f'<section class="listener" id="listener-{i}"><h2>{_esc(s.listener)}</h2><dl>{dl}</dl>'
            f"{chart_svg(s, i)}{entries}</section>")


def _template() -> str:
    try:
        return (Path(__file__).parent / "templates" / TEMPLATE).read_text("utf-8")
    except OSError as e:
        raise ExportError(f"the report template generator/export/templates/{TEMPLATE} is missing ({e}); "
                          "reinstall relaxgen") from None


def render_report_html(report: Report) -> str:
    """The complete report page as a string."""
    course = (f"Course: {_esc(report.course)}, {report.days_planned} planned day(s)."
              if report.course else "No course manifest given: days planned are not known.")
    values = {
        "FILES": _esc(", ".join(report.files)),
        "COUNT": str(len(report.listeners)),
        "COURSE": course,
        "OVERVIEW": _overview(report),
        "LISTENERS": "\n".join(_listener(s, i) for i, s in enumerate(report.listeners)),
    }

    def fill(m: re.Match[str]) -> str:
        if m.group(1) not in values:
            raise ExportError(f"report template has an unknown placeholder @@{m.group(1)}@@; fix the template")
        return values[m.group(1)]

    return _TOKEN.sub(fill, _template())
