"""Streaming loudness meter (vs pyloudnorm), gain choice, limiter, ducking envelope."""

from __future__ import annotations

import math

import numpy as np
import pyloudnorm
import pytest

from generator.audio.dynamics import Limiter, duck_envelope
from generator.audio.loudness import LoudnessMeter, gain_for_target

SR = 44100
RNG_SEED = 7


def _noise(seconds: float, level: float, seed: int = 1) -> np.ndarray:
    return level * np.random.default_rng(seed).standard_normal((int(seconds * SR), 2))


def _tones(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return np.stack(
        [
            0.3 * np.sin(2 * np.pi * 1000 * t),
            0.2 * np.sin(2 * np.pi * 60 * t) + 0.05 * np.sin(2 * np.pi * 9000 * t),
        ],
        1,
    )


def _speech_like(seconds: float) -> np.ndarray:
    """Bursts of shaped noise (1-2.5 s) with silences and a quiet floor: gating matters."""
    rng = np.random.default_rng(5)
    x = 1e-4 * rng.standard_normal((int(seconds * SR), 2))
    pos = 0
    while pos < len(x):
        n = int(rng.uniform(1.0, 2.5) * SR)
        burst = (
            rng.standard_normal(n)
            * np.sin(np.linspace(0, np.pi, n)) ** 0.5
            * rng.uniform(0.05, 0.3)
        )
        x[pos : pos + n] += burst[: len(x) - pos, None]
        pos += n + int(rng.uniform(0.5, 4.0) * SR)
    return x


def _feed_random(x: np.ndarray, meter: LoudnessMeter, seed: int = RNG_SEED) -> None:
    rng = np.random.default_rng(seed)
    i = 0
    while i < len(x):
        n = int(rng.integers(1, 30000))
        meter.feed(x[i : i + n].astype(np.float32))
        i += n


SIGNALS = {
    "noise": lambda: _noise(8, 0.1),
    "tones": lambda: _tones(6),
    "speech": lambda: _speech_like(20),
}


@pytest.mark.parametrize("kind", SIGNALS)
def test_meter_matches_pyloudnorm(kind: str) -> None:
    x = SIGNALS[kind]().astype(np.float32)
    ref = pyloudnorm.Meter(SR).integrated_loudness(x.astype(np.float64))
    one = LoudnessMeter(SR, 2)
    one.feed(x)
    many = LoudnessMeter(SR, 2)
    _feed_random(x, many)
    assert abs(one.integrated_lufs() - ref) < 0.1
    assert abs(many.integrated_lufs() - ref) < 0.1
    assert abs(many.true_peak_dbtp() - one.true_peak_dbtp()) < 1e-9


def test_meter_mono_and_silence() -> None:
    m = LoudnessMeter(SR, 1)
    x = _noise(5, 0.1)[:, :1]
    m.feed(x)
    assert abs(m.integrated_lufs() - pyloudnorm.Meter(SR).integrated_loudness(x[:, 0])) < 0.1
    s = LoudnessMeter()
    s.feed(np.zeros((SR * 2, 2), dtype=np.float32))
    assert s.integrated_lufs() == -math.inf and s.true_peak_dbtp() == -math.inf
    assert LoudnessMeter().integrated_lufs() == -math.inf  # nothing fed


def test_true_peak_finds_intersample_peaks() -> None:
    t = np.arange(SR) / SR
    x = np.sin(2 * np.pi * SR / 4 * t + np.pi / 4)  # samples at +-0.707, the wave peaks at 1.0
    x = np.stack([x, x], 1) * 0.5
    m = LoudnessMeter()
    m.feed(x)
    assert abs(np.abs(x).max() - 0.5 * math.sqrt(0.5)) < 1e-9
    assert abs(m.true_peak_dbtp() - 20 * math.log10(0.5)) < 0.3


def test_gain_for_target() -> None:
    assert gain_for_target(-20.0, -10.0) == (4.0, False)
    assert gain_for_target(-20.0, -4.0) == (4.0, True)
    assert gain_for_target(-10.0, 0.0, target_lufs=-16.0) == (-6.0, False)
    assert gain_for_target(-math.inf, -math.inf) == (0.0, False)


def _loud_peaks(seconds: float) -> np.ndarray:
    """Speech-like material with short, loud transients (clicks, a knock) far above it."""
    x = _speech_like(seconds)
    rng = np.random.default_rng(9)
    for s in rng.integers(0, len(x) - 500, 12):
        x[s : s + 300] += 0.95 * np.hanning(300)[:, None] * np.sign(rng.standard_normal((300, 1)))
    x[len(x) // 2 : len(x) // 2 + 2] = 0.99
    return x


def _run_limiter(y: np.ndarray, lim: Limiter, seed: int | None) -> np.ndarray:
    if seed is None:
        out = [lim.process(y)]
    else:
        rng = np.random.default_rng(seed)
        out, i = [], 0
        while i < len(y):
            n = int(rng.integers(1, 20000))
            out.append(lim.process(y[i : i + n]))
            i += n
    out.append(lim.flush())
    full = np.concatenate(out)
    assert len(full) == len(y) + lim.latency
    return full[lim.latency :]


def test_target_gain_then_limiter() -> None:
    x = _loud_peaks(30).astype(np.float32)
    m = LoudnessMeter()
    m.feed(x)
    gain_db, needs = gain_for_target(m.integrated_lufs(), m.true_peak_dbtp(), -16.0, -1.0)
    assert needs
    y = x * np.float32(10 ** (gain_db / 20))
    out = _run_limiter(y, Limiter(-1.0, SR), seed=3)
    after = LoudnessMeter()
    after.feed(out)
    assert abs(after.integrated_lufs() + 16.0) < 0.5
    assert after.true_peak_dbtp() <= -1.0
    assert out.dtype == np.float32


def test_limiter_block_split_invariant_and_transparent() -> None:
    x = (_loud_peaks(6) * 3).astype(np.float32)
    a = _run_limiter(x, Limiter(), seed=None)
    b = _run_limiter(x, Limiter(), seed=11)
    assert np.abs(a - b).max() < 1e-6
    quiet = _noise(2, 0.01).astype(np.float32)
    assert np.abs(_run_limiter(quiet, Limiter(), seed=4) - quiet).max() < 1e-6


def test_limiter_passes_loud_signal_under_the_ceiling_unchanged() -> None:
    # peaks at -1.3 dBFS: too loud for the cheap bound (a sample peak times the interpolator's
    # worst overshoot), but a slow sine's true peak is its sample peak - nothing to limit
    t = np.arange(3 * SR) / SR
    x = np.repeat((0.86 * np.sin(2 * np.pi * 220.0 * t))[:, None], 2, axis=1).astype(np.float32)
    for seed in (None, 7):
        y = _run_limiter(x, Limiter(-1.0, SR), seed=seed)
        assert np.array_equal(y, x)  # exactly a delay


def test_limiter_gain_is_smooth() -> None:
    # a steady level with a sudden 60 ms jump far over the ceiling: out / in is the gain
    x = np.full((SR, 2), 0.2, dtype=np.float32)
    x[SR // 2 : SR // 2 + int(0.06 * SR)] = 1.5
    y = _run_limiter(x, Limiter(-1.0), seed=5)
    g = y[:, 0].astype(np.float64) / x[:, 0]
    assert np.abs(y).max() <= 10 ** (-1 / 20)
    assert np.abs(np.diff(g)).max() < 0.01  # raised over the look-ahead: no clicks
    assert g[: SR // 2 - 300].min() > 0.999 and g[-SR // 10 :].min() > 0.99  # before, and recovered


# -- ducking -------------------------------------------------------------------------------

MS = SR // 1000  # 44 samples


def test_duck_levels_and_ramp_timing() -> None:
    speech = [(10 * SR, 12 * SR)]
    g = duck_envelope(speech, 0, 20 * SR, depth_db=6.0, attack_ms=300, release_ms=600)
    low = 10 ** (-6 / 20)
    assert g.dtype == np.float32 and g.shape == (20 * SR,)
    assert np.all(g[: int(9.69 * SR)] == 1.0)  # untouched until 300 ms before the first word
    assert g[int(9.8 * SR)] < 1.0
    assert np.allclose(g[10 * SR : 12 * SR + 1], low, atol=1e-6)  # full depth while speech plays
    assert low < g[int(12.3 * SR)] < 1.0
    assert np.all(g[int(12.61 * SR) :] == 1.0)  # released 600 ms after the end
    assert np.abs(np.diff(g)).max() < 1e-3  # raised-cosine ramps: smooth


def test_duck_bridges_close_sentences() -> None:
    low = 10 ** (-6 / 20)
    close = [(2 * SR, 4 * SR), (5 * SR, 7 * SR)]  # 1 s gap < 1.5 s bridge
    g = duck_envelope(close, 0, 10 * SR)
    assert np.allclose(g[2 * SR : 7 * SR], low, atol=1e-6)
    far = [(2 * SR, 4 * SR), (8 * SR, 10 * SR)]  # 4 s gap: the bed comes back up
    g = duck_envelope(far, 0, 12 * SR)
    assert g[6 * SR] == 1.0


def test_duck_block_split_invariant() -> None:
    rng = np.random.default_rng(2)
    speech, pos = [], SR // 10
    for _ in range(30):
        n = int(rng.uniform(0.3, 4) * SR)
        speech.append((pos, pos + n))
        pos += n + int(rng.uniform(0.2, 5) * SR)
    whole = duck_envelope(speech, 0, pos)
    parts, i = [], 0
    while i < pos:
        n = min(int(rng.integers(1, 3 * SR)), pos - i)
        parts.append(duck_envelope(speech, i, n))
        i += n
    assert np.array_equal(whole, np.concatenate(parts))
    assert np.abs(np.diff(whole)).max() < 1e-3


def test_duck_without_speech_and_far_away() -> None:
    assert np.all(duck_envelope([], 0, 1000) == 1.0)
    assert np.all(duck_envelope([(0, SR)], 100 * SR, 1000) == 1.0)
    assert duck_envelope([(0, SR)], 0, 0).shape == (0,)


def test_limiter_release_cut_matches_the_full_release_and_goes_idle() -> None:
    # the release stops where the attenuation is under EPS_DB (no float32 sample changes
    # there): the same samples as a release followed to the end, then the exact fast path
    x = (_loud_peaks(8) * 3).astype(np.float32)
    x[-3 * SR :] *= np.float32(0.05)  # a quiet end: the limiter must come back to idle
    full = Limiter()
    full.EPS_DB = 1e-300  # never cut
    a = _run_limiter(x, full, seed=2)
    cut = Limiter()
    b = _run_limiter(x, cut, seed=9)
    assert np.abs(a - b).max() <= 1e-7
    assert np.array_equal(b[-SR:], x[-SR:])  # released: exactly the input again
    probe = Limiter()
    probe.process(x[: -SR // 2])
    assert probe._idle()


def test_loudness_of_a_span_from_the_running_meter() -> None:
    # the mixer measures the read-back excerpt's input with the pass's own meter
    x = _loud_peaks(40).astype(np.float32)
    whole = LoudnessMeter()
    for i in range(0, len(x), 30000):
        whole.feed(x[i : i + 30000])
    hop = whole.hop
    lo, n = 97 * hop, 150 * hop
    alone = LoudnessMeter()
    alone.feed(x[lo : lo + n])
    assert abs(whole.integrated_lufs(lo // hop, n // hop) - alone.integrated_lufs()) < 0.01
    assert whole.integrated_lufs(0, None) == whole.integrated_lufs()
    quiet = LoudnessMeter()
    quiet.feed(np.zeros((10 * SR, 2)))
    assert quiet.integrated_lufs(20, 50) == -math.inf
