"""Monte Carlo over the weights and Sobol' indices: reproducible, centred on the nominal weights,
vectorised = per-sample, and the indices point at the categories that actually decide a rank."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from builders import Dataset
from typer.testing import CliRunner

from jxscore.core.aggregate import evaluate
from jxscore.cli import app
from jxscore.core.problems import UsageError
from jxscore.analysis.sensitivity import (SensitivityOptions, ranks_and_grades, run_sensitivity, sample_weights)
from jxscore.service import RunOptions, run_score


@pytest.fixture(scope="module")
def duel(tmp_path_factory):
    """南昌 loses 4 A points (A3 = 0), 景德镇 4 B points (B1 = 0, B4 = 50): both 96.00, 景德镇 ahead
    on the A subtotal. Which of them is 7th depends only on the A weights against the B weights; C
    (met in full everywhere) cannot matter once A+B+C is rescaled to 100."""
    d = Dataset(2023)
    d.set("indicators", "南昌", "A3", 0.0)
    d.set("indicators", "景德镇", "B1", 0.0).set("indicators", "景德镇", "B4", 50.0)
    return run_score(RunOptions(2023, d.write(tmp_path_factory.mktemp("duel"))), explain=False)[0]


def test_seed_reproduces_exactly(duel):
    o = SensitivityOptions(samples=3000, seed=42)
    a, b = run_sensitivity(duel, o), run_sensitivity(duel, o)
    for x, y in ((a.ranks, b.ranks), (a.grades, b.grades), (a.indices, b.indices), (a.weights, b.weights)):
        pd.testing.assert_frame_equal(x, y)
    c = run_sensitivity(duel, SensitivityOptions(samples=3000, seed=43))
    assert not a.ranks.equals(c.ranks)  # the seed is really used


@pytest.mark.parametrize("method", ["uniform", "dirichlet"])
def test_sampled_weights_centre_on_nominal(duel, method):
    b = duel.basis
    o = SensitivityOptions(samples=20_000, seed=1, method=method)
    W = sample_weights(b, o, np.random.default_rng(1), o.samples)
    weighted = ~b.bonus[b.category_of]
    np.testing.assert_allclose(W[:, weighted].sum(axis=1), 100.0, rtol=1e-12)  # A+B+C kept at 100
    np.testing.assert_allclose(W.mean(axis=0), b.points, rtol=0.02)  # bonus columns exactly nominal
    assert (W[:, weighted].std(axis=0) > 0).all()


def test_vectorised_equals_one_by_one(duel):
    b = duel.basis
    W = sample_weights(b, SensitivityOptions(), np.random.default_rng(5), 25)
    ranks, grades = ranks_and_grades(b, W, chunk=7)  # several chunks
    for i in range(len(W)):
        ev = evaluate(b, W[i])
        assert np.array_equal(ranks[i], ev.rank) and np.array_equal(grades[i], ev.grade)


def test_summaries(duel):
    s = run_sensitivity(duel, SensitivityOptions(samples=4000, seed=3))
    r = s.ranks.set_index("city")
    # By hand: the nine cities with full marks total 100.00 under any weights (A+B+C rescaled to 100),
    # 超额完成, and keep their code order, ranks 1–9; 南昌 and 景德镇 (below 100 whenever their lost
    # indicators weigh anything) share ranks 10 and 11 — in each sample one is 10th, the other 11th.
    full = ["萍乡", "九江", "新余", "鹰潭", "赣州", "吉安", "宜春", "抚州", "上饶"]
    for i, city in enumerate(full, 1):
        assert r.loc[city, f"p_rank_{i}"] == 1.0, city
    assert set(s.grades.set_index("city").loc[full, "p_超额完成"]) == {1.0}
    for city in ("南昌", "景德镇"):
        assert (r.loc[city, "rank_min"], r.loc[city, "rank_max"]) == (10, 11), city
    assert r.loc["南昌", "p_rank_10"] == r.loc["景德镇", "p_rank_11"]
    assert (r.loc["萍乡", "rank_p05"], r.loc["萍乡", "median_rank"], r.loc["萍乡", "rank_p95"]) == (1, 1, 1)
    assert (r.loc["南昌", "rank_p05"], r.loc["南昌", "rank_p95"]) == (10, 11)  # both ranks have p > 0.05
    assert r.loc["景德镇", "nominal_rank"] == 10 and r.loc["南昌", "nominal_rank"] == 11
    assert 0.2 < r.loc["南昌", "p_rank_10"] < 0.8  # the duel really is open
    assert set(r.loc[["赣州", "上饶"], "p_nominal_rank"]) == {1.0}  # full marks everywhere: never moves
    tiny = run_sensitivity(duel, SensitivityOptions(samples=500, seed=3, band=1e-7))
    assert (tiny.ranks.p_nominal_rank == 1.0).all()


def test_sobol_points_at_a_and_b_not_c(duel):
    s = run_sensitivity(duel, SensitivityOptions(samples=6000, seed=9))
    ix = s.indices[s.indices.output == "rank:南昌"].set_index("factor")
    assert ix.loc["A", "ST"] > 0.3 and ix.loc["B", "ST"] > 0.3
    assert abs(ix.loc["C", "ST"]) < 0.05 and abs(ix.loc["C", "S1"]) < 0.05
    still = s.indices[s.indices.output == "rank:赣州"]
    assert (still[["S1", "ST", "variance"]] == 0).all().all()


def test_options_are_checked():
    for bad in (SensitivityOptions(band=0), SensitivityOptions(band=1.5), SensitivityOptions(samples=3),
                SensitivityOptions(method="normal")):  # type: ignore[arg-type]
        with pytest.raises(UsageError):
            bad.check()


def test_cli_outputs_are_byte_identical(tmp_path):
    data = Path(__file__).parent.parent / "data"
    runner = CliRunner()
    args = ["sensitivity", "--year", "2024", "--data", str(data), "--samples", "2000", "--seed", "11",
            "--method", "dirichlet"]
    for d in ("a", "b"):
        r = runner.invoke(app, args + ["--out", str(tmp_path / d)])
        assert r.exit_code == 0, r.output
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert {"sensitivity_ranks.csv", "sensitivity_grades.csv", "sensitivity_indices.csv",
            "sensitivity_ranks.svg", "sensitivity_heatmap.svg"} <= set(names)
    for n in names:
        assert (tmp_path / "a" / n).read_bytes() == (tmp_path / "b" / n).read_bytes(), n
    r = runner.invoke(app, args[:-2] + ["--band", "0", "--out", str(tmp_path / "c")])
    assert r.exit_code == 2 and "--band 0.0" in r.output
