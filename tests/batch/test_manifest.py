"""Pack/course manifests and the listener CSV."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.batch.manifest import load_manifest, read_listeners, session_profile
from generator.errors import ConfigError, ManifestError, ProfileError
from generator.paths import scripts_dir
from generator.profile import Profile

HERE = Path(__file__).parents[1]
COURSE = HERE / "templates" / "course" / "course.toml"
VOICES = ["calm-en", "calm-de", "calm-en-us"]


def write(tmp: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    p = tmp / name
    p.write_text(text, encoding=encoding)
    return p


def test_loads_the_test_course() -> None:
    m = load_manifest(COURSE)
    assert m.title == "Test course" and m.author == "Test Author"
    assert [s.number for s in m.sessions] == [1, 2, 3]
    s1, s2, _ = m.sessions
    assert Path(s1.script).is_absolute() and Path(s1.script).name == "day1.j2"
    assert s1.minutes == 0.3 and s1.day == 1 and dict(s1.variables) == {"focus": "shoulders"}
    assert s2.title == "Day 2: hands" and s2.variables == ()


def test_session_profile_adds_day_and_variables() -> None:
    m = load_manifest(COURSE)
    p = session_profile(Profile(name="Anna", extra={"x": "1"}), m.sessions[0])
    assert p.day == 1 and p.extra == {"x": "1", "focus": "shoulders"} and p.name == "Anna"


def test_builtin_script_names_stay_names(tmp_path: Path) -> None:
    name = next(p.stem for p in (scripts_dir() / "en").glob("*.j2"))
    m = load_manifest(write(tmp_path, "p.toml", f'title = "T"\n[[session]]\nscript = "{name}"\nminutes = 5\n'))
    assert m.sessions[0].script == name and m.sessions[0].is_builtin


@pytest.mark.parametrize(("text", "needle"), [
    ('title = "T"\ntitel = "x"\n[[session]]\nscript = "a.j2"\nminutes = 1\n', "titel"),
    ('title = "T"\n[[session]]\nscript = "day1.j2"\nminuts = 1\n', "session[1].minuts"),
])
def test_unknown_keys_name_file_key_and_suggestion(tmp_path: Path, text: str, needle: str) -> None:
    (tmp_path / "day1.j2").write_text("Hello.", encoding="utf-8")
    p = write(tmp_path, "pack.toml", text)
    with pytest.raises(ManifestError) as e:
        load_manifest(p)
    msg = str(e.value)
    assert "pack.toml" in msg and needle in msg and "did you mean" in msg


@pytest.mark.parametrize(("text", "needle"), [
    ('[[session]]\nscript = "x"\nminutes = 1\n', "title"),
    ('title = "T"\n', "no sessions"),
    ('title = "T"\n[[session]]\nminutes = 1\n', "script"),
    ('title = "T"\n[[session]]\nscript = "missing.j2"\nminutes = 1\n', "no such template file"),
    ('title = "T"\n[[session]]\nscript = "pmr-77"\nminutes = 1\n', "not a built-in script"),
    ('title = "T"\n[[session]]\nscript = "pmr-7"\nminutes = -1\n', "minutes"),
    ('title = "T"\n[[session]]\nscript = "pmr-7"\nminutes = 5\nday = 0\n', "day"),
    ('title = "T"\n[[session]]\nscript = "pmr-7"\nminutes = 5\nset = { name = "x" }\n', "profile field"),
    ('title = "T"\ncover = "nope.jpg"\n[[session]]\nscript = "pmr-7"\nminutes = 5\n', "cover"),
    ('title = "T"\n[[session]\n', "not valid TOML"),
])
def test_invalid_manifests(tmp_path: Path, text: str, needle: str) -> None:
    with pytest.raises(ManifestError, match=None) as e:
        load_manifest(write(tmp_path, "m.toml", text))
    assert needle in str(e.value)


@pytest.mark.parametrize("path", ["packs/back-relief-starter.toml", "courses/back-relief-14-days.toml"])
def test_the_library_manifests_load(path: str) -> None:
    p = scripts_dir() / path
    if not p.is_file():
        pytest.skip(f"{path} is not in the script library yet")
    m = load_manifest(p)
    assert m.title and m.sessions
    if "courses" in path:
        assert len(m.sessions) == 14 and [s.day for s in m.sessions] == list(range(1, 15))


# ---------------------------------------------------------------- the listener CSV


def test_csv_with_bom_and_template_columns(tmp_path: Path) -> None:
    p = write(tmp_path, "l.csv", "\ufeffid,name,language,skip,set.goal\n1,Anna,en,neck;jaw,sleep\n2,Jörg,de,,\n")
    t = read_listeners(p, VOICES)
    assert not t.errors
    a, b = t.listeners
    assert (a.row, a.id, a.profile.name, a.profile.skip) == (2, "1", "Anna", ("neck", "jaw"))
    assert a.profile.extra == {"goal": "sleep"} and a.profile.id == "1"
    assert (b.profile.name, b.profile.language, b.profile.extra) == ("Jörg", "de", {})


def test_bad_rows_are_reported_with_their_row_and_skipped(tmp_path: Path) -> None:
    p = write(tmp_path, "l.csv", "id,name,voice,rate\n1,Anna,,1\n2,Ben,robot,1\n3,Cem,,fast\n1,Dup,,1\n,NoId,,1\n"
                                  "4,Ok,calm-en,0.9\n")
    t = read_listeners(p, VOICES)
    assert [x.id for x in t.listeners] == ["1", "4"]
    errs = {e.row: str(e) for e in t.errors}
    assert set(errs) == {3, 4, 5, 6}
    assert "unknown voice 'robot'" in errs[3] and "rate" in errs[4]
    assert "duplicate id '1'" in errs[5] and "row 2" in errs[5]
    assert "id is empty" in errs[6]
    assert all(s.startswith(f"row {r}") for r, s in errs.items())


@pytest.mark.parametrize(("text", "needle"), [
    ("name,language\nAnna,en\n", "no 'id' column"),
    ("id,nmae\n1,Anna\n", "did you mean 'name'"),
    ("id,name,name\n1,a,b\n", "twice"),
    ("", "empty"),
])
def test_bad_headers_fail_the_file(tmp_path: Path, text: str, needle: str) -> None:
    with pytest.raises(ManifestError) as e:
        read_listeners(write(tmp_path, "l.csv", text), VOICES)
    assert needle in str(e.value) and "l.csv" in str(e.value)


def test_csv_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="UTF-8"):
        read_listeners(write(tmp_path, "l.csv", "id,name\n1,Jörg\n", encoding="latin-1"), VOICES)


LOCAL = """title = { en = "Relaxing", de = "Entspannung" }
description.en = "Two sessions."
description.de = "Zwei Übungen."

[[session]]
script = "belly-breathing"
minutes = 5
day = 1
title = { en = "Day 1: Breathing", de = "Tag 1: Atmung" }

[[session]]
script = "desk-break"
minutes = 3
day = 2
title = "Desk"
"""


def test_titles_and_descriptions_per_language(tmp_path: Path) -> None:
    m = load_manifest(write(tmp_path, "c.toml", LOCAL))
    assert m.languages() == ("de", "en")
    de, en = m.for_language("de"), m.for_language("en")
    assert (de.title, de.description, de.sessions[0].title) == ("Entspannung", "Zwei Übungen.", "Tag 1: Atmung")
    assert (en.title, en.description, en.sessions[0].title) == ("Relaxing", "Two sessions.", "Day 1: Breathing")
    assert de.sessions[1].title == en.sessions[1].title == "Desk"  # plain text serves every language


def test_a_language_without_a_title_is_an_error_not_english(tmp_path: Path) -> None:
    from generator.check import check_manifest

    path = write(tmp_path, "c.toml", LOCAL.replace(', de = "Tag 1: Atmung"', ""))
    m = load_manifest(path)
    with pytest.raises(ManifestError) as e:
        m.for_language("de")
    assert "session[1].title" in str(e.value) and "has no text in the listener's language 'de'" in str(e.value)
    problems = check_manifest(path)
    assert [p.language for p in problems] == ["de"] and "add de = " in problems[0].message
    assert check_manifest(write(tmp_path, "ok.toml", LOCAL)) == []


def test_a_german_listener_gets_german_tags_and_tomorrow_line(tmp_path: Path) -> None:
    from generator.batch.pack import PackSettings, plan_pack
    from generator.profile import Profile

    m = load_manifest(write(tmp_path, "c.toml", LOCAL))
    p = plan_pack(m, Profile(language="de", address="Sie"), tmp_path / "out", PackSettings(str(tmp_path / "c"),
                                                                                           engine="fake"))
    assert p.title == "Entspannung" and p.description == "Zwei Übungen."
    assert [t.title for t in p.tasks] == ["Tag 1: Atmung", "Desk"] and {t.album for t in p.tasks} == {"Entspannung"}
    assert p.tasks[0].closing == "Morgen üben Sie: Desk."


@pytest.mark.parametrize("path", ["courses/back-relief-14-days.toml", "packs/back-relief-starter.toml",
                                  "packs/demo.toml"])
def test_the_built_in_manifests_speak_both_languages(path: str) -> None:
    from generator.paths import scripts_dir

    m = load_manifest(scripts_dir() / path)
    de = m.for_language("de")
    assert de.title != m.for_language("en").title or path.endswith("demo.toml")
    assert de.description != m.for_language("en").description
    assert all(s.title is None or not s.title.startswith("Day") for s in de.sessions)


def test_a_bad_manifest_is_a_config_error_not_a_profile_error(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as e:
        load_manifest(write(tmp_path, "m.toml", 'title = "T"\n[[session]\n'))
    assert isinstance(e.value, ConfigError) and not isinstance(e.value, ProfileError)
    assert "m.toml: not valid TOML" in str(e.value)
