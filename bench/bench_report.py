#!/usr/bin/env python3
"""Time `jxscore report` (score + 12 PDFs) against ONE cold single-card WeasyPrint render.

Both are measured as fresh processes, so interpreter start and imports count on both sides.
Goal (issue "Scorecards"): report ≤ 3 × single, and every scorecard ≤ 3 A4 pages. Runs are
interleaved so background load hits both; the figures are median, min and max of the runs.

    .venv/bin/python bench/bench_report.py [--runs 5] [--year 2024] [--data data] [--jobs N] [--card SLUG]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GOAL = 3.0
MAX_PAGES = 3

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


def page_count(pdf: Path) -> int:
    """Pages of a PDF: pdfinfo when poppler is installed, else the /Type /Page objects."""
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf.read_bytes()))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--data", default="data")
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--card", default=None, help="slug of the card for the single render (default: first by name)")
    a = ap.parse_args()
    if a.runs < 3:
        ap.error("--runs must be at least 3 (the figures are medians)")
    tmp = Path(tempfile.mkdtemp(prefix="jxbench-"))
    report = [str(BIN / "jxscore"), "report", "--year", str(a.year), "--data", a.data, "--out", str(tmp / "out")]
    if a.jobs:
        report += ["--jobs", str(a.jobs)]
    subprocess.run(report + ["--html"], check=True, stdout=subprocess.DEVNULL, cwd=ROOT)  # warm disk cache, get a card
    cards = sorted((tmp / "out" / "scorecards").glob("*.html"))
    src = next(c for c in cards if c.stem == a.card) if a.card else cards[0]
    card = tmp / f"{src.stem}.html"  # copied: each report run replaces scorecards/ as a whole
    card.write_bytes(src.read_bytes())
    single = [sys.executable, "-c", SINGLE, str(card), str(tmp / "one.pdf")]
    t_single, t_report = [], []
    for _ in range(a.runs):
        t_single.append(timed(single))
        t_report.append(timed(report))
    ratio = statistics.median(t_report) / statistics.median(t_single)
    # each report run against the single render just before it: on a machine whose speed drifts (shared
    # cores), a pair sees the same speed where the two medians may not
    paired = statistics.median(r / s for r, s in zip(t_report, t_single))
    pages = {p.stem: page_count(p) for p in sorted((tmp / "out" / "scorecards").glob("*.pdf"))}
    summary = page_count(tmp / "out" / "summary.pdf")
    print(f"cpu cores: {os.cpu_count()}, render workers: {a.jobs or os.cpu_count()}")
    print(f"single cold render ({card.stem}):  {stats(t_single)}")
    print(f"jxscore report (12 PDFs):        {stats(t_report)}")
    print(f"ratio (median report / median single): {ratio:.2f}  (goal ≤ {GOAL:g})")
    pairs = [r / s for r, s in zip(t_report, t_single)]
    print(f"ratio (median of each run's report / its single): {paired:.2f}  [{min(pairs):.2f}–{max(pairs):.2f}]")
    print("pages per scorecard: " + ", ".join(f"{k} {v}" for k, v in pages.items())
          + f"  (max {max(pages.values())}, goal ≤ {MAX_PAGES}); summary {summary}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
