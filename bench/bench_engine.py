"""Engine speed: the 11 cities and a synthetic 3,000 entities × 100 indicators.

Each is timed against (a) a plain numpy weighted sum and ranking of the same fraction matrix and
(b) scikit-criteria's WeightedSumModel pipeline on the same matrix. Run: `make bench` or
`.venv/bin/python bench/bench_engine.py`. Prints medians of repeated in-process timings.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from jxscore.core.aggregate import Basis, evaluate  # noqa: E402
from jxscore.core.criteria import load_criteria  # noqa: E402
from jxscore.core.engine import score  # noqa: E402
from jxscore.core.inputs import load_inputs  # noqa: E402


def timeit(fn, repeat: int = 30, number: int = 1) -> float:
    """Median seconds per call."""
    fn()  # warm-up
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        runs.append((time.perf_counter() - t0) / number)
    return statistics.median(runs)


def synthetic_basis(n: int, m: int, seed: int = 0) -> Basis:
    """n entities × m indicators in 3 weighted categories + 1 bonus item, 5% not applicable."""
    rng = np.random.default_rng(seed)
    F = rng.random((n, m))
    A = rng.random((n, m)) > 0.05
    A[:, 0] = True
    F[~A] = np.nan
    cat = np.repeat([0, 1, 2], [m // 2, m // 3, m - m // 2 - m // 3])
    cat[-1] = 3
    A[:, -1] = True
    F[:, -1] = rng.integers(0, 2, n)
    pts = rng.integers(1, 5, m).astype(float)
    cpts = np.array([pts[cat == c].sum() for c in range(4)])
    cpts[3] = 5.0
    return Basis(
        entities=[f"e{i}" for i in range(n)], entity_codes=[f"{i:06d}" for i in range(n)],
        codes=[f"X{j}" for j in range(m)], fractions=F, applicable=A, points=pts, category_of=cat,
        categories=["A", "B", "C", "D"], category_points=cpts, bonus=np.array([False, False, False, True]),
        grade_names=["超额完成", "完成", "基本完成", "未完成"], grade_mins=np.array([95.0, 80, 60, 0]),
        veto_codes=["V1"], veto_flags=rng.random((n, 1)) < 0.02, cap_codes=["G1"],
        cap_flags=rng.random((n, 1)) < 0.05, cap_grade=np.array([2]),
        tie_break=["grade", "total", "category:A", "metric:X0.p", "entity_code"],
        metrics={"X0.p": rng.random(n)},
    )


def numpy_plain(F: np.ndarray, w: np.ndarray):
    """The reference: weighted sum of the fraction matrix and a ranking by it."""
    total = np.nan_to_num(F) @ w
    return total, np.argsort(-total, kind="stable")


def skcriteria_pipeline(F: np.ndarray, w: np.ndarray):
    from skcriteria.agg.simple import WeightedSumModel
    from skcriteria.preprocessing.invert_objectives import InvertMinimize
    from skcriteria.preprocessing.scalers import SumScaler
    from skcriteria.pipelines import mkpipe
    import skcriteria as skc

    dm = skc.mkdm(np.nan_to_num(F) + 1e-9, objectives=[max] * F.shape[1], weights=w)
    pipe = mkpipe(InvertMinimize(), SumScaler(target="weights"), WeightedSumModel())
    return pipe.evaluate(dm)


def report(label: str, basis: Basis) -> dict:
    w = basis.points
    F = basis.fractions
    t_engine = timeit(lambda: evaluate(basis), repeat=50)
    t_np = timeit(lambda: numpy_plain(F, w), repeat=50)
    skcriteria_pipeline(F, w)  # import and warm up
    t_sk = timeit(lambda: skcriteria_pipeline(F, w), repeat=10)
    print(f"{label}: engine (aggregate+grade+rank) {t_engine * 1e3:.3f} ms | numpy weighted sum+rank "
          f"{t_np * 1e3:.3f} ms | scikit-criteria pipeline {t_sk * 1e3:.3f} ms | "
          f"engine/numpy {t_engine / t_np:.2f}× | scikit-criteria/engine {t_sk / t_engine:.0f}×")
    return {"engine": t_engine, "numpy": t_np, "skcriteria": t_sk}


def main() -> None:
    crit = load_criteria()
    inputs = load_inputs(ROOT / "data", 2024, crit)
    t_full = timeit(lambda: score(inputs, crit, explain=True), repeat=20)
    t_num = timeit(lambda: score(inputs, crit, explain=False), repeat=20)
    res = score(inputs, crit, explain=False)
    print(f"11 cities, all rules from validated inputs: with ledger {t_full * 1e3:.2f} ms, "
          f"numbers only {t_num * 1e3:.2f} ms")
    report("11 cities × 36 indicators", res.basis)
    report("3,000 × 100 synthetic", synthetic_basis(3000, 100))
    t0 = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "jxscore"), "--help"], capture_output=True, check=True)
    helps = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run([str(Path(sys.executable).parent / "jxscore"), "--help"], capture_output=True, check=True)
        helps.append(time.perf_counter() - t0)
    print(f"jxscore --help: median {statistics.median(helps) * 1e3:.0f} ms over 5 runs")


if __name__ == "__main__":
    main()
