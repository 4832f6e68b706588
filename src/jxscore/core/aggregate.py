"""From fractions and weights to totals, grades and ranks — pure numpy, shared by the annual run,
the what-if and the Monte Carlo (weights of shape (m,) or (samples, m)).

Weights become points in `weights.WeightModel` (§4 renormalisation, bonus cap), one matrix product
for any number of samples. Here, with cities × samples arrays (samples last, so every operation runs
along long contiguous rows):
- totals are rounded once to whole units of the last decimal ("cents", exact integers held in
  float64) — the same numbers as rounding to 6 decimals and then half up to 2 (§2);
- grades compare cents with precomputed thresholds in cents;
- ranks: the tie-break keys (grade, cents, micro-points of a category, one precomputed rank for
  the weight-independent keys) are packed into one exact integer per city, and a city's rank is
  1 + the number of cities whose key is smaller (n² comparisons of samples-long rows; n is 11).
The Monte Carlo (`ranks_and_grades`) runs this block by block, so memory grows as samples ×
cities; `evaluate` runs it once and keeps every intermediate.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from jxscore.core.weights import WeightModel

BLOCK = 4096  # samples per block in `ranks_and_grades`: a block's rows stay in the CPU cache
_COUNT_RANK_MAX = 64  # up to this many entities ranks are counted (n² compares), beyond it sorted
_EXACT = 2**53  # packed keys stay exact integers in float64 below this
_BLAS: list = []  # the threadpoolctl controller, made on first use


def one_blas_thread():
    """BLAS limited to one thread while the Monte Carlo runs (a no-op without threadpoolctl).

    Its products are thin (a few dozen indicators × a few dozen rows per sample); OpenBLAS's
    threads only wait on each other there: measured 2× slower on an idle 2-core machine and up to
    50× slower when another process keeps one core busy.
    """
    if not _BLAS:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - installed with scikit-criteria (scikit-learn)
            _BLAS.append(None)
        else:
            _BLAS.append(ThreadpoolController())
    return contextlib.nullcontext() if _BLAS[0] is None else _BLAS[0].limit(limits=1, user_api="blas")


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
        self.weight_model = WeightModel.from_basis(self)
        self._grade_cents = grade_thresholds(self.grade_mins, self.total_decimals, self.compare_decimals)
        self._keys = self._rank_plan()
        self._default_switches = self.switches()

    def _static_values(self, key: str) -> np.ndarray:
        if key == "entity_code":
            codes = np.array(self.entity_codes)
            return np.argsort(np.argsort(codes, kind="stable"), kind="stable")
        return -np.round(self.metrics[key.partition(":")[2]], 6)

    def _rank_plan(self) -> list[tuple[str, object]]:
        """The tie-break keys, most significant first: ("grade"|"total", None), ("category", index),
        ("static", (n,) integer rank of a weight-independent key). The weight-independent keys after
        the last weight-dependent one (and finally the entity order) collapse into one unique rank."""
        tb = self.tie_break
        dyn = [i for i, k in enumerate(tb) if k in ("grade", "total") or k.startswith("category:")]
        n_dyn = (max(dyn) + 1) if dyn else 0
        plan: list[tuple[str, object]] = []
        for key in tb[:n_dyn]:
            if key in ("grade", "total"):
                plan.append((key, None))
            elif key.startswith("category:"):
                plan.append(("category", self.categories.index(key.partition(":")[2])))
            else:  # a metric or the entity code between weight-dependent keys: ties kept
                plan.append(("static", np.unique(self._static_values(key), return_inverse=True)[1].astype(float)))
        tail = [self._static_values(k) for k in tb[n_dyn:]] + [np.arange(len(self.entities))]
        order = np.lexsort(tail[::-1])
        static_rank = np.empty(len(order))
        static_rank[order] = np.arange(len(order))
        plan.append(("static", static_rank))
        return plan

    def switches(self, vetoes_off: frozenset[str] = frozenset(), caps_off: frozenset[str] = frozenset()):
        """(vetoes in force (n, v), caps in force (n, k), grade floor (n,)): the worst grade a city
        can have before its score counts — a cap's grade, or the last grade when vetoed."""
        veto_on = self.veto_flags & np.array([c not in vetoes_off for c in self.veto_codes], dtype=bool)
        cap_on = self.cap_flags & np.array([c not in caps_off for c in self.cap_codes], dtype=bool)
        floor = np.where(cap_on, self.cap_grade[None, :], 0).max(axis=1, initial=0)
        floor = np.where(veto_on.any(axis=1), len(self.grade_names) - 1, floor)
        return veto_on, cap_on, floor.astype(np.int16)


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


# ---------------------------------------------------------------- rounding and grades
def to_cents(x: np.ndarray, decimals: int, out: np.ndarray | None = None) -> np.ndarray:
    """Whole units of 10^-decimals (float64, exact integers): round to 6 decimals, then half up.

    With micro = rint(x·10⁶) (exactly what rounding to 6 decimals computes first) and
    step = 10^(6−decimals), the result is floor((micro + step/2) / step): every operation is exact
    or a correctly rounded division of integers, so it equals §2's two-stage rounding bit for bit.
    """
    if not 0 <= decimals <= 6:
        raise ValueError(f"total_decimals {decimals}: expected 0…6")
    step = 10.0 ** (6 - decimals)
    y = np.multiply(x, 1e6, out=out)
    np.rint(y, out=y)
    y += step / 2
    y /= step
    return np.floor(y, out=y)


def round_total(x: np.ndarray, decimals: int) -> np.ndarray:
    """Round to 6 decimals, then half up to `decimals` (RULEBOOK §2), free of float noise."""
    return to_cents(np.asarray(x, dtype=float), decimals) / 10.0**decimals


def grade_thresholds(grade_mins: np.ndarray, decimals: int, compare_decimals: int) -> np.ndarray:
    """(g,) the least total in cents of each grade: `cents < T` ⟺ round(total, 9) < round(min, 9)
    for a total of whole cents (the test is monotone in the total, so one boundary each)."""
    unit = 10.0**decimals
    out = []
    for lo in np.asarray(grade_mins, dtype=float):
        target = np.round(lo, compare_decimals)
        c = np.floor(lo * unit) - 2
        while np.round(c / unit, compare_decimals) < target:
            c += 1
        out.append(c)
    return np.array(out, dtype=float)


def _base_grade(basis: Basis, cents: np.ndarray) -> np.ndarray:
    """Grade index from the rounded total (best = 0): the number of grade minimums above it."""
    base = np.zeros(cents.shape, dtype=np.int16)
    for t in basis._grade_cents:
        base += cents < t
    return np.minimum(base, len(basis.grade_names) - 1, out=base)


# ---------------------------------------------------------------- the pipeline, cities × samples
def _total(wm: WeightModel, ws: Sequence[np.ndarray], out: np.ndarray | None = None) -> np.ndarray:
    """(n, S) A + B + C + D summed in category order, from the weighted categories' (n, S) scores."""
    S = ws[0].shape[1] if len(ws) else 1
    tot = np.empty((wm.n, S)) if out is None else out[:, :S]
    k = 0
    for ci in range(wm.c):
        term = wm.bonus_score[:, ci:ci + 1] if wm.bonus[ci] else ws[k]
        k += not wm.bonus[ci]
        if ci == 0:
            tot[...] = term
        else:
            np.add(tot, term, out=tot)
    return tot


def _category_row(wm: WeightModel, ws: Sequence[np.ndarray], ci: int) -> np.ndarray:
    if wm.bonus[ci]:
        return wm.bonus_score[:, ci:ci + 1]
    return ws[int(np.searchsorted(wm.scored, ci))]


def _rank(basis: Basis, grade: np.ndarray, cents: np.ndarray, ws: Sequence[np.ndarray]) -> np.ndarray:
    """(n, S) unique ranks 1..n by the tie-break plan (see `Basis._rank_plan`).

    Each key is a whole number (grade index, cents, micro-points, a static rank) with a sign
    (+1: smaller is better); with span_p = its range in this block and M_p = Π_{q>p} span_q,
    key = Σ_p sign_p·v_p·M_p orders the entities exactly as the keys do lexicographically — one
    float64 of exact integers, checked to stay below 2^53, else lexsort.
    """
    parts: list[tuple[np.ndarray, float, float, float]] = []  # (values, sign, lo, hi)
    for kind, arg in basis._keys:
        if kind == "grade":
            parts.append((grade, 1.0, 0.0, float(len(basis.grade_names) - 1)))
        elif kind == "static":
            parts.append((np.asarray(arg)[:, None], 1.0, 0.0, float(np.max(arg))))
        else:
            v = cents if kind == "total" else np.rint(_category_row(basis.weight_model, ws, int(arg)) * 1e6)
            lo, hi = float(v.min()), float(v.max())
            if not (np.isfinite(lo) and np.isfinite(hi)):
                return _rank_lex(basis, grade, cents, ws)
            parts.append((v, -1.0, lo, hi))
    mult, bound = 1.0, 0.0
    scaled = []
    for v, sign, lo, hi in reversed(parts):
        scaled.append((v, sign * mult))
        bound += max(abs(lo), abs(hi)) * mult
        mult *= hi - lo + 1
    if max(bound, mult) >= _EXACT:
        return _rank_lex(basis, grade, cents, ws)
    scaled.reverse()
    v0, m0 = scaled[0]
    key = np.multiply(v0, m0, out=np.empty(cents.shape))
    tmp = np.empty(cents.shape)
    for v, m in scaled[1:]:
        if v.shape[-1] == 1:
            key += v * m
        else:
            key += np.multiply(v, m, out=tmp)
    return _rank_from_key(key)


def _rank_from_key(key: np.ndarray) -> np.ndarray:
    """1 + the number of entities with a smaller key, per column (keys unique in a column):
    int8 counts for up to 64 entities (n² compares of samples-long rows), else a sort."""
    n = key.shape[0]
    if n > _COUNT_RANK_MAX:
        order = np.argsort(key, axis=0)
        rank = np.empty(key.shape, dtype=np.int32 if n > 32_000 else np.int16)
        np.put_along_axis(rank, order, np.arange(1, n + 1, dtype=rank.dtype)[:, None], axis=0)
        return rank
    rank = np.ones(key.shape, dtype=np.int8)
    beats = np.empty(key.shape, dtype=bool)
    for j in range(n):
        np.less(key[j], key, out=beats)  # does entity j come before each entity?
        rank += beats.view(np.int8)
    return rank


def _rank_lex(basis: Basis, grade: np.ndarray, cents: np.ndarray, ws: Sequence[np.ndarray]) -> np.ndarray:
    """The same order by lexsort, for keys that do not pack into 53 bits (or are not finite)."""
    keys = []
    for kind, arg in basis._keys:
        if kind == "grade":
            keys.append(grade)
        elif kind == "static":
            keys.append(np.broadcast_to(np.asarray(arg)[:, None], cents.shape))
        elif kind == "total":
            keys.append(-cents)
        else:
            keys.append(np.broadcast_to(-np.rint(_category_row(basis.weight_model, ws, int(arg)) * 1e6),
                                        cents.shape))
    order = np.lexsort(keys[::-1], axis=0)
    rank = np.empty(order.shape, dtype=np.int16 if order.shape[0] < 32_000 else np.int32)
    np.put_along_axis(rank, order, np.arange(1, order.shape[0] + 1, dtype=rank.dtype)[:, None], axis=0)
    return rank


# ---------------------------------------------------------------- public entry points
def category_scores(basis: Basis, weights: np.ndarray) -> np.ndarray:
    """Category score = category points × Σ w·f / Σ w over applicable indicators (§4); bonus
    categories min(cap, Σ points). (n, c) for weights (m,), (S, n, c) for (S, m)."""
    return basis.weight_model.category_scores(weights)


def evaluate(basis: Basis, weights: np.ndarray | None = None, *, vetoes_off: frozenset[str] = frozenset(),
             caps_off: frozenset[str] = frozenset()) -> Evaluation:
    w = basis.points if weights is None else np.asarray(weights, dtype=float)
    W = np.atleast_2d(w)
    wm = basis.weight_model
    veto_on, cap_on, floor = (basis._default_switches if not (vetoes_off or caps_off)
                              else basis.switches(vetoes_off, caps_off))
    ws = wm.weighted_scores_T(W)
    cs = np.empty((wm.c, wm.n, W.shape[0]))
    for ci in range(wm.c):
        cs[ci] = _category_row(wm, ws, ci)
    total_raw = _total(wm, ws)
    cents = to_cents(total_raw, basis.total_decimals)
    base = _base_grade(basis, cents)
    grade = np.maximum(base, floor[:, None])
    rank = _rank(basis, grade, cents, ws)
    total = cents / 10.0**basis.total_decimals
    T = (lambda a: a[:, 0]) if w.ndim == 1 else (lambda a: np.ascontiguousarray(a.T))
    cs_out = cs[:, :, 0].T.copy() if w.ndim == 1 else np.ascontiguousarray(cs.transpose(2, 1, 0))
    return Evaluation(cs_out, T(total_raw), T(total), T(base).astype(int), T(grade).astype(int),
                      T(rank).astype(int), veto_on, cap_on)


def ranks_and_grades(basis: Basis, W: np.ndarray, block: int = BLOCK) -> tuple[np.ndarray, np.ndarray]:
    """(S, n) int16 ranks and grade indices for S weight vectors, the whole scheme per sample, in
    blocks of `block` samples: memory grows as samples × cities, never × indicators.

    Both are transposed views of (n, S) arrays (column-major): per-city statistics over the
    samples read contiguous rows."""
    W = np.asarray(W, dtype=float)
    wm = basis.weight_model
    S, n = W.shape[0], wm.n
    ranks = np.empty((n, S), dtype=np.int16)
    grades = np.empty((n, S), dtype=np.int16)
    _, _, floor = basis._default_switches
    floor = floor[:, None]
    block = max(1, min(block, S))
    gbuf = np.empty((wm.rows, block))
    tbuf = np.empty((n, block))
    with one_blas_thread():
        for lo in range(0, S, block):
            hi = min(S, lo + block)
            ws = wm.weighted_scores_T(W[lo:hi], out=gbuf)
            cents = to_cents(_total(wm, ws, out=tbuf), basis.total_decimals, out=tbuf[:, : hi - lo])
            grade = np.maximum(_base_grade(basis, cents), floor, out=grades[:, lo:hi])
            ranks[:, lo:hi] = _rank(basis, grade, cents, ws)
    return ranks.T, grades.T


def rank_entities(basis: Basis, grade: np.ndarray, total: np.ndarray, cs: np.ndarray) -> np.ndarray:
    """Unique ranks (..., n) by the scheme's tie-break keys, from grades, rounded totals (...,  n)
    and category scores (..., n, c) — the same order `evaluate` gives."""
    wm = basis.weight_model
    n = wm.n
    g = np.asarray(grade).reshape(-1, n).T
    cents = np.rint(np.asarray(total, dtype=float).reshape(-1, n).T * 10.0**basis.total_decimals)
    ws = np.asarray(cs, dtype=float).reshape(-1, n, wm.c)[:, :, wm.scored].transpose(2, 1, 0)
    r = _rank(basis, g, cents, ws).T
    return r.reshape(np.shape(total)).astype(int)
