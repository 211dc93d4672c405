"""The one MP3 frame reader: the up-to-date check's cheap MP3 check agrees with mutagen."""

from __future__ import annotations

from pathlib import Path

import mutagen.mp3
import numpy as np
import pytest

from generator.audio.encode import Mp3Encoder
from generator.audio.mpeg import frame_header, mp3_readable


def _mp3(path: Path, channels: int, kbps: int, sr: int = 44100) -> Path:
    x = (0.1 * np.random.default_rng(1).standard_normal((sr, channels))).astype(np.float32)
    with Mp3Encoder(path, sr, channels, kbps) as enc:
        enc.write(x)
    return path


@pytest.mark.parametrize(("channels", "kbps", "sr"), [(2, 128, 44100), (1, 64, 44100), (2, 320, 48000),
                                                       (1, 32, 22050)])
def test_mp3_check_agrees_with_mutagen(tmp_path: Path, channels: int, kbps: int, sr: int) -> None:
    good = _mp3(tmp_path / "a.mp3", channels, kbps, sr)
    assert mp3_readable(good) and mutagen.mp3.MP3(good).info.length > 0
    data = good.read_bytes()
    for name, bad in [("noise", np.random.default_rng(2).bytes(len(data))), ("zeros", bytes(len(data))),
                      ("first frame only", data[:100]), ("empty", b"")]:
        p = tmp_path / f"{name}.mp3"
        p.write_bytes(bad)
        assert not mp3_readable(p), name
    assert not mp3_readable(tmp_path / "missing.mp3")


def test_frame_headers() -> None:
    h = frame_header(0xFFFB9000)  # MPEG-1 Layer III, 128 kbps, 44.1 kHz, stereo, no CRC
    assert h is not None and (h.size, h.mpeg1, h.rate, h.channels, h.crc, h.main_at) == (417, True, 44100, 2, False, 36)
    h = frame_header(0xFFFA92C0)  # the same, padded, mono, with a CRC
    assert h is not None and (h.size, h.channels, h.crc, h.side_at, h.main_at) == (418, 1, True, 6, 23)
    h = frame_header(0xFFF38000)  # MPEG-2, 64 kbps, 22.05 kHz: 576 samples a frame
    assert h is not None and (h.size, h.mpeg1, h.rate, h.main_at) == (208, False, 22050, 21)
    for bad in (0, 0xFFFD9000, 0xFFFB0000, 0xFFFBF000, 0xFFFB9C00, 0xFFEB9000):  # no sync, Layer I,
        assert frame_header(bad) is None, hex(bad)  # free format, bad bitrate, reserved rate, MPEG-2.5 reserved
