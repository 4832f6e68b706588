"""Every rule type of RULEBOOK §5 called directly on arrays (several cities per call).

Each expected value below is worked out by hand from the rulebook, the arithmetic in the comment
next to it; nothing is compared with another output of the engine. Fractions are compared at
1e-9 (the rulebook rounds them to 9 decimals, §2), or exactly where the rule can only give
a few values (thresholds, tiers, the intensity matrix).
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from jxscore.core.rules import RULES, Context

A = np.array
DEC = 9  # RULEBOOK §2: every comparison rounds both sides to 9 decimals


def ind(points: float, unit: str = "%") -> SimpleNamespace:
    return SimpleNamespace(points=points, unit=unit)


def ctx(year: int = 2023, *, energy=None, params=None, fields=None, checks=None) -> Context:
    c = Context(year=year, k=year - 2020, plan_years=5, base_year=2020, dec=DEC,
                energy=energy or {}, params=params or {}, fields=fields or {})
    if checks:
        c.checks.update(checks)
    return c


def score(rule: str, actual, target, indicator, params=None, context=None):
    rt = RULES[rule]
    p = rt.params(**(params or {}))
    n = len(actual)
    return rt.score(np.asarray(actual, dtype=float),
                    np.asarray(target if target is not None else [np.nan] * n, dtype=float),
                    indicator, p, context or ctx())


def test_every_rule_type_of_the_rulebook_is_registered():
    assert {"ratio", "threshold", "lower_step", "review", "review_deduct", "bonus", "intensity_matrix",
            "total_cap_tiers"} <= set(RULES)


# ---------------------------------------------------------------- ratio: f = clamp(actual / target, 0, 1)
def test_ratio_clamps_and_gives_zero_for_a_negative_actual():
    o = score("ratio",
              [8.0, 9.5, 6.0, 0.0, -5.0, 2132.0],
              [8.0, 8.0, 8.0, 8.0, 8.0, 2665.0 * 4 / 5],  # 宜春 A4: 4/5 of 2665 t = 2132
              ind(4))
    # 8/8 = 1 · 9.5/8 = 1.1875 → 1 · 6/8 = 0.75 · 0/8 = 0 · −5/8 < 0 → 0 · 2132/2132 = 1
    np.testing.assert_allclose(o.fraction, [1.0, 1.0, 0.75, 0.0, 0.0, 1.0], rtol=0, atol=1e-12)


def test_ratio_partial_fractions():
    o = score("ratio", [360.0, 450.0, 3.6], [340.0, 520.0, 4.5], ind(3, "万吨"))
    # 360/340 = 1.0588 → 1 · 450/520 = 0.865384615… · 3.6/4.5 = 0.8
    np.testing.assert_allclose(o.fraction, [1.0, 0.865384615, 0.8], rtol=0, atol=1e-9)


# ---------------------------------------------------------------- threshold: 1 if actual ≥ target (9 decimals)
def test_threshold_at_nine_decimals():
    o = score("threshold",
              [30.0, 30.0000000001, 29.99, 29.9999999996, 29.999999999, 0.1 + 0.2, 0.29],
              [30.0, 30.0, 30.0, 30.0, 30.0, 0.3, 0.3],
              ind(2))
    # exactly at target → 1 · above → 1 · 29.99 < 30 → 0 ·
    # 29.9999999996 rounds (9 dec.) to 30.000000000 → 1 · 29.999999999 stays below → 0 ·
    # 0.1 + 0.2 = 0.30000000000000004 against 0.3: float noise, on the boundary → meets → 1 · 0.29 → 0
    assert 0.1 + 0.2 != 0.3  # the case really carries float noise
    assert o.fraction.tolist() == [1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0]


# ---------------------------------------------------------------- lower_step (B5): each 0.5 or part of it loses 0.25
B5 = {"step": 0.5, "loss_per_step": 0.25}


def test_lower_step_steps():
    target = [10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0]
    actual = [9.0, 10.0, 10.1, 10.5, 10.7, 11.5, 12.0, 13.0, 10.000000001]
    o = score("lower_step", actual, target, ind(2), B5)
    # below → 1 · at target → 1 · 0.1/0.5 = 0.2 → ⌈⌉ 1 step → 0.75 · 0.5/0.5 = 1 → 0.75 ·
    # 0.7/0.5 = 1.4 → 2 → 0.5 · 1.5/0.5 = 3 → 0.25 · 2/0.5 = 4 → 0 · 3/0.5 = 6 → 1 − 1.5 < 0 → floor 0 ·
    # 1e-9 above the target is a part of a step (visible at 9 decimals) → 1 → 0.75
    np.testing.assert_allclose(o.fraction, [1.0, 1.0, 0.75, 0.75, 0.5, 0.25, 0.0, 0.0, 0.75], rtol=0, atol=1e-12)
    assert o.deducted.tolist() == [False, False, True, True, True, True, True, True, True]


def test_lower_step_float_noise():
    o = score("lower_step", [9.5, 0.8, 10.0000000004, 2.2, 0.1 + 0.2], [9.0, 0.3, 10.0, 0.7, 0.3], ind(2), B5)
    # 9.5 − 9.0 = 0.5 exactly: one step → 0.75 ·
    # 0.8 − 0.3: one step → 0.75 (in binary64 the difference happens to round to 0.5 exactly) ·
    # 10.0000000004 rounds (9 dec.) to 10.0 = target → not above → 1 ·
    # 2.2 − 0.7 = 1.5000000000000002 (float noise): quotient 3.0000000000000004 rounds to 3, not ⌈⌉ 4 → 0.25 ·
    # 0.1 + 0.2 = 0.30000000000000004 against 0.3: equal at 9 decimals → not above → 1
    assert 2.2 - 0.7 != 1.5 and 0.1 + 0.2 != 0.3  # these two really carry float noise
    np.testing.assert_allclose(o.fraction, [0.75, 0.75, 1.0, 0.25, 1.0], rtol=0, atol=1e-12)


def test_lower_step_other_parameters():
    # a scheme could say: each 1.0 above loses 0.1 — 2.5 above → ⌈2.5⌉ = 3 steps → 0.7; 12 above → 0
    o = score("lower_step", [12.5, 22.0, 10.0], [10.0, 10.0, 10.0], ind(2), {"step": 1.0, "loss_per_step": 0.1})
    np.testing.assert_allclose(o.fraction, [0.7, 0.0, 1.0], rtol=0, atol=1e-12)


def test_lower_step_parameters_are_validated():
    with pytest.raises(ValueError):
        RULES["lower_step"].params(step=0, loss_per_step=0.25)
    with pytest.raises(ValueError):
        RULES["lower_step"].params(step=0.5, loss_per_step=1.5)


# ---------------------------------------------------------------- review: f = points awarded / item points
def test_review_fraction():
    o = score("review", [3.0, 2.5, 0.0, 1.5], None, ind(3, "points"))
    # 3/3 = 1 · 2.5/3 = 0.833333333 · 0/3 = 0 · 1.5/3 = 0.5
    np.testing.assert_allclose(o.fraction, [1.0, 0.833333333, 0.0, 0.5], rtol=0, atol=1e-9)
    o = score("review", [4.0, 3.5, 1.0], None, ind(4, "points"))  # C3, 4 points: 1 · 0.875 · 0.25
    np.testing.assert_allclose(o.fraction, [1.0, 0.875, 0.25], rtol=0, atol=1e-12)


# ---------------------------------------------------------------- review_deduct (C2, 5 points)
C2 = {"deductions": {"C2_unapproved": 0.2, "C2_lianggao": 0.4}}


def test_review_deduct_c2():
    c2 = [5.0, 4.5, 4.5, 4.0, 1.0, 3.0]
    unapproved = [0, 1, 1, 0, 0, 2]
    lianggao = [0, 0, 1, 2, 2, 0]
    o = score("review_deduct", c2, None, ind(5, "points"), C2,
              ctx(fields={"C2_unapproved": A(unapproved, dtype=float), "C2_lianggao": A(lianggao, dtype=float)}))
    # 5/5 = 1 → 5 points ·
    # 4.5/5 − 0.2 = 0.9 − 0.2 = 0.7 → 3.5 points ·
    # 0.9 − 0.2 − 0.4 = 0.3 → 1.5 points ·
    # 4/5 − 2 × 0.4 = 0.8 − 0.8 = 0 → 0 ·
    # 1/5 − 0.8 = −0.6 → floor 0 ·
    # 3/5 − 2 × 0.2 = 0.2 → 1 point
    np.testing.assert_allclose(o.fraction, [1.0, 0.7, 0.3, 0.0, 0.0, 0.2], rtol=0, atol=1e-9)
    np.testing.assert_allclose(o.fraction * 5, [5.0, 3.5, 1.5, 0.0, 0.0, 1.0], rtol=0, atol=1e-9)
    assert o.deducted.tolist() == [False, True, True, True, True, True]
    assert (o.fraction >= 0).all()


def test_review_deduct_note_names_the_points_lost():
    rt = RULES["review_deduct"]
    p = rt.params(**C2)
    c = ctx(fields={"C2_unapproved": A([1.0, 0.0]), "C2_lianggao": A([0.0, 0.0])})
    c.field_labels.update({"C2_unapproved": "未批先建"})
    o = rt.score(A([4.5, 5.0]), A([np.nan, np.nan]), ind(5, "points"), p, c)
    notes = rt.explain(o, ind(5, "points"), p, c)
    # 1 project × 0.2 × 5 points = 1 point lost; 4.5 − 1 = 3.5
    assert notes[0] == "评审4.5分；未批先建1项扣1分，得3.5分"
    assert notes[1] == "评审5分"


# ---------------------------------------------------------------- bonus (D1 +1 each up to 3, D2 +0.5 each up to 2)
def test_bonus_per_item_and_cap():
    d1 = score("bonus", [0, 1, 2, 3, 4], None, ind(3, "count"), {"per_item": 1.0})
    # points min(3, 1·n): 0, 1, 2, 3, 3 → fractions of 3
    np.testing.assert_allclose(d1.fraction * 3, [0.0, 1.0, 2.0, 3.0, 3.0], rtol=0, atol=1e-12)
    d2 = score("bonus", [0, 1, 3, 4, 5], None, ind(2, "count"), {"per_item": 0.5})
    # points min(2, 0.5·n): 0, 0.5, 1.5, 2, 2 (5 × 0.5 = 2.5 capped)
    np.testing.assert_allclose(d2.fraction * 2, [0.0, 0.5, 1.5, 2.0, 2.0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(d2.fraction, [0.0, 0.25, 0.75, 1.0, 1.0], rtol=0, atol=1e-12)
    assert RULES["bonus"].bonus and not RULES["ratio"].bonus


# ---------------------------------------------------------------- intensity_matrix (A1)
A1 = {"both": 1.0, "cumulative_only": 0.7, "annual_only": 0.4, "neither": 0.0}


def energy(rows: dict[int, list[tuple[float, float, float, float]]]) -> dict[str, dict[int, np.ndarray]]:
    """{year: [(energy_total, energy_raw, renewable_power, gdp) per city]} → Context.energy."""
    out: dict[str, dict[int, np.ndarray]] = {k: {} for k in ("energy_total", "energy_raw", "renewable_power", "gdp")}
    for year, cities in rows.items():
        for j, col in enumerate(("energy_total", "energy_raw", "renewable_power", "gdp")):
            out[col][year] = A([c[j] for c in cities], dtype=float)
    return out


# The §7 example (南昌 2023) and four cities with net energy (total − raw) over gdp 1000:
#   city 1: 1000 → 920 → 912   c = 0.088, r = 1 − 912/920 = 0.008696 (0.87 % < 2.9)
#           p = ln 0.912 / ln 0.86 = 0.610751 ≥ 0.6, p_inc = ln 0.912 / ln 0.855 = 0.588018 < 0.6
#   city 2: 1000 → 1000 → 960  c = r = 0.04 (4 % ≥ 2.9), p = ln 0.96 / ln 0.86 = 0.270662 < 0.6
#   city 3: 1000 → 1000 → 990  c = r = 0.01 (1 % < 2.9), p = 0.066637 < 0.6
#   city 4: 1000 → 1100 → 1020 c = −0.02 ≤ 0 (intensity rose since 2020): cumulative fails;
#           r = 1 − 1020/1100 = 0.072727 (7.27 % ≥ 2.9), p = ln 1.02 / ln 0.86 = −0.131297
SEVEN = {2020: (3600.0, 300.0, 100.0, 5750.0), 2022: (3650.0, 310.0, 160.0, 6400.0),
         2023: (3700.0, 320.0, 200.0, 6800.0)}


def _matrix_ctx():
    others = [(1000.0, 920.0, 912.0), (1000.0, 1000.0, 960.0), (1000.0, 1000.0, 990.0), (1000.0, 1100.0, 1020.0)]
    rows = {y: [SEVEN[y]] + [(net[i] + 100.0, 100.0, 50.0, 1000.0) for net in others]
            for i, y in enumerate((2020, 2022, 2023))}
    n = 5
    return ctx(2023, energy=energy(rows),
               params={"T5": A([14.0] * n), "T5_inc": A([14.5] * n), "A1_annual": A([2.9] * n)})


def test_intensity_matrix_worked_example_and_the_four_fractions():
    c = _matrix_ctx()
    o = score("intensity_matrix", [np.nan] * 5, None, ind(20, "—"), A1, c)
    m = o.metrics
    # §7: I_2020 = 3300/5750 = 0.573913…, I_2022 = 3340/6400 = 0.521875, I_2023 = 3380/6800 = 0.497059…
    assert m["I_base"][0] == pytest.approx(0.573913043, abs=1e-9)
    assert m["I_prev"][0] == pytest.approx(0.521875, abs=1e-12)
    assert m["I"][0] == pytest.approx(0.497058824, abs=1e-9)
    # c = 1 − 0.497059/0.573913 = 0.133913…, r = 1 − 0.497059/0.521875 = 0.047552…
    np.testing.assert_allclose(m["c"], [0.133912656, 0.088, 0.04, 0.01, -0.02], rtol=0, atol=1e-9)
    np.testing.assert_allclose(m["r"], [0.047551955, 0.008695652, 0.04, 0.01, 0.072727273], rtol=0, atol=1e-9)
    # p = ln(0.866087)/ln(0.86) = 0.953234…; incentive ln(0.866087)/ln(0.855) = 0.917753…
    np.testing.assert_allclose(m["p"], [0.953234065, 0.610751386, 0.270661798, 0.066636675, -0.131297228],
                               rtol=0, atol=1e-9)
    assert m["p_inc"][0] == pytest.approx(0.917753078, abs=1e-9)
    assert m["p_inc"][1] == pytest.approx(0.588018184, abs=1e-9)
    assert o.checks["cumulative"].tolist() == [True, True, False, False, False]
    assert o.checks["annual"].tolist() == [True, False, True, False, True]
    assert o.checks["incentive"].tolist() == [True, False, False, False, False]
    # both → 1 (20 points) · cumulative only → 0.7 · annual only → 0.4 · neither → 0 · c ≤ 0, annual met → 0.4
    assert o.fraction.tolist() == [1.0, 0.7, 0.4, 0.0, 0.4]
    # shown: 100·c against the cumulative reduction due by k = 3: 100 × (1 − 0.86^0.6) = 8.651994…
    assert o.shown_actual[0] == pytest.approx(13.3912656, abs=1e-7)
    np.testing.assert_allclose(o.shown_target, [8.65199421] * 5, rtol=0, atol=1e-8)


def test_required_cumulative_reduction_for_14_percent():
    # §5: for a 14 % target the required cumulative reductions are 2.97, 5.85, 8.65, 11.37, 14.0 %
    got = []
    for year in range(2021, 2026):
        rows = {y: [(1100.0, 100.0, 50.0, 1000.0)] * 3 for y in {2020, year - 1, year}}
        c = ctx(year, energy=energy(rows), params={"T5": A([14.0] * 3), "T5_inc": A([14.5] * 3),
                                                   "A1_annual": A([2.9] * 3)})
        got.append(round(float(score("intensity_matrix", [np.nan] * 3, None, ind(20, "—"), A1, c).shown_target[0]), 2))
    assert got == [2.97, 5.85, 8.65, 11.37, 14.0]


def test_intensity_boundaries_at_nine_decimals():
    # city 0: I_Y/I_2020 = 0.86^0.6 = 0.913480… exactly (up to float noise): p = 0.6 meets k/5 = 0.6;
    #         and I_(Y−1) = I_Y/0.971: 100·r = 2.9 (float: 2.9000000000000026) meets 2.9 → f = 1.
    #         Incentive: ln(0.86^0.6)/ln(0.855) = 0.6 × 0.150823/0.156654 = 0.577661 < 0.6 → not met.
    # city 1: I_Y/I_2020 = 0.9135 (a hair above): p = ln 0.9135/ln 0.86 = 0.599855 < 0.6 → fails;
    #         annual as city 0 → annual only → 0.4
    # city 2: c = 0 exactly (no change since 2020): p = 0, cumulative fails; r = 1 − 1000/1100 = 9.09 % → 0.4
    # city 3: r computed from 971/1000: 1 − 0.971 = 0.029000000000000026 → meets 2.9; c = 0.029,
    #         p = ln 0.971/ln 0.86 = 0.195122 < 0.6 → 0.4
    y0 = 1000 * 0.86 ** 0.6
    nets = [(1000.0, y0 / 0.971, y0), (1000.0, 913.5 / 0.971, 913.5), (1000.0, 1100.0, 1000.0), (1000.0, 1000.0, 971.0)]
    rows = {y: [(net[i] + 100.0, 100.0, 50.0, 1000.0) for net in nets] for i, y in enumerate((2020, 2022, 2023))}
    c = ctx(2023, energy=energy(rows), params={"T5": A([14.0] * 4), "T5_inc": A([14.5] * 4),
                                              "A1_annual": A([2.9] * 4)})
    o = score("intensity_matrix", [np.nan] * 4, None, ind(20, "—"), A1, c)
    assert round(float(o.metrics["p"][0]), 9) == 0.6
    assert o.metrics["p"][1] == pytest.approx(math.log(0.9135) / math.log(0.86), abs=1e-12)  # 0.599855…
    assert round(float(o.metrics["p"][1]), 6) == 0.599855
    assert o.metrics["p"][2] == 0.0
    assert o.checks["cumulative"].tolist() == [True, False, False, False]
    assert o.checks["annual"].tolist() == [True, True, True, True]
    assert o.checks["incentive"].tolist() == [False, False, False, False]
    assert o.fraction.tolist() == [1.0, 0.4, 0.4, 0.4]


def test_intensity_excludes_raw_material_energy():
    # same energy_total 1100 and gdp 1000 each year; raw 100 → 100 → 190 in 2023:
    # I = (1100 − raw)/1000: 1.0, 1.0, 0.91 → c = r = 0.09 (counting raw: 0 — no fall at all)
    rows = {2020: [(1100.0, 100.0, 50.0, 1000.0)], 2022: [(1100.0, 100.0, 50.0, 1000.0)],
            2023: [(1100.0, 190.0, 50.0, 1000.0)]}
    c = ctx(2023, energy=energy(rows), params={"T5": A([14.0]), "T5_inc": A([14.5]), "A1_annual": A([2.9])})
    o = score("intensity_matrix", [np.nan], None, ind(20, "—"), A1, c)
    assert o.metrics["c"][0] == pytest.approx(0.09, abs=1e-12)
    assert o.metrics["r"][0] == pytest.approx(0.09, abs=1e-12)


# ---------------------------------------------------------------- total_cap_tiers (A2)
A2 = {"tiers": [[0.0, 1.0], [0.05, 0.6], [0.10, 0.2]], "beyond": 0.0, "exempt_when": "A1.incentive"}


def test_total_cap_worked_example():
    # §7 南昌: Ê_2020 = 3600 − 300 = 3300; Ê_2023 = 3700 − 320 − (200 − 100) = 3280;
    # allowance = 3300 × 1.07³ × 0.86^0.6 = 3300 × 1.225043 × 0.913480… = 3692.872757 (A2_adjust 0)
    # over = 3280/3692.872757 − 1 = −0.111802595 ≤ 0 → f = 1; the §7 city meets the incentive → exempt.
    # city 1: same energy, A2_adjust = −600 → allowance 3092.872757, over = 3280/3092.872757 − 1 = 0.060502729
    #         (0.05 < 0.060503 ≤ 0.10) → 0.2; incentive not met → not exempt.
    # city 2: renewable power fell 100 → 80: max(0, −20) = 0, nothing subtracted: Ê_2023 = 3380,
    #         over = 3380/3692.872757 − 1 = −0.084723406 → 1
    e = energy({2020: [SEVEN[2020]] * 3, 2023: [SEVEN[2023], SEVEN[2023], (3700.0, 320.0, 80.0, 6800.0)]})
    c = ctx(2023, energy=e, params={"T5": A([14.0] * 3), "gdp_growth": A([7.0] * 3),
                                    "A2_adjust": A([0.0, -600.0, np.nan])},  # NaN (empty cell) = 0
            checks={"A1.incentive": A([True, False, False])})
    o = score("total_cap_tiers", [np.nan] * 3, None, ind(5, "万tce"), A2, c)
    np.testing.assert_allclose(o.metrics["E_adj_base"], [3300.0, 3300.0, 3300.0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(o.metrics["E_adj"], [3280.0, 3280.0, 3380.0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(o.metrics["allowance"], [3692.872757, 3092.872757, 3692.872757], rtol=0, atol=1e-6)
    assert math.floor(o.metrics["allowance"][0] * 100) / 100 == 3692.87
    np.testing.assert_allclose(o.metrics["over"], [-0.111802595, 0.060502729, -0.084723406], rtol=0, atol=1e-9)
    assert o.raw_fraction.tolist() == [1.0, 0.2, 1.0]
    assert o.exempt.tolist() == [True, False, False]
    assert o.fraction.tolist() == [1.0, 0.2, 1.0]


def _tier_ctx(e_y: list[float], incentive: list[bool] | None = None) -> Context:
    """Y = 2025 (k = 5), gdp_growth 0, T5 20: allowance = 1000 × 1⁵ × 0.8¹ = 800 exactly; Ê_Y as given."""
    n = len(e_y)
    e = energy({2020: [(1100.0, 100.0, 50.0, 1000.0)] * n, 2025: [(v + 100.0, 100.0, 50.0, 1000.0) for v in e_y]})
    return ctx(2025, energy=e, params={"T5": A([20.0] * n), "gdp_growth": A([0.0] * n)},
               checks={"A1.incentive": A(incentive or [False] * n)})


def test_total_cap_tier_edges():
    e_y = [790.0, 800.0, 800.0000008, 840.0, 840.0000008, 880.0, 880.0000003, 880.0000008, 1000.0]
    o = score("total_cap_tiers", [np.nan] * len(e_y), None, ind(5, "万tce"), A2, _tier_ctx(e_y))
    assert o.metrics["allowance"].tolist() == [800.0] * len(e_y)
    # over = Ê/800 − 1, compared at 9 decimals:
    #   790 → −0.0125 → 1 · 800 → 0 exactly → 1 · 800.0000008 → 1.0e-9 > 0 → 0.6 ·
    #   840 → 0.05 (float 0.050000000000000044) → 0.6 · 840.0000008 → 0.050000001 > 0.05 → 0.2 ·
    #   880 → 0.10 (float 0.10000000000000009) → 0.2 · 880.0000003 → 0.100000000375 rounds to 0.1 → 0.2 ·
    #   880.0000008 → 0.100000001 > 0.10 → 0 · 1000 → 0.25 → 0
    np.testing.assert_allclose(o.metrics["over"],
                               [-0.0125, 0.0, 1e-9, 0.05, 0.050000001, 0.1, 0.100000000375, 0.100000001, 0.25],
                               rtol=0, atol=1e-12)
    assert o.fraction.tolist() == [1.0, 1.0, 0.6, 0.6, 0.2, 0.2, 0.2, 0.0, 0.0]
    assert not o.exempt.any()


def test_total_cap_exemption():
    # over 0.25 (Ê 1000 against 800): raw fraction 0; the incentive check exempts → f = 1, shown as exempt;
    # over 0.05 with the incentive met → 1 (raw 0.6); without it → 0.6
    o = score("total_cap_tiers", [np.nan] * 3, None, ind(5, "万tce"), A2,
              _tier_ctx([1000.0, 840.0, 840.0], incentive=[True, True, False]))
    assert o.raw_fraction.tolist() == [0.0, 0.6, 0.6]
    assert o.exempt.tolist() == [True, True, False]
    assert o.fraction.tolist() == [1.0, 1.0, 0.6]
    # without `exempt_when` nobody is exempt
    o = score("total_cap_tiers", [np.nan] * 2, None, ind(5, "万tce"), {**A2, "exempt_when": None},
              _tier_ctx([1000.0, 840.0], incentive=[True, True]))
    assert o.fraction.tolist() == [0.0, 0.6] and not o.exempt.any()


def test_total_cap_new_renewables_since_the_base_year_are_not_counted():
    # Ê_2025 = total − raw − max(0, renewable_2025 − renewable_2020):
    #   880 + 100 total, raw 100, renewable 50 → 90: 880 − 40 = 840 → over 0.05 → 0.6
    #   same with renewable 50 → 20 (fell): nothing subtracted, 880 → 0.10 → 0.2
    e = energy({2020: [(1100.0, 100.0, 50.0, 1000.0)] * 2,
                2025: [(980.0, 100.0, 90.0, 1000.0), (980.0, 100.0, 20.0, 1000.0)]})
    c = ctx(2025, energy=e, params={"T5": A([20.0] * 2), "gdp_growth": A([0.0] * 2)},
            checks={"A1.incentive": A([False, False])})
    o = score("total_cap_tiers", [np.nan] * 2, None, ind(5, "万tce"), A2, c)
    np.testing.assert_allclose(o.metrics["E_adj"], [840.0, 880.0], rtol=0, atol=1e-12)
    assert o.fraction.tolist() == [0.6, 0.2]


def test_total_cap_tier_fractions_are_validated():
    with pytest.raises(ValueError):
        RULES["total_cap_tiers"].params(tiers=[[0.0, 1.5]])
