"""Engine speed: the 11 cities and a synthetic 3,000 entities × 100 indicators.

Each is timed against (a) a plain numpy weighted sum and ranking of the same fraction matrix and
(b) scikit-criteria's WeightedSumModel pipeline on the same matrix. Run: `make bench` or
`.venv/bin/python bench/bench_engine.py`. Every figure is in-process wall time of repeated calls,
printed as median [min–max] over the runs.
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
from jxscore.core.engine import score  # noqa: E402
from jxscore.service import RunOptions, prepare  # noqa: E402


def timeit(fn, repeat: int = 30) -> list[float]:
    """Seconds per call, `repeat` calls after one warm-up."""
    fn()
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return runs


def fmt(runs: list[float], unit: str = "ms") -> str:
    k = {"ms": 1e3, "µs": 1e6}[unit]
    return f"{statistics.median(runs) * k:8.3f} {unit} [{min(runs) * k:.3f}–{max(runs) * k:.3f}]"


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
    import skcriteria as skc
    from skcriteria.agg.simple import WeightedSumModel
    from skcriteria.pipelines import mkpipe
    from skcriteria.preprocessing.invert_objectives import InvertMinimize
    from skcriteria.preprocessing.scalers import SumScaler

    dm = skc.mkdm(np.nan_to_num(F) + 1e-9, objectives=[max] * F.shape[1], weights=w)
    pipe = mkpipe(InvertMinimize(), SumScaler(target="weights"), WeightedSumModel())
    return pipe.evaluate(dm)


def report(label: str, basis: Basis) -> None:
    w, F = basis.points, basis.fractions
    t_engine = timeit(lambda: evaluate(basis), repeat=50)
    t_np = timeit(lambda: numpy_plain(F, w), repeat=50)
    skcriteria_pipeline(F, w)  # import and warm up
    t_sk = timeit(lambda: skcriteria_pipeline(F, w), repeat=10)
    me, mn, ms = (statistics.median(t) for t in (t_engine, t_np, t_sk))
    print(f"{label}")
    print(f"  engine evaluate (§4 weights, totals, grades, caps, vetoes, ranks) {fmt(t_engine)}")
    print(f"  numpy weighted sum + argsort                                     {fmt(t_np)}")
    print(f"  scikit-criteria WeightedSumModel pipeline                        {fmt(t_sk)}")
    print(f"  engine / numpy {me / mn:.1f}×   scikit-criteria / engine {ms / me:.0f}×")


def main() -> None:
    crit, inputs = prepare(RunOptions(2024, ROOT / "data"))
    t_full = timeit(lambda: score(inputs, crit, explain=True), repeat=20)
    t_num = timeit(lambda: score(inputs, crit, explain=False), repeat=20)
    res = score(inputs, crit, explain=False)
    print("11 cities, every rule from validated inputs (engine.score):")
    print(f"  with ledger   {fmt(t_full)}")
    print(f"  numbers only  {fmt(t_num)}")
    n, m = res.basis.fractions.shape
    report(f"{n} cities × {m} indicators, aggregation only:", res.basis)
    report("3,000 entities × 100 indicators (synthetic), aggregation only:", synthetic_basis(3000, 100))
    exe = str(Path(sys.executable).parent / "jxscore")
    subprocess.run([exe, "--help"], capture_output=True, check=True)
    helps = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run([exe, "--help"], capture_output=True, check=True)
        helps.append(time.perf_counter() - t0)
    print(f"jxscore --help (new process): {fmt(helps)} over 5 runs")


if __name__ == "__main__":
    main()
