"""The codec study's figures (:mod:`bench.codec`): mean and spread per case, and the choice.

A *case* is a bed (or none) and an output (stereo, mono) at one quality; its excerpts
come from every session of the study. The decision compares each quality with the best
one measured, excerpt by excerpt (the same audio, so the differences are paired), and
picks the cheapest quality that loses nothing audible for each kind of output (stereo or
mono, with a bed or without); when none does in all its cases, the one that loses least.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from typing import Any

# A quality "loses nothing" in a case when its mean ViSQOL is at most MEAN_TOL under the
# best quality's mean there, and no excerpt is more than WORST_TOL under the best's score
# on that excerpt. ViSQOL is deterministic, so these are margins for what a listener
# could hear, not for measurement noise: differences of a few hundredths of MOS-LQO are
# not audible; the loss that started this study (stereo, rain) was 0.18.
MEAN_TOL = 0.03
WORST_TOL = 0.10


def spread(values: list[float]) -> dict[str, float]:
    """Mean, sample standard deviation (0 for one value), min and max."""
    return {"mean": statistics.fmean(values), "sd": statistics.stdev(values) if len(values) > 1 else 0.0,
            "min": min(values), "max": max(values), "n": len(values)}


def _key(r: dict[str, Any]) -> tuple[str, int]:
    return r["bed"], r["channels"]


def aggregate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per bed, output and quality: ViSQOL over all excerpts (mean, spread), its
    paired change against the best quality of that case, encode CPU-s and wall s summed
    over the sessions, the smallest SNR and the largest loudness drift."""
    cases: dict[tuple[str, int], dict[int, list[dict[str, Any]]]] = {}
    for r in rows:
        cases.setdefault(_key(r), {}).setdefault(r["quality"], []).append(r)
    out = []
    for (bed, ch), by_q in cases.items():
        scores = {q: _scores(rs) for q, rs in by_q.items()}
        best = max(scores, key=lambda q: statistics.fmean(scores[q]) if scores[q] else 0.0)
        for q, rs in by_q.items():
            s = scores[q]
            d = [a - b for a, b in zip(s, scores[best], strict=True)] if s and scores[best] else []
            out.append({
                "bed": bed, "channels": ch, "quality": q, "sessions": len(rs),
                "visqol": spread(s) if s else None,
                "vs_best": {"best": best, "mean": statistics.fmean(d), "worst": min(d)} if d else None,
                "encode_cpu_s": sum(r["encode_cpu_s"] for r in rs), "encode_s": sum(r["encode_s"] for r in rs),
                "audio_s": sum(r["audio_s"] for r in rs),
                "snr_db_min": min(r["snr_db"] for r in rs),
                "lufs_drift_max": max(abs(r["lufs_drift"]) for r in rs),
                "length_ok": all(r["length_ok"] for r in rs),
            })
    return out


def _scores(rs: Iterable[dict[str, Any]]) -> list[float]:
    """The excerpts' scores in a fixed order (by session), so qualities pair up."""
    out: list[float] = []
    for r in sorted(rs, key=lambda r: r["script"]):
        if r["visqol"] is None:
            return []
        out += r["visqol"]
    return out


def loses_nothing(case: dict[str, Any]) -> bool:
    v = case["vs_best"]
    return v is not None and v["mean"] >= -MEAN_TOL and v["worst"] >= -WORST_TOL


def regret(cases: list[dict[str, Any]], q: int) -> float:
    """The largest mean loss of ``q`` against the best quality over the given cases (>= 0)."""
    return max([0.0, *(-c["vs_best"]["mean"] for c in cases if c["quality"] == q)])


def choose(cases: list[dict[str, Any]]) -> int | None:
    """The quality with the least encode CPU among those that lose nothing in every given
    case. When none does (different cases prefer different qualities by more than the
    margins), the one whose largest mean loss is smallest: the choice that risks least.
    None without scores."""
    if not cases or any(c["vs_best"] is None for c in cases):
        return None
    qualities = sorted({c["quality"] for c in cases})
    cpu = {q: sum(c["encode_cpu_s"] for c in cases if c["quality"] == q) for q in qualities}
    ok = [q for q in qualities if all(loses_nothing(c) for c in cases if c["quality"] == q)]
    if ok:
        return min(ok, key=lambda q: cpu[q])
    return min(qualities, key=lambda q: (round(regret(cases, q), 3), cpu[q]))


OUTPUTS = (("stereo with a bed", 2, True), ("mono with a bed", 1, True),
           ("stereo without a bed", 2, False), ("mono without a bed", 1, False))


def decide(cases: list[dict[str, Any]]) -> dict[str, Any]:
    """The quality for each kind of output (stereo or mono, with a bed or without), and one
    for all; which qualities lose something where (the case, the mean and the worst
    excerpt change against the best quality there)."""
    per: dict[str, int | None] = {}
    within: dict[str, bool] = {}  # False: no quality was within the margins, the least loss was taken
    for name, ch, bed in OUTPUTS:
        mine = [c for c in cases if c["channels"] == ch and (c["bed"] != "none") == bed]
        per[name] = choose(mine)
        within[name] = per[name] is not None and all(loses_nothing(c) for c in mine if c["quality"] == per[name])
    losses = [{"bed": c["bed"], "channels": c["channels"], "quality": c["quality"],
               "mean": round(c["vs_best"]["mean"], 3), "worst": round(c["vs_best"]["worst"], 3)}
              for c in cases if c["vs_best"] is not None and not loses_nothing(c)]
    return {"per_output": per, "within_margins": within, "all": choose(cases), "mean_tol": MEAN_TOL,
            "worst_tol": WORST_TOL, "losses": losses}


def table(res: dict[str, Any]) -> str:
    """Markdown: per bed and output, ViSQOL mean ± sd (min-max) per quality, and encode CPU-s."""
    cases = res["cases"]
    qs = list(res["plan"]["qualities"])
    head = ["Bed, output", *[f"-q {q}: ViSQOL mean ± sd (min-max)" for q in qs],
            "encode CPU-s: " + " / ".join(f"q{q}" for q in qs)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    by = {(c["bed"], c["channels"], c["quality"]): c for c in cases}
    for bed in dict.fromkeys(c["bed"] for c in cases):
        for ch in (2, 1):
            if (bed, ch, qs[0]) not in by:
                continue
            cells = [f"{bed}, {'stereo' if ch == 2 else 'mono'}"]
            for q in qs:
                v = by[(bed, ch, q)]["visqol"]
                mark = "" if loses_nothing(by[(bed, ch, q)]) or v is None else " **loss**"
                cells.append("-" if v is None else
                             f"{v['mean']:.3f} ± {v['sd']:.3f} ({v['min']:.3f}-{v['max']:.3f}){mark}")
            cells.append(" / ".join(f"{by[(bed, ch, q)]['encode_cpu_s']:.1f}" for q in qs))
            lines.append("| " + " | ".join(cells) + " |")
    d = res["decision"]
    lines.append("")
    each = "; ".join(f"{k} -q {v}{'' if d['within_margins'][k] or v is None else ' (least loss)'}"
                     for k, v in d["per_output"].items())
    lines.append(f"Choice (the cheapest quality within {d['mean_tol']} of the best one's mean and {d['worst_tol']} "
                 f"of its score on every excerpt, else the least loss): {each}. One for all: -q {d['all']}")
    return "\n".join(lines)
