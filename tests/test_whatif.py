"""What-if reviews (RULEBOOK §6): a hand-worked scenario, invariants, and bad scenario input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from typer.testing import CliRunner

from builders import Dataset
from jxscore import service
from jxscore.analysis.scenario import Scenario, load_scenario, scenario_weights
from jxscore.analysis.whatif import compute_whatif
from jxscore.cli import app
from jxscore.core.problems import Code, ScenarioError
from jxscore.i18n import message
from jxscore.service import RunOptions, run_score

SAMPLE = Path(__file__).parent.parent / "data"


def hand_dataset() -> Dataset:
    """Every city full marks (100) except:
    南昌   A3 = 50 of 100        → f 0.5 on 4 points: loses 2   → 98.00 超额完成
    景德镇 B1 = 0                → loses 3                       → 97.00 超额完成
    萍乡   2023 net energy 903.168 (I falls 4 %, 4 %, then 2 %): cumulative c = 9.68 % ≥ 8.65 % met,
           annual 2 % < 2.9 % not met → A1 f = 0.7, loses 0.3 × 20 = 6 → 94.00 完成
           (incentive: ln(0.903168)/ln(0.855) = 0.650 ≥ 0.6, so A2 stays exempt)
    九江   D1 = 2                → bonus +2                      → 102.00 超额完成
    新余   B1 = 0, B2 = 20        → loses 3 + 0.8 × 3 = 5.4       → 94.60 完成
    鹰潭   B1 = 0, B2 = 0, B4 = 50 → loses 3 + 3 + 0.5 × 2 = 7    → 93.00 完成
    """
    d = Dataset(2023)
    d.set("indicators", "南昌", "A3", 50.0)
    d.set("indicators", "景德镇", "B1", 0.0)
    d.set_energy("萍乡", 2023, energy_total=1000 * 0.96**2 * 0.98 + 100)
    d.set("indicators", "九江", "D1", 2)
    d.set("indicators", "新余", "B1", 0.0).set("indicators", "新余", "B2", 20.0)
    d.set("indicators", "鹰潭", "B1", 0.0).set("indicators", "鹰潭", "B2", 0.0).set("indicators", "鹰潭", "B4", 50.0)
    return d


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    folder = hand_dataset().write(tmp_path_factory.mktemp("hand"))
    return run_score(RunOptions(2023, folder), explain=False)[0]


@pytest.fixture(scope="module")
def sample():
    return run_score(RunOptions(2024, SAMPLE), explain=False)[0]


def rows(w):
    return w.table.set_index("city")


def test_hand_worked_a1_30_rescaled(hand):
    # A1 20 → 30: A+B+C = 110, rescaled by 100/110. A city's total = (110 − points lost at the new
    # weights) × 100/110 (+ bonus, never scaled):
    #   南昌   (110 − 2)       / 1.1 = 98.1818 → 98.18
    #   景德镇 (110 − 3)       / 1.1 = 97.2727 → 97.27
    #   萍乡   (110 − 0.3×30)  / 1.1 = 91.8181 → 91.82 完成
    #   九江   100 + 2                 = 102.00
    #   新余   (110 − 5.4)     / 1.1 = 95.0909 → 95.09 — now ≥ 95: 超额完成
    #   鹰潭   (110 − 7)       / 1.1 = 93.6363 → 93.64 — overtakes 萍乡
    #   others 110 / 1.1 = 100.00
    # Baseline ranks (grade, total, A, p, code): 九江 1; 赣州 吉安 宜春 抚州 上饶 2–6 (tied at 100,
    # code order); 南昌 7; 景德镇 8; 新余 9 (完成 94.6); 萍乡 10 (94); 鹰潭 11 (93).
    w = compute_whatif(hand, load_scenario(None, ["A1=30"]))
    t = rows(w)
    expect = {  # city: (baseline total, grade, rank, scenario total, grade, rank)
        "九江": (102.00, "超额完成", 1, 102.00, "超额完成", 1),
        "赣州": (100.00, "超额完成", 2, 100.00, "超额完成", 2),
        "上饶": (100.00, "超额完成", 6, 100.00, "超额完成", 6),
        "南昌": (98.00, "超额完成", 7, 98.18, "超额完成", 7),
        "景德镇": (97.00, "超额完成", 8, 97.27, "超额完成", 8),
        "新余": (94.60, "完成", 9, 95.09, "超额完成", 9),
        "萍乡": (94.00, "完成", 10, 91.82, "完成", 11),
        "鹰潭": (93.00, "完成", 11, 93.64, "完成", 10),
    }
    for city, (bt, bg, br, st, sg, sr) in expect.items():
        r = t.loc[city]
        assert (r.baseline_total, r.baseline_grade, r.baseline_rank) == (bt, bg, br), city
        assert (r.total, r.grade, r["rank"]) == (st, sg, sr), city
    assert sorted(t.index[t.moved == 1]) == sorted(["新余", "萍乡", "鹰潭"])
    assert t.loc["萍乡", "rank_change"] == -1 and t.loc["鹰潭", "rank_change"] == 1
    # why, against full marks: A1's effective weight 20 → 30/1.1 = 27.2727 (up 7.2727); 萍乡's A1
    # fraction 0.7 gives it 7.2727 × 0.7 = +5.09 points on A1, 7.2727 × (0.7 − 1) = 2.18 fewer than
    # full marks would. 鹰潭: B1, B2 3 → 3/1.1 = 2.73 (down 0.2727), f 0: A1's own points −0.00,
    # 0.2727 × (1 − 0) = 0.27 more relative to full marks each; B4 2 → 2/1.1 = 1.82 (down 0.1818),
    # f 0.5: −0.0909 on B4 itself, 0.1818 × 0.5 = 0.09 more relative to full marks.
    assert ("A1权重提高（20.00→27.27分），该市A1得分率70.0%，本项得分+5.09分，相对少得2.18分"
            in t.loc["萍乡", "why"])
    assert "排名由第10名降至第11名" in t.loc["萍乡", "why"] and "被鹰潭超过" in t.loc["萍乡", "why"]
    assert ("B1权重降低（3.00→2.73分），该市B1得分率0.0%，本项得分+0.00分，相对多得0.27分；"
            "B2权重降低（3.00→2.73分），该市B2得分率0.0%，本项得分+0.00分，相对多得0.27分；"
            "B4权重降低（2.00→1.82分），该市B4得分率50.0%，本项得分-0.09分，相对多得0.09分") in t.loc["鹰潭", "why"]
    assert "等级由“完成”升为“超额完成”" in t.loc["新余", "why"] and "why_en" not in w.table
    wt = w.weights_table.set_index("code")
    assert wt.loc["A1", "points"] == pytest.approx(27.272727273)
    assert wt.loc["A", "points"] == pytest.approx(60 / 1.1)
    assert wt.loc["D1", "points"] == 3  # bonus untouched


def test_no_rescale_and_category_spread(hand):
    w = compute_whatif(hand, load_scenario(None, ["A1=30"], no_rescale=True))
    t = rows(w)
    assert t.loc["赣州", "total"] == 110.00  # 100 + 10 more points on a fully met A1
    assert t.loc["萍乡", "total"] == 101.00  # 110 − 0.3 × 30
    # category first (spread by rulebook points), then indicator: B 30 → 20 makes B1 3 → 2, then B1 = 5
    sc = Scenario(points={"B": 20, "B1": 5}, rescale=False)
    wts = dict(zip(hand.basis.codes, scenario_weights(hand.basis, sc)))
    assert wts["B1"] == 5 and wts["B2"] == pytest.approx(2.0) and wts["B14"] == pytest.approx(0.5 * 20 / 30)
    assert sum(v for k, v in wts.items() if k.startswith("B")) == pytest.approx(20 - 2 + 5)


def _same(w):
    b, s = w.baseline, w.evaluation
    return np.array_equal(b.total, s.total) and np.array_equal(b.grade, s.grade) and np.array_equal(b.rank, s.rank)


def test_scenario_equal_to_baseline_reproduces_it(sample):
    for pts in ({"A1": 20}, {"A": 50, "B": 30, "C": 20}):  # the nominal points restated
        w = compute_whatif(sample, Scenario(points=pts))
        assert _same(w) and w.table.moved.sum() == 0
        assert np.array_equal(w.evaluation.total, sample.evaluation.total)


def test_scaling_all_weights_changes_nothing(sample):
    b = sample.basis
    weighted = [c for c, k in zip(b.codes, b.category_of) if not b.bonus[k]]
    for k in (0.5, 3.0, 7.25):
        pts = {c: float(p) * k for c, p in zip(b.codes, b.points) if c in weighted}
        w = compute_whatif(sample, Scenario(points=pts))
        assert _same(w), k
        np.testing.assert_allclose(w.weights[:len(weighted)], b.points[:len(weighted)], rtol=1e-12)


def test_vetoes_and_caps_hold_unless_switched_off(tmp_path):
    d = Dataset(2023)
    d.set("indicators", "南昌", "fraud", 1)  # V2: 未完成 whatever the total
    d.set("indicators", "萍乡", "A4", 90.0)  # G1: A4 below target caps at 基本完成 (total 99.6)
    res = run_score(RunOptions(2023, d.write(tmp_path / "d")), explain=False)[0]
    heavy = load_scenario(None, ["A4=0.01", "C=60"])
    t = rows(compute_whatif(res, heavy))
    assert t.loc["南昌", "grade"] == "未完成" and t.loc["南昌", "vetoes"] == ("V2",)
    assert t.loc["萍乡", "grade"] == "基本完成" and t.loc["萍乡", "caps"] == ("G1",)
    off = Scenario(points={"A4": 0.01, "C": 60}, vetoes_off=frozenset({"V2"}), caps_off=frozenset({"G1"}))
    t = rows(compute_whatif(res, off))
    assert t.loc["南昌", "grade"] == "超额完成" and t.loc["南昌", "vetoes"] == ()
    assert t.loc["萍乡", "grade"] == "超额完成" and "取消等级封顶G1" in t.loc["萍乡", "why"]
    assert "取消一票否决V2" in t.loc["南昌", "why"]
    # set: A 50 − 4 + 0.01 = 46.01, B 30, C 60 → 136.01; C → 60 × 100/136.01 = 44.114, A4 → 0.0074
    assert compute_whatif(res, off).describe() == (
        "A4（氮氧化物重点工程累计减排量）设为0.01分，折算后0.01分（原4分）；C（措施落实）设为60分，折算后44.11分（原20分）；"
        "取消一票否决V2；取消等级封顶G1；设定后A+B+C合计136.01分，各项分值按比例折算为合计100分")


@pytest.mark.parametrize("sets, key, words", [
    (["X9=5"], "X9", "A1…C6, A, B, C"),
    (["A1=-3"], "A1", "不小于0的分值"),
    (["A1=abc"], "A1", "不小于0的分值"),
    (["A1"], "A1", "CODE=POINTS"),
    (["D1=2"], "D1", "加分项不是权重"),
    (["A=0", "B=0", "C=0"], "points", "至少一个有分值的计分指标"),
])
def test_bad_set_values(sample, sets, key, words):
    with pytest.raises(ScenarioError) as e:
        scenario_weights(sample.basis, load_scenario(None, sets))
    [p] = e.value.problems
    assert p.path == key and words in message(p) and p.file == "--set"


def test_every_bad_setting_is_reported(sample):
    with pytest.raises(ScenarioError) as e:
        load_scenario(None, ["A1=-3", "B2=x", "C"])
    assert [(p.path, p.code) for p in e.value.problems] == [
        ("A1", Code.SCENARIO_VALUE), ("B2", Code.SCENARIO_VALUE), ("C", Code.SCENARIO_VALUE)]


def test_scenario_files(sample, tmp_path):
    toml = tmp_path / "s.toml"
    toml.write_text('name = "x"\nvetoes_off = ["V1"]\n[points]\nA1 = 25\nB = 20\n', encoding="utf-8")
    yml = tmp_path / "s.yaml"
    yml.write_text("points:\n  A1: 25\n  B: 20\nvetoes_off: [V1]\n", encoding="utf-8")
    a, b = load_scenario(toml), load_scenario(yml)
    assert dict(a.points) == dict(b.points) == {"A1": 25.0, "B": 20.0} and a.vetoes_off == b.vetoes_off
    assert load_scenario(toml, ["A1=30"]).points["A1"] == 30.0  # --set overrides the file
    bad = {"points = 3\n": "points", "[points]\nA1 = -1\n": "points.A1", "colour = 1\n": "colour",
           '[points]\nZZ = 1\n': "points.ZZ", 'caps_off = ["G9"]\n': "caps_off", "[points\n": ""}
    for text, key in bad.items():
        toml.write_text(text, encoding="utf-8")
        with pytest.raises(ScenarioError) as e:
            scenario_weights(sample.basis, load_scenario(toml))
        assert [(p.path, p.file) for p in e.value.problems] == [(key, str(toml))], text
    with pytest.raises(ScenarioError) as e:
        load_scenario(None, [])
    assert [p.code for p in e.value.problems] == [Code.SCENARIO_EMPTY]


def test_cli_writes_outputs_and_rejects_bad_input(tmp_path):
    runner = CliRunner()
    out = tmp_path / "out"
    r = runner.invoke(app, ["whatif", "--year", "2024", "--data", str(SAMPLE), "--out", str(out), "--set", "A1=30"])
    assert r.exit_code == 0, r.output
    head = (out / "whatif.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert head.startswith("city,city_code,baseline_total,baseline_grade,baseline_rank,total,grade,rank")
    assert (out / "whatif_weights.csv").exists() and (out / "whatif_reasons.csv").exists()
    r = runner.invoke(app, ["whatif", "--year", "2024", "--data", str(SAMPLE), "--out", str(tmp_path / "o2"),
                            "--set", "Q7=3"])
    assert r.exit_code == 2 and "Q7" in r.output and "不是可调整的代码" in r.output
    assert not (tmp_path / "o2").exists()


def test_real_process_negative_points(tmp_path):
    exe = Path(sys.executable).parent / "jxscore"
    p = subprocess.run([str(exe), "whatif", "--year", "2024", "--data", str(SAMPLE), "--out", str(tmp_path / "o"),
                        "--set", "B3=-1"], capture_output=True, text=True)
    assert p.returncode == 2
    assert "scenario-value" in p.stderr and "“-1”不可用：应为不小于0的分值" in p.stderr and "Traceback" not in p.stderr


def test_whatif_to_bytes_are_repeatable(tmp_path):
    sc = load_scenario(None, ["C=30", "A2=8"])
    service.save(service.whatif(RunOptions(2024, SAMPLE), sc), tmp_path / "a")
    service.save(service.whatif(RunOptions(2024, SAMPLE), sc), tmp_path / "b")
    for name in ("whatif.csv", "whatif_weights.csv", "whatif_reasons.csv", "whatif.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def _pdf_text(path: Path) -> str:
    """The PDF's text with all white space removed (pdftotext, else pypdf)."""
    import shutil

    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    else:
        pypdf = pytest.importorskip("pypdf")
        text = "".join(pg.extract_text() for pg in pypdf.PdfReader(str(path)).pages)
    return "".join(text.split())


def test_whatif_pdf_page(tmp_path):
    run = service.save(service.whatif(RunOptions(2024, SAMPLE), load_scenario(None, ["C=40"]), pdf=True),
                       tmp_path / "o")
    pdf = tmp_path / "o" / "whatif.pdf"
    assert pdf.read_bytes().startswith(b"%PDF") and "whatif.pdf" in run.files
    text = _pdf_text(pdf)
    for words in ("权重情景分析", "一、情景设置", "二、基准与情景对比", "三、变动原因", "输入数据指纹",
                  run.manifest["input_hash"], "C（措施落实）设为40分，折算后33.33分（原20分）", "相对少得"):
        assert words in text, words
    setting = text.split("一、情景设置")[1].split("二、")[0]
    assert "Scenario" not in text and "=" not in setting and "set" not in setting


def test_two_indicators_hand_worked_why(hand):
    # B1 3 → 1 and B2 3 → 5: A+B+C stays 100, so the rescaling factor is exactly 1 and every city's
    # effective weights are the rulebook's with ΔE(B1) = −2, ΔE(B2) = +2 (all indicators apply).
    #   新余 f(B1) = 0, f(B2) = 0.2: B1 down, own points −2 × 0 = 0.00, relative −2 × (0 − 1) = +2.00
    #        (相对多得2.00); B2 up, own points +2 × 0.2 = +0.40, relative 2 × (0.2 − 1) = −1.60
    #        (相对少得1.60). Δtotal = 2.00 − 1.60 = +0.40: 94.60 → 95.00, 完成 → 超额完成 (≥ 95).
    #   景德镇 f(B1) = 0: +2.00 relative → 97.00 → 99.00, passes 南昌 (98.00): rank 8 → 7.
    #   鹰潭 f(B1) = f(B2) = 0: +2.00 and −2.00, total stays 93.00.
    w = compute_whatif(hand, load_scenario(None, ["B1=1", "B2=5"]))
    t = rows(w)
    assert sorted(t.index[t.moved == 1]) == sorted(["新余", "景德镇", "南昌"])
    assert t.loc["新余", "why"] == (
        "等级由“完成”升为“超额完成”；总分94.60→95.00分（+0.40分）；"
        "B1权重降低（3.00→1.00分），该市B1得分率0.0%，本项得分+0.00分，相对多得2.00分；"
        "B2权重提高（3.00→5.00分），该市B2得分率20.0%，本项得分+0.40分，相对少得1.60分")
    assert t.loc["景德镇", "why"] == (
        "排名由第8名升至第7名；总分97.00→99.00分（+2.00分）；"
        "B1权重降低（3.00→1.00分），该市B1得分率0.0%，本项得分+0.00分，相对多得2.00分；超过南昌")
    assert t.loc["南昌", "why"] == "排名由第7名降至第8名；总分98.00→98.00分（+0.00分）；被景德镇超过"
    assert t.loc["鹰潭", "total"] == 93.00 and t.loc["鹰潭", "moved"] == 0
    r = w.reasons[w.reasons.city == "新余"].set_index("indicator")
    assert list(r.index) == ["B1", "B2"]
    assert r.loc["B1", "relative_change"] == 2.0 and r.loc["B1", "contribution_change"] == 0.0
    assert r.loc["B2", "relative_change"] == pytest.approx(-1.6) and r.loc["B2", "contribution_change"] == 0.4
    assert r.loc["B2", "why"].endswith("相对少得1.60分")
    # the convention the text relies on: the relative amounts of a city add up to its Δtotal
    assert r["relative_change"].sum() == pytest.approx(t.loc["新余", "delta_total"])
    assert "相对少得" in __import__("jxscore.analysis.whatif", fromlist=["SIGN_NOTE"]).SIGN_NOTE


def test_set_a1_25_rescaled_points_hand_worked(hand):
    # A1 20 → 25: A+B+C = 105, rescaled by 100/105: A1 25 × 100/105 = 23.8095 → 23.81, A2 5 → 4.76,
    # A = (50 − 20 + 25) × 100/105 = 52.38. 萍乡 (f(A1) = 0.7): A1 up 3.8095, own points
    # 3.8095 × 0.7 = +2.67, relative 3.8095 × (0.7 − 1) = −1.14 (相对少得1.14); total
    # (105 − 0.3 × 25) / 1.05 = 92.857 → 92.86. 鹰潭 (105 − 7) / 1.05 = 93.33 passes it: 萍乡 10 → 11.
    w = compute_whatif(hand, load_scenario(None, ["A1=25"]))
    assert w.describe() == ("A1（单位GDP能耗降低）设为25分，折算后23.81分（原20分）；"
                            "设定后A+B+C合计105分，各项分值按比例折算为合计100分")
    wt = w.weights_table.set_index("code")
    assert wt.loc["A1", "set_points"] == 25 and wt.loc["A1", "points"] == pytest.approx(2500 / 105)
    assert np.isnan(wt.loc["A2", "set_points"]) and wt.loc["A2", "points"] == pytest.approx(500 / 105)
    assert wt.loc["A", "points"] == pytest.approx(5500 / 105)
    t = rows(w)
    assert (t.loc["萍乡", "total"], t.loc["萍乡", "rank"], t.loc["鹰潭", "total"]) == (92.86, 11, 93.33)
    assert ("A1权重提高（20.00→23.81分），该市A1得分率70.0%，本项得分+2.67分，相对少得1.14分"
            in t.loc["萍乡", "why"])


def test_set_a1_25_cli_json_csv_pdf(tmp_path):
    import json

    out = tmp_path / "o"
    r = CliRunner().invoke(app, ["whatif", "--year", "2024", "--data", str(SAMPLE), "--out", str(out),
                                 "--set", "A1=25", "--pdf"])
    assert r.exit_code == 0, r.output
    said = "A1（单位GDP能耗降低）设为25分，折算后23.81分（原20分）"  # 25 × 100/105
    assert f"情景设置：{said}" in r.output and "Scenario" not in r.output and "A1=25" not in r.output
    rec = json.loads((out / "whatif.json").read_text(encoding="utf-8"))
    [s] = rec["settings"]
    assert (s["code"], s["set_points"], s["baseline_points"]) == ("A1", 25.0, 20.0)
    assert s["points"] == pytest.approx(2500 / 105, abs=1e-6) and s["text"] == said
    assert rec["set_total"] == 105 and rec["description"].startswith(said) and "=" not in rec["description"]
    head, a1 = [ln for ln in (out / "whatif_weights.csv").read_text(encoding="utf-8-sig").splitlines()
                if ln.startswith(("level,", "indicator,A1,"))]
    assert head == "level,code,category,name,baseline_points,set_points,points,change,note"
    assert a1.startswith("indicator,A1,A,单位GDP能耗降低,20,25,23.8095238") and a1.endswith(",设定")
    assert said in _pdf_text(out / "whatif.pdf")


def _long_table(n: int = 11):
    import pandas as pd

    names = ["黔东南苗族侗族自治州人民政府", "南昌", "延边朝鲜族自治州", "景德镇", "克孜勒苏柯尔克孜自治州"]
    return SimpleNamespace(table=pd.DataFrame({
        "city": [names[i % len(names)] + str(i) for i in range(n)],
        "baseline_rank": list(range(1, n + 1)), "rank": list(range(n, 0, -1)),
        "baseline_total": [104.99 - i for i in range(n)], "total": [100.0 + i for i in range(n)],
        "moved": [1] * n}))


def test_slope_chart_fits_its_box(sample):
    from chartfit import mpl_overflows
    from jxscore.report.whatif_charts import slope_chart

    assert mpl_overflows(slope_chart(compute_whatif(sample, load_scenario(None, ["C=40"])))) == []
    assert mpl_overflows(slope_chart(_long_table())) == []
    assert mpl_overflows(slope_chart(_long_table(30))) == []
