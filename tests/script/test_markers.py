"""The marker grammar: every marker, every error, and properties of the parser."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.errors import ScriptError
from generator.model import Bed, Breathe, Chapter, Cue, Gap, Pause, RateChange, Speech, VoiceChange
from generator.script.grammar import parse_marker, render_marker
from generator.script.markers import parse_script, split_sentences
from generator.script.values import format_duration, parse_duration


@pytest.mark.parametrize(
    "text, ms",
    [("4s", 4000), ("1.5s", 1500), ("500ms", 500), ("2m", 120000), ("1m30s", 90000), ("0.25s", 250)],
)
def test_durations(text: str, ms: float) -> None:
    assert parse_duration(text) == ms


@pytest.mark.parametrize(
    "body, seg",
    [
        ("pause 4s", Pause(4000, 4000)),
        ("pause 500ms", Pause(500, 500)),
        ("pause 3-8s", Pause(3000, 8000)),
        ("pause 30s-2m", Pause(30000, 120000)),
        ("pause 40s hold", Pause(40000, 40000, None, True)),
        ("pause 30s-2m HOLD", Pause(30000, 120000, None, True)),
        ('chapter "Arms and hands"', Chapter("Arms and hands")),
        ("chapter Arms and hands", Chapter("Arms and hands")),
        ("bell", Cue("bell")),
        ("cue chime", Cue("chime")),
        ('cue file="sounds/gong.wav"', Cue(None, "sounds/gong.wav")),
        ("bed rain", Bed("rain")),
        ("bed ocean level=-24dB fade=6s", Bed("ocean", None, -24.0, 6000.0)),
        ("bed off fade=10s", Bed(None, None, None, 10000.0, True)),
        ('bed file="beds/stream.ogg"', Bed(None, "beds/stream.ogg")),
        ("breathe in=4 hold=7 out=8 cycles=4", Breathe(4, 7, 8, 0, 4)),
        ("breathe in=5 out=5 cycles=30 guide=3 tone=off", Breathe(5, 0, 5, 0, 30, 3, False)),
        ("voice calm-de", VoiceChange("calm-de")),
        ("rate 90%", RateChange(0.9)),
        ("rate 1.1", RateChange(1.1)),
    ],
)
def test_markers(body: str, seg: object) -> None:
    assert parse_marker(body) == seg
    assert parse_marker(render_marker(parse_marker(body))[1:-1]) == seg  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "body, message",
    [
        ("pasue 3s", "did you mean 'pause'"),
        ("pause -3s", "negative"),
        ("pause 2h", "unknown unit 'h'"),
        ("pause 61m", "longer than one hour"),
        ("pause 8-3s", "minimum is larger than the maximum"),
        ("pause 4", "needs a unit"),
        ("pause", "takes one length"),
        ("pause 4s hlod", "takes one length and optionally 'hold'"),
        ("pause 4s hold hold", "takes one length"),
        ("bed rian", "did you mean 'rain'"),
        ("cue chyme", "did you mean 'chime'"),
        ("breathe in=4", "needs in= and out="),
        ("breathe in=0 out=4", "out of range"),
        ("breathe in=4 out=4 cycles=2.5", "whole number"),
        ("breathe in=4 out=4 cylces=2", "did you mean 'cycles'"),
        ("rate 300%", "out of range"),
        ("chapter", "needs a title"),
        ("bed rain level=loud", "not a level"),
        ("", "empty marker"),
    ],
)
def test_marker_errors(body: str, message: str) -> None:
    with pytest.raises(ScriptError, match=message):
        parse_marker(body)


def test_explicit_pause_replaces_implicit() -> None:
    segs = parse_script("Hello. [pause 5s] Goodbye.")
    assert segs == [Speech("Hello.", segs[0].pos), Pause(5000, 5000, segs[1].pos), Speech("Goodbye.", segs[2].pos)]  # type: ignore[union-attr]


def test_implicit_pauses() -> None:
    segs = parse_script("One. Two.\n\nThree.\n[chapter C]\nFour.")
    kinds = [type(s).__name__ if not isinstance(s, Gap) else s.kind for s in segs]
    assert kinds == ["Speech", "sentence", "Speech", "paragraph", "Speech", "sentence", "Chapter", "Speech"]


def test_literal_bracket_and_positions() -> None:
    segs = parse_script("Say [[this]. Then\n  [pause 3s] ok", name="x.j2")
    assert isinstance(segs[0], Speech) and segs[0].text == "Say [this]."
    p = segs[3]
    assert isinstance(p, Pause) and str(p.pos) == "x.j2:2:3"


def test_unclosed_marker_position() -> None:
    with pytest.raises(ScriptError) as e:
        parse_script("Line one.\nLine [pause 3s", name="s.j2")
    assert str(e.value).startswith("s.j2:2:6: unclosed marker")


def test_sentence_split_keeps_abbreviations() -> None:
    assert split_sentences("Breathe e.g. slowly. Now rest.") == ["Breathe e.g. slowly.", "Now rest."]
    assert split_sentences("Atmen Sie z. B. ruhig. Jetzt ruhen.") == ["Atmen Sie z. B. ruhig.", "Jetzt ruhen."]
    assert split_sentences("Am 4. Tag üben Sie.") == ["Am 4. Tag üben Sie."]


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_parser_only_raises_script_error(text: str) -> None:
    try:
        parse_script(text)
    except ScriptError:
        pass


@given(st.text(alphabet="[]pause 0123456789smh-.\n\"=", max_size=80))
@settings(max_examples=300, deadline=None)
def test_parser_marker_soup(text: str) -> None:
    try:
        parse_script(text)
    except ScriptError:
        pass


durations = st.integers(min_value=1, max_value=3_600_000).map(float)


@given(st.one_of(
    durations.map(lambda d: Pause(d, d)),
    st.tuples(durations, durations).map(lambda t: Pause(min(t), max(t))),
    st.text(min_size=1, max_size=30).filter(lambda s: s.strip() == s and s and "]" not in s and "\n" not in s).map(Chapter),
    st.builds(Breathe, st.integers(1, 30).map(float), st.integers(0, 30).map(float), st.integers(1, 30).map(float),
              st.integers(0, 30).map(float), st.integers(1, 30)),
    st.sampled_from(["rain", "ocean", "drone"]).map(Bed),
    st.integers(50, 200).map(lambda p: RateChange(p / 100)),
))
@settings(max_examples=300, deadline=None)
def test_render_parse_round_trip(seg: object) -> None:
    text = render_marker(seg)  # type: ignore[arg-type]
    assert parse_marker(text[1:-1]) == seg


@given(durations)
def test_format_duration_round_trip(ms: float) -> None:
    assert parse_duration(format_duration(ms)) == ms
