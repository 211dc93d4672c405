"""Property tests: the marker parser, the profile loader and the listener-CSV reader
raise only relaxgen's own errors (never a bare ValueError, IndexError, ...) and
never hang, whatever bytes they are given. Examples are bounded (200 each) to keep the
suite fast; ``RELAXGEN_FUZZ_EXAMPLES=5000 pytest tests/test_fuzz.py`` hunts longer.

An optional atheris harness for the parser: ``python tests/test_fuzz.py`` (needs
``pip install atheris``; runs until stopped).
"""

from __future__ import annotations

import os
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from generator.batch.manifest import read_listeners
from generator.errors import ManifestError, ProfileError, RelaxgenError, ScriptError
from generator.model import Speech
from generator.profile import (
    PROFILE_KEYS,
    Profile,
    apply_overrides,
    load_profile,
    profile_from_mapping,
)
from generator.script.grammar import MARKER_NAMES, parse_marker, render_marker
from generator.script.markers import parse_script
from generator.script.values import parse_duration, parse_range

T = TypeVar("T")
EXAMPLES = int(os.environ.get("RELAXGEN_FUZZ_EXAMPLES", "200"))  # raise it for a longer hunt
FAST = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                        HealthCheck.function_scoped_fixture])
LIMIT_S = 2.0  # one example must never take longer (no catastrophic backtracking, no hang)

# text that looks like scripts: brackets, marker words, units, quotes, newlines, odd unicode
_ATOMS = st.sampled_from([
    "[", "]", "[[", "]]", "=", '"', "\\", "-", ".", "..", " ", "\n", "\n\n", "\t", "\r\n", "%", "dB",
    *MARKER_NAMES, "off", "file", "level", "fade", "in", "out", "hold", "rest", "cycles", "guide", "tone",
    "ms", "s", "m", "h", "min", "sec", "0", "1", "3", "-3", "1e9", "nan", "inf", "0.5", "30", "3600", "99999",
    "Hello.", "Breathe in!", "z. B.", "e.g.", "\x00", "\x01", "\x02", "\x010\x02", "\x019\x02", "é", "🧘",
    "\u202e", "\ufeff", "rain", "bell", "gong", "calm-de",
])
script_text = st.lists(_ATOMS | st.text(max_size=8), max_size=40).map("".join)
marker_body = st.lists(_ATOMS, min_size=1, max_size=12).map(" ".join) | st.text(max_size=30)


def _timed(fn: Callable[..., T], *args: object) -> T:
    t0 = time.monotonic()
    try:
        return fn(*args)
    finally:
        assert time.monotonic() - t0 < LIMIT_S, f"{fn.__name__} took too long"


@FAST
@given(script_text)
@example("Hi. [pause 3s")
@example("[" * 1000)
@example("a" * 5000)
@example("\x01" + "9" * 50 + "\x02Hello.")
def test_parse_script_raises_only_script_errors(text: str) -> None:
    try:
        segs = _timed(parse_script, text, "fuzz.j2")
    except ScriptError as e:
        assert str(e) and "\n" not in str(e).strip() or "fuzz.j2" in str(e)
        return
    for s in segs:
        if isinstance(s, Speech):
            assert s.text.strip()


@FAST
@given(marker_body)
@example("pause 1-2-3s")
@example("pause 1m-")
@example("breathe in=4 out=8 cycles=1e308")
@example("bed file=")
@example('chapter "unterminated')
def test_parse_marker_raises_only_script_errors_and_round_trips(body: str) -> None:
    try:
        seg = _timed(parse_marker, body)
    except ScriptError:
        return
    again = parse_marker(render_marker(seg)[1:-1])
    assert type(again) is type(seg)


@FAST
@given(st.text(alphabet="0123456789.-msh ", max_size=20) | st.text(max_size=12))
def test_durations_are_bounded_or_errors(text: str) -> None:
    for fn in (parse_duration, parse_range):
        try:
            v = _timed(fn, text, None)
        except ScriptError:
            continue
        values = v if isinstance(v, tuple) else (v,)
        assert all(0 <= x <= 3_600_000 for x in values), (text, v)


# ---------------------------------------------------------------- profiles

_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
_keys = st.sampled_from(PROFILE_KEYS) | st.text(max_size=10)


@FAST
@given(st.dictionaries(_keys, _values, max_size=6))
def test_profile_from_mapping_raises_only_profile_errors(data: dict[str, object]) -> None:
    try:
        p = _timed(profile_from_mapping, data, "fuzz.toml")
    except ProfileError as e:
        assert str(e).startswith("fuzz.toml")
        return
    assert isinstance(p, Profile)
    assert 0.5 <= p.rate <= 1.5 and p.language in ("en", "de")


@FAST
@given(st.dictionaries(st.text(max_size=12), st.text(max_size=20), max_size=5))
def test_set_overrides_raise_only_profile_errors(sets: dict[str, str]) -> None:
    try:
        _timed(apply_overrides, Profile(), sets)
    except ProfileError as e:
        assert str(e).startswith("--set")


@FAST
@given(st.binary(max_size=300) | st.lists(_ATOMS | st.sampled_from([f"{k} = " for k in PROFILE_KEYS]),
                                          max_size=20).map(lambda x: "".join(x).encode("utf-8")))
def test_load_profile_raises_only_profile_errors(tmp_path: Path, raw: bytes) -> None:
    p = tmp_path / "fuzz.toml"
    p.write_bytes(raw)
    try:
        _timed(load_profile, p)
    except ProfileError as e:
        assert "fuzz.toml" in str(e)


# ---------------------------------------------------------------- listener CSVs

_cell = st.sampled_from(["", "1", "2", "Anna", "de", "en", "fr", "0.9", "lower-back", "true", "x", '"', '""', ",",
                         "\n", "\r\n", "\ufeff", "\x00", "é", "calm-de", "nope"]) | st.text(max_size=6)
_header = st.lists(st.sampled_from([*PROFILE_KEYS, "set.focus", "id", "nmae", "", "set.9"]), min_size=1, max_size=5)


@st.composite
def csv_bytes(draw: st.DrawFn) -> bytes:
    if draw(st.booleans()):
        return draw(st.binary(max_size=200))
    cols = draw(_header)
    rows = draw(st.lists(st.lists(_cell, max_size=len(cols) + 2), max_size=6))
    sep = draw(st.sampled_from(["\n", "\r\n"]))
    text = sep.join(",".join(r) for r in [cols, *rows])
    enc = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1"]))
    return text.encode(enc, errors="replace")


@FAST
@given(csv_bytes())
def test_read_listeners_raises_only_manifest_errors(tmp_path: Path, data: bytes) -> None:
    p = tmp_path / "fuzz.csv"
    p.write_bytes(data)
    try:
        table = _timed(read_listeners, p, ["calm-en", "calm-de"])
    except ManifestError as e:
        assert "fuzz.csv" in str(e)
        return
    ids = [x.id for x in table.listeners]
    assert len(ids) == len(set(ids)) and all(ids)
    for row_error in table.errors:
        assert str(row_error).startswith("row ")


def test_every_fuzzed_error_is_a_relaxgen_error() -> None:
    for cls in (ScriptError, ProfileError, ManifestError):
        assert issubclass(cls, RelaxgenError)


@pytest.mark.parametrize("src", ['name = "A"\nrate = 1e400', "minutes = -0.0", "day = 366.5", "skip = [1, 2]"])
def test_profile_edge_values(tmp_path: Path, src: str) -> None:
    p = tmp_path / "p.toml"
    p.write_text(src, encoding="utf-8")
    tomllib.loads(src)
    with pytest.raises(ProfileError):
        load_profile(p)


# ---------------------------------------------------------------- atheris (optional)


def _atheris_main() -> None:  # pragma: no cover - run by hand
    import atheris

    def one(data: bytes) -> None:
        fdp = atheris.FuzzedDataProvider(data)
        text = fdp.ConsumeUnicodeNoSurrogates(4096)
        try:
            parse_script(text, "fuzz.j2")
        except ScriptError:
            pass

    atheris.Setup(sys.argv, one)
    atheris.Fuzz()


if __name__ == "__main__":  # pragma: no cover
    _atheris_main()
