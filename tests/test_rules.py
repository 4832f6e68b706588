"""Each rule type at and around its boundaries. Expected points are worked by hand from RULEBOOK §5.

Baseline (builders.Dataset): every city scores A 50 + B 30 + C 20 = 100, so the effect of one edit
is the points it costs.
"""

import pytest

from builders import Dataset
from conftest import ledger, row


def one(score_ds, edit, city="萍乡", year=2023):
    ds = Dataset(year)
    edit(ds)
    res = score_ds(ds)
    return res, row(res, city)


# ---------------------------------------------------------------- ratio
@pytest.mark.parametrize("actual,fraction,total", [
    (8.0, 1.0, 100.0),       # exactly at target 8%
    (9.5, 1.0, 100.0),       # above: clamped to 1
    (6.0, 0.75, 99.0),       # A3 is 4 points: 4 × 0.25 = 1 lost
    (0.0, 0.0, 96.0),
    (-5.0, 0.0, 96.0),       # a rise (negative cumulative reduction) gives 0
])
def test_ratio_a3(score_ds, actual, fraction, total):
    res, r = one(score_ds, lambda d: (d.set("targets", "萍乡", "A3", 8.0), d.set("indicators", "萍乡", "A3", actual)))
    assert ledger(res, "萍乡", "A3")["fraction"] == fraction
    assert r["total"] == total


# ---------------------------------------------------------------- threshold
@pytest.mark.parametrize("target,actual,fraction", [
    (30.0, 30.0, 1.0),
    (30.0, 30.0000000001, 1.0),
    (30.0, 29.99, 0.0),
    (30.0, 29.9999999996, 1.0),   # equal to the target at 9 decimals
    (0.3, 0.1 + 0.2, 1.0),        # 0.30000000000000004: float noise exactly on the boundary meets
    (0.3, 0.29, 0.0),
])
def test_threshold_a10(score_ds, target, actual, fraction):
    res, r = one(score_ds, lambda d: (d.set("targets", "萍乡", "A10", target),
                                      d.set("indicators", "萍乡", "A10", actual)))
    assert ledger(res, "萍乡", "A10")["fraction"] == fraction
    assert r["A"] == 50 - 2 * (1 - fraction)


# ---------------------------------------------------------------- lower_step (B5, 2 points)
@pytest.mark.parametrize("target,actual,fraction,b", [
    (10.0, 10.0, 1.0, 30.0),    # exactly at target
    (10.0, 10.1, 0.75, 29.5),   # part of a step counts as a step
    (10.0, 10.5, 0.75, 29.5),   # exactly one 0.5 step
    (10.0, 10.7, 0.5, 29.0),    # 0.7 points over → 2 steps
    (9.0, 9.5, 0.75, 29.5),     # "9.5 − 9.0 is exactly one 0.5 step"
    (0.3, 0.8, 0.75, 29.5),     # 0.8 − 0.3: one step (in binary64 the difference is exactly 0.5)
    (0.7, 2.2, 0.25, 28.5),     # float 2.2 − 0.7 = 1.5000000000000002: three steps, not four
    (10.0, 11.5, 0.25, 28.5),
    (10.0, 12.0, 0.0, 28.0),
    (10.0, 13.0, 0.0, 28.0),    # never below 0
])
def test_lower_step_b5(score_ds, target, actual, fraction, b):
    def edit(d):
        d.set("targets", "萍乡", "B5", target)
        d.set("indicators", "萍乡", "B5", actual)
    res, r = one(score_ds, edit)
    assert ledger(res, "萍乡", "B5")["fraction"] == fraction
    assert r["B"] == pytest.approx(b, abs=1e-9)


def test_lower_step_note_names_steps(score_ds):
    res, _ = one(score_ds, lambda d: (d.set("targets", "萍乡", "B5", 9.0), d.set("indicators", "萍乡", "B5", 9.7)))
    note = ledger(res, "萍乡", "B5")["note"]
    assert "超目标0.7个百分点" in note and "扣2档" in note


# ---------------------------------------------------------------- review and review_deduct
def test_review_points(score_ds):
    res, r = one(score_ds, lambda d: d.set("indicators", "萍乡", "C1", 2.5))
    assert ledger(res, "萍乡", "C1")["fraction"] == pytest.approx(2.5 / 3, abs=1e-9)
    assert r["C"] == pytest.approx(19.5, abs=1e-9)


@pytest.mark.parametrize("c2,unapproved,lianggao,points", [
    (5.0, 0, 0, 5.0),
    (4.5, 1, 0, 3.5),   # 0.9 − 0.2 = 0.7 → 3.5
    (4.5, 1, 1, 1.5),   # 0.9 − 0.2 − 0.4 = 0.3 → 1.5
    (4.0, 0, 2, 0.0),   # 0.8 − 0.8 = 0
    (1.0, 0, 2, 0.0),   # 0.2 − 0.8 < 0 → 0
])
def test_review_deduct_c2(score_ds, c2, unapproved, lianggao, points):
    def edit(d):
        d.set("indicators", "萍乡", "C2", c2)
        d.set("indicators", "萍乡", "C2_unapproved", unapproved)
        d.set("indicators", "萍乡", "C2_lianggao", lianggao)
    res, r = one(score_ds, edit)
    assert ledger(res, "萍乡", "C2")["points"] == pytest.approx(points, abs=1e-9)
    assert r["C"] == pytest.approx(15 + points, abs=1e-9)
    if unapproved or lianggao:
        assert "扣分" in ledger(res, "萍乡", "C2")["flags"]


# ---------------------------------------------------------------- bonus
@pytest.mark.parametrize("d1,d2,d", [(0, 0, 0.0), (1, 1, 1.5), (3, 4, 5.0), (4, 5, 5.0), (2, 3, 3.5)])
def test_bonus(score_ds, d1, d2, d):
    res, r = one(score_ds, lambda x: (x.set("indicators", "萍乡", "D1", d1), x.set("indicators", "萍乡", "D2", d2)))
    assert r["D"] == d
    assert r["total"] == 100 + d


# ---------------------------------------------------------------- intensity_matrix (A1, 20 points)
# Default energy: net energy 1000 × 0.96^(t−2020), gdp 1000: c(2023) = 1 − 0.96³ = 0.115264, r = 4%.
# T5 = 14: p = ln(0.884736)/ln(0.86) = 0.8126 ≥ 0.6. T5 = 40: p = ln(0.884736)/ln(0.6) = 0.2397 < 0.6.
@pytest.mark.parametrize("t5,t5_inc,annual,fraction,grade,vetoes", [
    (14.0, 14.5, 2.9, 1.0, "超额完成", ""),
    (14.0, 14.5, 4.0, 1.0, "超额完成", ""),     # 100·r = 4 meets 4.0 exactly
    (14.0, 14.5, 4.1, 0.7, "完成", ""),          # cumulative only: 100 − 6 = 94
    (40.0, 45.0, 2.9, 0.4, "未完成", "V1"),      # annual only: 88, vetoed
    (40.0, 45.0, 4.1, 0.0, "未完成", "V1"),      # neither: 80, vetoed
])
def test_intensity_matrix(score_ds, t5, t5_inc, annual, fraction, grade, vetoes):
    def edit(d):
        d.set("targets", "萍乡", "T5", t5)
        d.set("targets", "萍乡", "T5_inc", t5_inc)
        d.set("targets", "萍乡", "A1_annual", annual)
    res, r = one(score_ds, edit)
    assert ledger(res, "萍乡", "A1")["fraction"] == fraction
    assert r["A"] == pytest.approx(50 - 20 * (1 - fraction), abs=1e-9)
    assert r["grade"] == grade and r["vetoes"] == vetoes


def test_progress_exactly_on_the_line_meets(score_ds):
    """A progress of 0.6 meets k/5 = 0.6: I_2023/I_2020 = 0.86^0.6 exactly (up to float noise)."""
    def edit(d):
        d.set_energy("萍乡", 2023, energy_total=100 + 1000 * 0.86 ** 0.6)
        d.set_energy("萍乡", 2022, energy_total=100 + 1000 * 0.86 ** 0.6 / 0.95)  # r = 5%
        d.set("targets", "萍乡", "T5_inc", 20.0)  # so the incentive check fails
    res, r = one(score_ds, edit)
    assert round(r["A1.p"], 9) == 0.6
    assert r["A1.cumulative"] == 1 and r["vetoes"] == ""


def test_rise_in_intensity_fails_cumulative(score_ds):
    res, r = one(score_ds, lambda d: d.set_energy("萍乡", 2023, energy_total=1200.0))  # net 1100 > 1000
    assert r["A1.c"] < 0 and r["A1.cumulative"] == 0 and r["vetoes"] == "V1" and r["grade"] == "未完成"


# ---------------------------------------------------------------- total_cap_tiers (A2, 5 points)
def _a2_over(d: Dataset, over: float, exempt: bool = False):
    """Set A2_adjust so that over = Ê_2023/allowance − 1 equals `over` (Ê_2023 = 884.736)."""
    base_allowance = 1000 * 1.07 ** 3 * 0.86 ** 0.6
    e_y = 1000 * 0.96 ** 3
    d.set("targets", "萍乡", "A2_adjust", e_y / (1 + over) - base_allowance)
    if not exempt:
        d.set("targets", "萍乡", "T5_inc", 30.0)  # incentive out of reach: A2 counts


@pytest.mark.parametrize("over,fraction,grade,caps", [
    (-0.01, 1.0, "超额完成", ""),
    (0.0, 1.0, "超额完成", ""),
    (0.03, 0.6, "完成", "G2"),      # 100 − 2 = 98, capped at 完成
    (0.05, 0.6, "完成", "G2"),      # exactly 5%
    (0.07, 0.2, "完成", "G2"),
    (0.10, 0.2, "完成", "G2"),      # exactly 10%
    (0.1001, 0.0, "完成", "G2"),    # 95 → 超额完成 by score, capped
])
def test_total_cap_tiers(score_ds, over, fraction, grade, caps):
    res, r = one(score_ds, lambda d: _a2_over(d, over))
    assert round(r["A2.over"], 9) == pytest.approx(over, abs=1e-12)
    assert ledger(res, "萍乡", "A2")["fraction"] == fraction
    assert r["total"] == pytest.approx(100 - 5 * (1 - fraction), abs=1e-9)
    assert r["grade"] == grade and r["caps"] == caps


def test_exemption_lifts_a2_and_the_cap(score_ds):
    res, r = one(score_ds, lambda d: _a2_over(d, 0.2, exempt=True))
    assert ledger(res, "萍乡", "A2")["fraction"] == 1.0
    assert r["exempt"] == "A2" and r["caps"] == "" and r["total"] == 100.0


def test_new_renewables_and_raw_material_energy_are_not_counted(score_ds):
    # +30 renewable power since 2020 and +20 原料用能 in 2023 leave Ê_2023 = 884.736 − 30
    def edit(d):
        d.set_energy("萍乡", 2023, renewable_power=80.0, energy_raw=120.0,
                     energy_total=120 + 1000 * 0.96 ** 3)
    res, r = one(score_ds, edit)
    assert r["A2.E_adj"] == pytest.approx(1000 * 0.96 ** 3 - 30, abs=1e-9)


# ---------------------------------------------------------------- N/A renormalisation (§4)
def test_not_applicable_renormalises_category(score_ds):
    # B1 (3 points) not applicable, B2 (3 points) at half: B = 30 × (27 − 1.5)/27 = 28.333333…
    def edit(d):
        d.not_applicable("萍乡", "B1")
        d.set("indicators", "萍乡", "B2", 50.0)
    res, r = one(score_ds, edit)
    assert r["B"] == pytest.approx(30 * 25.5 / 27, abs=1e-6)
    assert r["total"] == 98.33
    b1 = ledger(res, "萍乡", "B1")
    assert b1["flags"] == "不适用" and b1["weight"] == 0 and b1["points"] == 0
    assert ledger(res, "萍乡", "B2")["weight"] == pytest.approx(3 * 30 / 27, abs=1e-9)
