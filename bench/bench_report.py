#!/usr/bin/env python3
"""Time `jxscore report` (score + 12 PDFs) against ONE cold single-document WeasyPrint render.

Both are measured as fresh processes, so interpreter start and imports count on both sides.
Goal (issue "Scorecards"): report ≤ 2 × single. Runs are interleaved so background load hits both.

    .venv/bin/python bench/bench_report.py [--runs 5] [--year 2024] [--data data] [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

SINGLE = """
import sys
from jxscore.report.pdf import html_to_pdf
html_to_pdf(open(sys.argv[1], encoding="utf-8").read(), sys.argv[2])
"""


def timed(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - t


def stats(xs: list[float]) -> str:
    return f"median {statistics.median(xs):.2f} s  min {min(xs):.2f}  max {max(xs):.2f}  (n={len(xs)})"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--data", default="data")
    ap.add_argument("--jobs", type=int, default=None)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="jxbench-"))
    report = [str(BIN / "jxscore"), "report", "--year", str(a.year), "--data", a.data, "--out", str(tmp / "out")]
    if a.jobs:
        report += ["--jobs", str(a.jobs)]
    subprocess.run(report + ["--html"], check=True, stdout=subprocess.DEVNULL, cwd=ROOT)  # warm disk cache, get a card
    card = tmp / "card.html"  # copied: each report run replaces scorecards/ as a whole
    card.write_bytes(sorted((tmp / "out" / "scorecards").glob("*.html"))[0].read_bytes())
    single = [sys.executable, "-c", SINGLE, str(card), str(tmp / "one.pdf")]
    t_single, t_report = [], []
    for _ in range(a.runs):
        t_single.append(timed(single))
        t_report.append(timed(report))
    ratio = statistics.median(t_report) / statistics.median(t_single)
    print(f"cpu cores: {os.cpu_count()}")
    print(f"single cold render ({card.name}): {stats(t_single)}")
    print(f"jxscore report (12 PDFs):        {stats(t_report)}")
    print(f"ratio (median report / median single): {ratio:.2f}  (goal ≤ 2)")


if __name__ == "__main__":
    main()
