"""From fractions and weights to totals, grades and ranks — pure numpy, shared by the annual run,
the what-if and the Monte Carlo (weights of shape (m,) or (samples, m))."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Basis:
    """Everything a total depends on except the weights; computed once from the inputs."""

    entities: list[str]
    entity_codes: list[str]
    codes: list[str]  # indicator codes, scheme order
    fractions: np.ndarray  # (n, m), NaN where not applicable
    applicable: np.ndarray  # (n, m) bool
    points: np.ndarray  # (m,) nominal points (weights)
    category_of: np.ndarray  # (m,) index into categories
    categories: list[str]
    category_points: np.ndarray  # (c,) nominal; for bonus categories the cap
    bonus: np.ndarray  # (c,) bool
    grade_names: list[str]
    grade_mins: np.ndarray  # (g,) best first
    veto_codes: list[str]
    veto_flags: np.ndarray  # (n, v) bool
    cap_codes: list[str]
    cap_flags: np.ndarray  # (n, k) bool
    cap_grade: np.ndarray  # (k,) grade index each cap lowers to
    tie_break: list[str]
    metrics: dict[str, np.ndarray]  # "A1.p" -> (n,)
    total_decimals: int = 2
    compare_decimals: int = 9


@dataclass
class Evaluation:
    """Totals, grades and ranks for one weight vector (leading axis = samples when several)."""

    category_scores: np.ndarray  # (..., n, c)
    total_raw: np.ndarray  # (..., n)
    total: np.ndarray  # rounded as the scheme says
    base_grade: np.ndarray  # (..., n) grade index before caps and vetoes
    grade: np.ndarray
    rank: np.ndarray  # 1..n, unique
    vetoed: np.ndarray = field(repr=False)  # (n, v) the vetoes in force
    capped: np.ndarray = field(repr=False)  # (n, k)


def round_total(x: np.ndarray, decimals: int) -> np.ndarray:
    """Round to 6 decimals, then half up to `decimals` (RULEBOOK §2), free of float noise."""
    x6 = np.round(np.asarray(x, dtype=float), 6)
    scale = 10.0**decimals
    return np.floor(np.round(x6 * scale, 6) + 0.5) / scale


def category_scores(basis: Basis, weights: np.ndarray) -> np.ndarray:
    """Category score = category points × Σ w·f / Σ w over applicable indicators (§4).

    A category's points are the sum of its indicators' weights; bonus items keep their nominal points.
    Returns (n, c) for weights (m,), or (S, n, c) for weights (S, m).
    """
    w = np.asarray(weights, dtype=float)
    single = w.ndim == 1
    W = np.atleast_2d(w)
    f0 = np.nan_to_num(basis.fractions, nan=0.0)
    a = basis.applicable.astype(float)
    fa = f0 * a
    out = np.empty((W.shape[0], f0.shape[0], len(basis.categories)))
    for ci in range(len(basis.categories)):  # a handful of categories; cities and samples are vectorised
        idx = basis.category_of == ci
        if basis.bonus[ci]:
            out[:, :, ci] = np.minimum(basis.category_points[ci], f0[:, idx] @ basis.points[idx])[None, :]
            continue
        Wc = W[:, idx]
        num = fa[:, idx] @ Wc.T  # (n, S)
        den = a[:, idx] @ Wc.T
        with np.errstate(divide="ignore", invalid="ignore"):
            out[:, :, ci] = (Wc.sum(axis=1) * np.where(den > 0, num / den, 0.0)).T
    return out[0] if single else out


def evaluate(basis: Basis, weights: np.ndarray | None = None, *, vetoes_off: frozenset[str] = frozenset(),
             caps_off: frozenset[str] = frozenset()) -> Evaluation:
    w = basis.points if weights is None else np.asarray(weights, dtype=float)
    cs = category_scores(basis, w)
    total_raw = cs.sum(axis=-1)
    total = round_total(total_raw, basis.total_decimals)
    dec = basis.compare_decimals
    base = (np.round(total, dec)[..., None] < np.round(basis.grade_mins, dec)).sum(axis=-1)
    worst = len(basis.grade_names) - 1
    base = np.minimum(base, worst)
    cap_on = basis.cap_flags & ~np.isin(basis.cap_codes, list(caps_off))[None, :] if basis.cap_codes else basis.cap_flags
    veto_on = (basis.veto_flags & ~np.isin(basis.veto_codes, list(vetoes_off))[None, :]
               if basis.veto_codes else basis.veto_flags)
    floor = np.where(cap_on, basis.cap_grade[None, :], 0).max(axis=1, initial=0)  # (n,)
    grade = np.maximum(base, floor)
    grade = np.where(veto_on.any(axis=1), worst, grade)
    rank = rank_entities(basis, grade, total, cs)
    return Evaluation(cs, total_raw, total, base, grade, rank, veto_on, cap_on)


def rank_entities(basis: Basis, grade: np.ndarray, total: np.ndarray, cs: np.ndarray) -> np.ndarray:
    """Unique ranks by the scheme's tie-break keys (grade, total, a category, a metric, entity code)."""
    keys = []  # most significant first; lexsort wants it reversed
    shape = total.shape
    for key in basis.tie_break:
        kind, _, arg = key.partition(":")
        if key == "grade":
            keys.append(grade)
        elif key == "total":
            keys.append(-total)
        elif kind == "category":
            keys.append(-np.round(cs[..., basis.categories.index(arg)], 6))
        elif kind == "metric":
            keys.append(-np.round(np.broadcast_to(basis.metrics[arg], shape), 6))
        elif key == "entity_code":
            by_code = np.argsort(np.argsort(np.array(basis.entity_codes), kind="stable"), kind="stable")
            keys.append(np.broadcast_to(by_code, shape))
    keys.append(np.broadcast_to(np.arange(len(basis.entities)), shape))  # always unique in the end
    order = np.lexsort(keys[::-1], axis=-1)
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(1, shape[-1] + 1)[None, :] if order.ndim > 1 else
                      np.arange(1, shape[-1] + 1), axis=-1)
    return rank
