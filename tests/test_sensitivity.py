"""Monte Carlo over the weights and Sobol' indices: reproducible, centred on the nominal weights,
vectorised = per-sample, and the indices point at the categories that actually decide a rank."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from builders import Dataset
from jxscore.analysis.sensitivity import (
    STEADY,
    VARIES,
    SensitivityOptions,
    index_text,
    jansen_saltelli,
    off_mode_share,
    ranks_and_grades,
    run_sensitivity,
    sample_weights,
    write_sensitivity,
)
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
    still = s.indices[s.indices.output == "rank:赣州"]  # full marks, 9th by code in every sample
    assert set(still.status) == {STEADY} and still[["S1", "ST", "S1_low", "ST_high"]].isna().all().all()
    assert (still[["variance", "off_mode_mc", "off_mode_sobol"]] == 0).all().all()


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


@pytest.fixture(scope="module")
def leader(tmp_path_factory):
    """萍乡 alone meets everything; the other ten lose A3 (4 of A's 50 points), 景德镇 instead B1 and
    half of B4 (4 B points, as in `duel`)."""
    d = Dataset(2023)
    for c in ("南昌", "九江", "新余", "鹰潭", "赣州", "吉安", "宜春", "抚州", "上饶"):
        d.set("indicators", c, "A3", 0.0)
    d.set("indicators", "景德镇", "B1", 0.0).set("indicators", "景德镇", "B4", 50.0)
    return run_score(RunOptions(2023, d.write(tmp_path_factory.mktemp("leader"))), explain=False)[0]


def test_a_city_whose_rank_cannot_change_gets_no_indices(leader, tmp_path):
    """By hand: with all fractions 1, 萍乡's total is the sum of the A+B+C weights, which every sample
    rescales to exactly 100.00 (D is 0 everywhere). Every other city misses one indicator worth at
    least 4 × (1 − 0.25) × 100/125 = 2.4 points in any sample (its weight ×0.75 at least, the sum
    rescaled from at most 125 %), so totals at most 97.60 < 100.00: 萍乡 is 1st in 100 % of the
    Monte Carlo and of the Sobol' samples — rank variance 0, status 排名不随权重变化, no indices (empty,
    not 0). 景德镇 (B lost) against the nine A3 losers is decided by the A weights against the B
    weights: 2nd when A3 weighs more than its lost B points, else 11th — it varies and has indices."""
    s = run_sensitivity(leader, SensitivityOptions(samples=2000, seed=4))
    r = s.ranks.set_index("city")
    assert (r.loc["萍乡", "rank_min"], r.loc["萍乡", "rank_max"], r.loc["萍乡", "p_rank_1"]) == (1, 1, 1.0)
    assert (r.loc["景德镇", "rank_min"], r.loc["景德镇", "rank_max"]) == (2, 11)
    ix = s.indices.set_index(["output", "factor"])
    top = ix.loc["rank:萍乡"]
    assert list(top.index) == ["A", "B", "C"] and set(top.status) == {STEADY}
    assert (top[["variance", "off_mode_mc", "off_mode_sobol"]] == 0).all().all()
    assert top[["S1", "S1_conf", "S1_low", "S1_high", "ST", "ST_conf", "ST_low", "ST_high"]].isna().all().all()
    assert set(ix.loc["rank:景德镇"].status) == {VARIES} and ix.loc["rank:景德镇", "ST"].notna().all()
    write_sensitivity(s, tmp_path)
    lines = (tmp_path / "sensitivity_indices.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == ("output,factor,status,variance,off_mode_mc,off_mode_sobol,S1,S1_conf,S1_low,S1_high,"
                        "ST,ST_conf,ST_low,ST_high")
    assert "rank:萍乡,A,排名不随权重变化,0,0,0,,,,,,,," in lines


def test_index_text_shows_a_negative_estimate_as_about_zero():
    assert index_text(-0.0123, -0.034, 0.0456) == "≈0（−0.03～0.05）"
    assert index_text(0.254, 0.167, 0.341) == "0.25（0.17～0.34）"
    assert index_text(0.07, -0.002, 0.143) == "0.07（0.00～0.14）"  # −0.002 rounds to 0.00, no sign
    assert index_text(-0.2, -0.31, -0.09) == "≈0（−0.31～−0.09）"
    assert index_text(0.898589, 0.77474, 1.022438) == "0.90（0.77～1.02）"


def test_off_mode_share_by_hand():
    """100 samples of 3 cities: 甲 1st in 99 and 2nd in 1 (1 % off its most common rank); 乙 and 丙
    share 2nd and 3rd 60/40 (乙 3rd 40 times: 40 %); the whole ranking differs from (1, 2, 3) in 41."""
    ranks = np.tile(np.array([1, 2, 3], dtype=np.int16), (100, 1))
    ranks[:40, 1:] = [3, 2]  # 乙 3rd, 丙 2nd
    ranks[99] = [2, 1, 3]
    per_city, whole = off_mode_share(ranks)
    np.testing.assert_allclose(per_city, [0.01, 0.41, 0.40])
    assert whole == 0.41


def test_estimators_are_salibs():
    """S1, ST and their bootstrap half-widths equal SALib's `sobol.analyze` (same resamples) on a
    known function, Y = 4·x1 + x2² + 0·x3 on the Saltelli design: x3 has no effect (S1 = ST ≈ 0)."""
    from SALib.analyze import sobol as sa
    from SALib.sample import sobol as ss

    prob = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1]] * 3}
    X = ss.sample(prob, 1024, calc_second_order=False, seed=7)
    Y = 4 * X[:, 0] + X[:, 1] ** 2
    want = sa.analyze(prob, Y, calc_second_order=False, num_resamples=100, conf_level=0.95, seed=7)
    got = jansen_saltelli(Y, 3, np.random.default_rng(7).integers(1024, size=(1024, 100)))
    for k in ("S1", "S1_conf", "ST", "ST_conf"):
        np.testing.assert_allclose(got[k], want[k], rtol=1e-10, atol=1e-14)
    # analytic: V1 = 16/12 = 1.3333, V2 = Var(U²) = 1/5 − 1/9 = 0.0889; S1 = 0.9375, 0.0625, 0
    np.testing.assert_allclose(got["S1"], [0.9375, 0.0625, 0], atol=0.03)


def test_sample_data_charts_fit_their_boxes(duel):
    from chartfit import mpl_overflows
    from jxscore.report.sensitivity_charts import rank_heatmap, rank_intervals

    res = run_score(RunOptions(2024, SAMPLE), explain=False)[0]
    for r in (res, duel):
        s = run_sensitivity(r, SensitivityOptions(samples=500, seed=2))
        assert mpl_overflows(rank_intervals(s)) == []
        assert mpl_overflows(rank_heatmap(s)) == []


def test_pdf_is_chinese_in_the_page_frame(tmp_path):
    import shutil
    import subprocess

    r = CliRunner().invoke(app, ["sensitivity", "--year", "2024", "--data", str(SAMPLE), "--samples", "2000",
                                 "--seed", "1", "--pdf", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert "排名不随权重变化" in r.output and "一阶指数S1" in r.output
    from jxscore.service import score

    input_hash = score(RunOptions(2024, SAMPLE)).manifest["input_hash"]  # as the score run's manifest
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(tmp_path / "sensitivity.pdf"), "-"], capture_output=True,
                              text=True, check=True).stdout
        for phrase in ("一阶指数S1：仅该类别分值变化可解释的输出", "排名不随权重变化", "全省平均排名变动",
                       f"输入数据指纹（manifestinput_hash）：{input_hash}", "第2页/共2页"):
            assert phrase in "".join(text.split()), phrase
