"""Mixing and mastering, measured on decoded output (fake engine: fast, and its
speech has no energy above 1 kHz, so the bed can be measured under it)."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
from scipy.signal import butter, sosfiltfilt

from generator.audio.loudness import LoudnessMeter

from ..audio_utils import SR, load, onsets


def build(run, tmp_path: Path, src: str, *build_only: str) -> tuple[Path, dict]:  # type: ignore[no-untyped-def]
    """Build with the fake engine; the plan (--estimate) has the same times."""
    tpl = tmp_path / "s.j2"
    tpl.write_text(src, encoding="utf-8")
    out = tmp_path / "s.mp3"
    res = run("build", str(tpl), "-o", str(out), "--engine", "fake", *build_only)
    assert res.exit_code == 0, res.output
    plan = json.loads(run("plan", str(tpl), "--json", "--estimate", "--engine", "fake").output)
    return out, plan


SESSION = (
    "[bed pink-noise]\n"
    "{% for i in range(6) %}Breathe in slowly and let your shoulders soften now. [pause 6s]\n{% endfor %}"
    "[bell] Rest. [pause 4s]"
)


def test_loudness_and_true_peak_on_target(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out, _ = build(run, tmp_path, SESSION)
    a = load(out, 2)
    assert pyloudnorm.Meter(SR).integrated_loudness(a.astype(np.float64)) == pytest.approx(-16.0, abs=0.5)
    m = LoudnessMeter(SR, 2)
    m.feed(a)
    assert m.true_peak_dbtp() <= -1.0 + 0.3  # the codec may overshoot by a few tenths
    assert np.abs(a).max() < 1.0


def test_mono_file_is_on_target_measured_as_mono(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A mono MP3 is measured on its one channel (BS.1770), not as the stereo mix it came from."""
    out, _ = build(run, tmp_path, SESSION, "--mono")
    import mutagen.mp3

    assert mutagen.mp3.MP3(out).info.channels == 1
    a = load(out, 1)
    assert pyloudnorm.Meter(SR).integrated_loudness(a.astype(np.float64)) == pytest.approx(-16.0, abs=0.5)
    assert np.abs(a).max() < 1.0


def test_other_loudness_target(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out, _ = build(run, tmp_path, SESSION, "--lufs", "-23")
    a = load(out, 2)
    assert pyloudnorm.Meter(SR).integrated_loudness(a.astype(np.float64)) == pytest.approx(-23.0, abs=0.5)


def _band_rms_db(a: np.ndarray, t0: float, t1: float) -> float:
    sos = butter(6, [3000, 8000], btype="band", fs=SR, output="sos")
    seg = sosfiltfilt(sos, a[int(t0 * SR) : int(t1 * SR)])
    return float(20 * np.log10(np.sqrt(np.mean(seg**2)) + 1e-12))


def test_bed_plays_in_pauses_and_ducks_under_speech(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out, plan = build(run, tmp_path, SESSION)
    a = load(out)
    speech = [i for i in plan["items"] if i["kind"] == "speech" and i["dur_ms"] > 2500]
    pauses = [i for i in plan["items"] if i["kind"] == "pause" and i["dur_ms"] >= 6000]
    assert speech and pauses
    during = [_band_rms_db(a, (s["start_ms"] + 500) / 1000, (s["start_ms"] + s["dur_ms"] - 500) / 1000) for s in speech]
    between = [_band_rms_db(a, (p["start_ms"] + 2000) / 1000, (p["start_ms"] + p["dur_ms"] - 1500) / 1000) for p in pauses]
    assert min(between) > -75  # the bed is present in every pause
    depth = float(np.mean(between) - np.mean(during))
    assert depth == pytest.approx(6.0, abs=1.5)  # ducked by the default 6 dB


def test_cue_lands_on_its_planned_time(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out, plan = build(run, tmp_path, "Now a tone. [pause 2s] [cue tone] [pause 2s] And a bell. [pause 1500ms] [bell] Done.")
    cues = [i["start_ms"] / 1000 for i in plan["items"] if i["kind"] == "cue"]
    found = onsets(load(out), min_gap_s=0.4)
    for c in cues:
        assert min(abs(t - c) for t in found) <= 0.010, (c, found)


def test_looped_user_bed_has_no_seams(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bed = tmp_path / "hum.wav"
    n = int(7.3 * SR)  # not a whole number of periods: a naive loop would click
    x = (0.3 * np.sin(2 * np.pi * 220 * np.arange(n) / SR) * 32767).astype("<i2")
    with wave.open(str(bed), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(x.tobytes())
    out, _ = build(run, tmp_path, f'[bed file="{bed.name}" level=-10dB]\nBegin. [pause 10m] End.', "--mono")
    a = load(out)
    loop = n - 2 * SR  # the file minus its 2 s crossfade
    d = np.abs(np.diff(a))
    seams = [k * loop for k in range(1, len(a) // loop) if 5 * SR < k * loop < len(a) - 10 * SR]
    assert len(seams) >= 100
    at_seams = max(d[s - 220 : s + 220].max() for s in seams)
    elsewhere = np.percentile([d[s + 20000 : s + 20440].max() for s in seams], 99)
    assert at_seams <= elsewhere * 1.1


def test_no_clipping_and_clean_joins(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out, plan = build(run, tmp_path, "One sentence here. Two sentences here. [pause 1s] Three. [pause 500ms] Four.")
    a = load(out)
    assert np.abs(a).max() < 1.0
    d = np.abs(np.diff(a))
    for s in (i for i in plan["items"] if i["kind"] == "speech"):
        start, end = int(s["start_ms"] * SR / 1000), int((s["start_ms"] + s["dur_ms"]) * SR / 1000)
        inside = d[start + 441 : end - 441].max()
        for edge in (start, end):
            assert d[max(0, edge - 88) : edge + 88].max() <= inside * 1.05


def test_beds_switching_inside_blocks_render_the_same_in_any_blocks() -> None:
    # a block inside one bed is rendered straight into the mix block; blocks where a bed
    # starts, stops or crosses into another start from silence: both give the same samples
    from generator.audio.mixer import MixSettings, SessionMix
    from generator.model import TimedBed, Timeline

    tl = Timeline((TimedBed(1300.0, "rain", fade_ms=500.0), TimedBed(4100.0, None, off=True, fade_ms=700.0),
                   TimedBed(6000.0, "ocean", fade_ms=0.0), TimedBed(7900.0, "pink-noise")), 9000.0)
    whole = SessionMix(tl, {}, MixSettings(fade_in_ms=0.0, fade_out_ms=0.0)).render(0, 9 * SR)
    for block_ms in (1000.0, 2900.0, 4500.0):
        mix = SessionMix(tl, {}, MixSettings(fade_in_ms=0.0, fade_out_ms=0.0, block_ms=block_ms))
        parts = np.concatenate([b for _, b in mix.blocks()])
        assert np.array_equal(parts, whole)
    assert np.all(whole[: int(1.3 * SR)] == 0.0)  # silence before the first bed
    assert np.abs(whole[int(5.0 * SR) : int(6.0 * SR)]).max() == 0.0  # faded out, off until 6 s
    assert np.abs(whole[int(2 * SR) : int(4 * SR)]).max() > 1e-3
