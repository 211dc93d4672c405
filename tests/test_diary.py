"""``relaxgen diary``: the therapist's report from the diaries listeners export from their pack
pages. The figures are checked by hand; every bad input names its file and row and writes nothing."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.cli import cli
from generator.errors import DiaryError
from generator.export.diary import HEADER, decode_diary, merge_entries, parse_diary
from generator.fsutil import TMP_PREFIX

COURSE = Path(__file__).parent / "templates" / "course" / "course.toml"  # three course days
OLD_REPORT = "<p>an earlier report</p>"

# Anna: three sessions on two days, all rated; Ben: one rated session, one rated only before
ANNA = f"""{HEADER}
001,2026-03-02,Day 1,10,7,4,"stiff neck, tired"
001,2026-03-03,Day 2,12,6,3,
001,2026-03-03,Day 2 extra,5,8,4,Ärger bei der Arbeit
"""
BEN = (f"{HEADER}\r\n"  # CRLF, as the page writes it
       "002,2026-03-02,Day 1,10,5,5,\r\n"
       '002,2026-03-05,Day 3,8,6,,"said ""better"""\r\n')


def _write(folder: Path, name: str, content: str | bytes) -> Path:
    p = folder / name
    p.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return p


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working folder (short relative names in messages) with an earlier report in out/."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "report.html").write_text(OLD_REPORT, encoding="utf-8")
    return tmp_path


def diary(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(cli, ["diary", *args])


def test_report_from_several_diaries(runner: CliRunner, work: Path) -> None:
    _write(work, "anna.csv", ANNA)
    _write(work, "ben.csv", BEN)
    _write(work, "anna-phone.csv", ANNA.replace("Ärger", "Ärger"))  # the same diary from a second device
    res = diary(runner, "anna.csv", "ben.csv", "anna-phone.csv", "-o", "out/report.html", "--course", str(COURSE))
    assert res.exit_code == 0, res.output
    assert "2 listener(s) from 3 file(s) -> out/report.html" in res.output
    page = (work / "out" / "report.html").read_text(encoding="utf-8")
    assert [p.name for p in (work / "out").iterdir()] == ["report.html"]

    # Anna: changes -3, -3, -4 -> mean -3.3; before 7, 6, 8 -> 7; after 4, 3, 4 -> 3.7; 2 of 3 days
    anna = page[page.index('id="listener-0"'):page.index('id="listener-1"')]
    assert "<h2>001</h2>" in anna
    assert '<dd data-fact="0">2 of 3 planned</dd>' in anna
    assert ('<dd data-fact="1">\u22123.3 (from 7 before to 3.7 after, over 3 session(s) rated both before '
            "and after)</dd>") in anna
    assert '<dd data-fact="2">3 session(s), 27 minutes</dd>' in anna
    assert '<dd data-fact="3">anna.csv, anna-phone.csv</dd>' not in anna  # rows repeated are counted once...
    assert '<dd data-fact="3">anna.csv</dd>' in anna  # ...and belong to the file that had them first
    # the chart: one point per day and series (day 2 is the mean of its two sessions), text alternative
    assert re.findall(r'<circle class="m-before" [^>]*data-date="([^"]+)" data-value="([^"]+)"', anna) == [
        ("2026-03-02", "7"), ("2026-03-03", "7")]
    assert re.findall(r'<rect class="m-after" [^>]*data-date="([^"]+)" data-value="([^"]+)"', anna) == [
        ("2026-03-02", "4"), ("2026-03-03", "3.5")]
    assert "<title id=\"chart-t-0\">Tension before and after practising" in anna
    assert "stiff neck, tired" in anna and "Ärger bei der Arbeit" in anna

    # Ben: one session rated both (5 -> 5); the one rated only before is left out of the means
    ben = page[page.index('id="listener-1"'):]
    assert '<dd data-fact="0">2 of 3 planned</dd>' in ben
    assert "0 (from 5 before to 5 after, over 1 session(s) rated both before and after)" in ben
    assert "said &quot;better&quot;" in ben
    # the overview: one sortable row per listener, with raw values to sort by
    assert page.count("<th scope=\"col\"") == 10 and '<th scope="col" data-type="text" aria-sort="ascending">' in page
    assert '<td data-sort="-3.33">\u22123.3</td>' in page
    assert "Course: Test course, 3 planned day(s)." in page
    # offline: no URL, no request
    assert "://" not in page and "fetch(" not in page and "XMLHttpRequest" not in page
    assert "listeners' own" in page and "does not assess pain or treatment" in page


def test_json_for_scripts(runner: CliRunner, work: Path) -> None:
    _write(work, "anna.csv", ANNA)
    _write(work, "ben.csv", BEN)
    res = runner.invoke(cli, ["diary", "anna.csv", "ben.csv", "--json"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["course"] is None and data["files"] == ["anna.csv", "ben.csv"]
    anna, ben = data["listeners"]
    assert anna == {
        "listener": "001", "files": ["anna.csv"], "first": "2026-03-02", "last": "2026-03-03",
        "days_practised": 2, "days_planned": None, "sessions": 3, "minutes": 27.0, "rated": 3,
        "mean_before": 7.0, "mean_after": 3.67, "mean_change": -3.33,
        "days": [{"date": "2026-03-02", "sessions": 1, "minutes": 10.0, "before": 7.0, "after": 4.0},
                 {"date": "2026-03-03", "sessions": 2, "minutes": 17.0, "before": 7.0, "after": 3.5}],
    }
    assert (ben["rated"], ben["mean_change"], ben["days_practised"], ben["minutes"]) == (1, 0.0, 2, 18.0)
    assert ben["days"][1] == {"date": "2026-03-05", "sessions": 1, "minutes": 8.0, "before": 6.0, "after": None}
    # with the course manifest: the days planned, and the report written too
    res = diary(runner, "anna.csv", "--json", "--course", str(COURSE), "-o", "out/r2.html")
    data = json.loads(res.stdout)
    assert data["course"] == {"title": "Test course", "days_planned": 3}
    assert data["listeners"][0]["days_planned"] == 3
    assert (work / "out" / "r2.html").is_file()


def test_output_or_json_is_needed(runner: CliRunner, work: Path) -> None:
    _write(work, "anna.csv", ANNA)
    res = diary(runner, "anna.csv")
    assert res.exit_code == 2 and "give -o REPORT.html, --json, or both" in res.output


# ---------------------------------------------------------------- bad input: file and row, nothing written


@dataclass(frozen=True)
class Bad:
    id: str
    files: dict[str, str | bytes]
    error: str  # the whole Error: line


BAD = [
    Bad("rating-above-10", {"a.csv": f"{HEADER}\n001,2026-03-02,Day 1,10,7,11,\n"},
        "a.csv: row 2: after: '11' is outside 0-10; ratings are whole numbers from 0 (no tension) to 10 "
        "(the most tension), or empty"),
    Bad("rating-negative", {"a.csv": f"{HEADER}\n001,2026-03-02,Day 1,10,7,4,\n001,2026-03-03,Day 2,10,-1,4,\n"},
        "a.csv: row 3: before: '-1' is outside 0-10; ratings are whole numbers from 0 (no tension) to 10 "
        "(the most tension), or empty"),
    Bad("rating-not-a-number", {"a.csv": f"{HEADER}\n001,2026-03-02,Day 1,10,seven,4,\n"},
        "a.csv: row 2: before: 'seven' is not a rating; ratings are whole numbers from 0 (no tension) to 10 "
        "(the most tension), or empty"),
    Bad("unknown-column", {"a.csv": "listener,date,session,minutes,befor,after,note\n001,2026-03-02,D,1,2,3,\n"},
        "a.csv: row 1: unknown column 'befor' (did you mean 'before'?); a diary has the columns " + HEADER),
    Bad("missing-column", {"a.csv": "listener,date,session,minutes,before,after\n001,2026-03-02,D,1,2,3\n"},
        "a.csv: row 1: column 'note' is missing; a diary has the columns " + HEADER),
    Bad("date-not-a-date", {"a.csv": f"{HEADER}\n001,2026-03-02,Day 1,10,7,4,\n001,3/3/2026,Day 2,10,7,4,\n"},
        "a.csv: row 3: date: '3/3/2026' is not a date; write it as YYYY-MM-DD (ISO 8601), e.g. 2026-03-02"),
    Bad("date-impossible", {"a.csv": f"{HEADER}\n001,2026-02-30,Day 1,10,7,4,\n"},
        "a.csv: row 2: date: '2026-02-30' is not a date; write it as YYYY-MM-DD (ISO 8601), e.g. 2026-03-02"),
    Bad("empty-file", {"a.csv": ""},
        "a.csv: row 1: the file is empty; a diary exported from the pack page starts with the header " + HEADER),
    Bad("header-only", {"a.csv": HEADER + "\n"},
        "a.csv: row 2: the header is not followed by any entry; export the diary again once it has some"),
    Bad("not-utf8", {"a.csv": f"{HEADER}\n001,2026-03-02,Day 1,10,7,4,ok\n001,2026-03-03,Day 2,10,7,4,M\xfcde\n"
                              .encode("latin-1")},
        "a.csv: row 3: not valid UTF-8 (byte 108); export the diary again from the pack page, or save the file "
        "as UTF-8"),
    Bad("cells-missing", {"a.csv": f"{HEADER}\n001,2026-03-02,Day 1,10,7\n"},
        "a.csv: row 2: has 5 cells but the header has 7 columns (a note with a comma needs quotes)"),
    Bad("listener-empty", {"a.csv": f"{HEADER}\n,2026-03-02,Day 1,10,7,4,\n"}, "a.csv: row 2: listener: is empty"),
    Bad("conflict-across-files", {"a.csv": f"{HEADER}\n001,2026-03-02,Day 1,10,7,4,\n001,2026-03-03,Day 2,10,6,3,\n",
                                  "b.csv": f"{HEADER}\n001,2026-03-04,Day 3,10,5,2,\n001,2026-03-03,Day 2,10,6,2,\n"},
        "b.csv: row 3: listener '001', 2026-03-03, session 'Day 2' has minutes 10, before 6, after 2, note '', "
        "but a.csv row 3 has minutes 10, before 6, after 3, note '' for it; keep one of the two rows"),
    Bad("conflict-in-one-file", {"a.csv": f"{HEADER}\n001,2026-03-02,Day 1,10,7,4,\n001,2026-03-02,Day 1,10,7,4,x\n"},
        "a.csv: row 3: listener '001', 2026-03-02, session 'Day 1' has minutes 10, before 7, after 4, note 'x', "
        "but a.csv row 2 has minutes 10, before 7, after 4, note '' for it; keep one of the two rows"),
    Bad("unclosed-quote", {"a.csv": f'{HEADER}\n001,2026-03-02,Day 1,10,7,4,"a\n'},
        "a.csv: row 2: not valid CSV (unexpected end of data); check the quotes (\") in this row"),
]


@pytest.mark.parametrize("case", BAD, ids=[c.id for c in BAD])
def test_bad_diary_names_file_and_row_and_writes_nothing(runner: CliRunner, work: Path, case: Bad) -> None:
    names = [str(_write(work, name, content).name) for name, content in case.files.items()]
    for extra in ([], ["--json"]):
        res = diary(runner, *names, "-o", "out/report.html", *extra)
        assert res.exit_code == 1, res.output
        assert "Traceback" not in res.output
        assert res.output.strip().splitlines() == [f"Error: {case.error}"]
        assert [p.name for p in (work / "out").iterdir()] == ["report.html"]  # no temp file, no new report
        assert (work / "out" / "report.html").read_text(encoding="utf-8") == OLD_REPORT
        assert not [p for p in work.rglob(f"{TMP_PREFIX}*")]


def test_a_bad_course_manifest_is_the_manifests_error(runner: CliRunner, work: Path) -> None:
    _write(work, "anna.csv", ANNA)
    _write(work, "course.toml", 'title = "x"\n[[session]]\nscript = "belly-breathing"\nminuts = 5\n')
    res = diary(runner, "anna.csv", "--course", "course.toml", "-o", "out/report.html")
    assert res.exit_code == 1 and res.output.startswith("Error: course.toml: session[1].minuts: unknown key")
    assert (work / "out" / "report.html").read_text(encoding="utf-8") == OLD_REPORT


# ---------------------------------------------------------------- the parser alone


def test_parser_reads_a_bom_quotes_and_blank_lines() -> None:
    text = decode_diary(("\ufeff" + HEADER + '\n\n001,2026-03-02,"Day 1, long",7.5,,3," a ""b"" "\n').encode(), "x")
    [e] = parse_diary(text, "x.csv")
    assert (e.listener, e.date.isoformat(), e.session, e.minutes, e.before, e.after, e.note, e.row) == (
        "001", "2026-03-02", "Day 1, long", 7.5, None, 3, 'a "b"', 3)


def test_columns_may_come_in_any_order() -> None:
    [e] = parse_diary("note,after,before,minutes,session,date,listener\nok,2,5,10,S,2026-03-02,L\n", "x.csv")
    assert (e.listener, e.before, e.after, e.note) == ("L", 5, 2, "ok")
    assert merge_entries([[e], [e]]) == [e]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=200).map(lambda t: (HEADER + "\n" + t).encode("utf-8")))
def test_parser_raises_only_diary_errors(data: bytes) -> None:
    try:
        parse_diary(decode_diary(data, "f.csv"), "f.csv")
    except DiaryError as e:
        assert str(e).startswith("f.csv: ")
