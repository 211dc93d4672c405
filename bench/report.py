"""The results as a Markdown table (printed, and pasted into docs/performance.md)."""

from __future__ import annotations

from typing import Any


def _t(r: dict[str, Any], key: str) -> tuple[str, str]:
    t = r["targets"][key]
    return t["target"], "met" if t["met"] else "**missed**"


def table(r: dict[str, Any]) -> str:
    f, b, p, mem, co, ca = r["floors"], r["builds"], r["peer"], r["memory"], r["course"], r["cache"]
    e, y = f["encode"], f["synth"]
    mins = r["config"]["minutes"]
    rows: list[tuple[str, str, str, str]] = []

    def row(measure: str, value: str, key: str | None = None) -> None:
        tgt, met = _t(r, key) if key else ("", "")
        rows.append((measure, value, tgt, met))

    row(f"Encode floor: {mins:g} min of PCM -> MP3 (project encoder, 128 kbps stereo)",
        f"{e['seconds']:.2f} s ({e['x_realtime']:.0f}x real time)")
    if "two_part_s" in e:
        row("Two-part encode: the same PCM as two parts on two encoders, joined (what a build does on 2+ cores)",
            f"{e['two_part_s']:.2f} s ({e['seconds'] / e['two_part_s']:.2f}x faster{'' if e['two_part_joined'] else ', NOT joined'})")
    row(f"Synthesis floor: the session's {y['unique_clips']} unique sentences ({y['speech_s'] / 60:.1f} min of speech)",
        f"{y['seconds']:.2f} s ({y['x_realtime']:.0f}x real time)")
    ra = b["ratios"]
    row(f"Cold build, {mins:g} min (empty cache)",
        f"{b['cold']['seconds']:.2f} s = {ra['cold_to_encode']:.2f}x encode, {ra['cold_to_floors']:.2f}x floors",
        "cold_build")
    row("Warm rebuild (cached speech, bed changed)",
        f"{b['warm']['seconds']:.2f} s = {ra['warm_to_encode']:.2f}x encode, {ra['warm_to_floors']:.2f}x floors",
        "warm_rebuild")
    if "warm_to_two_part" in ra:
        row("Builds against the two-part encode (cold / warm)",
            f"{ra['cold_to_two_part']:.2f}x / {ra['warm_to_two_part']:.2f}x")
    w, c = b["warm"], b["cold"]
    row("CPU s (load-robust): Python / encoder, warm rebuild; encoder alone in the floor",
        f"{w['cpu_self_s']:.1f} / {w['cpu_children_s']:.1f} s; {e['cpu_children_s']:.1f} s")
    if "mix_first" in w.get("marks", {}):
        row("Warm rebuild: time before the first block reaches the encoder (prepare, beds, pass 1)",
            f"{w['marks']['mix_first']:.2f} s of {w['seconds']:.2f} s")
    if "mix_first" in c.get("marks", {}) and "speech_last" in c.get("marks", {}):
        row("Cold build: speech done / first block encoded",
            f"{c['marks']['speech_last']:.2f} s / {c['marks']['mix_first']:.2f} s of {c['seconds']:.2f} s")
    for label, vr in r.get("voices", {}).get("voices", {}).items():
        q = (f"WER {vr['wer']:.2f}, MOS {vr['mos_p808']:.2f}, " if "wer" in vr else "")
        row(f"Voice {label} ({vr['engine']}{', the default' if vr.get('is_default') else ''})",
            f"{q}{vr['x_realtime']:.0f}x real time, worker {vr['worker_peak_mb']:.0f} MB, {vr['words_per_minute']:.0f} wpm",
            "voice_wer" if vr.get("is_default") and "voice_wer" in r["targets"] else None)
        if vr.get("is_default"):
            for key in ("voice_mos", "voice_speed"):
                if key in r["targets"]:
                    row("  the default voice", f"{r['targets'][key]['value']:.2f}", key)
    neural_rows(r, row)
    row("Peer way (pydub `+`, overlay loop, export)", f"{p['seconds']:.2f} s, peak {p['peak_tree_mb']:.0f} MB")
    row("Speed vs the peer way (warm rebuild)", f"{p['speedup']:.2f}x faster", "peer_speed")
    row("Peak memory vs the peer way", f"{b['warm']['peak_tree_mb']:.0f} MB = {100 * p['memory_ratio']:.0f} %", "peer_memory")
    sizes = sorted(mem, key=float)
    row("Peak memory, process tree: sum of RSS; PSS (" + " / ".join(f"{m} min" for m in sizes) + ")",
        " / ".join(f"{mem[m]['peak_tree_mb']:.0f}" for m in sizes) + " MB; "
        + " / ".join(f"{mem[m].get('peak_pss_mb', 0):.0f}" for m in sizes) + " MB")
    hi, lo = sizes[-1], sizes[0]
    row(f"{hi}-minute session peak RSS", f"{mem[hi]['peak_tree_mb']:.0f} MB", "long_session_peak")
    row(f"{hi}-minute minus {lo}-minute peak", f"{mem[hi]['peak_tree_mb'] - mem[lo]['peak_tree_mb']:+.1f} MB", "long_session_growth")
    jobs = sorted((k for k in co if k.startswith("j")), key=lambda k: int(k[1:]))
    cfg = r["config"]
    row(f"Course (relaxgen course): {cfg['course_days']} x {cfg['course_listeners']} sessions of {cfg['course_minutes']:g} min",
        ", ".join(f"-j {k[1:]}: {co[k]['sessions_per_min']:.1f} sessions/min ({co[k]['seconds']:.0f} s)" for k in jobs))
    row(f"Course speed-up -j {jobs[-1][1:]} / -j {jobs[0][1:]}", f"{co['speedup']:.2f}x")
    if "machine" in r:
        mc = r["machine"]
        row(f"Machine: {mc['jobs']} busy processes at once vs one (a plain CPU loop)",
            f"{mc['capacity']:.2f}x the work"
            + (f" (median; {mc['range'][0]:.2f}-{mc['range'][1]:.2f}x)" if "range" in mc else "")
            + f"; course efficiency {100 * co['efficiency']:.0f} %")
    if "two_part_s" in e:  # a course is MP3 encoding above all: how well do two encoders run at once here?
        two = e["seconds"] / e["two_part_s"]
        row("Machine for encoding: two encoders at once vs one (encode floor / two-part encode)",
            f"{two:.2f}x; the course got {co['speedup'] / two:.2f} of it")
    if "cpu_floor" in co:
        row(f"Course -j {co['cpu_floor']['jobs']} against its CPU floor (CPU s of the tree / cores)",
            floor_text(co[jobs[-1]]["seconds"], co["cpu_floor"]), "course_cpu_floor")
    if "coordinator" in r:
        co_r = r["coordinator"]
        sizes = sorted(co_r, key=int)
        hi_c = co_r[sizes[-1]]
        row("Coordinator, all up to date: " + " / ".join(f"{co_r[k]['sessions']}" for k in sizes)
            + " sessions: plan / check, ms a session",
            "; ".join(f"{co_r[k]['plan_ms']:.2f} / {co_r[k]['check_ms']:.2f}" for k in sizes))
        row(f"Coordinator up-to-date check, {hi_c['sessions']} sessions", f"{hi_c['check_ms']:.2f} ms a session",
            "coordinator_check")
        row(f"Coordinator peak RSS, {hi_c['sessions']} sessions", f"{hi_c['peak_tree_mb']:.0f} MB",
            "coordinator_memory")
        row("Coordinator check, ms a session: largest / smallest course",
            f"{r['targets']['coordinator_linear']['value']:.2f}x", "coordinator_linear")
    row("Cache hit rate, second listener", f"{100 * ca['second_listener_hit_rate']:.0f} % (expected {100 * ca['second_listener_expected']:.0f} %)")

    head = ("Measure", "Result", "Target", "")
    widths = [max(len(x[i]) for x in [head, *rows]) for i in range(4)]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(head, widths, strict=True)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(x, widths, strict=True)) + " |" for x in rows]
    return "\n".join(lines)


def floor_text(seconds: float, f: dict[str, Any]) -> str:
    return (f"{seconds:.1f} s; {f['cpu_s']:.1f} CPU s / {f['cores']} cores = {f['floor_s']:.1f} s: "
            f"{f['ratio']:.2f}x the floor")


def neural_rows(r: dict[str, Any], row: Any) -> None:
    """The neural voice's builds (bench/neural.py), when measured."""
    vb = r.get("voices", {}).get("builds")
    if not vb:
        return
    mins = r["config"]["minutes"]
    c, w = vb["cold"], vb["warm"]
    if "cold_floor" in vb:
        row(f"Cold build with the neural voice, {mins:g} min", floor_text(c["seconds"], vb["cold_floor"])
            + f" ({vb['cold_to_espeak']:.2f}x the espeak-ng build)", "voice_cold_floor")
    row("Warm rebuild with the neural voice", f"{w['seconds']:.2f} s = {vb['warm_to_espeak']:.2f}x espeak-ng",
        "voice_warm_build")
    mem = vb.get("memory")
    if mem:
        sizes = sorted(mem, key=float)
        row("Neural voice, cold builds: peak PSS (sum of RSS), " + " / ".join(f"{m} min" for m in sizes),
            " / ".join(f"{mem[m]['peak_pss_mb']:.0f} ({mem[m]['peak_tree_mb']:.0f})" for m in sizes) + " MB",
            "voice_memory_peak")
        row(f"  {sizes[-1]}-minute minus {sizes[0]}-minute peak PSS",
            f"{mem[sizes[-1]]['peak_pss_mb'] - mem[sizes[0]]['peak_pss_mb']:+.1f} MB", "voice_memory_growth")
    co = vb.get("course")
    if co:
        key = next(k for k in co if k.startswith("j"))
        row(f"Course -j {key[1:]} with the neural voice: time; peak PSS (sum of RSS)",
            floor_text(co[key]["seconds"], co["cpu_floor"])
            + f"; {co[key]['peak_pss_mb']:.0f} MB ({co[key]['peak_tree_mb']:.0f} MB)", "voice_course_memory")


def summary(r: dict[str, Any]) -> str:
    t = r["targets"]
    met = sum(1 for v in t.values() if v["met"])
    m = r["meta"]
    return (f"{met} of {len(t)} targets met. {m['cpu']} ({m['cpus']} CPUs), Python {m['python']}, "
            f"{m['ffmpeg'].split(' Copyright')[0]}, commit {m['commit']}, {m['date']}"
            + (" (quick smoke run: the figures mean nothing)" if m["quick"] else ""))
