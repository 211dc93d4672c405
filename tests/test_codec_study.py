"""The codec study's figures and choice (bench/codecstats.py) on small made-up rows."""

from __future__ import annotations

from typing import Any

import pytest

from bench.codec import LEAD_S, excerpt_starts
from bench.codecstats import aggregate, choose, decide, regret, spread, table


def row(bed: str, q: int, script: str, scores: list[float] | None, cpu: float, channels: int = 2) -> dict[str, Any]:
    return {"script": script, "bed": bed, "channels": channels, "quality": q, "encode_cpu_s": cpu,
            "encode_s": cpu, "audio_s": 60.0, "snr_db": 20.0, "lufs_drift": -0.4, "length_ok": True,
            "visqol": scores}


def rows(bed_q7: list[float], plain_q7: list[float]) -> list[dict[str, Any]]:
    """Two sessions of two excerpts each, rain and no bed, -q 3 (slow) and -q 7 (fast)."""
    out = []
    for bed, q7 in (("rain", bed_q7), ("none", plain_q7)):
        out += [row(bed, 3, "a", [4.0, 4.2], 2.0), row(bed, 3, "b", [4.1, 4.3], 2.0),
                row(bed, 7, "a", q7[:2], 1.0), row(bed, 7, "b", q7[2:], 1.0)]
    return out


def case(cases: list[dict[str, Any]], bed: str, q: int) -> dict[str, Any]:
    return next(c for c in cases if c["bed"] == bed and c["quality"] == q)


def test_spread() -> None:
    s = spread([1.0, 2.0, 3.0])
    assert (s["mean"], s["sd"], s["min"], s["max"], s["n"]) == (2.0, 1.0, 1.0, 3.0, 3)
    assert spread([4.0])["sd"] == 0.0


def test_aggregate_pairs_excerpts_across_sessions() -> None:
    cases = aggregate(rows([4.0, 4.2, 4.1, 4.0], [4.0, 4.2, 4.1, 4.3]))
    c3, c7 = case(cases, "rain", 3), case(cases, "rain", 7)
    assert c3["visqol"]["mean"] == pytest.approx(4.15) and c3["visqol"]["n"] == 4
    assert c7["visqol"]["min"] == 4.0 and c7["visqol"]["max"] == 4.2
    assert c3["vs_best"] == {"best": 3, "mean": 0.0, "worst": 0.0}
    assert c7["vs_best"]["mean"] == pytest.approx(-0.075)  # (0 + 0 + 0 - 0.3) / 4
    assert c7["vs_best"]["worst"] == pytest.approx(-0.3)  # the last excerpt of session b
    assert c3["encode_cpu_s"] == 4.0 and c7["encode_cpu_s"] == 2.0 and c3["sessions"] == 2


def test_a_fast_quality_that_loses_with_a_bed_is_chosen_only_without_one() -> None:
    d = decide(aggregate(rows([4.0, 4.2, 4.1, 4.0], [4.0, 4.21, 4.1, 4.3])))
    assert d["per_output"] == {"stereo with a bed": 3, "mono with a bed": None, "stereo without a bed": 7, "mono without a bed": None}
    assert d["all"] == 3
    assert d["losses"] == [{"bed": "rain", "channels": 2, "quality": 7, "mean": -0.075, "worst": -0.3}]


def test_small_differences_and_single_bad_excerpts() -> None:
    # within the margins everywhere: the cheaper one
    assert decide(aggregate(rows([3.99, 4.19, 4.08, 4.28], [4.0, 4.2, 4.1, 4.3])))["all"] == 7
    # the mean within its margin, but one excerpt 0.12 under: not chosen
    assert decide(aggregate(rows([4.02, 4.22, 4.12, 4.18], [4.0, 4.2, 4.1, 4.3])))["all"] == 3
    # better than the old default: the best is the measure, so -q 3 loses there and 7 is chosen
    d = decide(aggregate(rows([4.2, 4.4, 4.3, 4.5], [4.0, 4.2, 4.1, 4.3])))
    assert d["per_output"]["stereo with a bed"] == 7 and d["losses"][0]["quality"] == 3


def test_no_scores_no_choice() -> None:
    cases = aggregate([row("rain", q, "a", None, 1.0) for q in (3, 7)])
    assert case(cases, "rain", 3)["visqol"] is None and choose(cases) is None
    res = {"cases": cases, "plan": {"qualities": [3, 7]}, "decision": decide(cases)}
    assert "| rain, stereo | - | - | 1.0 / 1.0 |" in table(res)


def test_table_marks_losses() -> None:
    cases = aggregate(rows([4.0, 4.2, 4.1, 4.0], [4.0, 4.2, 4.1, 4.3]))
    text = table({"cases": cases, "plan": {"qualities": [3, 7]}, "decision": decide(cases)})
    assert "| rain, stereo | 4.150 ± 0.129 (4.000-4.300) | 4.075 ± 0.096 (4.000-4.200) **loss** | 4.0 / 2.0 |" in text
    assert "stereo with a bed -q 3; mono with a bed -q None; stereo without a bed -q 7; mono without a bed -q None. One for all: -q 3" in text
    # rain prefers -q 7 by 0.05, ocean -q 3 by 0.1: none within the margins; -q 3 loses least
    ocean = [{**r, "bed": "ocean"} for r in rows([3.9, 4.1, 4.0, 4.2], [])[:4]]
    d = decide(aggregate(rows([4.05, 4.25, 4.15, 4.35], [])[:4] + ocean))
    assert d["per_output"]["stereo with a bed"] == 3 and d["within_margins"]["stereo with a bed"] is False
    assert "stereo with a bed -q 3 (least loss)" in table({"cases": aggregate(ocean), "plan": {"qualities": [3, 7]},
                                                     "decision": d})


def test_excerpts_start_before_the_first_sentence_from_their_place() -> None:
    speech = [5000.0, 40000.0, 130000.0]
    assert excerpt_starts(speech, 200000.0, (0.1, 0.5), 30.0) == (40.0 - LEAD_S, 130.0 - LEAD_S)
    # no sentence after the place: the place itself; never past the end or before the start
    assert excerpt_starts(speech, 200000.0, (0.9, 0.0), 30.0) == (170.0, 3.0)
    assert excerpt_starts([0.0], 20000.0, (0.5,), 30.0) == (0.0,)


def test_each_output_gets_its_own_choice() -> None:
    # stereo under a bed: -q 7 loses; mono under a bed: -q 7 scores higher; no bed: equal
    stereo = rows([4.0, 4.2, 4.1, 4.0], [4.0, 4.2, 4.1, 4.3])
    mono = [{**r, "channels": 1, "visqol": [v + (0.3 if r["quality"] == 7 and r["bed"] == "rain" else 0.0)
                                            for v in [4.0, 4.2] if r["visqol"]]} for r in stereo]
    d = decide(aggregate(stereo + mono))
    assert d["per_output"] == {"stereo with a bed": 3, "mono with a bed": 7, "stereo without a bed": 7, "mono without a bed": 7}
    assert all(d["within_margins"].values())
    # one for all: none is within the margins everywhere; -q 7 loses least (0.075 against 0.3)
    assert d["all"] == 7 and regret(aggregate(stereo + mono), 3) == pytest.approx(0.3)
