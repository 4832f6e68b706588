"""The official weighted sum next to other aggregation methods (scikit-criteria): would a different,
defensible way of combining the same fractions rank the cities differently?

Decision matrix: cities × the weighted (non-bonus) indicators, values = fractions f ∈ [0, 1], all
"maximise", weights = rulebook points. A not-applicable cell is filled with the city's own weighted
mean fraction over its applicable indicators of the same category. Under a weighted sum this
reproduces §4 exactly (Σ w·f_filled = Pc·Σ_app w·f / Σ_app w), so the fill adds no information and
takes none away; for the other methods it is the neutral choice. Columns equal for every city are
dropped: they cannot change any of these methods' order (ideal = anti-ideal in TOPSIS/VIKOR, a common
factor in the product, a common term in the sum) and would divide by zero in VIKOR.

scikit-criteria ranks are dense (ties share a rank) and a NaN would silently zero a column, so the
matrix is checked here and every method's scores are ranked by our own rule: score (rounded to 9
decimals), then administrative code. Bonus D, vetoes and caps are not part of any method's matrix:
the official *final* rank (grade first) and the official *score* rank (A+B+C) are both compared.
skcriteria is imported only here, inside the functions (~3 s).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from jxscore.core.aggregate import Basis
from jxscore.core.engine import Result
from jxscore.core.weights import filled_fractions, weighted_mask

WPM_FLOOR = 0.01  # added to a column holding a zero: a product with a zero factor ranks nothing
METHODS = {  # name -> (label, score direction: +1 = higher is better)
    "weighted_sum": ("加权求和 WSM (scikit-criteria)", 1),
    "weighted_product": ("加权乘积 WPM", 1),
    "topsis": ("TOPSIS", 1),
    "vikor": ("VIKOR (Q, v = 0.5)", -1),
}


@dataclass
class MethodsComparison:
    year: int
    table: pd.DataFrame  # methods.csv, official rank order
    correlations: pd.DataFrame  # methods_correlations.csv
    reversal: pd.DataFrame  # methods_rank_reversal.csv
    dropped: list[str]  # indicator columns equal for every city
    warnings: list


def decision_matrix(basis: Basis) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(n, k) fractions with N/A filled by the city's own category mean (`weights.filled_fractions`),
    (k,) points, codes — the weighted (non-bonus) indicators only."""
    wt = weighted_mask(basis)
    X = filled_fractions(basis)[:, wt]
    if not np.isfinite(X).all():  # skcriteria would turn a NaN column into zeros without a word
        raise ValueError("decision matrix has non-finite values (a fraction of an applicable indicator is NaN)")
    return X, basis.points[wt].astype(float), [c for c, t in zip(basis.codes, wt) if t]


def rank_scores(scores: np.ndarray, direction: int, entity_codes: list[str]) -> np.ndarray:
    """Unique ranks 1..n: by score (9 decimals; direction +1 = higher better), then entity code."""
    key = -direction * np.round(scores, 9)
    order = np.lexsort((np.array(entity_codes), key))
    ranks = np.empty(len(scores), dtype=int)
    ranks[order] = np.arange(1, len(scores) + 1)
    return ranks


def _pipelines() -> dict:
    from skcriteria.agg.simple import WeightedProductModel, WeightedSumModel
    from skcriteria.agg.topsis import TOPSIS
    from skcriteria.agg.vikor import VIKOR
    from skcriteria.pipelines import mkpipe
    from skcriteria.preprocessing.increment import AddValueToZero
    from skcriteria.preprocessing.push_negatives import PushNegatives
    from skcriteria.preprocessing.scalers import SumScaler, VectorScaler

    return {
        "weighted_sum": WeightedSumModel(),  # f is already on one 0..1 scale
        "weighted_product": mkpipe(PushNegatives(target="matrix"), AddValueToZero(value=WPM_FLOOR, target="matrix"),
                                   SumScaler(target="weights"), WeightedProductModel()),
        "topsis": mkpipe(VectorScaler(target="matrix"), SumScaler(target="weights"), TOPSIS()),
        "vikor": mkpipe(SumScaler(target="weights"), VIKOR(use_compromise_set=False)),
    }


def _score(name: str, res) -> np.ndarray:
    e = res.extra_
    return np.asarray({"weighted_sum": e.get("score"), "weighted_product": e.get("score"),
                       "topsis": e.get("similarity"), "vikor": e.get("q_k")}[name], dtype=float)


def compare_methods(result: Result, *, seed: int = 0, repeat: int = 1, reversal: bool = True) -> MethodsComparison:
    import skcriteria as skc
    from scipy.stats import kendalltau

    b, ev = result.basis, result.evaluation
    X, w, codes = decision_matrix(b)
    official_sum = ev.category_scores[:, ~b.bonus].sum(axis=1)
    keep = np.ptp(X, axis=0) > 1e-12
    dropped = [str(c) for c, k in zip(codes, keep) if not k]
    dm = skc.mkdm(X[:, keep], objectives=[max] * int(keep.sum()), weights=w[keep],
                  alternatives=list(b.entities), criteria=[c for c, k in zip(codes, keep) if k])
    pipes = _pipelines()
    table = pd.DataFrame({"city": b.entities, "city_code": b.entity_codes, "official_rank": ev.rank,
                          "official_grade": np.array(b.grade_names)[ev.grade], "official_total": ev.total,
                          "score_ABC": np.round(official_sum, 6),
                          "score_rank": rank_scores(official_sum, 1, b.entity_codes)})
    for name, pipe in pipes.items():
        res = pipe.evaluate(dm)
        s = _score(name, res)
        if name == "weighted_sum":  # add back the dropped constant columns: equals score_ABC
            s = s + X[0, ~keep] @ w[~keep]
        table[f"{name}_score"] = np.round(s, 9) + 0.0
        table[f"{name}_rank"] = rank_scores(s, METHODS[name][1], b.entity_codes)
    corr = []
    for name in ["score"] + list(pipes):
        r = table[f"{name}_rank"].to_numpy()
        t_off, p_off = kendalltau(table["official_rank"], r)
        t_sc, p_sc = kendalltau(table["score_rank"], r)
        corr.append({"method": name, "label": METHODS.get(name, ("官方得分 A+B+C", 1))[0],
                     "kendall_tau_vs_official": round(float(t_off), 6), "p_value_vs_official": round(float(p_off), 6),
                     "kendall_tau_vs_score": round(float(t_sc), 6), "p_value_vs_score": round(float(p_sc), 6),
                     "cities_moved_vs_official": int((r != table["official_rank"].to_numpy()).sum()),
                     "max_rank_shift_vs_official": int(np.abs(r - table["official_rank"].to_numpy()).max())})
    rev = rank_reversal(pipes, dm, seed=seed, repeat=repeat) if reversal else pd.DataFrame()
    table = table.sort_values("official_rank", kind="stable").reset_index(drop=True)
    return MethodsComparison(result.year, table, pd.DataFrame(corr), rev, dropped, list(result.warnings))


def rank_reversal(pipes: dict, dm, *, seed: int, repeat: int) -> pd.DataFrame:
    """scikit-criteria's rank-invariance test (Wang & Triantaphyllou criterion 1): worsen each
    non-best city and check the best one stays first (OPR) and the others keep their order."""
    import warnings

    from skcriteria.ranksrev import RankInvariantChecker

    rows = []
    for name, pipe in pipes.items():
        with warnings.catch_warnings():  # skcriteria 0.10 uses pandas' deprecated inplace= internally
            warnings.simplefilter("ignore", category=DeprecationWarning)
            warnings.simplefilter("ignore", category=FutureWarning)
            cmp = RankInvariantChecker(pipe, repeat=repeat, random_state=seed).evaluate(dm)
        ranks = list(cmp.named_ranks.values())
        ref = ranks[0]
        alts = list(ref.alternatives)
        ref_v = pd.Series(ref.values, index=alts)
        preserved = 0
        for r in ranks[1:]:
            mutated = r.extra_["rank_inv_check"]["mutated"]
            others = [a for a in alts if a != mutated and a in set(r.alternatives)]
            v = pd.Series(r.values, index=list(r.alternatives))
            a0, a1 = ref_v[others].to_numpy(), v[others].to_numpy()
            same = np.array_equal(np.sign(a0[:, None] - a0[None, :]), np.sign(a1[:, None] - a1[None, :]))
            preserved += int(same)
        n_mut = len(ranks) - 1
        rows.append({"method": name, "mutations": n_mut, "best_kept_rate": round(float(cmp.extra_.opr), 6),
                     "best_mean_displacement": round(float(cmp.extra_.rd), 6),
                     "order_kept_rate": round(preserved / n_mut, 6) if n_mut else 1.0})
    return pd.DataFrame(rows)


def write_methods(m: MethodsComparison, out: Path) -> list[str]:
    from jxscore.io.writers import write_csv

    names = ["methods.csv", "methods_correlations.csv"]
    write_csv(m.table, out / "methods.csv")
    write_csv(m.correlations, out / "methods_correlations.csv")
    if not m.reversal.empty:
        write_csv(m.reversal, out / "methods_rank_reversal.csv")
        names.append("methods_rank_reversal.csv")
    return names
