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

    def __post_init__(self) -> None:
        # Weight-independent parts, computed once so each evaluation is a few matrix products.
        a = self.applicable.astype(float)
        f0 = np.nan_to_num(self.fractions, nan=0.0)
        scored = ~self.bonus[self.category_of]
        self._a = a * scored  # bonus items take no part in the weighted categories
        self._fa = f0 * a * scored
        onehot = (self.category_of[:, None] == np.arange(len(self.categories))[None, :]).astype(float)
        self._onehot = onehot * ~self.bonus  # weighted categories only
        # (m, n·c) blocks: one GEMM W @ block gives every entity's category sums for every sample
        n, c = f0.shape[0], len(self.categories)
        self._fa_blocks = (self._fa.T[:, :, None] * self._onehot[:, None, :]).reshape(-1, n * c)
        self._a_blocks = (self._a.T[:, :, None] * self._onehot[:, None, :]).reshape(-1, n * c)
        bonus_pts = (f0 * ~scored) @ (onehot * self.points[:, None])  # (n, c)
        self._bonus = np.minimum(bonus_pts, self.category_points) * self.bonus
        self._code_order = np.argsort(np.argsort(np.array(self.entity_codes), kind="stable"), kind="stable")
        # Tie-break keys that no weight can change (metrics, entity code), after the last weight-dependent
        # key, collapse into one precomputed rank: fewer keys to sort on every evaluation.
        tb = self.tie_break
        dyn = [i for i, k in enumerate(tb) if k in ("grade", "total") or k.startswith("category:")]
        self._n_dynamic = (max(dyn) + 1) if dyn else 0
        static = []
        for key in tb[self._n_dynamic:]:
            kind, _, arg = key.partition(":")
            static.append(self._code_order if key == "entity_code" else -np.round(self.metrics[arg], 6))
        static.append(np.arange(len(self.entities)))
        order = np.lexsort(static[::-1])
        self._static_rank = np.empty_like(order)
        self._static_rank[order] = np.arange(len(order))


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
    Returns (n, c) for weights (m,), or (S, n, c) for weights (S, m): one matrix product for all samples.
    """
    w = np.asarray(weights, dtype=float)
    W = np.atleast_2d(w)  # (S, m)
    n, c = basis.fractions.shape[0], len(basis.categories)
    if W.shape[0] == 1:  # one weight vector: two small products
        wc = W[0][:, None] * basis._onehot
        num, den = (basis._fa @ wc)[None], (basis._a @ wc)[None]
    else:  # many samples: one GEMM each over the block matrices
        num = (W @ basis._fa_blocks).reshape(-1, n, c)
        den = (W @ basis._a_blocks).reshape(-1, n, c)
    pts = (W @ basis._onehot)[:, None, :]  # a category's points: the sum of its weights
    with np.errstate(divide="ignore", invalid="ignore"):
        out = pts * np.where(den > 0, num / den, 0.0) + basis._bonus
    return out[0] if w.ndim == 1 else out


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
    keys = []  # most significant first
    shape = total.shape
    for key in basis.tie_break[: basis._n_dynamic]:
        kind, _, arg = key.partition(":")
        if key == "grade":
            keys.append((grade, 1.0))
        elif key == "total":
            keys.append((-total, 10.0**basis.total_decimals))
        elif kind == "category":
            keys.append((-np.round(cs[..., basis.categories.index(arg)], 6), 1e6))
    keys.append((np.broadcast_to(basis._static_rank, shape), 1.0))  # metrics, entity code: precomputed
    order = _order(keys)
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.broadcast_to(np.arange(1, shape[-1] + 1), order.shape), axis=-1)
    return rank


def _order(scaled: list[tuple[np.ndarray, float]]) -> np.ndarray:
    """Lexicographic order of the keys (most significant first) along the last axis.

    Each key is a whole number of its unit (grade index, cents, micro-points, a rank); where their
    ranges fit in 62 bits they are packed into one int64 and sorted once — far cheaper than lexsort.
    """
    keys = [k for k, _ in scaled]
    ints, bits = [], 0
    for k, unit in scaled:
        q = np.round(np.asarray(k, dtype=float) * unit)
        lo, hi = q.min(), q.max()
        if not (np.isfinite(lo) and np.isfinite(hi)):
            return np.lexsort(keys[::-1], axis=-1)
        span = int(hi - lo) + 1
        ints.append((q - lo).astype(np.int64))
        bits += max(1, span.bit_length())
    if bits > 62:
        return np.lexsort(keys[::-1], axis=-1)
    packed = np.zeros(ints[0].shape, dtype=np.int64)
    for q, k in zip(ints, keys):
        span = int(q.max()) + 1
        packed = packed * np.int64(1 << max(1, span.bit_length())) + q
    return np.argsort(packed, axis=-1, kind="stable")
