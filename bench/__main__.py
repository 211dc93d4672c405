"""``python -m bench``: run the benchmark, write bench/results.json, print the table."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import replace
from pathlib import Path

from . import HERE
from .report import summary, table
from .run import QUICK, SECTIONS, Config, make_workdir, run_suite


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="smoke run: tiny sessions, a few seconds (the figures mean nothing)")
    ap.add_argument("--out", type=Path, default=None, help="results file (default: bench/results.json; quick: required)")
    ap.add_argument("--workdir", default=None, help="keep the work files here (default: a temp folder, removed)")
    ap.add_argument("--minutes", type=float, default=None, help="length of the floor/cold/warm/peer session (default 20)")
    ap.add_argument("--repeat", type=int, default=None, help="best of N for floors and builds (default 2)")
    ap.add_argument("--course-minutes", type=float, default=None, help="length of each course session (default 3)")
    ap.add_argument("--engine", default=None, help="override every voice's engine (default pyttsx3: espeak-ng; e.g. fake)")
    ap.add_argument("--profile-dir", default=None, help="write pyinstrument reports of every build here")
    ap.add_argument("--only", choices=SECTIONS, default="all",
                    help="run one section alone: codec (the codec study; default results file bench/results-codec.json)")
    a = ap.parse_args(argv)
    cfg = QUICK if a.quick else Config()
    if a.minutes is not None:
        cfg = replace(cfg, minutes=a.minutes)
    if a.repeat is not None:
        cfg = replace(cfg, repeat=max(1, a.repeat))
    if a.course_minutes is not None:
        cfg = replace(cfg, course_minutes=a.course_minutes)
    if a.engine is not None:
        cfg = replace(cfg, engine=a.engine)
    if a.profile_dir is not None:
        cfg = replace(cfg, profile_dir=str(Path(a.profile_dir).resolve()))
    if a.quick and a.out is None:
        ap.error("--quick needs --out (a smoke run must not overwrite bench/results.json)")
    out = a.out or HERE / ("results.json" if a.only == "all" else f"results-{a.only}.json")
    work, temp = make_workdir(a.workdir)
    try:
        res = run_suite(cfg, work, log=lambda s: print(s, flush=True), only=a.only)
    finally:
        if temp:
            shutil.rmtree(work, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    if a.only != "all":  # the section printed its own table
        print(f"results: {out}")
        return 0
    print()
    print(table(res))
    print()
    print(summary(res))
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
