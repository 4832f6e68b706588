"""RULEBOOK §7 to the digit."""

import math

import pytest

from builders import worked_example
from conftest import ledger, row


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    from jxscore.service import RunOptions, run_score

    folder = worked_example().write(tmp_path_factory.mktemp("we"))
    return run_score(RunOptions(2023, folder))[0]


def test_intensities(result):
    r = row(result, "南昌")
    assert r["A1.I_base"] == pytest.approx(3300 / 5750, abs=1e-9)  # 0.573913…
    assert round(r["A1.I_base"], 6) == 0.573913
    assert r["A1.I_prev"] == pytest.approx(0.521875, abs=1e-12)
    assert round(r["A1.I"], 6) == 0.497059


def test_progress(result):
    r = row(result, "南昌")
    assert round(r["A1.c"], 6) == 0.133913
    assert round(r["A1.r"], 6) == 0.047552
    assert round(r["A1.p"], 6) == 0.953234
    assert round(r["A1.p_inc"], 6) == 0.917753
    assert r["A1.cumulative"] == 1 and r["A1.annual"] == 1 and r["A1.incentive"] == 1


def test_a1_full_points_and_a2_exempt(result):
    a1 = ledger(result, "南昌", "A1")
    assert a1["fraction"] == 1.0 and a1["points"] == 20.0
    a2 = ledger(result, "南昌", "A2")
    assert "免予考核" in a2["flags"]
    assert row(result, "南昌")["exempt"] == "A2"


def test_a2_allowance_had_it_not_been_exempt(result):
    r = row(result, "南昌")
    assert r["A2.E_adj_base"] == 3300.0
    assert r["A2.E_adj"] == 3280.0  # 3700 − 320 − (200 − 100)
    # 3300 × 1.07³ × 0.86^0.6 = 3300 × 1.225043 × 0.913480… = 3692.87…
    assert math.floor(r["A2.allowance"] * 100) / 100 == 3692.87
    assert r["A2.over"] < 0


def test_required_path_for_14_percent(tmp_path):
    """§5: for a 14% target the required cumulative reductions are 2.97, 5.85, 8.65, 11.37, 14.0%."""
    from builders import Dataset
    from jxscore.service import RunOptions, run_score

    got = []
    for y in range(2021, 2026):
        res = run_score(RunOptions(y, Dataset(y).write(tmp_path / str(y))))[0]
        got.append(round(row(res, "南昌")["A1.required"], 2))
    assert got == [2.97, 5.85, 8.65, 11.37, 14.0]
