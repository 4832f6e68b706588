"""Other aggregation methods next to the official weighted sum (scikit-criteria, imported once)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from builders import Dataset
from jxscore import service
from jxscore.analysis.methods import (
    COLUMNS,
    MethodsCheckError,
    check_weighted_sum,
    compare_methods,
    decision_matrix,
    rank_scores,
)
from jxscore.service import RunOptions, run_score

SAMPLE = Path(__file__).parent.parent / "data"


@pytest.fixture(scope="module")
def with_na(tmp_path_factory):
    """南昌: A3 does not apply and A4 = 50 (f 0.5). Its A score is 50 × (46 − 2) / 46 over the
    applicable 46 points = 47.826087; the fill puts that mean (44/46 = 0.956522) into A3."""
    d = Dataset(2023)
    d.not_applicable("南昌", "A3")
    d.set("indicators", "南昌", "A4", 50.0)
    d.set("indicators", "萍乡", "B1", 0.0)
    d.set("indicators", "九江", "C1", 1.0)
    return run_score(RunOptions(2023, d.write(tmp_path_factory.mktemp("na"))), explain=False)[0]


def test_fill_reproduces_the_official_weighted_sum(with_na):
    X, w, codes = decision_matrix(with_na.basis)
    i = with_na.basis.entities.index("南昌")
    assert X[i, codes.index("A3")] == pytest.approx(44 / 46)
    assert X[i] @ w == pytest.approx(100 - 50 + 50 * 44 / 46)  # B and C full, A renormalised
    assert "D1" not in codes and np.isfinite(X).all()


def test_rank_scores_breaks_ties_by_code():
    codes = ["360300", "360100", "360200"]
    assert list(rank_scores(np.array([1.0, 1.0 + 1e-12, 0.5]), 1, codes)) == [2, 1, 3]  # noise = tie → code
    assert list(rank_scores(np.array([0.2, 0.1, 0.3]), -1, codes)) == [2, 1, 3]  # lower is better


def test_compare_methods_on_sample(tmp_path):
    run = service.save(service.compare_methods(RunOptions(2024, SAMPLE)), tmp_path)
    m, names = run.comparison, run.files
    assert names == ["methods.csv", "methods_correlations.csv", "methods_rank_reversal.csv"]
    t = m.table
    assert list(t.official_rank) == list(range(1, 12))
    assert "weighted_sum_rank" not in t.columns  # the official weighted sum is listed once, as score_*
    for name in ("weighted_product", "topsis", "vikor"):
        assert sorted(t[f"{name}_rank"]) == list(range(1, 12))  # unique ranks, our tie-break
    c = m.correlations.set_index("method")
    assert list(c.index) == ["base", "score", "weighted_product", "topsis", "vikor"]
    # By hand (data/README.md): official order 南昌 宜春 九江 景德镇 萍乡 抚州 鹰潭 上饶 赣州 新余 吉安 (抚州
    # 基本完成 under G1 since its NOx projects verify only 816 t, §8). A+B+C: 宜春 100, 南昌 99.34, 九江 98.00,
    # 抚州 97.40 (A 49.4 + B 30 + C 18), 赣州 92.50, 景德镇 91.76, 鹰潭 91.62, 萍乡 90.38, 上饶 77.32,
    # 新余 74.10, 吉安 60.71 — in official order the ranks 2 1 3 6 8 4 7 9 5 10 11. Discordant pairs:
    # 南昌/宜春; 景德镇 above 抚州 and 赣州; 萍乡 above 抚州, 鹰潭 and 赣州; 鹰潭 and 上饶 above 赣州: 8 of 55
    # → τ = (55 − 2·8)/55 = 39/55. Moved: all but 九江, 鹰潭, 新余 and 吉安 (7); largest shift 赣州 9 → 5 (4).
    assert c.loc["score", "kendall_tau_vs_official"] == round(39 / 55, 6)
    assert c.loc["score", "cities_moved_vs_official"] == 7 and c.loc["score", "max_rank_shift_vs_official"] == 4
    # Without vetoes and caps the order is by total A+B+C+D: 南昌 103.34 (D 4), 宜春 103 (D 3), 九江 101,
    # 抚州 99.40, 赣州 92.50, 景德镇 91.76, 鹰潭 91.62, 萍乡 90.38, 上饶 77.32, 新余 75.10, 吉安 60.71: in
    # official order 1 2 3 6 8 4 7 9 5 10 11 — the pairs above without 南昌/宜春: 7 → τ = 41/55. Against the
    # A+B+C ranks only 南昌/宜春 differ (bonus D): τ = 53/55.
    assert c.loc["base", "kendall_tau_vs_official"] == round(41 / 55, 6)
    assert c.loc["base", "kendall_tau_vs_score"] == round(53 / 55, 6)
    assert c.loc["base", "cities_moved_vs_score"] == 2
    g = t.set_index("city")
    assert list(t.base_rank) == [1, 2, 3, 6, 8, 4, 7, 9, 5, 10, 11]
    assert g.loc["赣州", "vetoes"] == ("V2",) and g.loc["赣州", "base_grade"] == "完成"
    assert g.loc["赣州", "cause"].startswith("一票否决")
    a = g.loc["赣州", "attribution"]
    assert a.startswith("官方排名第9（未完成）：V2一票否决使等级由“完成”降为“未完成”，按等级优先排在总分更低的"
                        "景德镇、萍乡、鹰潭、上饶之后；不计否决与封顶时按总分92.50排第5；A+B+C官方加权和同为第5")
    assert "差异来自一票否决（第5→第9名）" in a
    assert g.loc["南昌", "cause"] == "加分项D" and "（本市4分，宜春3分）" in g.loc["南昌", "attribution"]
    assert g.loc["抚州", "cause"].startswith("等级封顶") and "他市否决或封顶" in g.loc["景德镇", "cause"]
    assert g.loc["吉安", "cause"] == "无差异"
    rev = m.reversal.set_index("method")
    assert list(rev.index) == ["score", "weighted_product", "topsis", "vikor"]
    assert (rev.mutations == 10).all() and rev.loc["score", "order_kept_rate"] == 1.0
    head = (tmp_path / "methods.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert head.split(",") == [c for c, _, _ in COLUMNS["methods.csv"]]
    for name in names:
        head = (tmp_path / name).read_text(encoding="utf-8-sig").splitlines()[0]
        assert head.split(",") == [c for c, _, _ in COLUMNS[name]], name


@pytest.fixture(scope="module")
def vetoed(tmp_path_factory):
    """A vetoed leader and a capped runner-up, worked by hand (RULEBOOK §2, §5), Y = 2023, k = 3.

    Every city meets everything (A 50 + B 30 + C 20 = 100, A1 met: 4 %/year) except:
    - the nine others report B2 = 90 of 100 (ratio 0.9 of 3 points): 100 − 0.3 = 99.70, 超额完成;
    - 抚州 reports A4 = 99.5 of 100 (0.995 of 4 points): 100 − 0.02 = 99.98, but A4 < target → G1 caps it
      at 基本完成;
    - 赣州 meets everything (100.00) but fraud = 1 → V2: 未完成.
    Official final rank (grade first; the nine 99.70s tie on total, A = 50 and p, so by code): 南昌 1,
    景德镇 2, 萍乡 3, 九江 4, 新余 5, 鹰潭 6, 吉安 7, 宜春 8, 上饶 9, then 抚州 10 (基本完成), 赣州 11 (未完成).
    Without vetoes and caps (= by total): 赣州 1 (100), 抚州 2 (99.98), then the nine by code 3…11; with no
    bonus, A+B+C gives the same order.
    Methods on the two varying columns (B2: 1 for 赣州 and 抚州, 0.9 for the rest; A4: 0.995 for 抚州, 1 for
    the rest; weights 3/7, 4/7):
    - WPM Σ w·lg f: 赣州 0; 抚州 (4/7)·lg 0.995 = −0.00124; the rest (3/7)·lg 0.9 = −0.0196 → 1, 2, 3…11.
    - TOPSIS (vector-scaled): 抚州 is 0.00086 from the ideal and 0.01406 from the anti-ideal, the rest the
      other way round → similarity 0.942 against 0.058 → 1, 2, 3…11.
    - VIKOR (ranges as scales): S = R = 0 for 赣州, 4/7 for 抚州 (all of A4's range), 3/7 for the rest →
      Q = 0, 1, 0.75 → 赣州 1, the nine by code 2…10, 抚州 11.
    """
    d = Dataset(2023)
    for c in ("南昌", "景德镇", "萍乡", "九江", "新余", "鹰潭", "吉安", "宜春", "上饶"):
        d.set("indicators", c, "B2", 90.0)
    d.set("indicators", "抚州", "A4", 99.5)
    d.set("indicators", "赣州", "fraud", 1)
    return compare_methods(run_score(RunOptions(2023, d.write(tmp_path_factory.mktemp("veto"))), explain=False)[0],
                           reversal=False)


NINE = ["南昌", "景德镇", "萍乡", "九江", "新余", "鹰潭", "吉安", "宜春", "上饶"]  # code order


def test_vetoed_leader_ranks_by_hand(vetoed):
    t = vetoed.table.set_index("city")
    assert list(vetoed.table.city) == NINE + ["抚州", "赣州"]
    assert list(t.official_total) == [99.70] * 9 + [99.98, 100.00]
    assert list(t.official_grade) == ["超额完成"] * 9 + ["基本完成", "未完成"]
    assert list(t.base_grade) == ["超额完成"] * 11
    order = ["赣州", "抚州", *NINE]
    for col in ("base_rank", "score_rank", "weighted_product_rank", "topsis_rank"):
        assert [t.loc[c, col] for c in order] == list(range(1, 12)), col
    assert [t.loc[c, "vikor_rank"] for c in ["赣州", *NINE, "抚州"]] == list(range(1, 12))
    assert t.loc["赣州", "vetoes"] == ("V2",) and t.loc["抚州", "caps"] == ("G1",)


def test_vetoed_leader_attribution(vetoed):
    t = vetoed.table.set_index("city")
    assert t.loc["赣州", "cause"] == "一票否决"
    assert t.loc["赣州", "attribution"] == (
        "官方排名第11（未完成）：V2一票否决使等级由“超额完成”降为“未完成”，按等级优先排在总分更低的"
        "南昌、景德镇、萍乡、九江、新余、鹰潭、吉安、宜春、上饶、抚州之后；不计否决与封顶时按总分100.00排第1；"
        "A+B+C官方加权和同为第1；加权乘积、TOPSIS、VIKOR同为第1。差异来自一票否决（第1→第11名），而非汇总方法。")


def test_capped_runner_up_attribution(vetoed):
    t = vetoed.table.set_index("city")
    # Its own cap puts the nine 99.70s ahead; 赣州's veto puts 赣州 behind; VIKOR alone ranks it last (11th)
    assert t.loc["抚州", "cause"] == "等级封顶、他市否决或封顶、汇总方法"
    a = t.loc["抚州", "attribution"]
    assert a.startswith("官方排名第10（基本完成）：G1等级封顶使等级由“超额完成”降为“基本完成”，按等级优先排在总分"
                        "更低的南昌、景德镇、萍乡、九江、新余、鹰潭、吉安、宜春、上饶之后；赣州（V2一票否决）等级降低，"
                        "按等级优先排到其后；不计否决与封顶时按总分99.98排第2；A+B+C官方加权和同为第2；"
                        "加权乘积第2、TOPSIS第2、VIKOR第11。")
    assert a.endswith("差异来自等级封顶、他市否决或封顶（第2→第10名）；汇总方法不同带来第2–11名的变动。")
    # 南昌: 3rd by total, 1st officially (抚州 capped, 赣州 vetoed); VIKOR 2nd (抚州 last there)
    assert t.loc["南昌", "cause"] == "他市否决或封顶、汇总方法"
    assert "抚州（G1等级封顶）、赣州（V2一票否决）等级降低" in t.loc["南昌", "attribution"]


def test_weighted_sum_cross_check_fails_loudly():
    check_weighted_sum(np.array([99.34, 60.0]), np.array([99.3400004, 60.0]), ["南昌", "吉安"])  # within 1e-6
    with pytest.raises(MethodsCheckError, match="吉安 60.100000 ≠ 60.000000"):
        check_weighted_sum(np.array([99.34, 60.1]), np.array([99.34, 60.0]), ["南昌", "吉安"])


def test_every_column_explained_in_the_readme():
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    para = readme[readme.index("**`jxscore compare-methods"):]
    para = para[:min(i for i in (para.find("\n\n**"), para.find("\n## ")) if i > 0)]
    for file, cols in COLUMNS.items():
        assert f"`{file}`" in para, file
        for name, label, text in cols:
            assert label and text
            assert f"`{name}`" in para and label in para, (file, name)


def test_chart_fits_its_box(vetoed):
    from chartfit import mpl_overflows
    from jxscore.report.methods_charts import rank_bump

    m = service.compare_methods(RunOptions(2024, SAMPLE), reversal=False).comparison
    for c in (m, vetoed):
        assert mpl_overflows(rank_bump(c)) == []


def test_pdf_in_the_page_frame(tmp_path):
    import shutil
    import subprocess

    from typer.testing import CliRunner

    from jxscore.cli import app

    r = CliRunner().invoke(app, ["compare-methods", "--year", "2024", "--data", str(SAMPLE), "--pdf",
                                 "--out", str(tmp_path / "a")])
    assert r.exit_code == 0, r.output
    assert "差异来源" in r.output and "肯德尔τ：两种排名的一致程度" in r.output and "最优保持率" in r.output
    assert "赣州　官方排名第9（未完成）：V2一票否决" in r.output
    assert "weighted_sum" not in r.output
    pdf = tmp_path / "a" / "compare_methods.pdf"
    service.save(service.compare_methods(RunOptions(2024, SAMPLE), pdf=True), tmp_path / "b")
    assert pdf.read_bytes() == (tmp_path / "b" / "compare_methods.pdf").read_bytes()  # same inputs, same bytes
    input_hash = service.score(RunOptions(2024, SAMPLE)).manifest["input_hash"]
    if shutil.which("pdftotext"):
        text = "".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                      check=True).stdout.split())
        for phrase in ("差异来自一票否决（第5→第9名）", "肯德尔τ：两种排名的一致程度", "最优保持率", "次序保持率",
                       "best_kept_rate", "order_kept_rate", f"输入数据指纹（manifestinput_hash）：{input_hash}",
                       "第3页/共3页"):
            assert phrase in text, phrase


def test_methods_with_not_applicable(with_na):
    m = compare_methods(with_na, reversal=False)
    t = m.table.set_index("city")
    assert t.loc["南昌", "score_ABC"] == pytest.approx(97.826087)
    assert "A5" in m.dropped and "A3" not in m.dropped  # constant columns leave the matrix
