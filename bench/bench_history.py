#!/usr/bin/env python3
"""Time `jxscore report` on the sample with and without `--history data/history` (interleaved runs,
fresh processes, so background load hits both). Goal (issue 12): the history adds at most 20 %.
Also times `jxscore history --data data/history` on its own.

    .venv/bin/python bench/bench_history.py [--runs 3] [--jobs N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "jxscore"
GOAL = 1.20


def timed(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - t


def show(name: str, xs: list[float]) -> str:
    return f"{name}: median {statistics.median(xs):.2f} s [{min(xs):.2f}–{max(xs):.2f}] over {len(xs)} runs"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=None)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-history-"))
    jobs = ["--jobs", str(a.jobs)] if a.jobs else []
    base = [str(BIN), "report", "--year", "2024", "--data", "data", *jobs]
    plain, hist, alone = [], [], []
    try:
        for i in range(a.runs):
            plain.append(timed(base + ["--out", str(tmp / f"plain{i}")]))
            hist.append(timed(base + ["--history", "data/history", "--out", str(tmp / f"hist{i}")]))
            alone.append(timed([str(BIN), "history", "--data", "data/history", "--out", str(tmp / f"alone{i}")]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ratio = statistics.median(hist) / statistics.median(plain)
    print(show("report", plain))
    print(show("report --history", hist))
    print(show("history (csv + pdf)", alone))
    print(f"ratio {ratio:.3f} (goal ≤ {GOAL:.2f}): {'ok' if ratio <= GOAL else 'OVER'}")
    pairs = [h / p for p, h in zip(plain, hist)]
    print("per pair: " + ", ".join(f"{x:.3f}" for x in pairs))
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
