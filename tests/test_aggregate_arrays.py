"""The aggregation (RULEBOOK §2, §4) on small hand-made bases: category scores with N/A
renormalisation and the bonus cap, totals rounded to 6 then half up to 2, grades with caps and
vetoes, and the rank tie-break order (grade, total, category A, intensity progress p, code).

Only the public surface of `jxscore.core.aggregate` is used: the `Basis` fields, `evaluate`,
`round_total`, `rank_entities` and the `Evaluation` fields. Every expected number is worked out
by hand in the comments.
"""

from __future__ import annotations

import numpy as np
import pytest

from jxscore.core.aggregate import Basis, evaluate, rank_entities, round_total

NA = np.nan
GRADES = ["超额完成", "完成", "基本完成", "未完成"]
TOP, DONE, BASIC, FAIL = range(4)


def basis(entities, codes, fractions, points, category_of, categories, category_points, bonus, *,
          vetoes=(), veto_flags=None, caps=(), cap_flags=None, cap_grade=(), p=None) -> Basis:
    f = np.array(fractions, dtype=float)
    n = f.shape[0]
    return Basis(
        entities=list(entities), entity_codes=list(codes), codes=[f"I{j}" for j in range(f.shape[1])],
        fractions=f, applicable=~np.isnan(f), points=np.array(points, dtype=float),
        category_of=np.array(category_of), categories=list(categories),
        category_points=np.array(category_points, dtype=float), bonus=np.array(bonus, dtype=bool),
        grade_names=GRADES, grade_mins=np.array([95.0, 80.0, 60.0, 0.0]),
        veto_codes=list(vetoes),
        veto_flags=np.array(veto_flags, dtype=bool).reshape(n, len(vetoes)) if vetoes else np.zeros((n, 0), bool),
        cap_codes=list(caps),
        cap_flags=np.array(cap_flags, dtype=bool).reshape(n, len(caps)) if caps else np.zeros((n, 0), bool),
        cap_grade=np.array(cap_grade, dtype=int),
        tie_break=["grade", "total", "category:A", "metric:A1.p", "entity_code"],
        metrics={"A1.p": np.array(p if p is not None else [0.9] * n, dtype=float)},
        total_decimals=2, compare_decimals=9)


# ---------------------------------------------------------------- basis 1: scores, rounding, grades
# A 60 = X1 40 + X2 20 · B 40 = Y1 30 + Y2 10 · D bonus, cap 4 = Z1 3 + Z2 2 (5 > 4: the cap bites)
# vetoes V1; caps G1 (at most 基本完成), G2 (at most 完成)
#          X1    X2       Y1   Y2   Z1     Z2
F1 = [[1.0, 0.74975, 1.0, 1.0, 0.0, 0.0],    # 甲: A = 40 + 20 × 0.74975 = 54.995; B 40 → 94.995 → 95.00
      [1.0, 0.7495, 1.0, 1.0, 0.0, 0.0],     # 乙: A = 40 + 14.99 = 54.99 → 94.99
      [1.0, 1.0, 0.5, NA, 1 / 3, 0.0],       # 丙: Y2 N/A: B = 40 × (30 × 0.5)/30 = 20; D = 3 × 1/3 = 1 → 81
      [1.0, 1.0, 1.0, 1.0, 1.0, 1.0],        # 丁: 100 + min(4, 3 + 2) = 104
      [1.0, 1.0, 1.0, 1.0, 0.0, 0.0],        # 戊: 100
      [0.0, 1.0, 1.0, 0.8, 0.0, 0.0],        # 己: A 20, B 30 + 8 = 38 → 58
      [0.0, 1.0, 1.0, 1.0, 0.0, 0.0]]        # 庚: A 20, B 40 → 60.00 exactly
NAMES1 = ["甲", "乙", "丙", "丁", "戊", "己", "庚"]


@pytest.fixture
def b1() -> Basis:
    return basis(NAMES1, [f"3601{i:02d}" for i in range(7)], F1, [40, 20, 30, 10, 3, 2], [0, 0, 1, 1, 2, 2],
                 ["A", "B", "D"], [60, 40, 4], [False, False, True],
                 vetoes=["V1"], veto_flags=[[0], [0], [0], [0], [1], [0], [0]],
                 caps=["G1", "G2"], cap_flags=[[0, 0], [0, 0], [0, 0], [1, 0], [0, 1], [1, 0], [0, 0]],
                 cap_grade=[BASIC, DONE])


def test_category_scores_and_totals(b1):
    ev = evaluate(b1, b1.points)
    np.testing.assert_allclose(ev.category_scores, [[54.995, 40, 0], [54.99, 40, 0], [60, 20, 1], [60, 40, 4],
                                                    [60, 40, 0], [20, 38, 0], [20, 40, 0]], rtol=0, atol=1e-9)
    np.testing.assert_allclose(ev.total_raw, [94.995, 94.99, 81, 104, 100, 58, 60], rtol=0, atol=1e-9)
    # 94.995 rounds half up to 95.00 (not to the float-nearest 94.99)
    assert ev.total.tolist() == [95.0, 94.99, 81.0, 104.0, 100.0, 58.0, 60.0]


def test_grades_caps_and_vetoes(b1):
    ev = evaluate(b1, b1.points)
    # from the rounded totals: 95.00 ≥ 95 · 94.99 < 95 · 81 ≥ 80 · 104 · 100 · 58 < 60 · 60 ≥ 60
    assert ev.base_grade.tolist() == [TOP, DONE, DONE, TOP, TOP, FAIL, BASIC]
    # 丁: G1 lowers 超额完成 to 基本完成 · 戊: G2 would give 完成, V1 sets 未完成 ·
    # 己: G1 ("at most 基本完成") never raises 未完成
    assert ev.grade.tolist() == [TOP, DONE, DONE, BASIC, FAIL, FAIL, BASIC]
    # grade first, then the total: 甲 · 乙 94.99, 丙 81 · 丁 104, 庚 60 · 戊 100, 己 58
    assert ev.rank.tolist() == [1, 2, 3, 4, 6, 7, 5]


def test_switching_a_veto_or_a_cap_off(b1):
    ev = evaluate(b1, b1.points, vetoes_off=frozenset({"V1"}))
    assert ev.grade[4] == DONE  # 戊: only G2 left → 完成
    ev = evaluate(b1, b1.points, caps_off=frozenset({"G1", "G2"}))
    assert ev.grade.tolist() == [TOP, DONE, DONE, TOP, FAIL, FAIL, BASIC]  # 丁 back to 超额完成, 戊 still vetoed
    assert ev.rank.tolist() == [2, 3, 4, 1, 6, 7, 5]  # 丁 104 first, 甲 95 second


def test_weights_set_the_category_points(b1):
    # X1 40 → 20: A's points are its weights' sum, 40. 甲: 40 × (20 + 20 × 0.74975)/40 = 34.995 → 74.995 → 75.00
    # 己 (X1 = 0): A = 40 × 20/40 = 20, unchanged → 58 · 丙: A 40, B 20, D 1 → 61
    w = np.array([20, 20, 30, 10, 3, 2], dtype=float)
    ev = evaluate(b1, w)
    np.testing.assert_allclose(ev.category_scores[:, 0], [34.995, 34.99, 40, 40, 40, 20, 20], rtol=0, atol=1e-9)
    assert ev.total.tolist() == [75.0, 74.99, 61.0, 84.0, 80.0, 58.0, 60.0]
    assert ev.base_grade.tolist() == [BASIC, BASIC, BASIC, DONE, DONE, FAIL, BASIC]


def test_bonus_points_are_not_weights(b1):
    # §5: bonus points do not scale — Z1 "weight" 10 changes nothing: 丁 D = min(4, 3 + 2) = 4, 丙 D = 1
    w = np.array([40, 20, 30, 10, 10, 10], dtype=float)
    ev = evaluate(b1, w)
    np.testing.assert_allclose(ev.category_scores[:, 2], [0, 0, 1, 4, 0, 0, 0], rtol=0, atol=1e-12)
    assert ev.total.tolist() == [95.0, 94.99, 81.0, 104.0, 100.0, 58.0, 60.0]


def test_many_weight_vectors_at_once(b1):
    W = np.array([[40, 20, 30, 10, 3, 2], [20, 20, 30, 10, 3, 2]], dtype=float)
    ev = evaluate(b1, W)
    assert ev.total.shape == (2, 7)
    assert ev.total[0].tolist() == [95.0, 94.99, 81.0, 104.0, 100.0, 58.0, 60.0]
    assert ev.total[1].tolist() == [75.0, 74.99, 61.0, 84.0, 80.0, 58.0, 60.0]
    # sample 1: 丁 84 capped to 基本完成 (G1), 戊 vetoed; 丙 61 基本完成 · 甲 75 · 乙 74.99 · 庚 60
    assert ev.grade[1].tolist() == [BASIC, BASIC, BASIC, BASIC, FAIL, FAIL, BASIC]
    # 基本完成: 丁 84, 甲 75, 乙 74.99, 丙 61, 庚 60; then 戊 80, 己 58
    assert ev.rank[1].tolist() == [2, 3, 4, 1, 6, 7, 5]
    assert ev.rank[0].tolist() == [1, 2, 3, 4, 6, 7, 5]


def test_a_category_with_an_na_indicator_renormalises_over_the_rest():
    # B = Y1 30 + Y2 10; Y1 N/A and Y2 at 0.5: B = 40 × (10 × 0.5)/10 = 20; Y2 N/A and Y1 at 0.5: 20 too;
    # both applicable: 40 × (30 × 0.5 + 10 × 1)/40 = 25
    b = basis(["a", "b", "c"], ["1", "2", "3"], [[1.0, NA, 0.5], [1.0, 0.5, NA], [1.0, 0.5, 1.0]],
              [60, 30, 10], [0, 1, 1], ["A", "B"], [60, 40], [False, False])
    ev = evaluate(b, b.points)
    np.testing.assert_allclose(ev.category_scores[:, 1], [20.0, 20.0, 25.0], rtol=0, atol=1e-12)
    assert ev.total.tolist() == [80.0, 80.0, 85.0]


# ---------------------------------------------------------------- round_total
def test_round_total_six_decimals_then_half_up():
    x = np.array([94.995, 94.994999999, 94.9949999996, 94.9949994, 0.125, 2.675, 79.995, 59.994999,
                  104.9999999, 0.0, 1.005])
    # 94.995 → 95.00 (half up) · 94.994999999 → 6 dec. 94.995 → 95.00 · 94.9949999996 → 94.995 → 95.00 ·
    # 94.9949994 → 94.994999 → 94.99 · 0.125 → 0.13 (numpy's round gives 0.12) ·
    # 2.675 (binary 2.67499999…) → 6 dec. 2.675 → 2.68 · 79.995 → 80.00 · 59.994999 → 59.99 ·
    # 104.9999999 → 105.000000 → 105.00 · 0 → 0 · 1.005 (binary 1.00499999…) → 1.01
    assert round_total(x, 2).tolist() == [95.0, 95.0, 95.0, 94.99, 0.13, 2.68, 80.0, 59.99, 105.0, 0.0, 1.01]
    assert round_total(np.array([94.995, 94.9949]), 1).tolist() == [95.0, 95.0]  # 94.9949 → 94.9949 → 95.0
    assert round_total(np.array([2.5, 3.5, 2.4999996]), 0).tolist() == [3.0, 4.0, 3.0]  # half up, not to even


# ---------------------------------------------------------------- basis 2: the tie-break order
# A 50 = X1 30 + X2 20 · B 50 = Y1 · D bonus Z1 (3 points, cap 5); V1 for 癸.
#        X1   X2   Y1      Z1     code    p            A    B       D  total
F2 = [[1.0, 1.0, 1.0, 0.0],     # 360500  0.9          50   50      0  100
      [1.0, 1.0, 1.0, 0.0],     # 360300  0.9          50   50      0  100
      [1.0, 1.0, 1.0, 0.0],     # 360100  0.95         50   50      0  100
      [0.9, 1.0, 1.0, 0.0],     # 360200  0.9          47   50      0  97
      [1.0, 1.0, 0.94, 0.0],    # 360400  0.9          50   47      0  97
      [1.0, 0.9, 0.98, 0.0],    # 360600  0.9          48   49      0  97
      [1.0, 1.0, 1.0, 0.0],     # 360700  0.9000000004 50   50      0  100 (p equal to 0.9 at 6 decimals)
      [1.0, 1.0, 0.9399, 0.0],  # 360800  0.95         50   46.995  0  96.995 → 97.00
      [0.9, 1.0, 1.0, 1.0],     # 360900  0.9          47   50      3  100
      [1.0, 1.0, 1.0, 0.0]]     # 361000  0.9          50   50      0  100, vetoed
NAMES2 = ["甲", "乙", "丙", "丁", "戊", "己", "庚", "辛", "壬", "癸"]
CODES2 = ["360500", "360300", "360100", "360200", "360400", "360600", "360700", "360800", "360900", "361000"]
P2 = [0.9, 0.9, 0.95, 0.9, 0.9, 0.9, 0.9000000004, 0.95, 0.9, 0.9]


@pytest.fixture
def b2() -> Basis:
    return basis(NAMES2, CODES2, F2, [30, 20, 50, 3], [0, 0, 1, 2], ["A", "B", "D"], [50, 50, 5],
                 [False, False, True], vetoes=["V1"], veto_flags=[[0]] * 9 + [[1]], p=P2)


def test_tie_break_order(b2):
    ev = evaluate(b2, b2.points)
    assert ev.total.tolist() == [100.0, 100.0, 100.0, 97.0, 97.0, 97.0, 100.0, 97.0, 100.0, 100.0]
    # 超额完成, 100.00, A 50: 丙 (p 0.95) · then p 0.9 (庚's 0.9000000004 equals 0.9 at 6 decimals) by code:
    #   乙 360300, 甲 360500, 庚 360700 · then 壬 (100 with A 47)
    # 超额完成, 97.00: A 50: 辛 (96.995 rounds to 97.00; p 0.95) before 戊 (p 0.9) · 己 A 48 · 丁 A 47
    # 癸: 100.00 but vetoed → last
    by_rank = [NAMES2[i] for i in np.argsort(ev.rank)]
    assert by_rank == ["丙", "乙", "甲", "庚", "壬", "辛", "戊", "己", "丁", "癸"]
    assert ev.rank.tolist() == [3, 2, 1, 9, 7, 8, 4, 6, 5, 10]


def test_rank_entities_on_hand_made_grades_totals_and_categories(b2):
    grade = np.array([TOP, TOP, TOP, DONE, DONE, DONE, TOP, TOP, TOP, FAIL])
    total = np.array([96.0, 96.0, 96.0, 90.0, 91.0, 90.0, 96.0, 97.0, 96.0, 99.0])
    cs = np.zeros((10, 3))
    cs[:, 0] = [46.0, 48.0, 46.0, 40.0, 40.0, 41.0, 46.0, 45.0, 46.0000000004, 50.0]  # category A
    # 超额完成: 辛 97 · then 96 with A: 乙 48 · A 46 (壬's 46.0000000004 = 46 at 6 decimals):
    #   p: 丙 0.95 · then p 0.9 (庚 equal at 6 decimals) by code: 甲 360500, 庚 360700, 壬 360900
    # 完成: 戊 91 · then 90: 己 A 41 before 丁 A 40 · 未完成: 癸
    r = rank_entities(b2, grade, total, cs)
    assert [NAMES2[i] for i in np.argsort(r)] == ["辛", "乙", "丙", "甲", "庚", "壬", "戊", "己", "丁", "癸"]
    # several samples at once: the second sample swaps 甲's and 乙's A
    cs2 = cs.copy()
    cs2[[0, 1], 0] = [48.0, 46.0]
    r2 = rank_entities(b2, np.stack([grade, grade]), np.stack([total, total]), np.stack([cs, cs2]))
    assert r2.shape == (2, 10)
    assert r2[0].tolist() == r.tolist()
    assert [NAMES2[i] for i in np.argsort(r2[1])] == ["辛", "甲", "丙", "乙", "庚", "壬", "戊", "己", "丁", "癸"]
