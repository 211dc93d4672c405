"""Text for the ear: table-driven cases per language plus hypothesis properties."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.tts.textnorm import cardinal, normalize, ordinal

EN_CASES = [
    # cardinals and decimals
    ("Breathe in for 4 seconds.", "Breathe in for four seconds."),
    ("0", "zero"),
    ("13", "thirteen"),
    ("21", "twenty-one"),
    ("Count from 100 down.", "Count from one hundred down."),
    ("115", "one hundred fifteen"),
    ("9999", "nine thousand nine hundred ninety-nine"),
    ("1,000 steps", "one thousand steps"),
    ("1.5", "one point five"),
    ("0.25 percent", "zero point two five percent"),
    ("Count to 10. Then rest.", "Count to ten. Then rest."),
    ("-5 degrees", "minus five degrees"),
    ("1234567", "one two three four five six seven"),
    # breathing patterns
    ("Try 4-7-8 breathing.", "Try four, seven, eight breathing."),
    ("Box breathing is 4-4-4-4.", "Box breathing is four, four, four, four."),
    ("Use 4–7–8 tonight", "Use four, seven, eight tonight"),
    ("A 4:6 ratio", "A four to six ratio"),
    # ranges and units
    ("Hold 5–7 seconds", "Hold five to seven seconds"),
    ("Rest 20-40 s.", "Rest twenty to forty seconds."),
    ("1-2 min", "one to two minutes"),
    ("1 s", "one second"),
    ("1.5 s", "one point five seconds"),
    ("Inhale 4s", "Inhale four seconds"),
    ("10min", "ten minutes"),
    ("2 h 30 min", "two hours thirty minutes"),
    ("Wait 500 ms", "Wait five hundred milliseconds"),
    ("about 3 hrs", "about three hours"),
    ("50%", "fifty percent"),
    ("It is 20 °C.", "It is twenty degrees Celsius."),
    ("1 °C", "one degree Celsius"),
    # abbreviations
    ("e.g. your hands", "for example your hands"),
    ("E.g., relax.", "For example, relax."),
    ("i.e. now", "that is now"),
    ("approx. 10 min", "approximately ten minutes"),
    ("hands, feet, etc.", "hands, feet, et cetera."),
    ("calm vs. tense", "calm versus tense"),
    ("Dr. Smith", "Doctor Smith"),
    ("Track No. 5", "Track number five"),
    ("No. Not yet.", "No. Not yet."),
    ("Number 5 is fine", "Number five is fine"),
    # ordinals
    ("the 1st, 2nd, 3rd and 14th", "the first, second, third and fourteenth"),
    ("on the 21st day", "on the twenty-first day"),
    ("the 100th breath", "the one hundredth breath"),
    # times
    ("at 7:30", "at seven thirty"),
    ("at 10:00", "at ten o'clock"),
    ("at 7:05 am", "at seven oh five A M"),
    ("14:00", "fourteen hundred"),
    # symbols
    ("body & mind", "body and mind"),
    ("2+2=4", "two plus two equals four"),
    ("belly/chest", "belly or chest"),
    ("and/or", "and or"),
    ("Repeat 3x", "Repeat three times"),
    ("Repeat 1x", "Repeat once"),
    ("3 × 4", "three times four"),
    ("relax — breathe", "relax, breathe"),
    ("relax–breathe", "relax, breathe"),
    ("in - out", "in, out"),
    ("and… relax", "and… relax"),
    ("and... relax", "and… relax"),
    ("1½ minutes", "one and a half minutes"),
    ("  lots   of\tspace ", "lots of space"),
]

DE_CASES = [
    # cardinals, eins/ein, decimals
    ("4", "vier"),
    ("1", "eins"),
    ("Zähle 1, 2, 3.", "Zähle eins, zwei, drei."),
    ("21", "einundzwanzig"),
    ("31 Atemzüge", "einunddreißig Atemzüge"),
    ("100", "einhundert"),
    ("101", "einhunderteins"),
    ("9999", "neuntausendneunhundertneunundneunzig"),
    ("1.000 Schritte", "eintausend Schritte"),
    ("1,5", "eins Komma fünf"),
    ("0,25", "null Komma zwei fünf"),
    ("Tag 1", "Tag eins"),
    ("1 Minute", "eine Minute"),
    ("1 Atemzug", "ein Atemzug"),
    ("nach 1 Minute", "nach einer Minute"),
    ("mit 1 Atemzug", "mit einem Atemzug"),
    ("um 1 Uhr", "um ein Uhr"),
    ("-5 Grad", "minus fünf Grad"),
    # breathing patterns
    ("Die 4-7-8 Atmung", "Die vier, sieben, acht Atmung"),
    ("Die 4-7-8-Atmung", "Die vier-sieben-acht-Atmung"),
    ("4-4-4-4", "vier, vier, vier, vier"),
    ("Verhältnis 4:6", "Verhältnis vier zu sechs"),
    # ranges and units
    ("5–7 Sekunden", "fünf bis sieben Sekunden"),
    ("20-40 s", "zwanzig bis vierzig Sekunden"),
    ("1–2 Minuten", "ein bis zwei Minuten"),
    ("Zähle 1–10", "Zähle eins bis zehn"),
    ("5 Sek. halten", "fünf Sekunden halten"),
    ("1 Sek.", "eine Sekunde."),
    ("ca. 5 Min.", "circa fünf Minuten."),
    ("eine Min. lang", "eine Minute lang"),
    ("2 Std. Schlaf", "zwei Stunden Schlaf"),
    ("10 min", "zehn Minuten"),
    ("1 h", "eine Stunde"),
    ("50 %", "fünfzig Prozent"),
    ("1 %", "ein Prozent"),
    ("20 °C", "zwanzig Grad Celsius"),
    # abbreviations
    ("z. B. die Hände", "zum Beispiel die Hände"),
    ("z.B. die Hände", "zum Beispiel die Hände"),
    ("Z. B. so", "Zum Beispiel so"),
    ("bzw. der Bauch", "beziehungsweise der Bauch"),
    ("Arme, Beine usw.", "Arme, Beine und so weiter."),
    ("usw. Dann", "und so weiter. Dann"),
    ("d. h. ruhig", "das heißt ruhig"),
    ("ggf. länger", "gegebenenfalls länger"),
    ("evtl. kürzer", "eventuell kürzer"),
    ("u. a. der Nacken", "unter anderem der Nacken"),
    ("Übung Nr. 3", "Übung Nummer drei"),
    # ordinals
    ("am 1. Tag", "am ersten Tag"),
    ("Am 2. Abend", "Am zweiten Abend"),
    ("in der 3. Übung", "in der dritten Übung"),
    ("der 2. Atemzug", "der zweite Atemzug"),
    ("die 4. Runde", "die vierte Runde"),
    ("zum 7. Mal", "zum siebten Mal"),
    ("am 21. Tag", "am einundzwanzigsten Tag"),
    ("Zähle bis 10. Dann ruhe.", "Zähle bis zehn. Dann ruhe."),
    # times
    ("Um 7:30 Uhr", "Um sieben Uhr dreißig"),
    ("um 7.30 Uhr", "um sieben Uhr dreißig"),
    ("10:00", "zehn Uhr"),
    ("1:00", "ein Uhr"),
    # symbols
    ("Bauch/Brust", "Bauch oder Brust"),
    ("Körper & Geist", "Körper und Geist"),
    ("und/oder", "und oder"),
    ("2+2=4", "zwei plus zwei gleich vier"),
    ("3× wiederholen", "dreimal wiederholen"),
    ("1x atmen", "einmal atmen"),
    ("3 × 4", "drei mal vier"),
    ("ein … aus", "ein … aus"),
    ("Einatmen – Ausatmen", "Einatmen, Ausatmen"),
    ("1½ Minuten", "eineinhalb Minuten"),
    ("¾ Stunde", "drei Viertel Stunde"),
]


@pytest.mark.parametrize(("text", "expected"), EN_CASES)
def test_english(text: str, expected: str) -> None:
    assert normalize(text, "en") == expected


@pytest.mark.parametrize(("text", "expected"), DE_CASES)
def test_german(text: str, expected: str) -> None:
    assert normalize(text, "de") == expected


@pytest.mark.parametrize(
    ("n", "en", "de"),
    [
        (0, "zero", "null"),
        (1, "one", "eins"),
        (17, "seventeen", "siebzehn"),
        (40, "forty", "vierzig"),
        (99, "ninety-nine", "neunundneunzig"),
        (200, "two hundred", "zweihundert"),
        (1001, "one thousand one", "eintausendeins"),
        (2021, "two thousand twenty-one", "zweitausendeinundzwanzig"),
    ],
)
def test_cardinal(n: int, en: str, de: str) -> None:
    assert cardinal(n, "en") == en
    assert cardinal(n, "de") == de


@pytest.mark.parametrize(
    ("n", "en", "de"),
    [
        (1, "first", "erst"),
        (3, "third", "dritt"),
        (8, "eighth", "acht"),
        (12, "twelfth", "zwölft"),
        (20, "twentieth", "zwanzigst"),
        (101, "one hundred first", "einhunderterst"),
    ],
)
def test_ordinal(n: int, en: str, de: str) -> None:
    assert ordinal(n, "en") == en
    assert ordinal(n, "de") == de


@pytest.mark.parametrize("language", ["fr", "", "EN", "english"])
def test_unknown_language(language: str) -> None:
    with pytest.raises(ValueError):
        normalize("4 seconds", language)


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("n", [0, 1, 7, 19, 20, 42, 99, 100, 512, 1000, 4096, 9999])
def test_no_digits_left(n: int, language: str) -> None:
    out = normalize(f"Count {n} and {n}.5 and {n}-{n + 1}", language)
    assert not any(c.isdigit() for c in out)


# --- properties ------------------------------------------------------------

_TOKENS = [
    "breathe", "Atme", "ein", "slowly", "Bauch/Brust", "and/or", "Tag", "am", "der", "Übung",
    "4-7-8", "4-4-4-4", "5–7", "20-40", "1.5", "1,5", "1.000", "7:30", "10:00", "4:6", "Uhr",
    "s", "min", "Sek.", "Min.", "%", "°C", "&", "+", "=", "×", "x", "/", "…", "...", "—", "-",
    "e.g.", "etc.", "z. B.", "usw.", "ca.", "Nr.", "No.", "1st", "3rd", "3.", "½", ",", ".", "!",
]
_PIECES = st.one_of(
    st.sampled_from(_TOKENS),
    st.integers(min_value=0, max_value=20000).map(str),
)
_SOUP = st.lists(
    st.tuples(_PIECES, st.sampled_from([" ", "", " ", "  "])), min_size=1, max_size=12
).map(lambda parts: "".join(p + sep for p, sep in parts))
_PLAIN_WORD = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZäöüÄÖÜß'-",
    min_size=1,
    max_size=10,
).filter(lambda w: w[0] not in "-'" and w[-1] not in "-'")
_PLAIN = st.lists(
    st.tuples(_PLAIN_WORD, st.sampled_from(["", "", ",", "!", "?", ";"])), min_size=1, max_size=10
).map(lambda parts: " ".join(w + p for w, p in parts))
_FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_FAST
@given(text=_SOUP, language=st.sampled_from(["en", "de"]))
def test_idempotent(text: str, language: str) -> None:
    once = normalize(text, language)
    assert normalize(once, language) == once


@_FAST
@given(text=_SOUP, language=st.sampled_from(["en", "de"]))
def test_no_digits_and_no_double_spaces(text: str, language: str) -> None:
    out = normalize(text, language)
    assert "  " not in out and out == out.strip()
    # digits survive only glued to letters ("MP3", "breathe0"), never on their own
    assert not re.search(r"(?<![^\W\d_])\d+(?![^\W\d_])", out)


@_FAST
@given(text=_PLAIN, language=st.sampled_from(["en", "de"]))
def test_plain_text_unchanged(text: str, language: str) -> None:
    assert normalize(text, language) == text
