"""Monte Carlo over the weights and Sobol' indices: reproducible, centred on the nominal weights,
vectorised = per-sample, and the indices point at the categories that actually decide a rank."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from builders import Dataset
from jxscore.analysis.sensitivity import SensitivityOptions, ranks_and_grades, run_sensitivity, sample_weights
from jxscore.cli import app
from jxscore.core.aggregate import evaluate
from jxscore.core.problems import UsageError
from jxscore.service import RunOptions, run_score

SAMPLE = Path(__file__).parent.parent / "data"


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


@pytest.mark.parametrize("band,rescale", [(0.25, True), (0.6, True), (0.6, False)])
def test_vectorised_equals_the_scalar_path_on_the_sample(band, rescale):
    """The sample year has N/A indicators, caps, vetoes and bonus points: every block size gives
    the ranks and grades of `evaluate` called with one weight vector at a time."""
    res = run_score(RunOptions(2024, SAMPLE), explain=False)[0]
    b = res.basis
    o = SensitivityOptions(samples=300, seed=8, band=band, rescale=rescale)
    W = sample_weights(b, o, np.random.default_rng(8), o.samples)
    one = [evaluate(b, w) for w in W]
    want_r, want_g = np.array([e.rank for e in one]), np.array([e.grade for e in one])
    assert len({tuple(r) for r in want_r}) >= 3  # the samples really reorder the cities
    for block in (1, 7, 300, 4096):
        ranks, grades = ranks_and_grades(b, W, chunk=block)
        assert np.array_equal(ranks, want_r) and np.array_equal(grades, want_g), block
    many = evaluate(b, W)  # all samples in one evaluate call
    assert np.array_equal(many.rank, want_r) and np.array_equal(many.grade, want_g)
    assert np.array_equal(many.total, np.array([e.total for e in one]))


def test_hand_worked_tie_breaks_per_sample():
    """A = X1 + X2, B = Y1, D = Z1 (cap 5); grades 95/80/60; ties: grade, total, A, p, code.
    Fractions (X1, X2, Y1, Z1), p and code:
      甲 (1, 0, 1, 0)    p 0.5 360300 · 乙 (0, 1, 1, 0)  p 0.5 360100 · 丙 (1, 1, 0, 0) p 0.5 360200
      丁 (0, .5, 1, 0)   p 0.5 360000 · 戊 (1, 1, 1, 1)  p 0.5 360500, vetoed
      己 (1, 1, .25, 0)  p 0.5 360600 · 庚 (.5, .5, 1, 0) p 0.9 360700
    s0 = (30, 30, 40, 3): totals 70 70 60 55 103 70 70. 基本完成: 己 (A 60) · 庚 (A 30, p 0.9) ·
       乙, 甲 (A 30, p 0.5: by code) · 丙 60; 未完成: 戊 103 (vetoed), 丁 55.
    s1 = (40, 20, 40, 3): 80 60 60 50 103 70 70. 完成: 甲; 基本完成: 己 70 (A 60), 庚 70 (A 30),
       丙 60 (A 60), 乙 60 (A 20); 未完成: 戊, 丁.
    s2 = (20, 40, 40, 3): 60 80 60 60 103 70 70. 完成: 乙; 基本完成: 己, 庚, 丙 60 (A 60),
       丁 and 甲 60 (A 20, p 0.5: by code 360000 < 360300); 未完成: 戊.
    s3 = s0 with X1 = 30.0000001: 甲 70.0000001 → 70.00 and A 30.0000001 → 30.000000 at 6
       decimals, 庚 A 30.00000005 → 30.000000: the same ties as s0, broken the same way."""
    from test_weights import hand_basis

    F = [[1, 0, 1, 0], [0, 1, 1, 0], [1, 1, 0, 0], [0, 0.5, 1, 0], [1, 1, 1, 1], [1, 1, 0.25, 0], [0.5, 0.5, 1, 0]]
    b = hand_basis(F, [30, 30, 40, 3], [0, 0, 1, 2], ["A", "B", "D"], [60, 40, 5], [False, False, True],
                   codes=["360300", "360100", "360200", "360000", "360500", "360600", "360700"],
                   p=[0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.9], veto=[0, 0, 0, 0, 1, 0, 0])
    W = np.array([[30, 30, 40, 3], [40, 20, 40, 3], [20, 40, 40, 3], [30.0000001, 30, 40, 3]], dtype=float)
    #               甲  乙  丙  丁  戊  己  庚
    want_rank = [[4, 3, 5, 7, 6, 1, 2],
                 [1, 5, 4, 7, 6, 2, 3],
                 [6, 1, 4, 5, 7, 2, 3],
                 [4, 3, 5, 7, 6, 1, 2]]
    want_grade = [[2, 2, 2, 3, 3, 2, 2],
                  [1, 2, 2, 3, 3, 2, 2],
                  [2, 1, 2, 2, 3, 2, 2],
                  [2, 2, 2, 3, 3, 2, 2]]
    for block in (1, 3, 4):
        ranks, grades = ranks_and_grades(b, W, chunk=block)
        assert ranks.tolist() == want_rank and grades.tolist() == want_grade
    for i, w in enumerate(W):
        ev = evaluate(b, w)
        assert ev.rank.tolist() == want_rank[i] and ev.grade.tolist() == want_grade[i]
    assert evaluate(b, W[3]).total.tolist() == [70.0, 70.0, 60.0, 55.0, 103.0, 70.0, 70.0]


def test_rounding_is_the_rulebook_formula():
    """§2: round to 6 decimals, then half up to d decimals — written out literally here and compared
    with the engine's integer-cents rounding on values at and around every kind of boundary."""
    from jxscore.core.aggregate import round_total

    rng = np.random.default_rng(0)
    base = np.round(rng.uniform(0, 110, 20_000), 3)
    x = np.concatenate([base, base + 0.005, base + 0.0049999996, base + 0.0050000004, base - 5e-7, base + 5e-7,
                        rng.uniform(0, 110, 20_000), [0.0, 94.995, 2.675, 1.005, 0.125, 104.9999999]])
    for d in range(7):
        literal = np.floor(np.round(np.round(x, 6) * 10.0**d, 6) + 0.5) / 10.0**d
        assert np.array_equal(round_total(x, d), literal), d


def test_monte_carlo_memory_grows_with_samples_times_cities(duel):
    """100,000 samples: the (S, m) weights are the input; ranks and grades take S × n × 2 bytes
    each, the blocks a few MB — never S × n × indicators (here 100,000 × 11 × 36 × 8 = 317 MB)."""
    import tracemalloc

    b = duel.basis
    S, n = 100_000, len(b.entities)
    W = sample_weights(b, SensitivityOptions(samples=S), np.random.default_rng(0), S)
    tracemalloc.start()
    try:
        ranks, grades = ranks_and_grades(b, W)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert ranks.shape == grades.shape == (S, n)
    assert peak < 2 * S * n * 2 + 8 * 2**20, peak


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
