"""改进建议 and the reasons behind vetoes and caps, worked by hand from the rulebook on the builder's
defaults (every city meets everything; year 2023, k = 3, T5 = 14 %, gdp_growth 7 %)."""

from __future__ import annotations

from builders import Dataset
from jxscore.report import context

MAN = {"input_hash": "0" * 64, "version": "test"}


def card(result, inputs, city):
    return context.scorecard(result, inputs, MAN, city)


def _score(tmp_path, ds):
    from jxscore.service import RunOptions, run_score

    return run_score(RunOptions(ds.year, ds.write(tmp_path / "d")))


def test_improvement_sentence_for_a_share_below_target(tmp_path):
    # B6 (2 points, every B indicator applies): 68 % against 72 % → fraction 68/72, points 2·68/72;
    # full marks need 72 %, i.e. 4.0 percentage points more, worth 2·(1 − 68/72) = 2·4/72 = 0.111 → 0.11.
    ds = Dataset().set("indicators", "萍乡", "B6", 68.0).set("targets", "萍乡", "B6", 72.0)
    result, inputs = _score(tmp_path, ds)
    c = card(result, inputs, "萍乡")
    assert c["improve"]["sentences"] == ["B6 公共交通新能源汽车占比68.0%，目标72%，需再提高4.0个百分点，可多得0.11分"]
    assert c["improve"]["rest"] == ""
    assert c["city"]["total"] == "99.89"  # 100 − 0.11
    assert c["lost"][0]["lost_s"] == "0.11" and c["lost"][0]["weight"] == "2.00"


def test_cap_reason_names_both_pollutants_and_by_how_much(tmp_path):
    # A4 90 of 100 t and A6 95.5 of 100 t: G1 (A4–A7 below target) caps the grade at 基本完成.
    # A4 loses 4·0.1 = 0.4, A6 loses 4·0.045 = 0.18: total 100 − 0.58 = 99.42 → 超额完成 by points, 基本完成 after G1.
    ds = Dataset().set("indicators", "萍乡", "A4", 90.0).set("indicators", "萍乡", "A6", 95.5)
    result, inputs = _score(tmp_path, ds)
    c = card(result, inputs, "萍乡")
    assert c["city"]["total"] == "99.42" and c["city"]["grade"] == "基本完成"
    assert [k["code"] for k in c["caps"]] == ["G1"]
    assert c["caps"][0]["detail"] == (
        "A4 氮氧化物重点工程累计减排量90吨，目标100吨，差10吨（完成率90.0%）；"
        "A6 化学需氧量重点工程累计减排量95.5吨，目标100吨，差4.5吨（完成率95.5%）")
    assert c["improve"]["sentences"] == [
        "A4 氮氧化物重点工程累计减排量90吨，目标100吨，需再增加10吨，可多得0.40分",
        "A6 化学需氧量重点工程累计减排量95.5吨，目标100吨，需再增加4.5吨，可多得0.18分"]
    s = context.summary(result, MAN)
    assert [(k["city"], k["code"]) for k in s["caps"]] == [("萍乡", "G1")]
    assert s["caps"][0]["detail"] == c["caps"][0]["detail"]


def test_cap_g2_says_by_how_much_consumption_went_over(tmp_path):
    # Adjusted consumption 2023 = net energy 1000·0.96³ = 884.736 (no new renewables).
    # Allowance = 1000·1.07³·0.86^(3/5) + A2_adjust = 1119.052 − 300 = 819.052; over 884.736/819.052 − 1 = 8.02 %
    # → tier ≤ 10 %: fraction 0.2, A2 earns 1 of 5 points. T5_inc 30 %: p_inc = ln(0.884736)/ln(0.7) = 0.343
    # < 3/5, so no incentive exemption and G2 (at most 完成) applies.
    ds = Dataset().set("targets", "萍乡", "A2_adjust", -300.0).set("targets", "萍乡", "T5_inc", 30.0)
    result, inputs = _score(tmp_path, ds)
    c = card(result, inputs, "萍乡")
    assert [k["code"] for k in c["caps"]] == ["G2"] and c["city"]["grade"] == "完成"
    assert c["caps"][0]["detail"] == ("A2 能源消费总量控制：调整后能源消费量884.74万吨标准煤，"
                                      "控制目标819.05万吨标准煤，超出65.69万吨标准煤（8.02%）")
    assert c["improve"]["sentences"][0] == ("A2 能源消费总量控制：调整后能源消费量884.74万吨标准煤，"
                                            "控制目标819.05万吨标准煤，需减少65.69万吨标准煤，可多得4.00分")


def test_veto_v1_names_the_cumulative_check_with_its_figures(tmp_path):
    # 2023 net energy 950 with gdp 1000: intensity 0.95 against 1.00 in 2020 → c = 5.0 %; required
    # 1 − 0.86^(3/5) = 8.651 % → V1. Annual: 1 − 0.95/0.96² = −3.08 % against 2.9 % → 5.98 points short.
    # Both checks fail: A1 coefficient 0, all 20 points lost.
    ds = Dataset().set_energy("萍乡", 2023, energy_total=1050.0)
    result, inputs = _score(tmp_path, ds)
    c = card(result, inputs, "萍乡")
    assert [v["code"] for v in c["vetoes"]] == ["V1"] and c["city"]["grade"] == "未完成"
    assert c["vetoes"][0]["detail"] == "A1 单位GDP能耗降低：能耗强度累计降低5.0%，序时进度要求8.65%，差3.65个百分点"
    assert c["improve"]["sentences"][0] == (
        "A1 单位GDP能耗降低：能耗强度累计降低5.0%，序时进度要求8.65%，需再提高3.65个百分点；"
        "能耗强度年度降低-3.08%，年度目标2.9%，需再提高5.98个百分点，可多得20.00分")


def test_fraud_veto_names_the_field(tmp_path):
    result, inputs = _score(tmp_path, Dataset().set("indicators", "萍乡", "fraud", 1))
    c = card(result, inputs, "萍乡")
    assert c["vetoes"][0]["detail"] == "指标表“统计造假、弄虚作假”（fraud）填报为是"


def test_at_most_eight_sentences_and_the_rest_summed(tmp_path):
    # Ten shares at 90 of 100: each loses 10 % of its points — B1–B3 (3 points) 0.30 each, B4 and
    # B6–B11 (2 points) 0.20 each. Largest first, ties in scheme order: B1 B2 B3 B4 B6 B7 B8 B9 get a
    # sentence; B10 and B11 remain, 0.20 + 0.20 = 0.40.
    ds = Dataset()
    codes = ["B1", "B2", "B3", "B4", "B6", "B7", "B8", "B9", "B10", "B11"]
    for code in codes:
        ds.set("indicators", "萍乡", code, 90.0)
    result, inputs = _score(tmp_path, ds)
    c = card(result, inputs, "萍乡")
    assert [s.split(" ")[0] for s in c["improve"]["sentences"]] == codes[:8]
    assert c["improve"]["sentences"][0] == ("B1 钢铁产能超低排放改造累计完成90万吨，目标100万吨，"
                                            "需再增加10万吨，可多得0.30分")
    assert c["improve"]["rest"] == "其余2项指标合计失分0.40分："
    assert c["city"]["total"] == "97.70"  # 100 − 3·0.3 − 7·0.2


def test_summary_lists_one_exemption_row_with_its_cities(tmp_path):
    # Defaults: c = 1 − 0.96³ = 11.53 %, p_inc = ln(0.884736)/ln(1 − 0.145) = 0.78 ≥ 3/5 for every city,
    # so A2 is exempt everywhere — one row naming all eleven cities, not eleven rows.
    result, _ = _score(tmp_path, Dataset())
    ex = context.summary(result, MAN)["exemptions"]
    assert [(e["code"], e["flags"], e["note"]) for e in ex] == [
        ("A2", "免予考核", "能耗强度降低达到激励目标，免予考核")]
    assert ex[0]["city"] == "南昌、景德镇、萍乡、九江、新余、鹰潭、赣州、吉安、宜春、抚州、上饶"
