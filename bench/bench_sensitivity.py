"""Monte Carlo speed and memory: 100,000 weight samples × 11 cities, the full scheme per sample
(§4 N/A renormalisation, bonus cap, totals rounded to 2 decimals, grades, caps, vetoes, unique
tie-broken ranks), against scikit-criteria's WeightedSumModel evaluated sample by sample.

The comparison flatters scikit-criteria: it does only a weighted sum and a dense rank.
Run: `.venv/bin/python bench/bench_sensitivity.py [--stages]`. Times are in-process wall time,
median [min–max] over the runs; memory is the tracemalloc peak of a separate run.
"""

from __future__ import annotations

import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from jxscore.analysis.methods import decision_matrix  # noqa: E402
from jxscore.analysis.sensitivity import SensitivityOptions, ranks_and_grades, sample_weights  # noqa: E402
from jxscore.core.weights import weighted_mask  # noqa: E402
from jxscore.service import RunOptions, run_score  # noqa: E402

SAMPLES = 100_000
SKC_SAMPLES = 300
REPEAT = 15
GOAL_MS = 60.0


def runs_of(fn, repeat: int = REPEAT) -> list[float]:
    fn()  # warm-up
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def fmt(runs: list[float]) -> str:
    return f"{statistics.median(runs) * 1e3:7.1f} ms [{min(runs) * 1e3:.1f}–{max(runs) * 1e3:.1f}]"


def peak_mib(fn) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def stages(b, W, block: int) -> None:
    """Where the evaluation's time goes, block by block (the same calls as `ranks_and_grades`)."""
    from jxscore.core import aggregate as ag

    wm = b.weight_model
    floor = b._default_switches[2][:, None]
    acc = dict.fromkeys(["products (GEMM) + §4 ratio", "totals", "cents (rounding)", "grades", "ranks"], 0.0)
    keys = list(acc)
    reps = 5
    gbuf, tbuf = np.empty((wm.rows, block)), np.empty((wm.n, block))
    with ag.one_blas_thread():
        for _ in range(reps):
            for lo in range(0, W.shape[0], block):
                t = [time.perf_counter()]
                ws = wm.weighted_scores_T(W[lo:lo + block], out=gbuf)
                t.append(time.perf_counter())
                tot = ag._total(wm, ws, out=tbuf)
                t.append(time.perf_counter())
                cents = ag.to_cents(tot, b.total_decimals, out=tot)
                t.append(time.perf_counter())
                grade = np.maximum(ag._base_grade(b, cents), floor)
                t.append(time.perf_counter())
                ag._rank(b, grade, cents, ws)
                t.append(time.perf_counter())
                for k, a, z in zip(keys, t, t[1:]):
                    acc[k] += z - a
    print(f"stages of the evaluation ({W.shape[0]:,} samples, blocks of {block}; mean of {reps}):")
    for k, v in acc.items():
        print(f"  {k:28s} {v / reps * 1e3:6.1f} ms")


def main() -> None:
    result, _ = run_score(RunOptions(2024, ROOT / "data"), explain=False)
    b = result.basis
    n, m = b.fractions.shape
    opts = SensitivityOptions(samples=SAMPLES, seed=0)

    def sample():
        return sample_weights(b, opts, np.random.default_rng(0), SAMPLES)

    W = sample()

    def evaluate():
        return ranks_and_grades(b, W, opts.chunk)

    def both():
        return ranks_and_grades(b, sample(), opts.chunk)

    t_sample, t_eval, t_both = runs_of(sample), runs_of(evaluate), runs_of(both)
    mem_eval, mem_both = peak_mib(evaluate), peak_mib(both)
    print(f"cities × indicators: {n} × {m}; {SAMPLES:,} uniform ±{opts.band:.0%} samples, A+B+C rescaled to 100; "
          f"blocks of {opts.chunk} samples; median [min–max] of {REPEAT} runs")
    print(f"  sampling (sample_weights)            {fmt(t_sample)}")
    print(f"  evaluation (ranks_and_grades)        {fmt(t_eval)}")
    ok = statistics.median(t_both) * 1e3 <= GOAL_MS
    print(f"  sampling + evaluation                {fmt(t_both)}  [goal ≤ {GOAL_MS:.0f} ms: "
          f"{'ok' if ok else 'MISSED'}] = {statistics.median(t_both) / SAMPLES * 1e9:.0f} ns/sample")
    weights_mib = SAMPLES * m * 8 / 2**20
    print(f"peak memory (tracemalloc): evaluation {mem_eval:.1f} MiB (ranks + grades int16: "
          f"{2 * SAMPLES * n * 2 / 2**20:.1f} MiB); sampling + evaluation {mem_both:.1f} MiB "
          f"(the weights themselves: {weights_mib:.1f} MiB); samples × cities × indicators in float64 "
          f"would be {SAMPLES * n * m * 8 / 2**20:.0f} MiB")
    from jxscore.analysis.sensitivity import run_sensitivity

    for S in (20_000, SAMPLES):
        so = SensitivityOptions(samples=S, seed=1)
        print(f"run_sensitivity (Monte Carlo + Sobol' + summaries), {S:,} samples: tracemalloc peak "
              f"{peak_mib(lambda so=so: run_sensitivity(result, so)):.1f} MiB (process RSS: `/usr/bin/time -v "
              f"jxscore sensitivity --samples {S}`)")
    if "--stages" in sys.argv:
        stages(b, W, opts.chunk)

    import skcriteria as skc
    from skcriteria.agg.simple import WeightedSumModel

    X, _, codes = decision_matrix(b)
    weighted = weighted_mask(b)
    Ws = W[:SKC_SAMPLES][:, weighted]
    wsm = WeightedSumModel()
    t = time.perf_counter()
    for i in range(SKC_SAMPLES):  # the per-sample loop a pipeline needs
        dm = skc.mkdm(X, objectives=[max] * X.shape[1], weights=Ws[i], alternatives=b.entities, criteria=codes)
        wsm.evaluate(dm)
    t_skc = (time.perf_counter() - t) / SKC_SAMPLES

    Wall = np.ascontiguousarray(W[:, weighted])
    t_bare = runs_of(lambda: np.argsort(np.argsort(-(Wall @ X.T), axis=1, kind="stable"), axis=1), 5)
    t_prod = runs_of(lambda: Wall @ X.T, 5)
    per = statistics.median(t_both) / SAMPLES
    print(f"scikit-criteria WeightedSumModel loop: {t_skc * 1e6:.0f} µs/sample; "
          f"full scheme here {per * 1e9:.0f} ns/sample: {t_skc / per:,.0f}× faster per sample")
    print(f"like for like (weighted sum + argsort rank only): {fmt(t_bare)} = "
          f"{statistics.median(t_bare) / SAMPLES * 1e9:.0f} ns/sample; "
          f"the matrix product alone {fmt(t_prod)}")


if __name__ == "__main__":
    main()
