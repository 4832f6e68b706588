#!/usr/bin/env python3
"""How much signing adds to `jxscore report` (issue 13: well under a second for all 12 documents).

Two measurements, each interleaved run by run so that background load (the machine is shared) hits
every variant alike; the figures are median, min and max:

1. in-process: the 12 PDFs of one unsigned run signed one after another with the key loaded once and
   pyHanko prepared (what `report` does while the cards render), invisible and with --stamp; wall and
   CPU time of the loop;
2. end to end: `jxscore report` as a fresh process without and with `--sign-key --sign-cert --stamp`.

    .venv/bin/python bench/bench_sign.py [--runs 5] [--year 2024] [--data data] [--jobs N]
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
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "src"))

from jxscore.report import keys, sign  # noqa: E402


def stats(xs: list[float]) -> str:
    return f"median {statistics.median(xs):.3f} s (min {min(xs):.3f}, max {max(xs):.3f}, n={len(xs)})"


def report(out: Path, args, extra: list[str]) -> float:
    cmd = [str(BIN / "jxscore"), "report", "--year", str(args.year), "--data", str(args.data), "--out", str(out)]
    cmd += ["--jobs", str(args.jobs)] if args.jobs else []
    t = time.perf_counter()
    subprocess.run(cmd + extra, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--data", type=Path, default=ROOT / "data")
    ap.add_argument("--jobs", type=int, default=None)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-sign-"))
    try:
        pki = tmp / "pki"
        pki.mkdir()
        keys.demo_pki(pki)
        key, cert = pki / "office-key.pem", pki / "office-cert.pem"
        report(tmp / "plain", args, [])
        docs = [tmp / "plain" / "summary.pdf"] + sorted((tmp / "plain" / "scorecards").glob("*.pdf"))
        blobs = [p.read_bytes() for p in docs]
        t = time.perf_counter()
        signers = {"invisible": sign.load_signer(sign.SignOptions(key, cert)).prepare(),
                   "stamp": sign.load_signer(sign.SignOptions(key, cert, stamp=True)).prepare()}
        print(f"load key + prepare pyHanko (both signers, first import included): {time.perf_counter() - t:.3f} s")
        wall: dict[str, list[float]] = {k: [] for k in signers}
        cpu: dict[str, list[float]] = {k: [] for k in signers}
        for _ in range(args.runs):
            for name, s in signers.items():
                t, c = time.perf_counter(), time.process_time()
                for b in blobs:
                    s.sign_bytes(b)
                wall[name].append(time.perf_counter() - t)
                cpu[name].append(time.process_time() - c)
        for name in signers:
            print(f"sign {len(blobs)} documents, {name:9}: wall {stats(wall[name])}; CPU {stats(cpu[name])}")

        e2e: dict[str, list[float]] = {"unsigned": [], "signed --stamp": []}
        sign_args = ["--sign-key", str(key), "--sign-cert", str(cert), "--stamp"]
        for i in range(args.runs):
            e2e["unsigned"].append(report(tmp / f"u{i}", args, []))
            e2e["signed --stamp"].append(report(tmp / f"s{i}", args, sign_args))
        for name, xs in e2e.items():
            print(f"jxscore report, {name:14}: {stats(xs)}")
        diff = statistics.median(e2e["signed --stamp"]) - statistics.median(e2e["unsigned"])
        print(f"end-to-end difference of the medians: {diff:+.3f} s (noisy on a shared machine)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
