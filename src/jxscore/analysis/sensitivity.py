"""Is the ranking an artefact of one choice of weights? Monte Carlo over the weights and Sobol
indices of the category weights (JRC/OECD composite-indicator practice: uncertainty analysis, then
sensitivity analysis).

Everything runs as array computations: the samples go through `aggregate.ranks_and_grades` in
cache-sized blocks (memory grows as samples × cities), never a Python loop per sample. Fractions,
vetoes and caps are fixed; only weights vary, and A+B+C is rescaled to its nominal total (100) in
every sample, as a what-if does by default. A fixed seed gives identical numbers and output bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    factor_names: dict[str, str] = field(default_factory=dict)  # category code → name (A → 目标完成)


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


OFF_MODE_LIMIT = 0.02
"""A rank "does not vary with the weights" when, in the Monte Carlo samples and in the Sobol'
samples alike, fewer than this share of samples put the city anywhere but its most common rank.
Below it the Sobol' indices rest on a handful of evaluations (on the 2024 sample data 1 % of the
Sobol' samples, about 100 of 10,240, for 抚州, 鹰潭 and 上饶; their bootstrap intervals are as wide
as the estimates) and describe noise, not which weights decide the rank."""
VARIES, STEADY = "排名随权重变化", "排名不随权重变化"
Z95 = 1.959963984540054  # the standard normal's 97.5 % point (scipy.stats.norm.ppf(0.975), as SALib uses)
RESAMPLES = 100  # bootstrap resamples of the Sobol' estimates (SALib's default)


def _counts(values: np.ndarray, k: int, offset: int = 0) -> np.ndarray:
    """(S, n) integer codes offset..offset+k−1 → (n, k) counts: one bincount per city (a loop over
    the cities, not the samples; each column of the transposed (n, S) arrays is contiguous)."""
    return np.stack([np.bincount(values[:, i], minlength=k + offset)[offset:] for i in range(values.shape[1])])


def _quantiles(counts: np.ndarray, qs: list[float]) -> np.ndarray:
    """(len(qs), n) quantiles of integer ranks 1..k from their (n, k) counts, the order statistic
    `np.quantile(..., method="inverted_cdf")` picks (same position arithmetic), without sorting."""
    S = int(counts[0].sum())
    index = S * np.asarray(qs, dtype=float) - 1
    prev = np.floor(index)
    pos = np.clip(np.where(index - prev == 0, prev, prev + 1), 0, S - 1)
    cum = np.cumsum(counts, axis=1)
    return np.stack([(cum > p).argmax(axis=1) + 1 for p in pos])


def off_mode_share(ranks: np.ndarray) -> tuple[np.ndarray, float]:
    """Share of samples in which each city's rank differs from its most common rank, and the share
    in which any city's does (the whole ranking is not its most common one, city by city)."""
    n = ranks.shape[1]
    counts = _counts(ranks, n, offset=1)
    mode = counts.argmax(axis=1) + 1
    per_city = 1.0 - counts.max(axis=1) / ranks.shape[0]
    return per_city, float((ranks != mode[None, :]).any(axis=1).mean())


def run_sensitivity(result: Result, opts: SensitivityOptions) -> Sensitivity:
    opts.check()
    basis, nominal = result.basis, result.evaluation
    rng = np.random.default_rng(opts.seed)
    W = sample_weights(basis, opts, rng, opts.samples)
    ranks, grades = ranks_and_grades(basis, W, opts.chunk)
    weights = _weights_frame(basis, W)
    del W
    n, S = len(basis.entities), opts.samples
    counts = _counts(ranks, n, offset=1)
    rank_prob = counts / S
    grade_prob = _counts(grades, len(basis.grade_names)) / S
    q = _quantiles(counts, [0.05, 0.5, 0.95])
    k = np.arange(1, n + 1)
    rk = pd.DataFrame({
        "city": basis.entities, "city_code": basis.entity_codes, "nominal_rank": nominal.rank,
        "median_rank": q[1], "rank_p05": q[0], "rank_p95": q[2],
        "mean_rank": np.round((counts * k).sum(axis=1) / S, 6),
        "rank_min": (counts > 0).argmax(axis=1) + 1, "rank_max": n - (counts[:, ::-1] > 0).argmax(axis=1),
        "p_nominal_rank": np.round(rank_prob[np.arange(n), nominal.rank - 1], 6),
        "mean_abs_shift": np.round((counts * np.abs(k[None, :] - nominal.rank[:, None])).sum(axis=1) / S, 6),
    })
    for r in range(n):
        rk[f"p_rank_{r + 1}"] = np.round(rank_prob[:, r], 6)
    g = np.array(basis.grade_names)
    gr = pd.DataFrame({"city": basis.entities, "city_code": basis.entity_codes, "nominal_rank": nominal.rank,
                       "nominal_grade": g[nominal.grade],
                       "p_nominal_grade": np.round(grade_prob[np.arange(n), nominal.grade], 6)})
    for k_, name in enumerate(basis.grade_names):
        gr[f"p_{name}"] = np.round(grade_prob[:, k_], 6)
    order = np.argsort(nominal.rank, kind="stable")
    mc_off = off_mode_share(ranks)
    del ranks, grades
    indices, sobol_n = sobol_indices(basis, opts, nominal.rank, mc_off)
    return Sensitivity(opts, result.year, rk.iloc[order].reset_index(drop=True),
                       gr.iloc[order].reset_index(drop=True), indices, weights,
                       rank_prob[order], grade_prob[order], sobol_n, list(result.warnings),
                       {c.code: c.name for c in result.criteria.categories if not c.bonus})


def _column_blocks(idx: np.ndarray, width: int = 8) -> list[np.ndarray]:
    """`idx` in consecutive blocks of at least two columns (so each block's axis-0 statistics are
    the column-by-column running sums of the whole (S, m) array's, bit for bit)."""
    if idx.size < 2 * width:
        return [idx]
    return np.array_split(idx, idx.size // width)


def _weights_frame(basis: Basis, W: np.ndarray) -> pd.DataFrame:
    """Mean, sd and 5/95 % points of each sampled weight, a few columns at a time (never a copy of
    all of W)."""
    wt = weighted_mask(basis)
    cols = np.flatnonzero(wt)
    mean, sd, q = np.empty(cols.size), np.empty(cols.size), np.empty((2, cols.size))
    at = 0
    for block in _column_blocks(cols):
        X = W[:, block]
        sl = slice(at, at + block.size)
        mean[sl], sd[sl] = X.mean(axis=0), X.std(axis=0)
        q[:, sl] = np.quantile(X, [0.05, 0.95], axis=0, overwrite_input=True)
        at += block.size
    return pd.DataFrame({
        "code": np.array(basis.codes)[wt], "category": np.array(basis.categories)[basis.category_of[wt]],
        "nominal": basis.points[wt], "mean": np.round(mean, 6),
        "sd": np.round(sd, 6), "p05": np.round(q[0], 6), "p95": np.round(q[1], 6),
    })


def sobol_base_size(samples: int, factors: int) -> int:
    """Largest power of two N with N·(D+2) ≤ samples (at least 64): Sobol' sequences want 2^k."""
    return 2 ** max(6, int(np.floor(np.log2(max(1, samples // (factors + 2))))))


def _ratio(num: np.ndarray, var: np.ndarray) -> np.ndarray:
    eps = np.finfo(float).eps
    return np.divide(num, var, out=np.zeros_like(var, dtype=np.float64), where=var > eps)


def jansen_saltelli(Y: np.ndarray, D: int, r: np.ndarray, z: float = Z95, width: int = 10) -> dict:
    """S1 (Saltelli 2010) and ST (Jansen 1999) of each of D factors from the N·(D+2) outputs of a
    Saltelli design without second order, with bootstrap half-widths z·sd over the resamples `r`
    (N, R) — SALib's `sobol.analyze` arithmetic operation for operation, so the same numbers, but the
    (N, R) resampled arrays are built `width` resamples at a time and once per output, not per factor."""
    step = D + 2
    eps = np.finfo(float).eps
    Y = (Y - Y.mean()) / Y.std()
    A, B = Y[0::step], Y[step - 1::step]
    AB = [Y[j + 1::step] for j in range(D)]
    y = np.r_[A, B]
    flat = np.ptp(y) <= eps
    var = np.var(y, axis=0)
    out = {k: np.zeros(D) for k in ("S1", "S1_conf", "ST", "ST_conf")}
    if not flat:
        for j in range(D):
            out["S1"][j] = _ratio(np.mean(B * (AB[j] - A), axis=0), var)
            out["ST"][j] = _ratio(0.5 * np.mean((A - AB[j]) ** 2, axis=0), var)
    R = r.shape[1]
    q1 = [B * (AB[j] - A) for j in range(D)]
    q2 = [(A - AB[j]) ** 2 for j in range(D)]
    boot1, boot2 = np.empty((D, R)), np.empty((D, R))
    hi, lo = -np.inf, np.inf
    for c in _column_blocks(np.arange(R), width):
        rc = r[:, c]
        yr = np.r_[A[rc], B[rc]]
        hi, lo = max(hi, yr.max()), min(lo, yr.min())
        vr = np.var(yr, axis=0)
        for j in range(D):
            boot1[j, c] = _ratio(np.mean(q1[j][rc], axis=0), vr)
            boot2[j, c] = _ratio(0.5 * np.mean(q2[j][rc], axis=0), vr)
    if hi - lo > eps:  # SALib: resampled outputs all equal → half-widths 0
        for j in range(D):
            out["S1_conf"][j] = z * boot1[j].std(ddof=1)
            out["ST_conf"][j] = z * boot2[j].std(ddof=1)
    return out


def sobol_indices(basis: Basis, opts: SensitivityOptions, nominal_rank: np.ndarray,
                  mc_off: tuple[np.ndarray, float] | None = None) -> tuple[pd.DataFrame, int]:
    """First-order (S1) and total (ST) Sobol' indices of the non-bonus category multipliers, each
    uniform in ±band, on each city's rank and on the mean absolute rank shift of all cities
    (Saltelli sampling via SALib, Saltelli/Jansen estimators with bootstrap 95 % intervals).

    An output whose rank does not vary (fewer than OFF_MODE_LIMIT of the Monte Carlo samples
    `mc_off` and of the Sobol' samples off the most common rank) gets the status STEADY and no
    indices (empty, not zero)."""
    from SALib.sample import sobol as sobol_sample

    cats = [c for c, b in zip(basis.categories, basis.bonus) if not b]
    D = len(cats)
    problem = {"num_vars": D, "names": cats, "bounds": [[1.0 - opts.band, 1.0 + opts.band]] * D}
    N = sobol_base_size(opts.samples, D)
    X = sobol_sample.sample(problem, N, calc_second_order=False, seed=opts.seed)
    col = {c: k for k, c in enumerate(cats)}
    # column j's multiplier: its category's column of X, or 1 (column D) for bonus items
    which = np.array([D if basis.bonus[ci] else col[basis.categories[ci]] for ci in basis.category_of])
    Xe = np.ones((X.shape[0], D + 1))
    Xe[:, :D] = X
    n, total = len(basis.entities), X.shape[0]
    ranks_T = np.empty((n, total), dtype=np.int16)
    for lo in range(0, total, opts.chunk):  # weights built, rescaled and ranked a block at a time
        Wb = basis.points[None, :] * Xe[lo:lo + opts.chunk][:, which]
        if opts.rescale:
            rescale_to_nominal(basis, Wb)
        ranks_T[:, lo:lo + Wb.shape[0]] = ranks_and_grades(basis, Wb, opts.chunk)[0].T
    ranks = ranks_T.T
    off_sobol, any_sobol = off_mode_share(ranks)
    off_mc, any_mc = mc_off if mc_off is not None else (np.zeros(n), 0.0)
    r = np.random.default_rng(opts.seed).integers(N, size=(N, RESAMPLES))  # SALib's resamples (any seed)
    outputs = {"mean_abs_rank_shift": (np.abs(ranks - nominal_rank[None, :]).mean(axis=1), any_mc, any_sobol)}
    for i in np.argsort(nominal_rank, kind="stable"):
        outputs[f"rank:{basis.entities[i]}"] = (ranks[:, i].astype(float), off_mc[i], off_sobol[i])
    rows = []
    for name, (Y, om, os_) in outputs.items():
        steady = (om < OFF_MODE_LIMIT and os_ < OFF_MODE_LIMIT) or np.ptp(Y) == 0
        res = None if steady else jansen_saltelli(Y, D, r)
        for k, factor in enumerate(cats):
            row = {"output": name, "factor": factor, "status": STEADY if steady else VARIES,
                   "variance": round(float(np.var(Y)), 6), "off_mode_mc": round(float(om), 6),
                   "off_mode_sobol": round(float(os_), 6)}
            for key in ("S1", "ST"):
                if res is None:
                    row.update({key: np.nan, f"{key}_conf": np.nan, f"{key}_low": np.nan, f"{key}_high": np.nan})
                else:
                    v, c = float(res[key][k]), float(res[f"{key}_conf"][k])
                    row.update({key: round(v, 6) + 0.0, f"{key}_conf": round(c, 6) + 0.0,
                                f"{key}_low": round(v - c, 6) + 0.0, f"{key}_high": round(v + c, 6) + 0.0})
            rows.append(row)
    return pd.DataFrame(rows), N


def index_text(value: float, low: float, high: float, digits: int = 2) -> str:
    """An index with its 95 % interval as printed: "0.25（0.17～0.34）"; a negative estimate (an
    index is a share of variance, ≥ 0; below 0 is estimation noise) as "≈0（−0.03～0.05）"."""
    def f(x: float) -> str:
        t = f"{x:.{digits}f}"
        return "−" + t[1:] if t.startswith("-") and float(t) != 0 else t.lstrip("-")

    est = "≈0" if value < 0 else f(value)
    return f"{est}（{f(low)}～{f(high)}）"


MEAN_SHIFT = "mean_abs_rank_shift"


def output_label(output: str) -> str:
    """How an output of sensitivity_indices.csv is named on the page and in the terminal."""
    return "全省平均排名变动" if output == MEAN_SHIFT else output.removeprefix("rank:") + "排名"


def index_rows(indices: pd.DataFrame) -> list[dict]:
    """One dict per output of sensitivity_indices.csv, in its order, with the texts the page and
    the terminal print: status, variance, off-mode shares, and per factor S1 and ST as index_text."""
    out = []
    for name, g in indices.groupby("output", sort=False):
        first = g.iloc[0]
        steady = first["status"] == STEADY
        row = {"output": name, "label": output_label(name), "status": first["status"], "steady": steady,
               "variance": f"{first['variance']:.4f}", "off_mc": f"{first['off_mode_mc']:.2%}",
               "off_sobol": f"{first['off_mode_sobol']:.2%}", "S1": {}, "ST": {}}
        if not steady:
            for r in g.itertuples(index=False):
                row["S1"][r.factor] = index_text(r.S1, r.S1_low, r.S1_high)
                row["ST"][r.factor] = index_text(r.ST, r.ST_low, r.ST_high)
        out.append(row)
    return out


def reading(s: Sensitivity) -> list[str]:
    """Plain sentences on what the indices say (which cities move; which category drives the mean
    rank shift; whether the categories act alone or together)."""
    ix = s.indices
    first = ix.drop_duplicates("output")
    cities = first[first["output"] != MEAN_SHIFT]
    moving = [output_label(o).removesuffix("排名") for o in cities.loc[cities["status"] == VARIES, "output"]]
    out = []
    if not moving:
        out.append(f"权重在±{s.options.band:.0%}内变化时，各市排名均不随权重变化，无需解读敏感性指数。")
        return out
    rest = len(cities) - len(moving)
    out.append(f"排名随权重变化的市：{'、'.join(moving)}；其余{rest}个市排名不随权重变化。")
    m = ix[(ix["output"] == MEAN_SHIFT) & (ix["status"] == VARIES)]
    if not m.empty:
        hi, lo = m.loc[m["ST"].idxmax()], m.loc[m["ST"].idxmin()]
        name = s.factor_names
        out.append(f"对全省平均排名变动，总效应指数最大的是{hi.factor}类{name.get(hi.factor, '')}"
                   f"（ST {index_text(hi.ST, hi.ST_low, hi.ST_high)}），最小的是{lo.factor}类"
                   f"{name.get(lo.factor, '')}（ST {index_text(lo.ST, lo.ST_low, lo.ST_high)}）。")
        s1 = float(m["S1"].clip(lower=0).sum())
        if s1 < 0.5:
            out.append(f"各类一阶指数之和约为{s1:.2f}，远小于总效应指数：排名变化主要来自几类分值同时变化的交互作用，"
                       "单独调整某一类分值很少改变排名。")
        else:
            out.append(f"各类一阶指数之和约为{s1:.2f}：排名变化主要由单个类别分值的变化直接引起。")
    return out


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
            "rescale": o.rescale, "sobol_base_n": s.sobol_n, "steady_off_mode_limit": OFF_MODE_LIMIT,
            "sobol_evaluations": s.sobol_n * (s.indices["factor"].nunique() + 2)}
    (out / "sensitivity.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                                          encoding="utf-8")
    names.append("sensitivity.json")
    return names
