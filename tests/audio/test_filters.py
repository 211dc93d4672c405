"""The numpy signal primitives equal SciPy's, and a build stays light: the main process
never imports scipy.signal / scipy.ndimage and speech workers never import numpy."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import scipy.ndimage as nd
import scipy.signal as ss

from generator.audio import filters as sp
from generator.audio.loudness import k_weighting_sos

RNG = np.random.default_rng(7)


@pytest.mark.parametrize("numtaps,cutoff", [(49, 0.25), (101, 0.5), (7, 0.9)])
def test_firwin_equals_scipy(numtaps: int, cutoff: float) -> None:
    assert np.allclose(sp.firwin(numtaps, cutoff), ss.firwin(numtaps, cutoff), atol=1e-15)
    assert np.allclose(sp.firwin(numtaps, cutoff, ("kaiser", 5.0)),
                       ss.firwin(numtaps, cutoff, window=("kaiser", 5.0)), atol=1e-15)


@pytest.mark.parametrize("up,down", [(2, 1), (3, 1), (1, 2), (441, 160), (160, 441), (3, 2), (4, 4)])
def test_resample_poly_equals_scipy(up: int, down: int) -> None:
    for n in (1, 2, 17, 4001):
        x = RNG.standard_normal(n)
        a, b = sp.resample_poly(x, up, down), ss.resample_poly(x, up, down)
        assert a.shape == b.shape
        assert np.allclose(a, b, atol=1e-12)


@pytest.mark.parametrize("w", [1, 2, 3, 12, 221, 500])
def test_sliding_extremes_equal_scipy_filters(w: int) -> None:
    a = RNG.standard_normal(500)
    m = len(a) - w + 1
    assert np.array_equal(sp.sliding_max(a, w), nd.maximum_filter1d(a, w)[w // 2 : w // 2 + m])
    assert np.array_equal(sp.sliding_min(a, w), nd.minimum_filter1d(a, w)[w // 2 : w // 2 + m])
    with pytest.raises(ValueError):
        sp.sliding_max(a, len(a) + 1)


def test_sosfilt_equals_scipy_across_blocks() -> None:
    sos = k_weighting_sos(44100)
    x = RNG.standard_normal((5000, 2))
    y1, z1 = sp.sosfilt(sos, x[:1234])
    y2, z2 = sp.sosfilt(sos, x[1234:], z1)
    ref, zref = ss.sosfilt(sos, x, axis=0, zi=np.zeros((2, 2, 2)))
    assert np.allclose(np.concatenate([y1, y2]), ref, atol=1e-12)
    assert np.allclose(z2, zref, atol=1e-12)
    mono, _ = sp.sosfilt(sos, x[:, 0])
    assert np.allclose(mono, ss.sosfilt(sos, x[:, 0]), atol=1e-12)
    assert sp._kernel() is not None  # the light path, not the scipy.signal fallback


def test_the_loudness_meter_keeps_its_filter_out_of_subnormal_numbers() -> None:
    """Long digital silence after a sound (a session without a bed) drives an IIR filter's
    state into subnormal floats, where x86 runs ~15x slower: the meter's bias keeps it out,
    and changes no loudness."""
    from generator.audio.loudness import LoudnessMeter

    sos = k_weighting_sos(44100)
    x = np.zeros((10 * 44100, 2))
    x[:2000] = 0.1 * RNG.standard_normal((2000, 2))
    tiny = np.finfo(np.float64).tiny

    def subnormal(a: np.ndarray) -> bool:
        return bool(np.any((a != 0) & (np.abs(a) < tiny)))

    y, zf = sp.sosfilt(sos, x)
    assert subnormal(zf) or subnormal(y)  # the case the bias is for (else this test proves nothing)
    yb, zb = sp.sosfilt(sos, x, bias=sp.DENORMAL_BIAS)
    assert not subnormal(zb) and not subnormal(yb)
    assert np.allclose(yb, y, atol=1e-15)
    assert np.allclose(yb, ss.sosfilt(sos, x + sp.DENORMAL_BIAS, axis=0), atol=1e-15)

    sig = np.zeros((60 * 44100, 2), dtype=np.float32)
    for k in range(0, 60, 6):  # two seconds of sound every six seconds, silence between
        sig[k * 44100 : (k + 2) * 44100] = 0.05 * RNG.standard_normal((2 * 44100, 2))
    m = LoudnessMeter()
    for i in range(0, len(sig), 44100 * 3):
        m.feed(sig[i : i + 44100 * 3])
    assert not subnormal(m._zi)
    ref = ss.sosfilt(sos, sig.astype(np.float64), axis=0)
    blocks = [float(np.mean(np.sum(ref[i : i + 17640] ** 2, axis=1))) for i in range(0, len(ref) - 17639, 4410)]
    gated = [b for b in blocks if b > 10 ** ((-70 + 0.691) / 10)]
    rel = 10 * np.log10(np.mean(gated)) - 0.691 - 10
    want = -0.691 + 10 * np.log10(np.mean([b for b in gated if -0.691 + 10 * np.log10(b) > rel]))
    assert abs(m.integrated_lufs() - want) < 1e-6


@pytest.mark.engine
@pytest.mark.slow
def test_a_build_keeps_heavy_modules_out(tmp_path: Path) -> None:
    """A real-engine build: no scipy.signal/ndimage in the building process, no numpy in
    the speech workers (they fork from a numpy-free server), workers gone after speech."""
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from generator.api import BuildOptions, build_session
        from generator.profile import Profile
        from generator.tts.cache import ClipCache
        from generator.tts.synth import Synthesizer

        tpl = Path({str(tmp_path)!r}) / "t.j2"
        tpl.write_text("Settle in. [pause 2s] Breathe out slowly. [pause 2s] Rest.", encoding="utf-8")
        syn = Synthesizer(ClipCache(Path({str(tmp_path)!r}) / "cache"), jobs=2)
        build_session(tpl, Path({str(tmp_path)!r}) / "a.mp3", Profile(name="Alex"), None,
                      BuildOptions(engine="pyttsx3"), None, syn)
        pids = [w.proc.pid for p in syn._pools.values() for w in p._idle]
        maps = [open(f"/proc/{{pid}}/maps").read() for pid in pids]
        print("workers", len(pids), "with-numpy", sum("numpy" in m for m in maps))
        print("heavy", sorted(m for m in sys.modules if m in ("scipy.signal", "scipy.ndimage", "scipy.fft")))
        syn.close()
        build_session(tpl, Path({str(tmp_path)!r}) / "b.mp3", Profile(name="Alex", bed="ocean"), None,
                      BuildOptions(cache_dir=Path({str(tmp_path)!r}) / "cache", engine="pyttsx3"))
        print("after", sorted(m for m in sys.modules if m in ("scipy.signal", "scipy.ndimage")))
        import multiprocessing
        print("children", len(multiprocessing.active_children()))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(" ", 1) for line in out.stdout.strip().splitlines())
    n_workers, _, with_numpy = lines["workers"].split()
    assert int(n_workers) >= 1 and with_numpy == "0", lines
    assert lines["heavy"] == "[]" and lines["after"] == "[]", lines
    assert lines["children"] == "0", lines  # build_session stops its own workers after speech
