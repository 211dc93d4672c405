"""A session encoded as two parts on two cores and joined into one file: decode what
was written and compare it with the one-stream encode, sample by sample."""

from __future__ import annotations

import struct
from pathlib import Path

import mutagen.mp3
import numpy as np
import pytest

from generator.api import BuildOptions, build_session
from generator.audio import mp3join
from generator.audio.encode import Mp3Encoder, Mp3PartEncoder
from generator.audio.ffmpeg import decode
from generator.audio.master import Parts
from generator.audio.mp3join import FRAME_SAMPLES, Stream
from generator.profile import Profile

SR = 44100
DECODER_DELAY = 529  # what a decoder adds to the encoder's delay from the LAME tag


def _signal(seconds: float, channels: int = 2, seed: int = 1) -> np.ndarray:
    """A gliding tone, noise swelling and fading, and clicks (the encoder switches to
    short windows on those): a signal that uses the bit reservoir and both window kinds."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR) + 777
    t = np.arange(n) / SR
    tone = 0.2 * np.sin(2 * np.pi * 440 * t + 3 * np.sin(2 * np.pi * 2 * t))
    noise = 0.05 * (0.5 + 0.5 * np.sin(2 * np.pi * 0.7 * t))[:, None] * rng.standard_normal((n, channels))
    x = tone[:, None] * np.linspace(1.0, 0.7, channels)[None, :] + noise
    for c in range(SR // 5, n, SR // 3):
        x[c : c + 30] += 0.5
    return x.astype(np.float32)


def _layout(x: np.ndarray, joint_s: float = 15.0) -> Parts:
    b_start = int((joint_s - 3) * SR) // FRAME_SAMPLES * FRAME_SAMPLES
    return Parts(b_start, int(joint_s * SR), int((joint_s + 3) * SR), len(x))


def _encode(path: Path, x: np.ndarray, kbps: int = 128, quality: int | None = None) -> None:
    with Mp3Encoder(path, SR, x.shape[1], kbps, quality=quality) as enc:
        for i in range(0, len(x), 3 * SR):
            enc.write(x[i : i + 3 * SR])


def _encode_parts(path: Path, x: np.ndarray, parts: Parts, kbps: int = 128,
                  quality: int | None = None) -> Mp3PartEncoder:
    with Mp3PartEncoder(path, parts, SR, x.shape[1], kbps, quality) as enc:
        for i in range(0, parts.a_end, 3 * SR):  # side by side, as the mixer feeds them
            enc.write_part(0, x[i : min(i + 3 * SR, parts.a_end)])
            j = parts.b_start + i
            enc.write_part(1, x[j : j + 3 * SR])
        for j in range(parts.b_start + parts.a_end, len(x), 3 * SR):
            enc.write_part(1, x[j : j + 3 * SR])
    return enc


def _crc_bitwise(data: bytes) -> int:
    c = 0
    for byte in data:
        c ^= byte
        for _ in range(8):
            c = (c >> 1) ^ 0xA001 if c & 1 else c >> 1
    return c


def test_crc16_is_the_lame_tag_checksum_and_chains() -> None:
    data = np.random.default_rng(3).integers(0, 256, 70_001, dtype=np.uint8).tobytes()
    for n in (0, 1, 7, 16_383, 16_384, 70_001):  # the short path and the lanes path
        assert mp3join.crc16(data[:n]) == _crc_bitwise(data[:n])
        cut = n // 3
        assert mp3join.crc16_update(mp3join.crc16(data[:cut]), data[cut:n]) == _crc_bitwise(data[:n])


def test_ffmpegs_own_info_frame_checks_out_with_these_checksums(tmp_path: Path) -> None:
    """The CRCs and fields the join rewrites, read from a file ffmpeg wrote itself."""
    x = _signal(5)
    _encode(tmp_path / "one.mp3", x)
    music, tag, s = _lame_fields(tmp_path / "one.mp3")
    data = (tmp_path / "one.mp3").read_bytes()
    assert music["crc"] == _crc_bitwise(data[s.start(0) :])
    assert tag["crc"] == _crc_bitwise(data[: tag["at"]])
    assert s.frames * FRAME_SAMPLES - s.delay() - music["padding"] == len(x)


def _lame_fields(path: Path) -> tuple[dict[str, int], dict[str, int], Stream]:
    s = Stream(path)
    xing = s.main_at + 4
    lame = mp3join._lame_at(s.info, xing)
    frames, size = struct.unpack_from(">II", s.info, xing + 4)
    d = s.info[lame + 21 : lame + 24]
    length, crc = struct.unpack_from(">IH", s.info, lame + 28)
    music = {"frames": frames, "bytes": size, "length": length, "crc": crc, "padding": (d[1] & 15) << 8 | d[2]}
    tag = {"at": lame + 34, "crc": struct.unpack_from(">H", s.info, lame + 34)[0]}
    return music, tag, s


@pytest.mark.parametrize(("channels", "kbps"), [(2, 128), (1, 64), (2, 320)])
def test_joined_file_is_part_a_then_part_b_gapless(tmp_path: Path, channels: int, kbps: int) -> None:
    _check_join(tmp_path, channels, kbps, None)


@pytest.mark.parametrize("quality", range(10))
def test_the_join_holds_at_every_encoder_quality(tmp_path: Path, quality: int) -> None:
    # from -q 7 the decoder needs one frame more after the joint to be B's stream to the sample
    # (measured: the error against the input there stays that of a one-stream file)
    _check_join(tmp_path, 2 if quality % 2 else 1, 128, quality, settle=3 if quality >= 7 else 2)


def _check_join(tmp_path: Path, channels: int, kbps: int, quality: int | None, settle: int = 2) -> None:
    x = _signal(18, channels)
    parts = _layout(x, 9.0)
    out = tmp_path / "joined.mp3"
    enc = _encode_parts(out, x, parts, kbps, quality)
    assert enc.joined
    assert sorted(p.name for p in tmp_path.iterdir()) == ["joined.mp3"]  # the part files are gone
    _encode(tmp_path / "one.mp3", x, kbps, quality)
    _encode(tmp_path / "a.mp3", x[: parts.a_end], kbps, quality)
    _encode(tmp_path / "b.mp3", x[parts.b_start :], kbps, quality)
    joined, one = decode(out, SR, channels), decode(tmp_path / "one.mp3", SR, channels)
    a, b = decode(tmp_path / "a.mp3", SR, channels), decode(tmp_path / "b.mp3", SR, channels)
    assert len(joined) == len(one) == len(x)  # the delay and padding in the rewritten header trim exactly
    # where the joint went: the file is part A's decode before it and part B's after it, to the sample
    delay = Stream(out).delay() + DECODER_DELAY
    same_a = np.all(joined[: parts.a_end - 3 * SR] == a[: parts.a_end - 3 * SR], axis=1)
    switch = int(np.argmin(same_a)) if not same_a.all() else parts.a_end - 3 * SR
    k = (switch + delay) // FRAME_SAMPLES  # the first frame that differs from A's
    after = (k + settle) * FRAME_SAMPLES - delay + 576
    assert abs(switch - parts.joint) < 40 * FRAME_SAMPLES
    assert np.array_equal(joined[after:], b[after - parts.b_start :])
    # and at the joint itself the error against the input is that of the one-stream file
    lo, hi = switch - 2 * FRAME_SAMPLES, after + FRAME_SAMPLES

    def err(d: np.ndarray) -> float:
        return float(np.sqrt(np.mean(np.square(d[lo:hi] - x[lo:hi]))))

    assert err(joined) <= 1.25 * err(one) + 1e-6
    # the header: frame count, size, padding, both checksums; players agree on the length
    music, tag, s = _lame_fields(out)
    data = out.read_bytes()
    assert music["frames"] == s.frames and music["bytes"] == music["length"] == len(data)
    assert s.frames * FRAME_SAMPLES - s.delay() - music["padding"] == len(x)
    assert music["crc"] == _crc_bitwise(data[s.start(0) :])
    assert tag["crc"] == _crc_bitwise(data[: tag["at"]])
    assert mutagen.mp3.MP3(out).info.length == pytest.approx(mutagen.mp3.MP3(tmp_path / "one.mp3").info.length)


def test_the_window_types_read_from_the_side_information_follow_the_standard(tmp_path: Path) -> None:
    """The joint compares block types, so they must be read right: the clicks give short
    windows, and every channel goes long -> start -> short -> stop -> long, never skipping."""
    x = _signal(8)
    _encode(tmp_path / "x.mp3", x)
    s = Stream(tmp_path / "x.mp3")
    per_channel: list[list[int]] = [[], []]
    for i in range(s.frames):
        b = s.frame(i).blocks  # granule 0 (left, right), granule 1 (left, right)
        for gr in range(2):
            for ch in range(2):
                per_channel[ch].append(b[2 * gr + ch])
    allowed = {0: {0, 1}, 1: {2}, 2: {2, 3}, 3: {0, 1}}
    for seq in per_channel:
        assert seq.count(2) >= 4, "the clicks should switch to short windows"
        assert all(nxt in allowed[cur] for cur, nxt in zip(seq, seq[1:], strict=False)), seq


def test_reservoir_bytes_of_part_b_move_into_the_free_end_of_part_a(tmp_path: Path) -> None:
    """At a joint where B's first frame takes bytes from its reservoir, the file decodes
    as B from there on: those bytes were written where A's frames left room."""
    x = _signal(20)
    parts = _layout(x, 10.0)
    _encode(tmp_path / "a.mp3", x[: parts.a_end])
    _encode(tmp_path / "b.mp3", x[parts.b_start :])
    a, b = Stream(tmp_path / "a.mp3"), Stream(tmp_path / "b.mp3")
    b0 = parts.b_start // FRAME_SAMPLES
    usable = [k for k in range(b0 + 8, a.frames - 8)
              if a.frame(k - 1).blocks == b.frame(k - 1 - b0).blocks and a.frame(k).blocks == b.frame(k - b0).blocks
              and 0 < b.frame(k - b0).mdb <= a.frame(k).mdb
              and b.frame(k - b0).mdb != a.frame(k).mdb]  # the two reservoirs differ: a plain cut would fail
    assert usable, "the test signal should give such a joint"
    k = usable[len(usable) // 2]
    mp3join.write_joined(a, b, b0, k, len(x), tmp_path / "j.mp3")
    joined, db = decode(tmp_path / "j.mp3", SR, 2), decode(tmp_path / "b.mp3", SR, 2)
    start = k * FRAME_SAMPLES - a.delay() - DECODER_DELAY  # frame k's first output sample
    assert np.array_equal(joined[start + FRAME_SAMPLES :], db[start + FRAME_SAMPLES - parts.b_start :])
    seg = slice(start, start + FRAME_SAMPLES)  # frame k itself, decoded from the moved bytes
    ref = slice(seg.start - parts.b_start, seg.stop - parts.b_start)
    assert float(np.max(np.abs(joined[seg] - db[ref]))) < 0.02


def test_the_part_files_are_gone_when_the_build_fails(tmp_path: Path) -> None:
    x = _signal(12)
    parts = Parts(3 * FRAME_SAMPLES * 40, 6 * SR, 9 * SR, len(x))
    with pytest.raises(RuntimeError), Mp3PartEncoder(tmp_path / "x.mp3", parts) as enc:
        enc.write_part(0, x[:SR])
        enc.write_part(1, x[parts.b_start : parts.b_start + SR])
        raise RuntimeError("stop")
    assert list(tmp_path.iterdir()) == []


def test_streams_that_cannot_be_joined_say_so(tmp_path: Path) -> None:
    x = _signal(12)
    _encode(tmp_path / "a.mp3", x)
    _encode(tmp_path / "b.mp3", x[FRAME_SAMPLES * 100 :], kbps=192)
    with pytest.raises(mp3join.JoinError, match="different settings"):
        mp3join.join(tmp_path / "a.mp3", tmp_path / "b.mp3", FRAME_SAMPLES * 100, len(x), 5 * SR, tmp_path / "j.mp3")
    with pytest.raises(mp3join.JoinError, match="frame grid"):
        mp3join.join(tmp_path / "a.mp3", tmp_path / "a.mp3", 1000, len(x), 5 * SR, tmp_path / "j.mp3")


TEMPLATE = """---
title: Two parts
---
{% for i in range(rounds) %}[chapter Round {{ i + 1 }}]
Breathe in slowly and feel your back resting on the floor, round {{ i + 1 }}.
[pause 6s]
Let the shoulders soften and let the breath flow out.
[pause 4s]
{% endfor %}[bell]
"""


def _build(tmp_path: Path, name: str, encoders: int, rounds: int = 3, engine: str = "fake"):  # type: ignore[no-untyped-def]
    t = tmp_path / "two.j2"
    t.write_text(TEMPLATE.replace("range(rounds)", f"range({rounds})"))
    opts = BuildOptions(engine=engine, encoders=encoders, cache_dir=tmp_path / "cache")
    return build_session(str(t), tmp_path / name, Profile(name="Anna", bed="rain"), None, opts)


def test_a_session_in_two_parts_is_the_one_stream_session(tmp_path: Path) -> None:
    one, two = _build(tmp_path, "one.mp3", 1), _build(tmp_path, "two.mp3", 2)
    assert two.timeline.total_ms >= 60_000 and two.mix.two_part and not one.mix.two_part
    a, b = decode(one.path, SR, 2), decode(two.path, SR, 2)
    assert len(a) == len(b) == one.mix.samples
    # the same samples went into both files, so past the codec they differ by nothing audible
    d = float(np.sqrt(np.mean(np.square(a - b))))
    assert d < 1e-4 * float(np.sqrt(np.mean(np.square(a))))
    assert two.mix.output_lufs_estimate == pytest.approx(one.mix.output_lufs_estimate, abs=0.02)
    ta, tb = mutagen.mp3.MP3(one.path).tags, mutagen.mp3.MP3(two.path).tags
    assert ta is not None and tb is not None
    assert [str(f) for f in ta.getall("CHAP")] == [str(f) for f in tb.getall("CHAP")]
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".j2") == ["cache", "one.mp3", "two.mp3"]


def test_short_sessions_use_one_encoder(tmp_path: Path) -> None:
    assert not _build(tmp_path, "short.mp3", 2, rounds=2).mix.two_part  # under a minute


def test_no_joint_found_means_one_stream_and_a_good_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*_: object) -> int:
        raise mp3join.JoinError("no frame where the two streams can be joined")

    monkeypatch.setattr(mp3join, "find_joint", never)
    res = _build(tmp_path, "x.mp3", 2)
    assert not res.mix.two_part
    assert len(decode(res.path, SR, 2)) == res.mix.samples
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".j2") == ["cache", "x.mp3"]
