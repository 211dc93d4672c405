"""Signal primitives without ``scipy.signal`` / ``scipy.ndimage``.

Importing ``scipy.signal`` costs about 70 MB of resident memory (it pulls in most of
SciPy) and ``scipy.ndimage`` another 25 MB, for the four small things a build needs:
a windowed-sinc FIR design, polyphase resampling, sliding minimum/maximum and a
biquad cascade.  The first three are a few lines of numpy here (tests compare them
with SciPy's).  The biquad cascade is recursive and cannot be vectorised in numpy, so
:func:`sosfilt` runs SciPy's own compiled kernel, loaded on its own (2 MB) without
the package around it; if that ever fails (a SciPy that moved it), it falls back to
``scipy.signal.sosfilt`` - slower to import, same result.
"""

from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np


def firwin(numtaps: int, cutoff: float, window: str | tuple[str, float] = "hamming") -> np.ndarray:
    """A linear-phase low-pass FIR (windowed sinc), unity gain at DC; ``cutoff`` is relative
    to Nyquist (0 < cutoff < 1).  Same as ``scipy.signal.firwin(numtaps, cutoff, window=...)``
    for the windows used here: ``"hamming"`` and ``("kaiser", beta)``."""
    if numtaps < 1 or not 0.0 < cutoff < 1.0:
        raise ValueError(f"firwin(numtaps={numtaps}, cutoff={cutoff})")
    m = np.arange(numtaps) - (numtaps - 1) / 2.0
    h = cutoff * np.sinc(cutoff * m)
    if window == "hamming":
        w = np.hamming(numtaps)
    elif isinstance(window, tuple) and window[0] == "kaiser":
        w = np.kaiser(numtaps, float(window[1]))
    else:
        raise ValueError(f"unsupported window {window!r}")
    h *= w
    return h / h.sum()


@functools.lru_cache(maxsize=16)
def _poly_filter(up: int, down: int) -> tuple[np.ndarray, int]:
    """scipy.signal.resample_poly's default filter, by phase: (taps (K, up), half length)."""
    max_rate = max(up, down)
    half = 10 * max_rate
    h = firwin(2 * half + 1, 1.0 / max_rate, window=("kaiser", 5.0)) * up
    k = -(-len(h) // up)
    padded = np.zeros(k * up)
    padded[: len(h)] = h
    return padded.reshape(k, up), half  # [q, p] = h[p + q * up]


def resample_poly(x: np.ndarray, up: int, down: int) -> np.ndarray:
    """Resample a 1-D signal by ``up / down`` with a polyphase Kaiser-windowed FIR (float64);
    ``ceil(len(x) * up / down)`` samples, the filter centred (no delay), zeros outside ``x``
    - what ``scipy.signal.resample_poly(x, up, down)`` returns."""
    if up < 1 or down < 1:
        raise ValueError(f"resample_poly(up={up}, down={down})")
    g = math.gcd(up, down)
    up, down = up // g, down // g
    x = np.asarray(x, dtype=np.float64)
    if up == down == 1:
        return x.copy()
    taps, half = _poly_filter(up, down)
    k = len(taps)
    n_out = -(-len(x) * up // down)
    xp = np.concatenate([np.zeros(k), x, np.zeros(k + half // up + 2)])
    if down == 1:  # each output phase r is one convolution: y[r::up][i] = (xp * taps[:, ph])[b0 + k + i]
        y = np.empty(n_out)
        for r in range(min(up, n_out)):
            b0, ph = divmod(r + half, up)
            m = len(range(r, n_out, up))
            y[r::up] = np.convolve(xp[: b0 + k + m], taps[:, ph])[b0 + k : b0 + k + m]
        return y
    t = np.arange(n_out, dtype=np.int64) * down + half  # position in the upsampled signal
    base, phase = np.divmod(t, up)
    y = np.zeros(n_out)
    for q in range(k):  # y[j] = sum_q h[phase_j + q up] * x[base_j - q]
        y += taps[q][phase] * xp[base - q + k]
    return y


def sliding_max(a: np.ndarray, w: int) -> np.ndarray:
    """``out[i] = max(a[i : i + w])`` for every full window (length ``len(a) - w + 1``), by
    doubling spans: about log2(w) vectorised passes."""
    return _sliding(a, w, np.maximum)


def sliding_min(a: np.ndarray, w: int) -> np.ndarray:
    """``out[i] = min(a[i : i + w])`` for every full window (see :func:`sliding_max`)."""
    return _sliding(a, w, np.minimum)


def _sliding(a: np.ndarray, w: int, op: Callable[..., np.ndarray]) -> np.ndarray:
    n = len(a)
    if w < 1 or w > n:
        raise ValueError(f"window {w} for {n} samples")
    out = np.array(a, copy=True)
    span = 1
    while span * 2 <= w:  # out[i] covers a[i : i + span]
        out = op(out[:-span], out[span:])
        span *= 2
    m = n - w + 1
    if span < w:
        out = op(out[:m], out[w - span : w - span + m])
    return out[:m]


# -- biquad cascade -------------------------------------------------------------------------

SosKernel = Callable[[np.ndarray, np.ndarray, np.ndarray], None]


@functools.lru_cache(maxsize=1)
def _kernel() -> SosKernel | None:
    """SciPy's compiled in-place ``_sosfilt(sos, x, zi)`` loaded without ``scipy.signal``."""
    try:
        import scipy

        name = "scipy.signal._sosfilt"
        folder = Path(scipy.__file__).parent / "signal"
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = folder / f"_sosfilt{suffix}"
            if path.is_file():
                break
        else:
            return None
        loader = importlib.machinery.ExtensionFileLoader(name, str(path))
        spec = importlib.util.spec_from_file_location(name, path, loader=loader)
        if spec is None:
            return None
        mod = importlib.util.module_from_spec(spec)
        loader.exec_module(mod)
        fn: SosKernel = mod._sosfilt
        # check it on a known case: one section y[n] = x[n] + 0.5 y[n-1]
        x = np.array([[1.0, 0.0, 0.0, 0.0]])
        zi = np.zeros((1, 1, 2))
        fn(np.array([[1.0, 0.0, 0.0, 1.0, -0.5, 0.0]]), x, zi)
        if not np.allclose(x[0], [1.0, 0.5, 0.25, 0.125]):
            return None
        return fn
    except Exception:
        return None


# Added to a filter's input by ``sosfilt(..., bias=DENORMAL_BIAS)``: in digital silence the
# state of an IIR filter decays into subnormal numbers (and can stay there, rounding in a
# cycle), where each operation costs about 15 times as much on x86 (measured: 10 s of
# silence after a sound 0.35 s against 0.02 s).  A constant this small keeps the state near
# it instead; after a filter that removes DC (the K-weighting) it leaves ~1e-36 of energy.
DENORMAL_BIAS = 1e-18


def sosfilt(sos: np.ndarray, x: np.ndarray, zi: np.ndarray | None = None,
            bias: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Filter ``x`` (n,) or (n, channels) along axis 0 through the second-order sections
    ``sos`` (sections, 6), float64; ``zi`` is the state (sections, 2[, channels]) from the
    previous block (zeros when None); ``bias`` is added to every input sample (see
    :data:`DENORMAL_BIAS`).  Returns ``(y, zf)``, as
    ``scipy.signal.sosfilt(sos, x + bias, axis=0, zi=zi)`` does."""
    sos = np.ascontiguousarray(sos, dtype=np.float64)
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    one = x.ndim == 1
    x2 = x[:, None] if one else x
    sections, ch = len(sos), x2.shape[1]
    if zi is None:
        zi = np.zeros((sections, 2, ch)) if not one else np.zeros((sections, 2))
    z3 = np.asarray(zi, dtype=np.float64).reshape(sections, 2, ch)
    kern = _kernel()
    if kern is None:  # pragma: no cover - only with a SciPy that moved its kernel
        from scipy.signal import sosfilt as scipy_sosfilt

        y, zf = scipy_sosfilt(sos, x2.astype(np.float64) + bias, axis=0, zi=z3)
        return (y[:, 0], zf[:, :, 0]) if one else (y, zf)
    xs = np.array(x2.T, dtype=np.float64, order="C")  # (ch, n) in float64 (one pass), filtered in place
    if bias:
        xs += bias
    zs = np.ascontiguousarray(np.moveaxis(z3, 2, 0))  # (ch, sections, 2)
    kern(sos, xs, zs)
    zf = np.moveaxis(zs, 0, 2)
    return (xs[0], zf[:, :, 0].copy()) if one else (xs.T, zf)
