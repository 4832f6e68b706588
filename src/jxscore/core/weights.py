"""Effective weights — RULEBOOK §4 (N/A renormalisation) and §5 (the bonus cap), defined once.

Every module that turns weights into points goes through here: the annual scores and ledger, the
what-if, the Monte Carlo and the decision matrix of compare-methods.

Notation: weights `w` (m,) — an indicator's points (§6) — or `W` (S, m) for S samples;
`a` (n, m) whether indicator j applies to city i; `f` (n, m) the fractions; `cat(j)` j's category.

Weighted categories (A, B, C):
    P[c]        = Σ_{j∈c} w_j               the category's points: the sum of its weights (§6)
    den[i, c]   = Σ_{j∈c} w_j·a_ij          the part of them that applies to city i
    scale[i, c] = 1 where every indicator of c applies to i, else P / den (0 when den = 0)
Bonus categories (D, points = the cap K_c). Bonus points are not weights (§5): the scheme's points
p_j are used whatever `w` holds in those columns.
    raw[i, c]   = Σ_{j∈c} p_j·f_ij
    scale[i, c] = K_c / raw where raw > K_c (compared at `compare_decimals`), else 1
Then for every indicator and city
    E[i, j]     = w_j·a_ij·scale[i, cat(j)]                      the effective weight (ledger "weight")
    score[i, c] = scale[i, c]·Σ_{j∈c} (f∘a)_ij·w_j = Σ_{j∈c} E_ij·f_ij   (bonus: min(K_c, raw))
so a city's ledger rows of a category add up to its category score, bonus included.

Many samples never materialise S × n × m: the scores and `scale` come from products of W with a
matrix M that is block-diagonal by category (an indicator counts in its own category only), one
GEMM per weighted category over its own columns: a row per city holding (f∘a) restricted to the
category (num), and where some city has an N/A indicator there, a row per such city holding `a`
restricted to the category (den) and one row of ones (P). The renormalisation is the ratio of two
of those products, num·(P/den), applied only where some indicator does not apply. With samples
last, (rows, S), every later step runs along long contiguous rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class WeightModel:
    """The weight-independent parts of §4/§5 for one set of fractions; see the module docstring.

    Build once per basis (`Basis.weight_model`); every method takes weights (m,) or (S, m).
    """

    def __init__(self, points: np.ndarray, category_of: np.ndarray, category_points: np.ndarray,
                 bonus: np.ndarray, applicable: np.ndarray, fractions: np.ndarray, compare_decimals: int = 9):
        self.points = np.asarray(points, dtype=float)
        self.category_of = np.asarray(category_of, dtype=int)
        self.category_points = np.asarray(category_points, dtype=float)
        self.bonus = np.asarray(bonus, dtype=bool)
        app = np.asarray(applicable, dtype=bool)
        n, m = app.shape
        c = self.bonus.size
        self.n, self.m, self.c = n, m, c
        self.applicable = app
        self.fractions = np.asarray(fractions, dtype=float)
        #: (m,) True for an indicator that is a weight (not a bonus item): "A+B+C"
        self.weighted = ~self.bonus[self.category_of]
        self.nominal_total = float(self.points[self.weighted].sum())
        self.onehot = (self.category_of[:, None] == np.arange(c)[None, :]).astype(float)  # (m, c)
        self.fa = np.where(app, np.nan_to_num(self.fractions, nan=0.0), 0.0)  # f∘a
        #: (n, c) every indicator of the category applies to the city: scale exactly 1
        self.full = ((~app).astype(float) @ self.onehot) == 0
        # bonus categories: raw points at the scheme's points, the cap, the per-city scale
        raw = self.fa @ (self.onehot * np.where(self.weighted, 0.0, self.points)[:, None])  # (n, c)
        d = compare_decimals
        over = self.bonus[None, :] & (np.round(raw, d) > np.round(self.category_points, d)[None, :])
        with np.errstate(divide="ignore", invalid="ignore"):
            self.bonus_scale = np.where(over, self.category_points[None, :] / raw, 1.0)  # (n, c)
        #: (n, c) bonus category scores, min(cap, raw); 0 in weighted categories
        self.bonus_score = np.where(self.bonus[None, :], np.minimum(raw, self.category_points[None, :]), 0.0)

        # The products, one block per weighted category: n rows of (f∘a), then for the cities with
        # an N/A indicator in it one row each of `a`, and one row of ones (see the module docstring).
        self.scored = np.flatnonzero(~self.bonus)  #: weighted category indices, scheme order
        self._blocks: list[tuple[slice | np.ndarray, np.ndarray, int]] = []  # (columns, matrix, first row)
        self._num_rows: list[int] = []  # first of category k's n score rows
        part_num, part_den, part_P, part_cat, part_city = [], [], [], [], []
        row = 0
        for ci in self.scored:
            idx = np.flatnonzero(self.category_of == ci)
            part = np.flatnonzero(~self.full[:, ci])
            mat = [self.fa[:, idx]]
            if part.size:
                mat += [self.applicable[np.ix_(part, idx)].astype(float), np.ones((1, idx.size))]
                part_num += list(row + part)
                part_den += list(row + n + np.arange(part.size))
                part_P += [row + n + part.size] * part.size
                part_cat += [ci] * part.size
                part_city += list(part)
            mat = np.ascontiguousarray(np.vstack(mat))
            self._blocks.append((_as_slice(idx), mat, row))
            self._num_rows.append(row)
            row += mat.shape[0]
        self.rows = row  #: K, rows of the products for one sample
        #: the (category, city) pairs with an N/A indicator and their rows: num, den, P
        self._part_num = np.array(part_num, dtype=int)
        self._part_den = np.array(part_den, dtype=int)
        self._part_P = np.array(part_P, dtype=int)
        self._part_cat = np.array(part_cat, dtype=int)
        self._part_city = np.array(part_city, dtype=int)
        #: the weighted columns as a slice when they are contiguous (views, no copies), else indices
        self.weighted_columns = _as_slice(np.flatnonzero(self.weighted))

    @classmethod
    def from_basis(cls, basis: Any) -> WeightModel:
        return cls(basis.points, basis.category_of, basis.category_points, basis.bonus, basis.applicable,
                   basis.fractions, basis.compare_decimals)

    # ---------------------------------------------------------------- products (samples last)
    def products(self, W: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """(K, S) = M.T @ W.T for W (S, m): one GEMM per weighted category. `out`: a (K, ≥S) buffer."""
        out = np.empty((self.rows, W.shape[0])) if out is None else out[:, : W.shape[0]]
        for cols, mat, row in self._blocks:
            np.matmul(mat, W[:, cols].T, out=out[row:row + mat.shape[0]])
        return out

    def _ratio(self, G: np.ndarray) -> np.ndarray:
        """(pairs, S) P/den of each (category, city) pair with an N/A indicator; 0 where den = 0."""
        den = G[self._part_den]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(den > 0, G[self._part_P] / den, 0.0)

    def weighted_scores_T(self, W: np.ndarray, out: np.ndarray | None = None) -> list[np.ndarray]:
        """Scores of the weighted categories (`scored`), one (n, S) array each, renormalised (§4):
        the products, then num·(P/den) where an indicator does not apply. Views on the buffer."""
        G = self.products(W, out)
        if self._part_num.size:
            G[self._part_num] *= self._ratio(G)
        return [G[r:r + self.n] for r in self._num_rows]

    def _scale_T(self, W: np.ndarray) -> np.ndarray:
        """(c, n, S) per-city-per-category scale, from the same products as the scores."""
        out = np.broadcast_to(self.bonus_scale.T[:, :, None], (self.c, self.n, W.shape[0])).copy()
        out[self.scored] = 1.0
        if self._part_num.size:
            out[self._part_cat, self._part_city] = self._ratio(self.products(W))
        return out

    # ---------------------------------------------------------------- public API
    def scale(self, w: np.ndarray | None = None) -> np.ndarray:
        """(n, c) for w (m,), (S, n, c) for W (S, m): the factor of §4 (P/den, 1 where all apply)
        and of the bonus cap (cap/raw over the cap, else 1)."""
        w = self.points if w is None else np.asarray(w, dtype=float)
        s = np.ascontiguousarray(self._scale_T(np.atleast_2d(w)).transpose(2, 1, 0))
        return s[0] if w.ndim == 1 else s

    def matrix(self, w: np.ndarray | None = None) -> np.ndarray:
        """(n, m) effective weights E = w·a·scale for one weight vector (ledger, what-if).
        Bonus columns use the scheme's points (bonus points are not weights)."""
        w = self.points if w is None else np.asarray(w, dtype=float)
        if w.ndim != 1:
            raise ValueError("matrix() takes one weight vector; use scale() or category_scores() for samples")
        wb = np.where(self.weighted, w, self.points)
        return wb[None, :] * self.applicable * self.scale(w)[:, self.category_of]

    def scores_T(self, W: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """(c, n, S) scores of every category (bonus ones are constant across samples)."""
        S = W.shape[0]
        cs = np.empty((self.c, self.n, S))
        for ci, rows in zip(self.scored, self.weighted_scores_T(W, out)):
            cs[ci] = rows
        for ci in np.flatnonzero(self.bonus):
            cs[ci] = self.bonus_score[:, ci][:, None]
        return cs

    def category_scores(self, w: np.ndarray | None = None) -> np.ndarray:
        """(n, c) for w (m,), (S, n, c) for W (S, m): scale·Σ(f∘a)·w per category; bonus min(cap, raw)."""
        w = self.points if w is None else np.asarray(w, dtype=float)
        cs = np.ascontiguousarray(self.scores_T(np.atleast_2d(w)).transpose(2, 1, 0))
        return cs[0] if w.ndim == 1 else cs

    def filled_fractions(self) -> np.ndarray:
        """(n, m) fractions with each N/A cell of a weighted category set to the city's own weighted
        mean fraction of that category at the scheme's points, Σ w·f·a / Σ w·a — the same ratio as
        §4, so Σ_j w_j·F_ij = P·Σ w·f·a / Σ w·a = the category score (0 if nothing applies)."""
        F = self.fractions.copy()
        if self._part_num.size:
            G = self.products(self.points[None, :])[:, 0]
            den = G[self._part_den]
            with np.errstate(divide="ignore", invalid="ignore"):
                mean = np.where(den > 0, G[self._part_num] / den, 0.0)
            for ci, i, v in zip(self._part_cat, self._part_city, mean):
                F[i, (self.category_of == ci) & ~self.applicable[i]] = v
        return F

    def rescale(self, W: np.ndarray) -> np.ndarray:
        """Scale the weighted part (A+B+C) of each weight vector (m,) or (S, m) to the nominal total
        (§6), in place; bonus columns untouched. A vector already at the total stays bit-for-bit."""
        wt = self.weighted_columns
        part = np.array(W[..., wt])
        W[..., wt] = self.rescale_weighted(part)
        return W

    def rescale_weighted(self, X: np.ndarray) -> np.ndarray:
        """`rescale` for an array holding only the weighted columns (..., mw), in place. Each row's
        sum is taken column by column (via a column-major copy), the order used since the start,
        so sampled weights keep their bits."""
        if X.ndim == 1:
            X *= self.nominal_total / X.sum()
        else:
            X *= (self.nominal_total / np.asfortranarray(X).sum(axis=1))[:, None]
        return X


def _as_slice(idx: np.ndarray) -> slice | np.ndarray:
    """A run of consecutive column indices as a slice (a view, no copy), else the indices."""
    if idx.size and np.array_equal(idx, np.arange(idx[0], idx[0] + idx.size)):
        return slice(int(idx[0]), int(idx[0]) + idx.size)
    return idx


# ---------------------------------------------------------------- functions on a basis
def model(basis: Any) -> WeightModel:
    """The basis's WeightModel (built once, then cached on it)."""
    wm = getattr(basis, "weight_model", None)
    if wm is None:
        wm = WeightModel.from_basis(basis)
        basis.weight_model = wm
    return wm


def weighted_mask(basis: Any) -> np.ndarray:
    """(m,) True for indicators that are weights (not bonus items)."""
    return model(basis).weighted


def effective_weights(basis: Any, weights: np.ndarray | None = None) -> np.ndarray:
    """(n, m) effective weights for one weight vector (default: the scheme's points)."""
    return model(basis).matrix(weights)


def category_scale(basis: Any, weights: np.ndarray | None = None) -> np.ndarray:
    """(n, c) or (S, n, c) per-city-per-category scale (§4 renormalisation, bonus cap)."""
    return model(basis).scale(weights)


def category_scores(basis: Any, weights: np.ndarray | None = None) -> np.ndarray:
    """(n, c) or (S, n, c) category scores."""
    return model(basis).category_scores(weights)


def filled_fractions(basis: Any) -> np.ndarray:
    """(n, m) fractions with N/A cells of weighted categories filled by the city's category mean."""
    return model(basis).filled_fractions()


def rescale_to_nominal(basis: Any, W: np.ndarray) -> np.ndarray:
    """A+B+C of each weight vector (m,) or (S, m) scaled to the nominal total, in place."""
    return model(basis).rescale(W)
