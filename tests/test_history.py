"""`jxscore history` and `report --history` (RULEBOOK §11), every number worked by hand.

Data: the builders' default set for 2021, 2022 and 2023 — every city meets everything, total exactly
100.00, 超额完成 — except 萍乡's A3 (4 points, ratio against a target of 100):
  2021  A3 = 100 → f 1   → 100.00 超额完成; all eleven tied on grade, total, A (50) and p, so
        the ranks are the administrative-code order: 南昌 1, 景德镇 2, 萍乡 3, 九江 4, …, 上饶 11;
  2022  A3 = 0 and A9 = 0 (2 points) → A = 50 − 4 − 2 = 44, total 94.00 < 95 → 完成, last (11th);
        the other ten keep code order: 南昌 1, 景德镇 2, 九江 3, …, 上饶 10;
  2023  A3 = 50 → f 0.5 → A = 48, total 98.00 → 超额完成 again, but last on total (11th).
Energy (builders): gdp 1000 and net energy 1000 × 0.96^k, so I_k = 0.96^k and
  c = 1 − 0.96^k = 0.04, 0.0784, 0.115264;  p = k · ln 0.96 / ln 0.86 = 0.270664 · k (≥ k/5: met);
  the 序时进度 for T5 = 14: 100·(1 − 0.86^(k/5)) = 2.97, 5.85, 8.65 %.
"""

from __future__ import annotations

import csv
import math
import re
from html import unescape
from pathlib import Path

import pytest
from typer.testing import CliRunner

from builders import CITIES, Dataset
from jxscore.cli import app

RUNNER = CliRunner()
P_YEAR = math.log(0.96) / math.log(0.86)  # progress per year of a 4 %/year cut against T5 = 14


def three_years(base: Path) -> Path:
    d = base / "hist"
    Dataset(2021).write(d / "2021")
    Dataset(2022).set("indicators", "萍乡", "A3", 0.0).set("indicators", "萍乡", "A9", 0.0).write(d / "2022")
    Dataset(2023).set("indicators", "萍乡", "A3", 50.0).write(d / "2023")
    (d / "README.txt").write_text("not a year: ignored\n", encoding="utf-8")
    return d


def read_history(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def hist(tmp_path_factory):
    base = tmp_path_factory.mktemp("history")
    d = three_years(base)
    out = base / "out"
    res = RUNNER.invoke(app, ["history", "--data", str(d), "--out", str(out)])
    assert res.exit_code == 0, res.output
    return d, out


def expected_rows() -> list[tuple]:
    """(year, city, total, grade, rank) by hand (module docstring)."""
    rows = [(2021, c, 100.0, "超额完成", i + 1) for i, c in enumerate(CITIES)]
    others = [c for c in CITIES if c != "萍乡"]
    for year, total, grade in ((2022, 94.0, "完成"), (2023, 98.0, "超额完成")):
        rows += [(year, c, 100.0, "超额完成", i + 1) for i, c in enumerate(others)]
        rows.append((year, "萍乡", total, grade, 11))
    return rows


def test_history_csv_by_hand(hist):
    _, out = hist
    rows = read_history(out / "history.csv")
    assert list(rows[0]) == ["year", "city", "total", "grade", "rank", "c", "p", "vetoes", "caps"]
    got = [(int(r["year"]), r["city"], float(r["total"]), r["grade"], int(r["rank"])) for r in rows]
    assert got == expected_rows()  # year ascending, then rank
    for r in rows:
        k = int(r["year"]) - 2020
        assert float(r["c"]) == pytest.approx(1 - 0.96 ** k, abs=1e-9)
        assert float(r["p"]) == pytest.approx(k * P_YEAR, abs=1e-9)
        assert r["vetoes"] == "" and r["caps"] == ""  # history.csv: the tuples written as text
    assert [float(r["c"]) for r in rows if r["city"] == "南昌"] == pytest.approx([0.04, 0.0784, 0.115264], abs=1e-9)


def test_history_pdf_and_hash(hist, tmp_path):
    import hashlib
    import json
    import subprocess

    d, out = hist
    text = subprocess.run(["pdftotext", "-layout", str(out / "history.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "2021—2023年度节能减排目标责任评价考核历年结果" in text
    assert "等级有变化的市：萍乡" in text.replace(" ", "")
    # the footer's hash: sha256 over {year: that year's manifest input_hash}, as `jxscore score` writes them
    per_year = {}
    for y in (2021, 2022, 2023):
        res = RUNNER.invoke(app, ["score", "--year", str(y), "--data", str(d / str(y)),
                                  "--out", str(tmp_path / str(y))])
        assert res.exit_code == 0, res.output
        per_year[str(y)] = json.loads((tmp_path / str(y) / "manifest.json").read_text(encoding="utf-8"))["input_hash"]
    want = hashlib.sha256(json.dumps(per_year, sort_keys=True).encode()).hexdigest()
    assert want in text.replace("\n", "").replace(" ", "")
    # same inputs → same bytes
    again = tmp_path / "again"
    assert RUNNER.invoke(app, ["history", "--data", str(d), "--out", str(again)]).exit_code == 0
    for name in ("history.csv", "history.pdf"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name


def test_history_chart_text_fits(hist):
    from chartfit import svg_overflows
    from jxscore import service
    from jxscore.report.history_pdf import totals_chart

    run = service.history(service.HistoryOptions(hist[0], pdf=False))
    assert svg_overflows(totals_chart(run.history)) == []


def test_bad_year_folder_all_problems_located(tmp_path):
    d = three_years(tmp_path)
    (d / "2022" / "indicators.csv").write_text(
        (d / "2022" / "indicators.csv").read_text(encoding="utf-8").replace("南昌,100.0", "南昌,abc", 1),
        encoding="utf-8")
    (d / "2023" / "targets.csv").unlink()
    out = tmp_path / "out"
    res = RUNNER.invoke(app, ["history", "--data", str(d), "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert "2022/indicators.csv" in res.output and "2023/targets.csv" in res.output  # both years in one pass
    assert "2021/" not in res.output
    assert not out.exists()  # nothing written


def final_year(base: Path) -> Path:
    """2025 (k = 5). Defaults: c = 1 − 0.96⁵ = 0.184627, p = 5·0.270664 = 1.353 ≥ 1 → 完成; incentive
    5·ln 0.96/ln 0.855 = 1.303 ≥ 1 → 完成. 南昌: I_2025 = 0.87 (net 870) → c = 0.13 < 14 %:
    p = ln 0.87/ln 0.86 = 0.92335 < 1 → 未完成 (and incentive 0.88898 → 未完成). 景德镇: I_2025 = 0.858
    (net 858) → c = 0.142: p = ln 0.858/ln 0.86 = 1.01544 ≥ 1 → 完成, but ln 0.858/ln 0.855 = 0.97764 < 1
    → incentive 未完成."""
    d = base / "hist5"
    (Dataset(2025).set_energy("南昌", 2025, energy_total=970.0)
     .set_energy("景德镇", 2025, energy_total=958.0).write(d / "2025"))
    return d


def test_final_year_verdict_by_hand(tmp_path):
    from jxscore import service

    h = service.history(service.HistoryOptions(final_year(tmp_path), pdf=False)).history
    v = {x.city: x for x in h.verdicts()}
    assert v["南昌"].c == pytest.approx(0.13, abs=1e-9)  # the engine keeps 9 decimals (scores.csv)
    assert v["南昌"].p == pytest.approx(math.log(0.87) / math.log(0.86), abs=1e-9)
    assert round(v["南昌"].p, 5) == 0.92335
    assert (v["南昌"].basic, v["南昌"].incentive) == ("未完成", "未完成")
    assert round(v["景德镇"].p, 5) == 1.01544 and round(v["景德镇"].p_inc, 5) == 0.97764
    assert (v["景德镇"].basic, v["景德镇"].incentive) == ("完成", "未完成")
    assert v["萍乡"].c == pytest.approx(1 - 0.96 ** 5, abs=1e-9)
    assert round(v["萍乡"].p, 3) == 1.353
    assert (v["萍乡"].basic, v["萍乡"].incentive) == ("完成", "完成")


def card_text(html: str) -> str:
    section = html.split("三、历年考核结果", 1)[1].split("<h2>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section))


def test_report_history_section_of_a_card(tmp_path):
    """report --year 2023 --history: 萍乡's card lists 2021, 2022 and (its own run) 2023 by hand."""
    d = three_years(tmp_path)
    out = tmp_path / "out"
    res = RUNNER.invoke(app, ["report", "--year", "2023", "--data", str(d / "2023"), "--history", str(d), "--out",
                              str(out), "--html", "--jobs", "2"])
    assert res.exit_code == 0, res.output
    html = (out / "scorecards" / "pingxiang.html").read_text(encoding="utf-8")
    text = card_text(html)
    # year, total, grade, rank, c %, 序时进度 %, p / k/5, check, vetoes/caps
    assert "2021 100.00 超额完成 第3名 / 11 4.00 2.97 0.271 / 0.2 达到 —" in text
    assert "2022 94.00 完成 第11名 / 11 7.84 5.85 0.541 / 0.4 达到 —" in text
    assert "2023 98.00 超额完成 第11名 / 11 11.53 8.65 0.812 / 0.6 达到 —" in text
    assert "四、指标得分明细" in html and "规划期考核结论" not in html  # renumbered; no verdict before 2025
    plain = (out / "scorecards" / "nanchang.html").read_text(encoding="utf-8")
    assert "2022 100.00 超额完成 第1名 / 11" in card_text(plain)


def test_final_year_card_states_the_verdict(tmp_path):
    from jxscore.analysis.history import YearRun, build_history
    from jxscore.report import context
    from jxscore.report.render import render_html
    from jxscore.service import RunOptions, run_score

    d = final_year(tmp_path)
    result, inputs = run_score(RunOptions(2025, d / "2025"))
    h = build_history([YearRun(2025, "2025", result, "0" * 64)])
    man = {"input_hash": "0123456789abcdef" * 4, "version": "0", "criteria": {"jiangxi.toml": "x"}}
    charts = {"categories": "data:,", "intensity": "data:,", "ranking": "data:,", "map": "data:,"}
    html = render_html("scorecard.html.j2", context.scorecard(result, inputs, man, "景德镇", history=h), charts=charts)
    t = unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)))
    assert "十四五能耗强度降低目标 完成（累计降低14.20%，进度p = 1.0154 ≥ 1）" in t
    assert "激励目标 未完成（按激励目标计算的进度 0.9776 < 1）" in t
    html = render_html("scorecard.html.j2", context.scorecard(result, inputs, man, "南昌", history=h), charts=charts)
    assert "十四五能耗强度降低目标 未完成" in re.sub(r"<[^>]+>", "", html)


def test_sample_history_matches_data(tmp_path):
    """data/history/2024 scores exactly as data/ (same files), and the sample's grade changes hold."""
    from jxscore import service

    root = Path(__file__).resolve().parent.parent / "data"
    for name in ("energy.csv", "indicators.csv", "targets.csv", "projects.csv", "reviews.csv"):
        assert (root / "history" / "2024" / name).read_bytes() == (root / name).read_bytes(), name
    h = service.history(service.HistoryOptions(root / "history", pdf=False)).history
    g = {(int(r.year), r.city): r.grade for r in h.table.itertuples(index=False)}
    assert [g[y, "景德镇"] for y in h.years] == ["完成", "未完成", "未完成", "完成"]
    assert [g[y, "赣州"] for y in h.years] == ["完成", "完成", "完成", "未完成"]
    now, _ = service.run_score(service.RunOptions(2024, root))
    last = h.table[h.table["year"] == 2024].set_index("city")
    for _, r in now.scores.iterrows():
        assert (last.loc[r["city"], "grade"], last.loc[r["city"], "rank"]) == (r["grade"], r["rank"])
