"""One measured task, run in a fresh interpreter: ``python -m bench.one TASK.json RESULT.json``.

Kinds: ``encode`` (the encode floor), ``synth`` (the synthesis floor),
``build`` (relaxgen's build_session), ``peer`` (the pydub baseline),
``course`` (``relaxgen course``: generator.batch.course.build_course) and ``coordinator`` (planning and
checking an up-to-date course, :mod:`bench.coordinator`). Each reports ``seconds`` for
the timed part only (imports and test data preparation excluded), ``cpu_start_s``
(the CPU time spent before it: with the tree's CPU time that the parent
measures, :mod:`bench.memory`, it gives the timed part's), plus CPU time and
``ru_maxrss`` of itself and its children as cross-checks.
If the task has ``profile_to``, the timed part runs under pyinstrument and
its text report is written there.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

T_START = time.perf_counter()

Result = dict[str, Any]


def profile_from(spec: dict[str, Any]) -> Any:
    from generator.profile import Profile

    p = dict(spec.get("profile") or {})
    for k in ("skip", "gentle"):
        if k in p:
            p[k] = tuple(p[k])
    return Profile(**p)


def task_encode(spec: dict[str, Any]) -> Result:
    """Stream a raw float32 PCM file into the project's encoder in the mixer's blocks, at the
    quality of stereo under a bed (DEFAULT_QUALITY: the bench's session has the rain bed)."""
    import numpy as np

    from generator.audio.encode import DEFAULT_BITRATE, DEFAULT_QUALITY, Mp3Encoder
    from generator.audio.ffmpeg import ffmpeg_exe

    pcm = Path(spec["pcm"])
    sr = int(spec.get("sr", 44100))
    ch = int(spec.get("channels", 2))
    bitrate = int(spec.get("bitrate", DEFAULT_BITRATE))
    out = Path(spec["out"])
    frame_bytes = 4 * ch
    block = _mix_block(sr) * frame_bytes
    total = pcm.stat().st_size // frame_bytes
    t0 = time.perf_counter()
    with pcm.open("rb") as f, Mp3Encoder(out, sr, ch, bitrate) as enc:
        while True:
            buf = f.read(block)
            if not buf:
                break
            enc.write(np.frombuffer(buf, dtype="<f4").reshape(-1, ch))
    seconds = time.perf_counter() - t0
    # the same encode with ffmpeg reading the file itself (no Python, no pipe): context only
    t1 = time.perf_counter()
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-nostdin", "-y", "-f", "f32le", "-ar", str(sr), "-ac", str(ch),
         "-i", str(pcm), "-c:a", "libmp3lame", "-b:a", f"{bitrate}k", "-compression_level", str(DEFAULT_QUALITY),
         "-f", "mp3", str(out) + ".direct.mp3"],
        check=True,
    )
    direct = time.perf_counter() - t1
    Path(str(out) + ".direct.mp3").unlink(missing_ok=True)
    two_part, joined = _encode_two_parts(pcm, out.with_name(out.name + ".two.mp3"), sr, ch, bitrate)
    return {"seconds": seconds, "direct_s": direct, "two_part_s": two_part, "two_part_joined": joined,
            "audio_s": total / sr, "bytes": out.stat().st_size}


def _mix_block(sr: int) -> int:
    """Frames in one of the mixer's blocks: the floor streams the blocks a build streams."""
    from generator.audio.mixer import MixSettings

    return int(sr * MixSettings().block_ms / 1000)


def _encode_two_parts(pcm: Path, out: Path, sr: int, ch: int, bitrate: int) -> tuple[float, bool]:
    """The same PCM as two parts on two encoders, joined in the middle: what a build of one
    session does on a machine with two or more cores (context: the two-part floor)."""
    import numpy as np

    from generator.audio.encode import Mp3PartEncoder
    from generator.audio.master import Parts
    from generator.audio.mp3join import FRAME_SAMPLES

    frame_bytes = 4 * ch
    total = pcm.stat().st_size // frame_bytes
    b_start = (total // 2 - 3 * sr) // FRAME_SAMPLES * FRAME_SAMPLES
    parts = Parts(b_start, b_start + 3 * sr, b_start + 6 * sr, total)
    block = _mix_block(sr)
    t0 = time.perf_counter()
    with pcm.open("rb") as fa, pcm.open("rb") as fb, Mp3PartEncoder(out, parts, sr, ch, bitrate) as enc:
        fb.seek(b_start * frame_bytes)
        left = [parts.a_end, total - b_start]
        while any(left):
            for i, f in enumerate((fa, fb)):  # side by side, as the mixer feeds them
                n = min(block, left[i])
                if n:
                    enc.write_part(i, np.frombuffer(f.read(n * frame_bytes), dtype="<f4").reshape(-1, ch))
                    left[i] -= n
    seconds = time.perf_counter() - t0
    out.unlink(missing_ok=True)
    return seconds, enc.joined


def _prepare(spec: dict[str, Any]) -> tuple[Any, Any]:
    from generator.api import prepare
    from generator.tts.cache import ClipCache
    from generator.tts.synth import Synthesizer

    syn = Synthesizer(ClipCache(Path(spec["cache"])))
    prep = prepare(spec["template"], profile_from(spec), spec.get("minutes"), spec.get("engine"), synth=syn)
    return syn, prep


def task_synth(spec: dict[str, Any]) -> Result:
    """The session's unique text alone, through the project's synthesizer (engine started already)."""
    syn, prep = _prepare(spec)
    t0 = time.perf_counter()
    clips = syn.synthesize_all(prep.requests)
    seconds = time.perf_counter() - t0
    speech_s = sum(c.dur_ms for c in clips.values()) / 1000.0
    return {
        "seconds": seconds, "unique_clips": len(clips), "synthesized": syn.stats.synthesized,
        "speech_s": speech_s, "words": sum(len(r.text.split()) for r in prep.requests),
    }


def task_build(spec: dict[str, Any]) -> Result:
    from generator.api import BuildOptions, build_session

    marks: dict[str, float] = {}
    t0 = time.perf_counter()

    def progress(stage: str, f: float) -> None:
        now = time.perf_counter() - t0
        marks.setdefault(f"{stage}_first", now)
        marks[f"{stage}_last"] = now

    opts = BuildOptions(cache_dir=Path(spec["cache"]), engine=spec.get("engine"))
    res = build_session(spec["template"], spec["out"], profile_from(spec), spec.get("minutes"), opts, progress)
    seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "audio_s": res.timeline.total_ms / 1000.0,
        "speech_s": res.timeline.speech_ms / 1000.0,
        "synthesized": res.synthesized,
        "cached": res.cached,
        "marks": marks,
        "gain_db": res.mix.gain_db,
        "limited": res.mix.limited,
        "bytes": Path(spec["out"]).stat().st_size,
    }


def task_peer(spec: dict[str, Any]) -> Result:
    from bench.peer import build_peer

    return build_peer(spec)


def task_course(spec: dict[str, Any]) -> Result:
    from bench.course import run_course

    return run_course(spec)


def task_coordinator(spec: dict[str, Any]) -> Result:
    from bench.coordinator import measure

    return measure(spec)


TASKS: dict[str, Callable[[dict[str, Any]], Result]] = {
    "encode": task_encode,
    "synth": task_synth,
    "build": task_build,
    "peer": task_peer,
    "course": task_course,
    "coordinator": task_coordinator,
}


def run(spec: dict[str, Any]) -> Result:
    fn = TASKS[spec["kind"]]
    # imports outside the timed part (an installed CLI pays them once per process too)
    import numpy  # noqa: F401

    import generator.api  # noqa: F401

    import_s = time.perf_counter() - T_START
    cpu_start = cpu_now()
    prof_to = spec.get("profile_to")
    if prof_to:
        from pyinstrument import Profiler

        prof = Profiler(interval=0.005)
        prof.start()
        res = fn(spec)
        prof.stop()
        Path(prof_to).write_text(prof.output_text(unicode=True, color=False, show_all=False), encoding="utf-8")
    else:
        res = fn(spec)
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    res.update(
        import_s=import_s,
        cpu_start_s=res.get("cpu_start_s", cpu_start),  # a task with its own test data sets it
        cpu_self_s=me.ru_utime + me.ru_stime,
        cpu_children_s=kids.ru_utime + kids.ru_stime,
        maxrss_self=me.ru_maxrss * 1024,
        maxrss_children=kids.ru_maxrss * 1024,
    )
    return res


def cpu_now() -> float:
    """User + system seconds of this process and of every descendant it waited for so far."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    res = run(spec)
    Path(argv[1]).write_text(json.dumps(res), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
