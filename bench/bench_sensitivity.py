"""Monte Carlo speed: 100,000 weight samples × 11 cities × all indicators in one vectorised pass,
against evaluating a scikit-criteria WeightedSumModel on the same matrix sample by sample.

The comparison flatters scikit-criteria: our pass does the full scheme per sample (§4 N/A
renormalisation, 2-decimal totals, grades, caps, vetoes, unique tie-broken ranks), scikit-criteria
only a weighted sum and a dense rank. Run: `.venv/bin/python bench/bench_sensitivity.py`.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from jxscore.analysis.methods import decision_matrix  # noqa: E402
from jxscore.analysis.sensitivity import SensitivityOptions, ranks_and_grades, sample_weights  # noqa: E402
from jxscore.service import RunOptions, run_score  # noqa: E402

SAMPLES = 100_000
SKC_SAMPLES = 300


def main() -> None:
    result, _ = run_score(RunOptions(2024, ROOT / "data"), explain=False)
    b = result.basis
    n, m = b.fractions.shape
    opts = SensitivityOptions(samples=SAMPLES, seed=0)

    def ours() -> np.ndarray:
        W = sample_weights(b, opts, np.random.default_rng(0), SAMPLES)
        return ranks_and_grades(b, W, opts.chunk)[0]

    ours()  # warm-up
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        ours()
        runs.append(time.perf_counter() - t)
    t_ours = statistics.median(runs)

    import skcriteria as skc
    from skcriteria.agg.simple import WeightedSumModel

    X, _, codes = decision_matrix(b)
    weighted = ~b.bonus[b.category_of]
    W = sample_weights(b, opts, np.random.default_rng(0), SKC_SAMPLES)[:, weighted]
    wsm = WeightedSumModel()
    t = time.perf_counter()
    for i in range(SKC_SAMPLES):  # the per-sample loop a pipeline needs
        dm = skc.mkdm(X, objectives=[max] * X.shape[1], weights=W[i], alternatives=b.entities, criteria=codes)
        wsm.evaluate(dm).rank_
    t_skc = time.perf_counter() - t

    # like for like with WeightedSumModel: a weighted sum and a ranking, nothing else
    Wall = sample_weights(b, opts, np.random.default_rng(0), SAMPLES)[:, weighted]
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        S = Wall @ X.T
        np.argsort(np.argsort(-S, axis=1, kind="stable"), axis=1)
        runs.append(time.perf_counter() - t)
    t_bare = statistics.median(runs)

    runs = []
    for _ in range(5):
        t = time.perf_counter()
        Wall @ X.T
        runs.append(time.perf_counter() - t)
    t_prod = statistics.median(runs)

    per_ours, per_skc, per_bare = t_ours / SAMPLES, t_skc / SKC_SAMPLES, t_bare / SAMPLES
    print(f"cities × indicators: {n} × {m}")
    print(f"jxscore vectorised: {SAMPLES:,} samples in {t_ours * 1e3:.0f} ms (median of 5; sampling + evaluate) "
          f"= {per_ours * 1e6:.2f} µs/sample  [goal < 1 s: {'ok' if t_ours < 1 else 'MISSED'}]")
    print(f"scikit-criteria WeightedSumModel loop: {SKC_SAMPLES} samples in {t_skc * 1e3:.0f} ms "
          f"= {per_skc * 1e6:.0f} µs/sample")
    ratio = per_skc / per_ours
    print(f"speed ratio per sample, full scheme vs WSM loop: {ratio:,.0f}×  "
          f"[goal ≥ 10,000×: {'ok' if ratio >= 10_000 else 'MISSED'}]")
    print(f"like for like (weighted sum + rank only, one matrix product): {SAMPLES:,} samples in "
          f"{t_bare * 1e3:.1f} ms = {per_bare * 1e6:.3f} µs/sample; ratio {per_skc / per_bare:,.0f}×")
    print(f"scores only (the matrix product): {t_prod * 1e3:.1f} ms; ratio {per_skc / (t_prod / SAMPLES):,.0f}×")


if __name__ == "__main__":
    main()
