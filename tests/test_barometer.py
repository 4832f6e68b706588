"""The barometer (晴雨表, RULEBOOK §10), every level at and around its edges, with numbers worked by hand.

The inputs are built so the edges are exact: the year before has net consumption (total − raw) 1000 and
gdp 1000, so I(Y−1,P) = 1; T5 = 100·(1 − 0.97⁵) = 14.12659743 and gdp_growth 5 give
g* = 1.05 × 0.97 − 1 = 0.0185 exactly in decimals; A1_annual = 3. The float results differ from these
decimals by ~1e-15 at most (1 − 0.973 is 0.027000000000000024), which the 9-decimal comparison of §2
takes as equal — that is what the rule is for.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from builders import CITIES, Dataset
from jxscore.core.barometer import RISE_ADVICE
from jxscore.core.problems import Code, InputError, UsageError
from jxscore.i18n import message
from jxscore.service import BarometerOptions, RunOptions, barometer, save, validate

ROOT = Path(__file__).resolve().parents[1]
JX = [str(Path(sys.executable).parent / "jxscore")]
T5 = 14.12659743  # 100·(1 − 0.97^5): (1 − T5/100)^(1/5) = 0.97
G_STAR = 0.0185  # 1.05 × 0.97 − 1

# city: current (Y, P) figures as (energy_total − energy_raw, gdp, renewable_power); the year before is
# net 1000, gdp 1000, renewable 50 for every city; energy_raw is 100 in both years.
CASES = {
    "南昌": (970.0, 1000.0, 50.0),     # 100r = 3.00 = A1: g = 0 → 绿
    "景德镇": (973.0, 1000.0, 50.0),   # 100r = 2.70: g = 0.30 = 10 % of 3 → 黄
    "萍乡": (973.1, 1000.0, 50.0),     # 100r = 2.69: g = 0.31 > 0.30 → 红 (intensity falls: no rise advice)
    "九江": (1000.0, 1000.0, 50.0),    # r = 0 exactly: g = 3 → 红, with the rise advice
    "新余": (1010.0, 1000.0, 50.0),    # r = −1 %: intensity rose → 红, with the rise advice
    "鹰潭": (1050.0, 1100.0, 81.5),    # Ê = 1050 − 31.5 = 1018.5: G = 0.0185 = g* → 绿
    "赣州": (1050.0, 1100.0, 79.65),   # Ê = 1020.35: G − g* = 0.00185 = 10 % of g* → 黄
    "吉安": (1050.0, 1100.0, 79.64),   # Ê = 1020.36: G − g* = 0.00186 → 红
    "宜春": (1010.0, 1100.0, 40.0),    # renewables fell: max(0, −10) = 0, Ê = 1010, G = 0.01 → 绿
    "抚州": (1946.0, 2000.0, 50.0),    # I = 0.973: 黄 for intensity; G = 0.946 → 红: level 红
    "上饶": (1020.35, 1040.0, 50.0),   # 100r = 1.8894…: 红 with r > 0; G = 0.02035 → 黄: level 红
}
# city: (100·r, gap g, intensity level, G, total level, level, rise advice) — by hand from CASES
EXPECTED = {
    "南昌": (3.0, 0.0, "绿", -0.03, "绿", "绿", False),
    "景德镇": (2.7, 0.3, "黄", -0.027, "绿", "黄", False),
    "萍乡": (2.69, 0.31, "红", -0.0269, "绿", "红", False),
    "九江": (0.0, 3.0, "红", 0.0, "绿", "红", True),
    "新余": (-1.0, 4.0, "红", 0.01, "绿", "红", True),
    "鹰潭": (100 * (1 - 1050 / 1100), 3 - 100 * (1 - 1050 / 1100), "绿", 0.0185, "绿", "绿", False),
    "赣州": (100 * (1 - 1050 / 1100), 3 - 100 * (1 - 1050 / 1100), "绿", 0.02035, "黄", "黄", False),
    "吉安": (100 * (1 - 1050 / 1100), 3 - 100 * (1 - 1050 / 1100), "绿", 0.02036, "红", "红", False),
    "宜春": (100 * (1 - 1010 / 1100), 3 - 100 * (1 - 1010 / 1100), "绿", 0.01, "绿", "绿", False),
    "抚州": (2.7, 0.3, "黄", 0.946, "红", "红", False),
    "上饶": (100 * (1 - 1020.35 / 1040), 3 - 100 * (1 - 1020.35 / 1040), "红", 0.02035, "黄", "红", False),
}


def targets() -> pd.DataFrame:
    """Only the parameters (the barometer does not need the indicator target columns)."""
    return pd.DataFrame({"city": CITIES, "T5": [T5] * 11, "T5_inc": [14.5] * 11, "gdp_growth": [5.0] * 11,
                         "A1_annual": [3.0] * 11})


def progress(year: int = 2025, period: str = "H1") -> pd.DataFrame:
    rows = []
    for c in CITIES:
        net, gdp, re = CASES[c]
        rows.append([c, year - 1, period, 1100.0, 100.0, 50.0, 1000.0])
        rows.append([c, year, period, net + 100.0, 100.0, re, gdp])
    return pd.DataFrame(rows, columns=["city", "year", "period", "energy_total", "energy_raw", "renewable_power",
                                       "gdp"])


def write(folder: Path, prog: pd.DataFrame | None = None, tg: pd.DataFrame | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (targets() if tg is None else tg).to_csv(folder / "targets.csv", index=False, lineterminator="\n")
    (progress() if prog is None else prog).to_csv(folder / "progress.csv", index=False, lineterminator="\n")
    return folder


def run_cli(*args):
    return subprocess.run(JX + [str(a) for a in args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "COLUMNS": "200"})


# ---------------------------------------------------------------- the levels, by hand

def test_levels_at_and_around_every_edge(tmp_path):
    b = barometer(BarometerOptions(2025, "H1", write(tmp_path / "d"))).barometer
    t = b.table.set_index("city")
    assert list(b.table["city"]) == CITIES and set(b.table["period"]) == {"H1"}
    assert t["g_star"].tolist() == pytest.approx([G_STAR] * 11, abs=1e-12)
    for city, (cut, gap, li, growth, lt, level, rise) in EXPECTED.items():
        r = t.loc[city]
        assert 100 * r["r"] == pytest.approx(cut, abs=1e-9), city
        assert r["gap"] == pytest.approx(gap, abs=1e-9), city
        assert r["G"] == pytest.approx(growth, abs=1e-9), city
        assert (r["level_intensity"], r["level_total"], r["level"]) == (li, lt, level), city
        assert (RISE_ADVICE in r["advice"]) is rise, city
        assert (r["advice"] == "") is (level == "绿"), city


def test_advice_says_what_turns_the_light_green(tmp_path):
    t = barometer(BarometerOptions(2025, "H1", write(tmp_path / "d"))).barometer.table.set_index("city")
    # 景德镇: I(Y−1) = 1, so green needs I ≤ 1 × (1 − 3 %) = 0.97
    assert t.loc["景德镇", "advice"] == "能耗强度降低2.70%，差年度目标0.30个百分点，需降至0.9700吨标准煤/万元以下"
    # 赣州: Ê(Y−1) × (1 + g*) = 1000 × 1.0185 = 1018.5
    assert t.loc["赣州", "advice"] == ("扣除新增可再生能源电力后能耗增长2.04%，超过允许的1.85%，"
                                     "需控制在1018.50万吨标准煤以内")
    assert t.loc["九江", "advice"] == RISE_ADVICE  # total green: the rise advice alone
    assert t.loc["抚州", "advice"].count("；") == 1  # both parts


def test_other_periods_and_rows_are_not_read(tmp_path):
    """Q1 rows of the same years, a 2023 row and a 2026 row sit beside the H1 rows and change nothing."""
    extra = pd.concat([progress(), progress(2025, "Q1").assign(gdp=1.0), progress(2024, "H1").iloc[::2]
                       .assign(year=2023), progress(2026, "H1").iloc[1::2]])
    folder = write(tmp_path / "d", extra)
    got = barometer(BarometerOptions(2025, "h1", folder)).barometer.table
    want = barometer(BarometerOptions(2025, "H1", write(tmp_path / "e"))).barometer.table
    pd.testing.assert_frame_equal(got, want)


def test_the_annual_run_never_reads_progress(tmp_path):
    folder = Dataset().write(tmp_path / "d")
    (folder / "progress.csv").write_text("city,year\n南京,x\n", encoding="utf-8")
    validate(RunOptions(2023, folder))  # no problem: progress.csv is the barometer's alone


# ---------------------------------------------------------------- bad input

def test_bad_input_every_problem_located_in_chinese(tmp_path):
    prog = progress()
    prog = prog[~((prog["city"] == "南昌") & (prog["year"] == 2024))]  # 南昌 has no (Y−1, P) row
    prog = prog.astype(object)
    prog.loc[(prog["city"] == "萍乡") & (prog["year"] == 2025), "gdp"] = "约1000"  # CSV line 6
    prog.loc[(prog["city"] == "九江") & (prog["year"] == 2025), "period"] = "H2"  # line 8
    tg = targets().astype(object)
    tg.loc[tg["city"] == "新余", "A1_annual"] = ""  # line 6
    with pytest.raises(InputError) as e:
        barometer(BarometerOptions(2025, "H1", write(tmp_path / "d", prog, tg)))
    got = {(p.file, p.row, p.column, p.city, p.code) for p in e.value.problems}
    assert got == {
        ("progress.csv", None, "period", "南昌", Code.MISSING_ROW),
        ("progress.csv", 6, "gdp", "萍乡", Code.NOT_A_NUMBER),
        ("progress.csv", 8, "period", "九江", Code.NOT_A_CHOICE),
        ("progress.csv", None, "period", "九江", Code.MISSING_ROW),  # its (Y, P) row is not H1
        ("targets.csv", 6, "A1_annual", "新余", Code.MISSING_VALUE),
    }
    text = {p.city + p.code.value: message(p) for p in e.value.problems}
    assert text["南昌missing-row"] == "缺少南昌2024年上半年（上年同期）的数据行"
    assert text["九江missing-row"] == "缺少九江2025年上半年（本期）的数据行"
    assert "地区生产总值（2020年不变价）（亿元）" in text["萍乡not-a-number"]
    assert "Q1、H1、Q3" in text["九江not-a-choice"]


def test_cli_bad_input_exit_2_nothing_written(tmp_path):
    prog = progress()
    prog = prog[~((prog["city"] == "赣州") & (prog["year"] == 2024))].astype(object)
    prog.loc[(prog["city"] == "吉安") & (prog["year"] == 2025), "energy_total"] = "abc"
    folder = write(tmp_path / "d", prog)
    out = tmp_path / "out"
    p = run_cli("barometer", "--year", 2025, "--period", "H1", "--data", folder, "--out", out)
    assert p.returncode == 2, p.stderr
    assert "Traceback" not in p.stderr and "输入数据有2个问题，未写出任何文件。" in p.stderr
    assert "缺少赣州2024年上半年（上年同期）的数据行" in p.stderr
    assert "progress.csv" in p.stderr and "energy_total" in p.stderr and "“abc”" in p.stderr
    assert not out.exists() and not list(tmp_path.glob(".out.staging-*"))


def test_cli_unknown_period_and_missing_table(tmp_path):
    folder = write(tmp_path / "d")
    out = tmp_path / "out"
    p = run_cli("barometer", "--year", 2025, "--period", "H2", "--data", folder, "--out", out)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "--period H2：应为Q1（一季度）、H1（上半年）或Q3（前三季度）" in p.stderr
    (folder / "progress.csv").unlink()
    p = run_cli("barometer", "--year", 2025, "--period", "Q3", "--data", folder, "--out", out)
    assert p.returncode == 2 and "progress.csv" in p.stderr and "Traceback" not in p.stderr
    assert not out.exists()
    with pytest.raises(UsageError):
        barometer(BarometerOptions(2025, "Q2", folder))


# ---------------------------------------------------------------- outputs

def test_csv_and_pdf_of_the_sample(tmp_path):
    """The sample: 6 绿, 2 黄, 3 红 as data/make_progress.py intends; one A4 page with the table and the
    input hash; the same inputs give the same bytes."""
    data = tmp_path / "data"
    data.mkdir()
    for name in ("targets.csv", "progress.csv"):  # nothing else is needed
        shutil.copy(ROOT / "data" / name, data / name)
    run = save(barometer(BarometerOptions(2025, "H1", data)), tmp_path / "a")
    assert run.files == ["barometer.csv", "barometer.pdf"]
    csv = pd.read_csv(tmp_path / "a" / "barometer.csv", encoding="utf-8-sig")
    assert list(csv.columns[:4]) == ["city", "city_code", "year", "period"]
    assert {"r", "gap", "level_intensity", "G", "g_star", "level_total", "level", "advice"} <= set(csv.columns)
    assert dict(zip(csv["city"], csv["level"])) == {
        "南昌": "绿", "景德镇": "绿", "萍乡": "黄", "九江": "红", "新余": "红", "鹰潭": "绿", "赣州": "绿",
        "吉安": "红", "宜春": "绿", "抚州": "黄", "上饶": "绿"}
    assert csv.set_index("city").loc["新余", "advice"].startswith(RISE_ADVICE)
    pdf = tmp_path / "a" / "barometer.pdf"
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout
    assert "Pages:           1" in info and "A4" in info
    text = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True).stdout
    assert "2025年上半年设区市节能减排晴雨表" in text and "与2024年同期比较" in text
    assert run.input_hash in text.replace(" ", "").replace("\n", "")
    for city in CITIES:
        assert city in text
    assert "−1.50" in text and "暂停'两高'项目节能审查" in text  # 新余's row and its advice
    save(barometer(BarometerOptions(2025, "H1", data)), tmp_path / "b")
    for name in run.files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_the_parameters_are_read_by_the_names_the_scheme_gives_them(tmp_path):
    """A scheme whose A1 and A2 rules call the five-year target `T5_basic`, GDP growth `gdp_g` and the
    annual target `A1_year`: the barometer reads those columns and gives the sample's levels."""
    src = (ROOT / "src" / "jxscore" / "schemes" / "jiangxi.toml").read_text(encoding="utf-8")
    for old, new in (('name = "T5"', 'name = "T5_basic"'), ('above = "T5"', 'above = "T5_basic"'),
                     ('name = "gdp_growth"', 'name = "gdp_g"'), ('name = "A1_annual"', 'name = "A1_year"'),
                     ("neither = 0.0\n", 'neither = 0.0\ntarget = "T5_basic"\nannual = "A1_year"\n'),
                     ("beyond = 0.0\n", 'beyond = 0.0\ntarget = "T5_basic"\ngrowth = "gdp_g"\n')):
        assert src.count(old) >= 1, old
        src = src.replace(old, new, 1)
    crit = tmp_path / "renamed.toml"
    crit.write_text(src, encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(ROOT / "data" / "progress.csv", data / "progress.csv")
    targets = (ROOT / "data" / "targets.csv").read_text(encoding="utf-8-sig").split("\n", 1)
    header = ",".join({"T5": "T5_basic", "gdp_growth": "gdp_g", "A1_annual": "A1_year"}.get(h, h)
                      for h in targets[0].split(","))
    (data / "targets.csv").write_text(header + "\n" + targets[1], encoding="utf-8")
    run = barometer(BarometerOptions(2025, "H1", data, criteria=crit, pdf=False))
    levels = dict(zip(run.barometer.table["city"], run.barometer.table["level"]))
    assert levels == {"南昌": "绿", "景德镇": "绿", "萍乡": "黄", "九江": "红", "新余": "红", "鹰潭": "绿",
                      "赣州": "绿", "吉安": "红", "宜春": "绿", "抚州": "黄", "上饶": "绿"}
