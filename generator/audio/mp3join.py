"""Join two MP3 streams encoded from overlapping parts of one signal into one gapless file.

A session encoded on two cores is two libmp3lame streams: part A from the start
to a little past the joint, part B from a little before it to the end, B's start
on A's frame grid (a multiple of 1152 samples). Both encoders see the same
samples around the joint, so their frames there code the same signal on the same
grid; the file is A's frames before a joint frame K followed by B's frames from
K on. Three things make that exact rather than approximate:

- the bit reservoir: B's frame K may take up to 511 bytes of its main data from
  the frames before it. Those bytes are written into the end of A's last frames,
  which is allowed only where A left at least as many bytes free (A's own frame K
  starts that far back: ``main_data_begin``);
- the windows: a frame's MDCT overlaps its neighbours', so K is a frame where A
  and B chose the same block types (long/short windows) on both sides;
- the header: the LAME/Xing "Info" frame is A's, with the frame count, byte count,
  seek table, padding, music length and both CRCs of the joined file, so players
  trim the encoder's delay and padding exactly (gapless) and the length is right.

Only MPEG-1 Layer III (32, 44.1 and 48 kHz) is joined; :func:`join` raises
:class:`JoinError` when it cannot find a joint, and the caller encodes in one
stream instead.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .mpeg import FrameHeader, frame_header, side_info_len

FRAME_SAMPLES = 1152  # MPEG-1 Layer III
_XING_FRAMES, _XING_BYTES, _XING_TOC, _XING_QUALITY = 1, 2, 4, 8
EDGE_FRAMES = 8  # frames at the start of B and at the end of A that are never a joint
PATCH_WINDOW = 8192  # bytes before the joint held in memory: the reservoir is at most 511 bytes back


class JoinError(Exception):
    """The two streams cannot be joined (the caller then encodes in one stream)."""


@dataclass(frozen=True)
class Frame:
    """The parts of one frame the joint needs."""

    mdb: int  # main_data_begin: bytes back into the reservoir where this frame's main data starts
    blocks: tuple[int, ...]  # block type per (granule, channel): 0 long, 1 start, 2 short, 3 stop


def _header(h: int, pos: int) -> FrameHeader:
    """The MPEG-1 Layer III frame header ``h`` (at byte ``pos``)."""
    fh = frame_header(h)
    if fh is None or not fh.mpeg1:
        raise JoinError(f"not an MPEG-1 Layer III frame (or a free-format or reserved one) at byte {pos}")
    return fh


class Stream:
    """One encoded part on disk: where its frames are (read in 1 MB pieces, so an hour
    of MP3 costs a few MB of offsets, not its size in memory)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = path.stat().st_size
        offsets: list[int] = []
        pos = 0
        with path.open("rb") as f:
            buf, base = b"", 0  # a piece of the file and where it starts
            while pos + 4 <= self.size:
                if pos + 4 > base + len(buf):
                    f.seek(pos)
                    buf, base = f.read(1 << 20), pos
                h = int.from_bytes(buf[pos - base : pos - base + 4], "big")
                if offsets and self.size - pos <= 128 and (h >> 21) != 0x7FF:
                    break  # an ID3v1 tag after the last frame
                size = _header(h, pos).size
                if pos + size > self.size:
                    break  # a cut-off last frame
                offsets.append(pos)
                pos += size
        if len(offsets) < 2:
            raise JoinError(f"{path.name}: too few MP3 frames")
        self.offsets = np.array(offsets + [pos], dtype=np.int64)  # and the end of the last frame
        self.info = self._read(0, min(self.size, int(self.offsets[1])))
        first = _header(int.from_bytes(self.info[:4], "big"), 0)
        self.channels = first.channels
        self.main_at = first.main_at  # where every frame's main data starts (and this frame's Xing/Info tag)
        if self.info[self.main_at :][:4] not in (b"Info", b"Xing"):
            raise JoinError(f"{path.name}: no Xing/Info frame")
        self.header = int.from_bytes(self._read(int(self.offsets[1]), 4), "big") & 0xFFFFFDC0  # no padding bit
        self.frames = len(offsets) - 1  # audio frames, after the Info frame

    def _read(self, at: int, n: int) -> bytes:
        with self.path.open("rb") as f:
            f.seek(at)
            return f.read(n)

    def start(self, i: int) -> int:
        """File offset of audio frame ``i`` (``frames``: the end of the last one)."""
        return int(self.offsets[i + 1])

    def frame(self, i: int) -> Frame:
        at = self.start(i)
        head = self._read(at, 40)
        side = _header(int.from_bytes(head[:4], "big"), at).side_at
        return Frame(head[side] << 1 | head[side + 1] >> 7, _block_types(head, side, self.channels))

    def payloads(self, i: int) -> tuple[int, int]:
        """The main data area of audio frame ``i`` (file offsets)."""
        at = self.start(i)
        return at + self.main_at, self.start(i + 1)

    def delay(self) -> int:
        lame = _lame_at(self.info, self.main_at + 4)
        d = self.info[lame + 21 : lame + 24]
        return d[0] << 4 | d[1] >> 4

    def reservoir(self, end_frame: int, n: int) -> list[tuple[int, int]]:
        """File spans (start, end) of the last ``n`` main data bytes before audio frame
        ``end_frame``, last span first."""
        spans = []
        k = end_frame - 1
        while n > 0 and k >= 0:
            lo, hi = self.payloads(k)
            take = min(n, hi - lo)
            spans.append((hi - take, hi))
            n -= take
            k -= 1
        if n > 0:
            raise JoinError("the reservoir reaches before the first frame")
        return spans


def _block_types(data: bytes, side: int, channels: int) -> tuple[int, ...]:
    n = side_info_len(True, channels)
    bits = int.from_bytes(data[side : side + n], "big")
    width = n * 8
    at = 9 + (5 if channels == 1 else 3) + 4 * channels  # main_data_begin, private bits, scfsi
    out = []
    for _ in range(2 * channels):  # granule by granule, channel by channel: 59 bits each
        switching = (bits >> (width - at - 34)) & 1  # after part2_3_length, big_values, global_gain, sf_compress
        out.append((bits >> (width - at - 36)) & 3 if switching else 0)
        at += 59
    return tuple(out)


def _lame_at(info: bytes, xing: int) -> int:
    """Offset of the LAME tag in the Info frame whose Xing flags are at ``xing``."""
    flags = struct.unpack_from(">I", info, xing)[0]
    at = xing + 4
    for flag, size in ((_XING_FRAMES, 4), (_XING_BYTES, 4), (_XING_TOC, 100), (_XING_QUALITY, 4)):
        if flags & flag:
            at += size
    if at + 36 > len(info):
        raise JoinError("the Info frame has no LAME tag")
    return at


def find_joint(a: Stream, b: Stream, b_frame0: int, near_frame: int) -> int:
    """The frame of A nearest to ``near_frame`` where B can take over.

    ``b_frame0`` is the frame of A that B's first audio frame lines up with. A joint
    K needs B's frames K-1 and K to use the same windows as A's, and A to have left
    at least as many bytes free before K as B's frame K takes from its reservoir.
    B's first frames and A's last ones are not used: there each encoder is at an edge.
    """
    lo, hi = b_frame0 + EDGE_FRAMES, min(a.frames, b_frame0 + b.frames) - EDGE_FRAMES
    for k in sorted(range(lo, hi), key=lambda k: (abs(k - near_frame), k)):
        fa = [a.frame(i) for i in (k - 1, k)]
        fb = [b.frame(i - b_frame0) for i in (k - 1, k)]
        if [f.blocks for f in fa] == [f.blocks for f in fb] and fb[1].mdb <= fa[1].mdb:
            return k
    raise JoinError("no frame where the two streams can be joined")


def join(a_path: Path, b_path: Path, b_start: int, samples: int, near: int, out: Path) -> int:
    """Write into ``out`` one file from part A (encoded from sample 0) and part B (encoded
    from sample ``b_start``, a multiple of 1152): ``samples`` long in all, joined at the
    usable frame nearest to sample ``near``. Returns that frame (of A)."""
    if b_start % FRAME_SAMPLES:
        raise JoinError(f"part B starts at {b_start}, not on the frame grid")
    a, b = Stream(a_path), Stream(b_path)
    if a.delay() != b.delay() or a.header != b.header or a.channels != b.channels:
        raise JoinError("the two streams were encoded with different settings")
    b0 = b_start // FRAME_SAMPLES
    k = find_joint(a, b, b0, (near + a.delay()) // FRAME_SAMPLES)
    write_joined(a, b, b0, k, samples, out)
    return k


def write_joined(a: Stream, b: Stream, b0: int, k: int, samples: int, out: Path) -> None:
    """A's audio frames before ``k``, then B's from the one that lines up with ``k`` (B's
    first frame lines up with A's frame ``b0``), under A's Info frame rewritten."""
    j = k - b0
    n_frames = k + b.frames - j
    info = bytearray(a.info)
    with out.open("wb") as f:
        f.write(info)  # rewritten at the end, when the CRC of what follows is known
        crc = 0
        patch_from = max(a.start(0), a.start(k) - PATCH_WINDOW)
        for chunk in _copy(a.path, a.start(0), patch_from):
            f.write(chunk)
            crc = crc16_update(crc, chunk)
        tail = bytearray(a._read(patch_from, a.start(k) - patch_from))
        need = b.frame(j).mdb  # B's frame K takes this much from its reservoir: put it in A's free end
        source = b"".join(b._read(lo, hi - lo) for lo, hi in reversed(b.reservoir(j, need)))
        for lo, hi in a.reservoir(k, need):  # last span first
            if lo < patch_from:
                raise JoinError("the reservoir spans more than the patch window")
            tail[lo - patch_from : hi - patch_from] = source[len(source) - (hi - lo) :]
            source = source[: len(source) - (hi - lo)]
        f.write(tail)
        crc = crc16_update(crc, bytes(tail))
        for chunk in _copy(b.path, b.start(j), b.start(b.frames)):
            f.write(chunk)
            crc = crc16_update(crc, chunk)
        total = f.tell()
        offsets = np.concatenate([a.offsets[1 : k + 1] - a.start(0),
                                  b.offsets[j + 1 : -1] - b.start(j) + (a.start(k) - a.start(0))]) + len(info)
        _rewrite_info(info, a, n_frames, total, samples, crc, offsets)
        f.seek(0)
        f.write(info)


def _copy(path: Path, lo: int, hi: int, chunk: int = 1 << 20) -> Iterator[bytes]:
    with path.open("rb") as f:
        f.seek(lo)
        while lo < hi:
            data = f.read(min(chunk, hi - lo))
            if not data:
                raise JoinError(f"{path.name} ended early")
            lo += len(data)
            yield data


def _rewrite_info(info: bytearray, a: Stream, n_frames: int, total: int, samples: int, crc: int,
                  offsets: np.ndarray) -> None:
    xing = a.main_at + 4
    flags = struct.unpack_from(">I", info, xing)[0]
    at = xing + 4
    if flags & _XING_FRAMES:
        struct.pack_into(">I", info, at, n_frames)
        at += 4
    if flags & _XING_BYTES:
        struct.pack_into(">I", info, at, total)
        at += 4
    if flags & _XING_TOC:  # the byte position (of 256) of each percent of the frames
        picks = offsets[np.minimum(len(offsets) - 1, np.arange(100) * len(offsets) // 100)]
        info[at : at + 100] = np.minimum(255, picks * 256 // total).astype(np.uint8).tobytes()
    lame = _lame_at(bytes(info), xing)
    delay = a.delay()
    padding = n_frames * FRAME_SAMPLES - delay - samples
    if not 0 <= padding < 4096:
        raise JoinError(f"the joined stream would need {padding} samples of padding")
    info[lame + 21 : lame + 24] = bytes((delay >> 4, (delay & 15) << 4 | padding >> 8, padding & 255))
    struct.pack_into(">IH", info, lame + 28, total, crc)
    struct.pack_into(">H", info, lame + 34, crc16(bytes(info[: lame + 34])))


# -- CRC-16 (poly 0x8005, reflected, init 0): what the LAME tag uses for its two checksums
def _crc_table() -> np.ndarray:
    t = np.zeros(256, dtype=np.uint32)
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0xA001 if c & 1 else c >> 1
        t[i] = c
    return t


_TABLE = _crc_table()


def _times(m: Sequence[int], v: int) -> int:
    """A GF(2) matrix (16 columns as ints) times a 16-bit vector."""
    r = 0
    i = 0
    while v:
        if v & 1:
            r ^= m[i]
        v >>= 1
        i += 1
    return r


@functools.lru_cache(maxsize=16)
def _zeros_operator(n_bytes: int) -> tuple[int, ...]:
    """What ``n_bytes`` zero bytes do to the CRC's state, as a GF(2) matrix."""
    result = [1 << i for i in range(16)]
    power = [(1 << i >> 1) ^ (0xA001 if i == 0 else 0) for i in range(16)]  # one zero bit
    bits = 8 * n_bytes
    while bits:
        if bits & 1:
            result = [_times(power, c) for c in result]
        power = [_times(power, c) for c in power]
        bits >>= 1
    return tuple(result)


def crc16_update(crc: int, data: bytes) -> int:
    """The CRC of what ``crc`` covered followed by ``data``."""
    return _times(_zeros_operator(len(data)), crc) ^ crc16(data)


def crc16(data: bytes, lanes: int = 4096) -> int:
    """CRC-16/ARC of ``data``: ``lanes`` equal slices in step with numpy, then chained
    (zero bytes in front do not change this CRC, so the data is padded at the front)."""
    if len(data) < 4 * lanes:
        c = 0
        for byte in data:
            c = int(_TABLE[(c ^ byte) & 0xFF]) ^ (c >> 8)
        return c
    width = -(-len(data) // lanes)
    buf = np.zeros(lanes * width, dtype=np.uint8)
    buf[len(buf) - len(data) :] = np.frombuffer(data, dtype=np.uint8)
    rows = buf.reshape(lanes, width)
    lane = np.zeros(lanes, dtype=np.uint32)
    for col in range(width):
        lane = _TABLE[(lane ^ rows[:, col]) & 0xFF] ^ (lane >> 8)
    shift = _zeros_operator(width)
    out = 0
    for v in lane.tolist():
        out = _times(shift, out) ^ v
    return out
