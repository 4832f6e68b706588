"""Effective weights (RULEBOOK §4 N/A renormalisation, §5 bonus cap), defined once in
`jxscore.core.weights`: hand-worked arrays, and the ledger of a scheme whose bonus items are worth
more than the bonus cap. Every expected number is worked out by hand in the comments."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from builders import Dataset
from jxscore.core.aggregate import Basis
from jxscore.core.weights import WeightModel, effective_weights, filled_fractions, rescale_to_nominal, weighted_mask
from jxscore.service import RunOptions, run_score

NA = np.nan
ROOT = Path(__file__).resolve().parents[1]


def hand_basis(fractions, points, category_of, categories, category_points, bonus, *, codes=None, p=None,
               veto=None, tie_break=("grade", "total", "category:A", "metric:X1.p", "entity_code")) -> Basis:
    """A small basis built by hand: NaN = not applicable; grades 95/80/60/0; one veto V1."""
    f = np.array(fractions, dtype=float)
    n = f.shape[0]
    return Basis(
        entities=[f"e{i}" for i in range(n)], entity_codes=list(codes or [f"36{i:04d}" for i in range(n)]),
        codes=[f"X{j + 1}" for j in range(f.shape[1])], fractions=f, applicable=~np.isnan(f),
        points=np.array(points, dtype=float), category_of=np.array(category_of), categories=list(categories),
        category_points=np.array(category_points, dtype=float), bonus=np.array(bonus, dtype=bool),
        grade_names=["超额完成", "完成", "基本完成", "未完成"], grade_mins=np.array([95.0, 80.0, 60.0, 0.0]),
        veto_codes=["V1"], veto_flags=np.array(veto if veto is not None else [False] * n, dtype=bool)[:, None],
        cap_codes=[], cap_flags=np.zeros((n, 0), dtype=bool), cap_grade=np.zeros(0, dtype=int),
        tie_break=list(tie_break), metrics={"X1.p": np.array(p if p is not None else [0.5] * n, dtype=float)},
    )


# A = X1 4 + X2 3 + X3 3 (P 10) · B = Y1 10 · D bonus = Z1 4 + Z2 2, cap 5
#              X1   X2   X3   Y1   Z1   Z2
FRACTIONS = [[1.0, 0.5, 0.0, 1.0, 1.0, 1.0],   # city 0: all apply; D raw 4 + 2 = 6 > 5: capped
             [1.0, 0.5, NA, 0.5, 0.5, 0.5],    # city 1: X3 N/A; D raw 2 + 1 = 3
             [NA, NA, NA, 1.0, 0.0, 0.0]]      # city 2: nothing of A applies
POINTS = [4, 3, 3, 10, 4, 2]
CAT = [0, 0, 0, 1, 2, 2]


@pytest.fixture
def b() -> Basis:
    return hand_basis(FRACTIONS, POINTS, CAT, ["A", "B", "D"], [10, 10, 5], [False, False, True])


def test_scale_per_city_and_category(b):
    s = b.weight_model.scale()
    # city 0: everything applies → 1, 1; D raw 6 over the cap 5 → 5/6
    # city 1: A applicable points 4 + 3 = 7 of 10 → 10/7; D raw 3 ≤ 5 → 1
    # city 2: no A indicator applies → 0
    np.testing.assert_allclose(s, [[1, 1, 5 / 6], [10 / 7, 1, 1], [0, 1, 1]], rtol=0, atol=1e-15)
    assert s[0, 0] == 1.0 and s[0, 1] == 1.0  # exactly 1 where every indicator applies


def test_na_points_are_redistributed_in_proportion(b):
    E = effective_weights(b)
    # city 1: X3's 3 points go to X1 and X2 in proportion 4 : 3 → 4 × 10/7 = 5.714286, 3 × 10/7 = 4.285714
    np.testing.assert_allclose(E[1, :3], [40 / 7, 30 / 7, 0.0], rtol=0, atol=1e-12)
    assert E[1, :3].sum() == pytest.approx(10.0, abs=1e-12)  # A still worth its 10 points
    np.testing.assert_allclose(E[0], [4, 3, 3, 10, 10 / 3, 5 / 3], rtol=0, atol=1e-12)  # Z1, Z2 × 5/6
    np.testing.assert_allclose(E[2], [0, 0, 0, 10, 4, 2], rtol=0, atol=1e-12)


def test_category_scores_equal_the_ledger_rows(b):
    cs = b.weight_model.category_scores()
    # city 0: A 4 + 1.5 + 0 = 5.5 · B 10 · D min(5, 6) = 5
    # city 1: A 10/7 × (4 + 1.5) = 55/7 = 7.857143 · B 5 · D 2 + 1 = 3
    # city 2: A 0 · B 10 · D 0
    np.testing.assert_allclose(cs, [[5.5, 10, 5], [55 / 7, 5, 3], [0, 10, 0]], rtol=0, atol=1e-12)
    rows = effective_weights(b) * np.nan_to_num(b.fractions)
    for c in range(3):
        np.testing.assert_allclose(rows[:, np.array(CAT) == c].sum(axis=1), cs[:, c], rtol=0, atol=1e-12)
    assert rows[0, 4:].sum() == 5.0  # 10/3 + 5/3: the capped bonus rows add up to the cap exactly


def test_many_weight_vectors(b):
    W = np.array([POINTS, [2, 4, 4, 10, 4, 2], [4, 3, 3, 20, 9, 9]], dtype=float)
    cs = b.weight_model.category_scores(W)
    # sample 1, city 0: A = 2 + 4 × 0.5 + 0 = 4 · city 1: applicable 2 + 4 = 6 of 10 → 10/6 × (2 + 2) = 20/3
    # sample 2: B's points are 20 → city 1 B = 20 × 0.5 = 10; bonus columns are not weights: D unchanged
    np.testing.assert_allclose(cs[1, :, 0], [4, 20 / 3, 0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(cs[2, :, 1], [20, 10, 20], rtol=0, atol=1e-12)
    np.testing.assert_allclose(cs[2, :, 2], [5, 3, 0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(cs[0], b.weight_model.category_scores(W[0]), rtol=0, atol=1e-12)
    s = b.weight_model.scale(W)
    np.testing.assert_allclose(s[1, 1, 0], 10 / 6, rtol=0, atol=1e-15)
    assert s.shape == (3, 3, 3)


def test_bonus_rows_do_not_move_in_a_what_if(b):
    # any weights: the bonus columns keep the scheme's points and the cap's scale (Z1 4 × 5/6 for city 0)
    E = effective_weights(b, np.array([8, 1, 1, 30, 40, 40], dtype=float))
    np.testing.assert_allclose(E[:, 4:], [[10 / 3, 5 / 3], [4, 2], [4, 2]], rtol=0, atol=1e-12)
    # city 1: A applicable points 8 + 1 = 9 of 10 → 10/9; B 30 of 30 → 1
    np.testing.assert_allclose(E[1, :4], [80 / 9, 10 / 9, 0, 30], rtol=0, atol=1e-12)


def test_filled_fractions_are_the_category_mean(b):
    F = filled_fractions(b)
    # city 1, X3: (4 × 1 + 3 × 0.5) / 7 = 5.5/7 = 0.785714; then Σ w·F over A = 4 + 1.5 + 3 × 5.5/7 = 55/7
    assert F[1, 2] == pytest.approx(5.5 / 7, abs=1e-12)
    assert F[1, :3] @ np.array([4.0, 3, 3]) == pytest.approx(55 / 7, abs=1e-12)
    assert F[2, :3].tolist() == [0.0, 0.0, 0.0]  # nothing applies: 0, like the score
    assert F[0].tolist() == FRACTIONS[0]  # applicable cells untouched


def test_weighted_mask_and_rescale(b):
    assert weighted_mask(b).tolist() == [True, True, True, True, False, False]
    w = np.array([4, 3, 3, 10, 4, 2], dtype=float)  # A+B = 20 = nominal: left as it is, bit for bit
    assert rescale_to_nominal(b, w.copy()).tolist() == w.tolist()
    W = np.array([[8, 6, 6, 20, 4, 2], [1, 1, 1, 7, 4, 2]], dtype=float)
    rescale_to_nominal(b, W)  # ×20/40 and ×20/10; the bonus columns keep their points
    np.testing.assert_allclose(W, [[4, 3, 3, 10, 4, 2], [2, 2, 2, 14, 4, 2]], rtol=0, atol=1e-12)


def test_a_bonus_exactly_at_the_cap_is_not_scaled():
    m = WeightModel([3, 2], [0, 0], [5], [True], np.ones((2, 2), bool), [[1.0, 1.0], [1.0, 0.5]])
    # raw 3 + 2 = 5 = cap → scale 1; raw 3 + 1 = 4 → 1
    assert m.scale().tolist() == [[1.0], [1.0]]
    assert m.category_scores().tolist() == [[5.0], [4.0]]


# ---------------------------------------------------------------- the ledger when the cap bites
def _capped_scheme(tmp_path: Path) -> Path:
    text = (ROOT / "src" / "jxscore" / "schemes" / "jiangxi.toml").read_text(encoding="utf-8")
    d1 = r'(code = "D1"[^\[]*?\npoints = )[0-9.]+'
    d2 = r'(code = "D2"[^\[]*?\npoints = )[0-9.]+'
    assert re.search(d1, text) and re.search(d2, text)
    text = re.sub(d1, r"\g<1>4", text, count=1)
    text = re.sub(d2, r"\g<1>2", text, count=1)
    assert re.search(r'code = "D"[^\[]*?\npoints = 5\b', text)  # the cap stays 5
    path = tmp_path / "d4.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_ledger_bonus_rows_add_up_to_the_capped_score(tmp_path):
    """D1 worth 4 (1 per item), D2 worth 2 (0.5 per item), D capped at 5:
    萍乡 D1 = 4, D2 = 4 → 4 + 2 = 6 points, capped to 5: each row × 5/6 → 10/3 + 5/3 = 5
    九江 D1 = 2, D2 = 1 → 2 + 0.5 = 2.5 (under the cap, rows unscaled)
    新余 D1 = 3, D2 = 4 → 3 + 2 = 5 (at the cap, rows unscaled)"""
    ds = Dataset(2023)
    ds.set("indicators", "萍乡", "D1", 4).set("indicators", "萍乡", "D2", 4)
    ds.set("indicators", "九江", "D1", 2).set("indicators", "九江", "D2", 1)
    ds.set("indicators", "新余", "D1", 3).set("indicators", "新余", "D2", 4)
    res, _ = run_score(RunOptions(2023, ds.write(tmp_path / "data"), criteria=_capped_scheme(tmp_path)))
    led = res.ledger[res.ledger.category == "D"]
    d_rows = led.groupby("city")["points"].sum()
    d_score = res.scores.set_index("city")["D"]
    for city in d_score.index:
        assert d_rows[city] == pytest.approx(d_score[city], abs=1e-9), city
    p = led[led.city == "萍乡"].set_index("indicator")
    assert p.loc["D1", "points"] == pytest.approx(10 / 3, abs=1e-12)
    assert p.loc["D2", "points"] == pytest.approx(5 / 3, abs=1e-12)
    assert p.loc["D1", "weight"] == pytest.approx(10 / 3, abs=1e-12)
    assert d_rows["萍乡"] == 5.0 and d_score["萍乡"] == 5.0
    assert res.scores.set_index("city").loc["萍乡", "total"] == 105.0
    j = led[led.city == "九江"].set_index("indicator")
    assert (j.loc["D1", "points"], j.loc["D2", "points"], j.loc["D1", "weight"]) == (2.0, 0.5, 4.0)
    assert d_score["九江"] == 2.5 and d_score["新余"] == 5.0 and d_rows["新余"] == 5.0
