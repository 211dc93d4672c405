"""MP3 frames: the one reader of MPEG audio Layer III frame headers.

The build's up-to-date check asks whether an MP3 is whole enough to play
(:func:`mp3_readable`); the two-stream joiner (:mod:`.mp3join`) walks every frame of
its parts. Both read the headers with :func:`frame_header`.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

_KBPS = {  # (MPEG-1?, bitrate index) -> kbps, Layer III
    **{(True, i): b for i, b in enumerate((0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320))},
    **{(False, i): b for i, b in enumerate((0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160))},
}
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}  # version -> Hz


class FrameHeader(NamedTuple):
    """What a Layer III frame header says about its frame."""

    size: int  # bytes of the whole frame, header included
    mpeg1: bool  # MPEG-1 (else MPEG-2 or 2.5)
    rate: int  # samples per second
    channels: int  # 1 (mono) or 2
    crc: bool  # a 16-bit CRC follows the header

    @property
    def side_at(self) -> int:
        """Where the side information starts: after the header and its CRC."""
        return 6 if self.crc else 4

    @property
    def main_at(self) -> int:
        """Where the main data starts, after the side information (in an encoder's first
        frame, where its Xing/Info tag is)."""
        return self.side_at + side_info_len(self.mpeg1, self.channels)


def side_info_len(mpeg1: bool, channels: int) -> int:
    """Bytes of a Layer III frame's side information."""
    if mpeg1:
        return 17 if channels == 1 else 32
    return 9 if channels == 1 else 17


def frame_header(h: int) -> FrameHeader | None:
    """The Layer III frame header whose 32 bits are ``h``; None for anything else (no frame
    sync, another layer, a free-format or reserved bitrate or sample rate)."""
    if (h >> 21) != 0x7FF:
        return None
    version, layer = (h >> 19) & 3, (h >> 17) & 3
    b_idx, r_idx, pad = (h >> 12) & 15, (h >> 10) & 3, (h >> 9) & 1
    if version == 1 or layer != 1 or b_idx in (0, 15) or r_idx == 3:
        return None
    mpeg1 = version == 3
    rate = _RATES[version][r_idx]
    size = (144 if mpeg1 else 72) * _KBPS[(mpeg1, b_idx)] * 1000 // rate + pad
    return FrameHeader(size, mpeg1, rate, 1 if (h >> 6) & 3 == 3 else 2, not (h >> 16) & 1)


def header_at(data: bytes, i: int) -> FrameHeader | None:
    """The frame header at ``data[i:]``, if one is there."""
    if i < 0 or i + 4 > len(data):
        return None
    return frame_header(int.from_bytes(data[i : i + 4], "big"))


def mp3_readable(path: Path) -> bool:
    """A cheap check that an MP3 is whole enough to play: after its ID3v2 tag, two
    consecutive valid MPEG audio frame headers, and a frame count above zero where the
    first frame is a Xing/Info header. (Reads 10 bytes and a few KB, not the tags:
    mutagen parsed the whole tag, the transcript included - 14 ms a session.)"""
    try:
        with open(path, "rb") as f:
            head = f.read(10)
            start = 0
            if head[:3] == b"ID3" and len(head) == 10:
                size = (head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | (head[9] & 0x7F)
                start = 10 + size + (10 if head[5] & 0x10 else 0)
            f.seek(start)
            data = f.read(1 << 13)
    except OSError:
        return False
    for i in range(min(len(data) - 4, 4096)):
        first = header_at(data, i)
        if first is None or header_at(data, i + first.size) is None:
            continue
        at = i + first.main_at
        if data[at : at + 4] in (b"Xing", b"Info"):
            flags = int.from_bytes(data[at + 4 : at + 8], "big")
            return not flags & 1 or int.from_bytes(data[at + 8 : at + 12], "big") > 0
        return True
    return False
