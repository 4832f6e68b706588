"""Is the ranking an artefact of one choice of weights? Monte Carlo over the weights and Sobol
indices of the category weights (JRC/OECD composite-indicator practice: uncertainty analysis, then
sensitivity analysis).

Everything runs as array computations: the samples go through `aggregate.ranks_and_grades` in
cache-sized blocks (memory grows as samples × cities), never a Python loop per sample. Fractions,
vetoes and caps are fixed; only weights vary, and A+B+C is rescaled to its nominal total (100) in
every sample, as a what-if does by default. A fixed seed gives identical numbers and output bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from jxscore.core.aggregate import BLOCK, Basis
from jxscore.core.aggregate import ranks_and_grades as aggregate_ranks_and_grades
from jxscore.core.engine import Result
from jxscore.core.problems import Code, Problem, UsageError
from jxscore.core.weights import model as weight_model
from jxscore.core.weights import rescale_to_nominal, weighted_mask

Method = Literal["uniform", "dirichlet"]


@dataclass(frozen=True)
class SensitivityOptions:
    """How the weights are perturbed. `band` is the relative half-width (0.25 = ±25 %)."""

    samples: int = 10_000
    seed: int = 0
    band: float = 0.25
    method: Method = "uniform"
    rescale: bool = True
    chunk: int = BLOCK  # samples per block: (chunk × (cities × categories + a few)) floats at a time

    def check(self) -> None:
        if self.samples < 10:
            raise UsageError(Problem.make(Code.BAD_OPTION, option="--samples", value=self.samples,
                                          expected="@expected.samples"))
        if not 0 < self.band < 1:
            raise UsageError(Problem.make(Code.BAD_OPTION, option="--band", value=self.band, expected="@expected.band"))
        if self.method not in ("uniform", "dirichlet"):
            raise UsageError(Problem.make(Code.BAD_OPTION, option="--method", value=self.method,
                                          expected="@expected.method"))


@dataclass
class Sensitivity:
    """The summaries written to CSV; `rank_prob` (n, n) and `grade_prob` (n, g) feed the plots."""

    options: SensitivityOptions
    year: int
    ranks: pd.DataFrame  # sensitivity_ranks.csv
    grades: pd.DataFrame  # sensitivity_grades.csv
    indices: pd.DataFrame  # sensitivity_indices.csv
    weights: pd.DataFrame  # sensitivity_weights.csv (sampled weights against nominal)
    rank_prob: np.ndarray
    grade_prob: np.ndarray
    sobol_n: int
    warnings: list


def dirichlet_concentration(basis: Basis, band: float) -> float:
    """κ for Dirichlet(κ·μ) whose point-weighted mean relative variance, Σμᵢ(1−μᵢ)/(μᵢ(κ+1)) =
    (m−1)/(κ+1), equals that of a uniform ±band perturbation (band²/3)."""
    m = int(weighted_mask(basis).sum())
    return 3.0 * (m - 1) / band**2 - 1.0


def sample_weights(basis: Basis, opts: SensitivityOptions, rng: np.random.Generator, size: int) -> np.ndarray:
    """(size, m) weights around the nominal points; bonus items keep theirs.

    Uniform: each weight times U(1 − band, 1 + band), then A+B+C rescaled to its nominal total —
    drawn and rescaled block by block (the same random stream as one draw of all samples, so
    the same numbers), each block while it is in the CPU cache.
    """
    wm = weight_model(basis)
    wt, wc = wm.weighted, wm.weighted_columns
    p = basis.points.astype(float)
    W = np.empty((size, p.size))
    W[:, ~wt] = p[~wt]
    if opts.method == "uniform":
        low, high = 1.0 - opts.band, 1.0 + opts.band
        span = high - low  # Generator.uniform draws low + (high − low)·U with U = random()
        pw = p[wt]
        buf = np.empty((min(size, BLOCK), pw.size))
        for lo in range(0, size, BLOCK):
            u = buf[: min(BLOCK, size - lo)]
            rng.random(out=u)
            u *= span
            u += low
            u *= pw
            if opts.rescale:
                wm.rescale_weighted(u)
            W[lo:lo + u.shape[0], wc] = u
        return W
    mu = p[wt] / p[wt].sum()
    W[:, wt] = rng.dirichlet(dirichlet_concentration(basis, opts.band) * mu, size=size) * p[wt].sum()
    return W


def ranks_and_grades(basis: Basis, W: np.ndarray, chunk: int = BLOCK) -> tuple[np.ndarray, np.ndarray]:
    """(S, n) int16 ranks and grade indices for S weight vectors: the whole scheme per sample,
    vectorised over blocks of `chunk` samples (`aggregate.ranks_and_grades`)."""
    return aggregate_ranks_and_grades(basis, W, chunk)


def _probabilities(values: np.ndarray, k: int) -> np.ndarray:
    """(S, n) integer codes 0..k−1 → (n, k) frequencies, one bincount."""
    S, n = values.shape
    flat = (np.arange(n)[None, :] * k + values).ravel()
    return np.bincount(flat, minlength=n * k).reshape(n, k) / S


def run_sensitivity(result: Result, opts: SensitivityOptions) -> Sensitivity:
    opts.check()
    basis, nominal = result.basis, result.evaluation
    rng = np.random.default_rng(opts.seed)
    W = sample_weights(basis, opts, rng, opts.samples)
    ranks, grades = ranks_and_grades(basis, W, opts.chunk)
    n = len(basis.entities)
    rank_prob = _probabilities(ranks.astype(np.int64) - 1, n)
    grade_prob = _probabilities(grades.astype(np.int64), len(basis.grade_names))
    q = np.quantile(ranks, [0.05, 0.5, 0.95], axis=0, method="inverted_cdf").astype(int)
    shift = np.abs(ranks - nominal.rank[None, :])
    rk = pd.DataFrame({
        "city": basis.entities, "city_code": basis.entity_codes, "nominal_rank": nominal.rank,
        "median_rank": q[1], "rank_p05": q[0], "rank_p95": q[2],
        "mean_rank": np.round(ranks.mean(axis=0), 6), "rank_min": ranks.min(axis=0), "rank_max": ranks.max(axis=0),
        "p_nominal_rank": np.round(rank_prob[np.arange(n), nominal.rank - 1], 6),
        "mean_abs_shift": np.round(shift.mean(axis=0), 6),
    })
    for r in range(n):
        rk[f"p_rank_{r + 1}"] = np.round(rank_prob[:, r], 6)
    g = np.array(basis.grade_names)
    gr = pd.DataFrame({"city": basis.entities, "city_code": basis.entity_codes, "nominal_rank": nominal.rank,
                       "nominal_grade": g[nominal.grade],
                       "p_nominal_grade": np.round(grade_prob[np.arange(n), nominal.grade], 6)})
    for k, name in enumerate(basis.grade_names):
        gr[f"p_{name}"] = np.round(grade_prob[:, k], 6)
    order = np.argsort(nominal.rank, kind="stable")
    indices, sobol_n = sobol_indices(basis, opts, nominal.rank)
    return Sensitivity(opts, result.year, rk.iloc[order].reset_index(drop=True),
                       gr.iloc[order].reset_index(drop=True), indices, _weights_frame(basis, W),
                       rank_prob[order], grade_prob[order], sobol_n, list(result.warnings))


def _weights_frame(basis: Basis, W: np.ndarray) -> pd.DataFrame:
    wt = weighted_mask(basis)
    q = np.quantile(W[:, wt], [0.05, 0.95], axis=0)
    return pd.DataFrame({
        "code": np.array(basis.codes)[wt], "category": np.array(basis.categories)[basis.category_of[wt]],
        "nominal": basis.points[wt], "mean": np.round(W[:, wt].mean(axis=0), 6),
        "sd": np.round(W[:, wt].std(axis=0), 6), "p05": np.round(q[0], 6), "p95": np.round(q[1], 6),
    })


def sobol_base_size(samples: int, factors: int) -> int:
    """Largest power of two N with N·(D+2) ≤ samples (at least 64): Sobol' sequences want 2^k."""
    return 2 ** max(6, int(np.floor(np.log2(max(1, samples // (factors + 2))))))


def sobol_indices(basis: Basis, opts: SensitivityOptions, nominal_rank: np.ndarray) -> tuple[pd.DataFrame, int]:
    """First-order (S1) and total (ST) Sobol' indices of the non-bonus category multipliers, each
    uniform in ±band, on each city's rank and on the mean absolute rank shift of all cities
    (Saltelli sampling, Jansen/Saltelli estimators via SALib)."""
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    cats = [c for c, b in zip(basis.categories, basis.bonus) if not b]
    D = len(cats)
    problem = {"num_vars": D, "names": cats, "bounds": [[1.0 - opts.band, 1.0 + opts.band]] * D}
    N = sobol_base_size(opts.samples, D)
    X = sobol_sample.sample(problem, N, calc_second_order=False, seed=opts.seed)
    col = {c: k for k, c in enumerate(cats)}
    mult = np.ones((X.shape[0], basis.points.size))
    for j, ci in enumerate(basis.category_of):
        if not basis.bonus[ci]:
            mult[:, j] = X[:, col[basis.categories[ci]]]
    W = basis.points[None, :] * mult
    if opts.rescale:
        rescale_to_nominal(basis, W)
    ranks, _ = ranks_and_grades(basis, W, opts.chunk)
    outputs = {"mean_abs_rank_shift": np.abs(ranks - nominal_rank[None, :]).mean(axis=1)}
    for i in np.argsort(nominal_rank, kind="stable"):
        outputs[f"rank:{basis.entities[i]}"] = ranks[:, i].astype(float)
    rows = []
    for name, Y in outputs.items():
        if np.ptp(Y) == 0:  # no variance: no factor matters (SALib would divide by zero)
            res = {k: np.zeros(D) for k in ("S1", "S1_conf", "ST", "ST_conf")}
        else:
            res = sobol_analyze.analyze(problem, Y, calc_second_order=False, num_resamples=100, conf_level=0.95,
                                        print_to_console=False, seed=opts.seed)
        for k, factor in enumerate(cats):
            rows.append({"output": name, "factor": factor, "variance": round(float(np.var(Y)), 6),
                         **{key: round(float(res[key][k]), 6) + 0.0 for key in ("S1", "S1_conf", "ST", "ST_conf")}})
    return pd.DataFrame(rows), N


def write_sensitivity(s: Sensitivity, out: Path) -> list[str]:
    """CSV files and sensitivity.json into `out` (a staging folder); plots and the PDF are the report's."""
    import json

    from jxscore.io.writers import write_csv

    names = []
    for name, df in (("sensitivity_ranks.csv", s.ranks), ("sensitivity_grades.csv", s.grades),
                     ("sensitivity_indices.csv", s.indices), ("sensitivity_weights.csv", s.weights)):
        write_csv(df, out / name)
        names.append(name)
    o = s.options
    meta = {"year": s.year, "samples": o.samples, "seed": o.seed, "band": o.band, "method": o.method,
            "rescale": o.rescale, "sobol_base_n": s.sobol_n,
            "sobol_evaluations": s.sobol_n * (s.indices["factor"].nunique() + 2)}
    (out / "sensitivity.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                                          encoding="utf-8")
    names.append("sensitivity.json")
    return names
