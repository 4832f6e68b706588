#!/usr/bin/env python3
"""Time `jxscore --help` against a bare `python -c "import typer"`, both as fresh processes.

Goal: `jxscore --help` ≤ 2 × `import typer` (interpreter start, imports and the help text all count).
Runs are interleaved (A B A B ...) so background load hits both; the ratio is given of the medians and as the
median of the pair-by-pair ratios. Also shown, for orientation: a bare interpreter start and the import of
`jxscore.cli` alone, and the slowest modules of `python -X importtime -c "from jxscore.cli import app"`.

    .venv/bin/python bench/bench_help.py [--runs 21] [--top 12]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable
JX = str(Path(PY).parent / "jxscore")
GOAL = 2.0


def timed(cmd: list[str], cwd: str) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                   cwd=cwd)
    return time.perf_counter() - t


def stats(xs: list[float]) -> str:
    return f"median {statistics.median(xs) * 1e3:6.1f} ms  min {min(xs) * 1e3:6.1f}  max {max(xs) * 1e3:6.1f}"


def importtime(top: int, cwd: str) -> list[tuple[int, int, str]]:
    err = subprocess.run([PY, "-X", "importtime", "-c", "from jxscore.cli import app"], capture_output=True,
                         text=True, check=True, cwd=cwd).stderr
    rows = []
    for line in err.splitlines()[1:]:
        _, self_us, cum_us, name = (x.strip() for x in line.replace("import time:", "|", 1).split("|"))
        rows.append((int(cum_us), int(self_us), name))
    return sorted(rows, reverse=True)[:top]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=21, help="runs of each command (at least 15)")
    ap.add_argument("--top", type=int, default=12, help="modules to list from -X importtime")
    a = ap.parse_args()
    runs = max(a.runs, 15)

    cmds = {
        "jxscore --help": [JX, "--help"],
        "python -c 'import typer'": [PY, "-c", "import typer"],
        "python -c 'from jxscore.cli import app'": [PY, "-c", "from jxscore.cli import app"],
        "python -c pass": [PY, "-c", "pass"],
    }
    with tempfile.TemporaryDirectory() as cwd:  # outside the checkout: nothing found through the cwd
        for c in cmds.values():  # warm the page cache and the .pyc files
            timed(c, cwd)
        t: dict[str, list[float]] = {k: [] for k in cmds}
        for _ in range(runs):
            for k, c in cmds.items():
                t[k].append(timed(c, cwd))
        slow = importtime(a.top, cwd)

    print(f"{runs} fresh processes each, interleaved ({PY})")
    for k, xs in t.items():
        print(f"  {k:42s} {stats(xs)}")
    help_, typer_ = t["jxscore --help"], t["python -c 'import typer'"]
    ratio = statistics.median(help_) / statistics.median(typer_)
    pairs = [h / b for h, b in zip(help_, typer_)]
    print(f"ratio jxscore --help / import typer: {ratio:.2f}× of the medians; pair by pair median "
          f"{statistics.median(pairs):.2f}× (min {min(pairs):.2f}, max {max(pairs):.2f}); goal ≤ {GOAL:g}×")
    print("slowest imports of jxscore.cli (-X importtime, one run, cumulative / self µs):")
    for cum, self_us, name in slow:
        print(f"  {cum:7d} {self_us:7d}  {name}")


if __name__ == "__main__":
    main()
