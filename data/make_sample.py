#!/usr/bin/env python3
"""Write the jxscore sample data: energy.csv, indicators.csv, targets.csv (assessment year 2024).

Standard library only, deterministic, does not import jxscore.  Run from anywhere:

    python3 data/make_sample.py            # writes the three CSVs next to this script
    python3 data/make_sample.py --check    # also prints the hand-computed scorecard

Every number is either written out below or derived by the simple arithmetic documented next
to it.  After building the rows the script re-reads the *formatted* values (exactly what lands
in the CSVs), scores them with the RULEBOOK formulas (§2, §5) re-implemented here in a few
lines, and asserts each outcome the sample is meant to exercise (see data/README.md).  If a
number drifts, the script fails instead of silently writing data that no longer covers a rule.

The verification sample (projects.csv, reviews.csv) is written by make_verification.py from the
indicators and targets written here.  When both files are present, --check (and the test) also score
the sample WITH them: §8 (key-project verification) and §9 (expert panels) are re-implemented below,
independently of jxscore and of make_verification.py, and the planted findings are asserted.

Public figures used (see jiangxi-public-figures.csv / data/README.md for sources):
  * 2020 GDP at current prices of all 11 cities (= the constant-2020-price level for 2020);
  * 2024 real GDP growth of 南昌 4.9, 赣州 5.4, 宜春 6.1 (%);
  * T5/T5_inc of 宜春 15.5/16 and 赣州 12.5/13;
  * 宜春's five-year key-project reductions NOx 2665, VOCs 1920, COD 10088, NH3-N 653 t;
  * 2025 non-fossil share targets 赣州 27.4, 景德镇 12.8, 九江 17.7; 九江 rural sewage 40 (2025);
  * the province's 2025 figures from the plan (14/14.5 %, 27300/14100/84100/5500 t, ...).
Everything else is illustrative.
"""
from __future__ import annotations

import csv
import io
import math
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

OUT = Path(__file__).resolve().parent
Y = 2024
K = Y - 2020  # = 4, position of 2024 in the 十四五 period
YEARS = list(range(2020, Y + 1))

CITIES = ["南昌", "景德镇", "萍乡", "九江", "新余", "鹰潭", "赣州", "吉安", "宜春", "抚州", "上饶"]
CODES = dict(zip(CITIES, ["360100", "360200", "360300", "360400", "360500", "360600",
                          "360700", "360800", "360900", "361000", "361100"]))


def by_city(*values):
    """Map a list written in CITIES order (administrative-code order) to {city: value}."""
    assert len(values) == len(CITIES), values
    return dict(zip(CITIES, values))


# =============================================================================================
# 1. energy.csv
# =============================================================================================
# GDP 2020 at current prices, 亿元 (PUBLIC, maigoo.com): the 2020 level of the constant-2020 series.
GDP_2020 = by_city(5783.32, 957.14, 962.84, 3235.02, 1000.75, 982.66,
                   3657.26, 2168.83, 2782.36, 1572.51, 2624.30)
# Real GDP growth 2021, 2022, 2023, 2024 in % (ILLUSTRATIVE, close to the province's 8.8/4.7/4.1/5.1;
# the 2024 values of 南昌 4.9, 赣州 5.4 and 宜春 6.1 are PUBLIC).
# gdp_t = round(gdp_{t-1} * (1 + g_t/100), 2), chained from GDP_2020.
GDP_GROWTH = by_city(
    [8.7, 4.2, 3.8, 4.9],  # 南昌 (2024 public)
    [8.9, 4.6, 4.0, 5.0],  # 景德镇
    [8.8, 4.5, 3.5, 4.6],  # 萍乡
    [9.4, 5.6, 5.4, 6.0],  # 九江 — grew faster than its expected 5% a year
    [9.0, 4.9, 3.7, 5.2],  # 新余
    [9.2, 4.7, 4.6, 5.3],  # 鹰潭
    [9.5, 4.8, 4.2, 5.4],  # 赣州 (2024 public)
    [9.1, 4.9, 4.3, 5.5],  # 吉安
    [9.0, 4.6, 3.9, 6.1],  # 宜春 (2024 public)
    [9.6, 5.8, 5.9, 6.4],  # 抚州 — grew faster than its expected 5% a year
    [9.3, 4.9, 4.8, 5.6],  # 上饶
)
# 2020 total energy consumption, 万吨标准煤 (ILLUSTRATIVE; Jiangxi ≈ 10,000).
ENERGY_2020 = by_city(1600.0, 450.0, 850.0, 1750.0, 1000.0, 450.0,
                      1100.0, 650.0, 1250.0, 450.0, 1050.0)
# 原料用能 share of 2020 total, % (ILLUSTRATIVE: 九江 petrochemicals, 新余 steel/coke, 萍乡 coking,
# 宜春 chemicals/lithium).
RAW_SHARE = by_city(3.0, 2.0, 5.0, 8.0, 6.0, 2.0, 2.0, 2.0, 4.0, 2.0, 3.0)
RAW_GROWTH = 3.0  # energy_raw_t = round(energy_raw_2020 * 1.03^(t-2020), 2)
# Yearly intensity reduction d_t in % for 2021..2024 (ILLUSTRATIVE, chosen per outcome):
#   I_t = I_{t-1} * (1 - d_t/100), I_2020 = (energy_total_2020 - energy_raw_2020) / gdp_2020,
#   energy_total_t = round(I_t * gdp_t + energy_raw_t, 2).
# So c ≈ 1 - Π(1 - d_t/100) and r ≈ d_2024/100 (up to the 2-decimal rounding of the CSV).
INTENSITY_CUT = by_city(
    [3.4, 3.0, 3.1, 3.3],  # 南昌   both met, incentive met
    [3.0, 2.9, 3.0, 3.2],  # 景德镇 both met, incentive NOT met
    [4.0, 3.8, 3.9, 1.6],  # 萍乡   cumulative only (annual 1.6 < 3.0)
    [3.0, 2.9, 3.0, 3.2],  # 九江   both met, incentive NOT met
    [1.0, 1.5, 2.2, 3.6],  # 新余   annual only (cumulative far behind) -> V1
    [3.3, 3.0, 3.1, 3.2],  # 鹰潭   both met
    [3.0, 2.8, 2.9, 3.0],  # 赣州   both met (T5 12.5)
    [0.8, 0.9, 1.2, 1.2],  # 吉安   neither -> V1
    [3.8, 3.5, 3.4, 3.6],  # 宜春   both met (T5 15.5)
    [3.5, 3.2, 3.3, 3.4],  # 抚州   both met, incentive met
    [3.0, 3.0, 3.0, 3.0],  # 上饶   both met, incentive NOT met
)
# Renewable power consumption (可再生能源电力消费量), 万吨标准煤 (ILLUSTRATIVE):
#   renewable_power_t = round(E_2020 * (share_2020 + step * (t-2020)) / 100, 2)
# with share_2020 and the yearly step in % of the city's 2020 total energy.
RENEW = by_city(
    (6.0, 0.9), (7.0, 0.8), (5.0, 0.7), (5.0, 0.5), (4.0, 0.1), (6.0, 0.8),
    (9.0, 1.0), (9.0, 0.1), (7.0, 0.9), (8.0, 0.3), (8.0, 1.0),
)


def f2(x: float) -> str:
    return f"{x:.2f}"


def build_energy():
    rows = []
    for city in CITIES:
        e0 = ENERGY_2020[city]
        raw0 = round(e0 * RAW_SHARE[city] / 100, 2)
        gdp = GDP_2020[city]
        intensity = (e0 - raw0) / gdp
        share, step = RENEW[city]
        for i, year in enumerate(YEARS):
            if i > 0:
                gdp = round(gdp * (1 + GDP_GROWTH[city][i - 1] / 100), 2)
                intensity *= 1 - INTENSITY_CUT[city][i - 1] / 100
            raw = round(raw0 * (1 + RAW_GROWTH / 100) ** i, 2)
            total = e0 if i == 0 else round(intensity * gdp + raw, 2)
            renew = round(e0 * (share + step * i) / 100, 2)
            rows.append([city, str(year), f2(total), f2(raw), f2(renew), f2(gdp)])
    return ["city", "year", "energy_total", "energy_raw", "renewable_power", "gdp"], rows


# =============================================================================================
# 2. targets.csv (set by the office for 2024; "" = indicator not applicable to the city)
# =============================================================================================
NA = None
T5 = by_city(14.0, 14.0, 14.5, 14.0, 14.5, 13.5, 12.5, 13.5, 15.5, 13.5, 14.0)  # 宜春, 赣州 public
T5_INC = {c: t + 0.5 for c, t in T5.items()}  # incentive = basic + 0.5 (public for 宜春 16, 赣州 13)
GDP_EXPECTED = by_city(6.5, 6.5, 6.0, 5.0, 5.0, 6.5, 7.0, 5.0, 7.0, 5.0, 6.5)  # gdp_growth, %/yr
A1_ANNUAL = by_city(2.8, 2.8, 3.0, 2.8, 3.0, 2.7, 2.6, 2.8, 3.1, 2.7, 2.8)
A2_ADJUST = by_city(0, 0, 0, 0, 0, 0, 0, 0, 50, 0, 0)  # 宜春: 50 万tce approved (illustrative)

# Five-year (2021–2025) key-project reductions in tonnes: each column sums to the province's
# total (NOx 27300, VOCs 14100, COD 84100, NH3-N 5500); 宜春's are PUBLIC, the rest ILLUSTRATIVE.
# The 2024 cumulative target is 4/5 of the five-year figure (A4..A7 below).
FIVE_YEAR = {
    "A4": by_city(3600, 1200, 2400, 4500, 3600, 1300, 2900, 1600, 2665, 1200, 2335),     # NOx
    "A5": by_city(2300, 700, 900, 2400, 900, 800, 1300, 900, 1920, 700, 1280),           # VOCs
    "A6": by_city(11000, 4000, 4500, 10000, 3500, 3200, 12000, 8000, 10088, 7000, 10812),  # COD
    "A7": by_city(800, 250, 300, 650, 220, 200, 800, 520, 653, 430, 677),                # NH3-N
}
PROVINCE_FIVE_YEAR = {"A4": 27300, "A5": 14100, "A6": 84100, "A7": 5500}
for _code, _shares in FIVE_YEAR.items():
    assert sum(_shares.values()) == PROVINCE_FIVE_YEAR[_code], _code

TARGETS = {
    # A3 规上工业单位增加值能耗累计降低 % (province 12% by 2025 → ~4/5)
    "A3": by_city(9.5, 9.5, 10.0, 9.5, 10.0, 9.0, 9.0, 9.0, 10.5, 9.0, 9.5),
    **{code: {c: round(v * K / 5, 1) for c, v in shares.items()} for code, shares in FIVE_YEAR.items()},
    # A8 非化石能源占比 % (赣州 27.4, 景德镇 12.8, 九江 17.7 are public 2025 targets → 2024 step)
    "A8": by_city(15.5, 12.2, 9.5, 17.0, 8.8, 13.5, 26.5, 24.0, 19.0, 21.0, 20.0),
    # A9 万元工业增加值用水量累计降低 % (province 18% by 2025)
    "A9": by_city(14.5, 14.0, 14.0, 14.5, 14.0, 14.0, 13.5, 14.0, 14.5, 14.0, 14.0),
    # A10 能效标杆水平产能比例 % (province > 30% by 2025)
    "A10": by_city(28.0, 26.0, 25.0, 28.0, 30.0, 26.0, 25.0, 25.0, 27.0, 25.0, 26.0),
    # B1 钢铁超低排放改造 万吨 — steel cities only (province 2390 by 2025)
    "B1": by_city(340.0, NA, 330.0, 520.0, 900.0, NA, NA, NA, NA, NA, NA),
    # B2 污水管网 km — sums to 3200 = 4/5 of the province's 4000 km
    "B2": by_city(560.0, 150.0, 170.0, 360.0, 130.0, 120.0, 520.0, 300.0, 380.0, 220.0, 290.0),
    # B3 垃圾焚烧能力 吨/日 (province 36000 by 2025)
    "B3": by_city(6000.0, 1500.0, 1500.0, 3000.0, 1200.0, 1000.0, 5000.0, 2400.0, 3000.0, 2000.0, 3000.0),
    # B4 污水处理新建改造 万m³/日 — sums to 68 = 4/5 of the province's 85
    "B4": by_city(14.0, 3.5, 4.0, 8.0, 3.0, 3.0, 10.0, 5.5, 7.0, 4.5, 5.5),
    # B5 管网漏损率 % (lower is better; province 9% by 2025)
    "B5": by_city(9.5, 9.5, 10.0, 9.5, 10.0, 9.5, 9.8, 10.0, 9.5, 9.8, 9.8),
    "B6": by_city(72.0, 68.0, 66.0, 70.0, 66.0, 65.0, 70.0, 66.0, 68.0, 65.0, 68.0),  # 公交新能源 (72)
    "B7": by_city(11.0, 8.0, 10.0, 20.0, 12.0, 14.0, 9.0, 10.0, 12.0, 9.0, 12.0),     # 水铁货运 (15)
    "B8": by_city(38.0, 35.0, 33.0, 37.0, 36.0, 33.0, 36.0, 35.0, 36.0, 34.0, 35.0),  # 农村污水 (40)
    "B9": by_city(94.0, 94.0, 93.0, 94.0, 93.0, 94.0, 94.0, 95.0, 94.0, 94.0, 94.0),  # 秸秆 (95)
    "B10": by_city(82.0, 80.0, 80.0, 80.0, 80.0, 80.0, 82.0, 82.0, 82.0, 80.0, 81.0),  # 畜禽粪污 (80)
    "B11": by_city(92.0, 90.0, 90.0, 90.0, 90.0, 90.0, 90.0, 90.0, 90.0, 90.0, 90.0),  # 污泥 (90)
    # B12 码头岸电覆盖率 % — port cities on the Yangtze / 赣江 / 信江 only (province 100 by 2025)
    "B12": by_city(90.0, NA, NA, 92.0, NA, NA, 85.0, 85.0, 85.0, NA, 85.0),
    "B13": by_city(84.0, 84.0, 83.0, 84.0, 83.0, 84.0, 84.0, 84.0, 84.0, 84.0, 84.0),  # 农膜 (85)
    "B14": by_city(42.0, 42.0, 42.0, 42.0, 42.0, 42.0, 42.0, 42.0, 42.0, 42.0, 42.0),  # 化肥 (43)
    "B15": by_city(42.0, 42.0, 42.0, 42.0, 42.0, 42.0, 42.0, 42.0, 42.0, 42.0, 42.0),  # 农药 (43)
    "B16": by_city(53.0, 52.0, 52.0, 53.0, 52.0, 52.0, 53.0, 53.0, 53.0, 52.0, 53.0),  # 绿色防控 (55)
    "B17": by_city(48.0, 47.0, 47.0, 48.0, 47.0, 47.0, 48.0, 48.0, 48.0, 47.0, 48.0),  # 统防统治 (50)
    "B18": by_city(80.0, 75.0, 72.0, 78.0, 72.0, 72.0, 76.0, 72.0, 76.0, 72.0, 75.0),  # 节约型机关 (80)
}
IND_CODES = ["A3", "A4", "A5", "A6", "A7", "A8", "A9", "A10"] + [f"B{i}" for i in range(1, 19)]


def build_targets():
    header = ["city", "T5", "T5_inc", "gdp_growth", "A1_annual", "A2_adjust"] + IND_CODES
    rows = []
    for city in CITIES:
        row = [city, f2(T5[city]), f2(T5_INC[city]), f2(GDP_EXPECTED[city]),
               f2(A1_ANNUAL[city]), f2(A2_ADJUST[city])]
        row += ["" if TARGETS[c][city] is None else f2(TARGETS[c][city]) for c in IND_CODES]
        rows.append(row)
    return header, rows


# =============================================================================================
# 3. indicators.csv (reported for 2024; ALL ILLUSTRATIVE). "" where the target is "" (N/A).
# =============================================================================================
ACTUALS = {
    "A3": by_city(10.2, 9.0, 10.5, 10.1, 9.6, 8.0, 8.0, 7.6, 11.0, 9.8, 6.5),
    # A4..A7 cumulative reductions, t: 鹰潭's A6 (COD) is below target → G1 cap.
    "A4": by_city(3050.0, 1010.0, 1980.0, 3720.0, 2950.0, 1100.0, 2400.0, 1300.0, 2210.0, 1010.0, 1870.0),
    "A5": by_city(1900.0, 600.0, 740.0, 2000.0, 760.0, 660.0, 1100.0, 700.0, 1580.0, 590.0, 1050.0),
    "A6": by_city(9100.0, 3300.0, 3700.0, 8300.0, 2900.0, 2380.0, 9900.0, 6500.0, 8300.0, 5800.0, 8700.0),
    "A7": by_city(670.0, 210.0, 250.0, 540.0, 180.0, 165.0, 660.0, 420.0, 540.0, 355.0, 550.0),
    "A8": by_city(16.1, 11.0, 9.7, 17.4, 8.1, 12.5, 26.0, 22.5, 19.8, 21.5, 15.0),
    "A9": by_city(14.0, 12.5, 13.0, 14.8, 12.5, 12.0, 12.0, 11.0, 15.1, 14.6, 11.0),
    # A10 threshold: 新余, 吉安 and 上饶 below target (f = 0)
    "A10": by_city(30.5, 27.0, 25.5, 29.0, 27.5, 26.8, 26.0, 22.0, 28.0, 26.5, 24.0),
    "B1": by_city(360.0, NA, 335.0, 530.0, 860.0, NA, NA, NA, NA, NA, NA),
    "B2": by_city(580.0, 125.0, 175.0, 370.0, 120.0, 110.0, 450.0, 250.0, 395.0, 230.0, 180.0),
    "B3": by_city(6200.0, 1300.0, 1400.0, 3100.0, 1200.0, 900.0, 4600.0, 2000.0, 3100.0, 2100.0, 2000.0),
    "B4": by_city(14.5, 3.6, 3.8, 8.2, 2.8, 3.1, 10.3, 4.6, 7.4, 4.6, 3.8),
    # B5 lower_step: 萍乡 exactly at target; 上饶 +0.70 (n = 2, f 0.5); 新余 +0.30 (n = 1, f 0.75)
    "B5": by_city(8.6, 9.1, 10.0, 9.2, 10.3, 9.3, 9.5, 9.9, 9.0, 9.4, 10.5),
    "B6": by_city(74.0, 60.0, 64.0, 71.0, 60.0, 58.0, 64.0, 58.0, 70.0, 67.0, 52.0),
    "B7": by_city(10.5, 8.3, 9.5, 21.0, 11.0, 12.0, 7.5, 8.0, 12.4, 9.3, 8.5),
    "B8": by_city(39.0, 30.0, 34.0, 37.5, 33.0, 30.0, 32.0, 30.0, 37.0, 35.0, 22.0),
    "B9": by_city(94.5, 90.0, 93.5, 94.6, 92.0, 90.0, 94.3, 93.0, 95.2, 94.8, 88.0),
    "B10": by_city(83.0, 80.5, 80.2, 81.0, 78.0, 80.6, 78.0, 80.0, 83.0, 81.5, 72.0),
    "B11": by_city(93.0, 85.0, 91.0, 92.0, 88.0, 85.0, 91.0, 86.0, 92.0, 91.0, 82.0),
    "B12": by_city(92.0, NA, NA, 95.0, NA, NA, 86.0, 80.0, 88.0, NA, 65.0),
    "B13": by_city(85.0, 84.5, 83.5, 84.2, 82.0, 84.0, 80.0, 82.0, 85.0, 84.6, 74.0),
    "B14": by_city(42.5, 42.1, 42.2, 42.3, 41.0, 42.4, 42.6, 41.0, 42.8, 42.2, 40.0),
    "B15": by_city(42.4, 42.0, 42.1, 42.5, 41.2, 42.3, 42.5, 40.5, 42.7, 42.3, 39.0),
    "B16": by_city(54.0, 52.5, 52.3, 53.5, 50.0, 52.4, 53.6, 50.0, 54.0, 52.6, 45.0),
    "B17": by_city(49.0, 47.4, 47.5, 48.2, 45.0, 47.3, 48.3, 44.0, 48.5, 47.6, 36.0),
    "B18": by_city(82.0, 65.0, 73.0, 79.0, 70.0, 72.5, 70.0, 68.0, 78.0, 73.0, 55.0),
}
REVIEW_POINTS = {"C1": 3, "C2": 5, "C3": 4, "C4": 3, "C5": 3, "C6": 2}
REVIEW = {  # reviewers' points (C2 as awarded before the §5 deductions)
    "C1": by_city(3.0, 2.0, 2.5, 3.0, 2.5, 2.0, 2.5, 2.0, 3.0, 3.0, 1.5),
    "C2": by_city(5.0, 4.5, 4.5, 5.0, 4.0, 4.5, 4.0, 3.5, 5.0, 4.5, 4.0),
    "C3": by_city(4.0, 3.5, 3.5, 4.0, 3.0, 3.0, 3.0, 3.0, 4.0, 3.5, 2.5),
    "C4": by_city(3.0, 2.0, 2.5, 3.0, 2.5, 2.0, 2.5, 2.0, 3.0, 2.5, 1.5),
    "C5": by_city(2.5, 2.0, 2.5, 3.0, 2.0, 2.0, 1.5, 2.0, 3.0, 2.5, 1.5),
    "C6": by_city(2.0, 1.5, 1.5, 2.0, 1.5, 1.0, 1.5, 1.5, 2.0, 2.0, 0.5),
}
COUNTS = {
    "C2_unapproved": by_city(0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0),  # 能评未批先建: 景德镇, 新余
    "C2_lianggao": by_city(0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1),    # 违规"两高": 吉安, 上饶
    "D1": by_city(4, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0),             # 南昌 4 → capped at 3 points
    "D2": by_city(2, 0, 0, 4, 0, 0, 0, 0, 5, 2, 0),             # 九江 4, 宜春 5 → capped at 2 points
    "fraud": by_city(0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0),          # 赣州 → V2
}


def build_indicators():
    header = ["city"] + IND_CODES + list(REVIEW) + ["C2_unapproved", "C2_lianggao", "D1", "D2", "fraud"]
    rows = []
    for city in CITIES:
        row = [city]
        for code in IND_CODES:
            value = ACTUALS[code][city]
            # a value is reported exactly where the indicator applies (target not empty)
            assert (value is None) == (TARGETS[code][city] is None), (city, code)
            row.append("" if value is None else f2(value))
        row += [f2(REVIEW[c][city]) for c in REVIEW]
        row += [str(COUNTS[c][city]) for c in ["C2_unapproved", "C2_lianggao", "D1", "D2", "fraud"]]
        rows.append(row)
    return header, rows


# =============================================================================================
# 4. Scoring re-implemented from RULEBOOK §2/§5 (independent of jxscore) + intended outcomes
# =============================================================================================
WEIGHTS = {"A1": 20, "A2": 5, "A3": 4, "A4": 4, "A5": 3, "A6": 4, "A7": 3, "A8": 3, "A9": 2, "A10": 2,
           "B1": 3, "B2": 3, "B3": 3, "B4": 2, **{f"B{i}": 2 for i in range(5, 12)},
           "B12": 1, "B13": 1, "B14": 0.5, "B15": 0.5, "B16": 0.5, "B17": 0.5, "B18": 1}
assert sum(w for c, w in WEIGHTS.items() if c[0] == "A") == 50
assert sum(w for c, w in WEIGHTS.items() if c[0] == "B") == 30
GRADES = [("超额完成", 95), ("完成", 80), ("基本完成", 60), ("未完成", 0)]
R9 = lambda x: round(x, 9)  # noqa: E731  — every threshold test rounds both sides to 9 decimals


def num(s: str):
    return None if s == "" else float(s)


# ---- RULEBOOK §8: key-project verification (projects.csv) ----------------------------------------
POLLUTANT_INDICATOR = {"NOx": "A4", "VOCs": "A5", "COD": "A6", "NH3N": "A7"}
GB32100_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # value = position; no I, O, S, V, Z
GB32100_WEIGHTS = [3 ** i % 31 for i in range(17)]  # 1, 3, 9, 27, 19, 26, 16, ... (3^(i) mod 31)
assert GB32100_WEIGHTS == [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def credit_code_ok(code: str) -> bool:
    if len(code) != 18 or not set(code) <= set(GB32100_CHARS):
        return False
    weighted = sum(GB32100_CHARS.index(ch) * w for ch, w in zip(code, GB32100_WEIGHTS))
    return GB32100_CHARS.index(code[17]) == (31 - weighted % 31) % 31


def verify_projects(projects):
    """§8 on the rows of projects.csv (header, rows): returns (sums, findings).
    sums[(city, indicator)] = Σ reduction of the kept rows; findings = [(city, code, key, detail)] where
    detail is the kept project_id for P-DUP (and "city"/"year"/"same" for how it was claimed again)."""
    rows = [dict(zip(projects[0], r)) for r in projects[1]]
    findings, survivors = [], []
    for r in rows:
        codes = []
        if not credit_code_ok(r["uscc"]):
            codes.append("P-USCC")
        if int(r["completion_date"][:4]) > int(r["count_year"]):
            codes.append("P-LATE")
        if r["evidence"].strip() == "":
            codes.append("P-EVID")
        findings += [(r["city"], c, r["project_id"], "") for c in codes]
        if not codes:
            survivors.append(r)
    # 重复计算: one project = (uscc, facility, pollutant); the earliest by (count_year, completion_date,
    # project_id as text) is kept, every later one is excluded
    first: dict[tuple, dict] = {}
    kept = []
    for r in sorted(survivors, key=lambda r: (int(r["count_year"]), r["completion_date"], r["project_id"])):
        key = (r["uscc"], r["facility"], r["pollutant"])
        if key in first:
            k = first[key]
            how = "city" if k["city"] != r["city"] else "year" if k["count_year"] != r["count_year"] else "same"
            findings.append((r["city"], "P-DUP", r["project_id"], f"{k['project_id']} {how}"))
        else:
            first[key] = r
            kept.append(r)
    sums: dict[tuple, list] = {}
    for r in kept:
        sums.setdefault((r["city"], POLLUTANT_INDICATOR[r["pollutant"]]), []).append(float(r["reduction"]))
    return {k: math.fsum(v) for k, v in sums.items()}, findings


def reconcile(claim: float, verified: float):
    """§8: tol = max(0.5, 0.1 %·S), compared at 9 decimals → (value scored, finding code or None)."""
    tol = max(0.5, 0.001 * verified)
    if R9(claim) > R9(verified + tol):
        return verified, "R-OVER"
    if R9(claim) < R9(verified - tol):
        return claim, "R-UNDER"
    return claim, None


# ---- RULEBOOK §9: expert panels (reviews.csv) ------------------------------------------------------
def panels(reviews):
    """{(city, item): (value, spread?)}: n ≥ 5 → drop one highest and one lowest, mean of the rest;
    n = 3, 4 → the plain mean; spread? when max − min > 0.4 × the item's points."""
    scores: dict[tuple, list] = {}
    for city, item, _expert, pts in reviews[1]:
        scores.setdefault((city, item), []).append(float(pts))
    out = {}
    for (city, item), xs in scores.items():
        xs = sorted(xs)
        assert len(xs) >= 3 and all(0 <= x <= REVIEW_POINTS[item] for x in xs), (city, item)
        used = xs[1:-1] if len(xs) >= 5 else xs
        out[city, item] = (sum(used) / len(used), R9(xs[-1] - xs[0]) > R9(0.4 * REVIEW_POINTS[item]))
    return out


def score(energy, indicators, targets, projects=None, reviews=None):
    """Return {city: dict of intermediate numbers} computed from the formatted CSV rows.
    With `projects` and/or `reviews` (header, rows) §8/§9 are applied first (res[city]["findings"])."""
    en = {(r[0], int(r[1])): tuple(map(float, r[2:])) for r in energy}
    ind = {r[0]: dict(zip(indicators[0], r)) for r in indicators[1]}
    tg = {r[0]: dict(zip(targets[0], r)) for r in targets[1]}
    sums, p_findings = verify_projects(projects) if projects is not None else ({}, [])
    panel = panels(reviews) if reviews is not None else {}
    res = {}
    for city in CITIES:
        t, v = tg[city], dict(ind[city])
        findings = [(code, key, detail) for c_, code, key, detail in p_findings if c_ == city]
        if projects is not None:
            for code in POLLUTANT_INDICATOR.values():
                if t[code] != "":  # only applicable indicators are reconciled; no kept rows → S = 0
                    scored, finding = reconcile(float(v[code]), sums.get((city, code), 0.0))
                    v[code] = repr(scored)
                    if finding:
                        findings.append((finding, code, ""))
        c_mismatch = []
        if reviews is not None:
            for item in REVIEW_POINTS:
                value, spread = panel[city, item]
                if v[item] != "" and abs(float(v[item]) - value) > 0.005:
                    c_mismatch.append(item)  # the engine warns and takes the experts' value
                v[item] = repr(value)
                if spread:
                    findings.append(("C-SPREAD", item, ""))
        T5_, T5i = float(t["T5"]), float(t["T5_inc"])
        g, a1, adj = float(t["gdp_growth"]), float(t["A1_annual"]), float(t["A2_adjust"] or 0)
        (e0, raw0, rp0, gdp0), (e1, raw1, _, gdp1), (e4, raw4, rp4, gdp4) = \
            en[city, 2020], en[city, Y - 1], en[city, Y]
        I0, I1, I4 = (e0 - raw0) / gdp0, (e1 - raw1) / gdp1, (e4 - raw4) / gdp4
        c = 1 - I4 / I0
        r = 1 - I4 / I1
        p = math.log(1 - c) / math.log(1 - T5_ / 100) if c > 0 else min(0.0, c)
        p_inc = math.log(1 - c) / math.log(1 - T5i / 100) if c > 0 else min(0.0, c)
        cum_met = c > 0 and R9(p) >= R9(K / 5)
        ann_met = R9(100 * r) >= R9(a1)
        inc_met = c > 0 and R9(p_inc) >= R9(K / 5)
        f = {"A1": {(True, True): 1.0, (True, False): 0.7, (False, True): 0.4,
                    (False, False): 0.0}[cum_met, ann_met]}
        eh0 = e0 - raw0
        eh4 = e4 - raw4 - max(0.0, rp4 - rp0)
        allowance = eh0 * (1 + g / 100) ** K * (1 - T5_ / 100) ** (K / 5) + adj
        over = eh4 / allowance - 1
        f_a2_raw = 1.0 if R9(over) <= 0 else 0.6 if R9(over) <= 0.05 else 0.2 if R9(over) <= 0.10 else 0.0
        f["A2"] = 1.0 if inc_met else f_a2_raw
        for code in IND_CODES:
            tv, av = num(t[code]), num(v[code])
            if tv is None:
                continue
            if code == "A10":
                f[code] = 1.0 if R9(av) >= R9(tv) else 0.0
            elif code == "B5":
                if R9(av) <= R9(tv):
                    f[code] = 1.0
                else:
                    n = math.ceil(R9((av - tv) / 0.5))
                    f[code] = max(0.0, 1 - 0.25 * n)
            else:
                f[code] = min(1.0, max(0.0, av / tv))
        f = {k_: R9(x) for k_, x in f.items()}
        cat = {}
        for letter, pts in (("A", 50), ("B", 30)):
            codes = [k_ for k_ in f if k_[0] == letter]
            cat[letter] = pts * sum(WEIGHTS[k_] * f[k_] for k_ in codes) / sum(WEIGHTS[k_] for k_ in codes)
        c2 = max(0.0, float(v["C2"]) / 5 - 0.2 * int(v["C2_unapproved"]) - 0.4 * int(v["C2_lianggao"]))
        cat["C"] = sum(float(v[k_]) for k_ in ("C1", "C3", "C4", "C5", "C6")) + 5 * R9(c2)
        cat["D"] = min(5.0, min(3.0, 1.0 * int(v["D1"])) + min(2.0, 0.5 * int(v["D2"])))
        for k_ in REVIEW:
            assert 0 <= float(v[k_]) <= REVIEW_POINTS[k_], (city, k_)
        raw_total = cat["A"] + cat["B"] + cat["C"] + cat["D"]
        total = float(Decimal(repr(round(raw_total, 6))).quantize(Decimal("0.01"), ROUND_HALF_UP))
        base = next(name for name, lo in GRADES if total >= lo)
        order = [name for name, _ in GRADES]
        grade, caps, vetoes = base, [], []
        g1 = [k_ for k_ in ("A4", "A5", "A6", "A7") if f[k_] < 1]
        if g1:
            caps.append("G1")
            grade = order[max(order.index(grade), order.index("基本完成"))]
        if f_a2_raw < 1 and not inc_met:
            caps.append("G2")
            grade = order[max(order.index(grade), order.index("完成"))]
        if not cum_met:
            vetoes.append("V1")
        if int(v["fraud"]) == 1:
            vetoes.append("V2")
        if vetoes:
            grade = "未完成"
        res[city] = dict(c=c, r=r, p=p, p_inc=p_inc, cum=cum_met, ann=ann_met, inc=inc_met,
                         eh0=eh0, eh4=eh4, allowance=allowance, over=over, a2_raw=f_a2_raw,
                         f=f, cat=cat, c2f=R9(c2), total=total, base=base, grade=grade,
                         caps=caps, vetoes=vetoes, g1=g1, a1_annual=a1, findings=sorted(findings),
                         c_mismatch=c_mismatch, verified=projects is not None and reviews is not None)
    # rank: grade, total desc, A desc, p desc (6 decimals), code asc
    order = [name for name, _ in GRADES]
    ranked = sorted(CITIES, key=lambda cc: (order.index(res[cc]["grade"]), -res[cc]["total"],
                                            -round(res[cc]["cat"]["A"], 6), -round(res[cc]["p"], 6),
                                            CODES[cc]))
    for i, cc in enumerate(ranked, 1):
        res[cc]["rank"] = i
    return res


# Intended outcome per city (data/README.md has the same table).
EXPECT = {
    #        A1 f  A2 f(raw) exempt  caps          vetoes        base grade   final grade
    "南昌": (1.0, 1.0, True, [], [], "超额完成", "超额完成"),
    "景德镇": (1.0, 1.0, False, [], [], "完成", "完成"),
    "萍乡": (0.7, 1.0, True, [], [], "完成", "完成"),
    "九江": (1.0, 0.6, False, ["G2"], [], "超额完成", "完成"),
    "新余": (0.4, 0.2, False, ["G2"], ["V1"], "基本完成", "未完成"),
    "鹰潭": (1.0, 1.0, True, ["G1"], [], "完成", "基本完成"),
    "赣州": (1.0, 1.0, True, [], ["V2"], "完成", "未完成"),
    "吉安": (0.0, 0.0, False, ["G1", "G2"], ["V1"], "基本完成", "未完成"),
    "宜春": (1.0, 1.0, True, [], [], "超额完成", "超额完成"),
    "抚州": (1.0, 0.6, True, [], [], "超额完成", "超额完成"),
    "上饶": (1.0, 1.0, False, [], [], "基本完成", "基本完成"),
}


# With the verification sample (projects.csv, reviews.csv from make_verification.py) 抚州's NOx
# projects add up to 816 t only (claim 1010, target 960): R-OVER, A4 f = 0.85 → G1 → 基本完成.
EXPECT_VERIFIED = {**EXPECT, "抚州": (1.0, 0.6, True, ["G1"], [], "超额完成", "基本完成")}
# The findings planted by make_verification.py: (code, key, detail) per city; the detail of a P-DUP
# names the kept project and how it was claimed again (another city / another year).
EXPECT_FINDINGS = {
    "南昌": [("P-DUP", "XM3601026", "XM3601013 year")],
    "九江": [("R-UNDER", "A5", "")],
    "吉安": [("C-SPREAD", "C2", ""), ("P-EVID", "XM3608026", "")],
    "宜春": [("P-DUP", "XM3609028", "XM3603003 city")],
    "抚州": [("P-LATE", "XM3610026", ""), ("R-OVER", "A4", "")],
    "上饶": [("P-USCC", "XM3611031", "")],
}


def check(res):
    verified = res[CITIES[0]]["verified"]
    expect = EXPECT_VERIFIED if verified else EXPECT
    for city, (fa1, fa2raw, exempt, caps, vetoes, base, grade) in expect.items():
        x = res[city]
        ctx = (city, {k_: x[k_] for k_ in ("c", "r", "p", "p_inc", "over", "total", "caps", "vetoes")})
        assert x["f"]["A1"] == fa1, ctx
        assert x["a2_raw"] == fa2raw, ctx
        assert x["inc"] == exempt, ctx
        assert x["caps"] == caps, ctx
        assert x["vetoes"] == vetoes, ctx
        assert x["base"] == base, ctx
        assert x["grade"] == grade, ctx
        # keep away from every boundary (the engine's tests cover exact boundaries)
        assert abs(x["p"] - 0.8) >= 0.005 and abs(x["p_inc"] - 0.8) >= 0.005, ctx
        assert abs(100 * x["r"] - x["a1_annual"]) >= 0.05, ctx
        assert all(abs(x["over"] - e) >= 0.005 for e in (0, 0.05, 0.10)), ctx
        assert all(abs(x["total"] - e) >= 0.01 for _, e in GRADES[:3]), ctx
    # rule coverage demanded by the brief
    exempt_over = [c for c in CITIES if res[c]["inc"] and res[c]["over"] > 0]
    assert exempt_over == ["抚州"], exempt_over
    assert res["九江"]["total"] >= 95  # G2 really bites (would be 超额完成)
    assert res["鹰潭"]["g1"] == ["A6"] and res["鹰潭"]["total"] >= 80  # G1 really bites
    if verified:
        assert {c: res[c]["findings"] for c in CITIES if res[c]["findings"]} == EXPECT_FINDINGS
        assert all(res[c]["c_mismatch"] == [] for c in CITIES)  # the panels agree with indicators.csv
        # 抚州: A4 scored with S = 816 → f 0.85, A 50 − 4·0.15 = 49.4, total 99.40 ≥ 95, G1 bites
        assert res["抚州"]["g1"] == ["A4"] and res["抚州"]["f"]["A4"] == 0.85 and res["抚州"]["total"] == 99.4
    assert res["新余"]["f"]["B5"] == 0.75 and res["上饶"]["f"]["B5"] == 0.5 and res["萍乡"]["f"]["B5"] == 1.0
    assert float(ACTUALS["B5"]["萍乡"]) == TARGETS["B5"]["萍乡"]  # exactly at target
    assert [c for c in CITIES if res[c]["f"]["A10"] == 0] == ["新余", "吉安", "上饶"]
    assert res["景德镇"]["c2f"] == 0.7 and res["上饶"]["c2f"] == 0.4 and res["吉安"]["c2f"] == 0.3
    assert res["南昌"]["cat"]["D"] == 4.0 and res["九江"]["cat"]["D"] == 3.0 and res["宜春"]["cat"]["D"] == 3.0
    grades = [res[c]["grade"] for c in CITIES]
    assert {g: grades.count(g) for g in dict(GRADES)} == (
        {"超额完成": 2, "完成": 3, "基本完成": 3, "未完成": 3} if verified
        else {"超额完成": 3, "完成": 3, "基本完成": 2, "未完成": 3})
    assert sorted(res[c]["rank"] for c in CITIES) == list(range(1, 12))


def write_csv(name, header, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    (OUT / name).write_text(buf.getvalue(), encoding="utf-8", newline="")


def report(res):
    print("city   A1f  c        r(%)    p        p_inc    A2raw exempt over      allowance  "
          "A        B        C      D    total  base     grade    caps   vetoes rank")
    for city in CITIES:
        x = res[city]
        print(f"{city:<4} {x['f']['A1']:.1f}  {x['c']:.6f} {100 * x['r']:.4f}  {x['p']:.6f} {x['p_inc']:.6f} "
              f"{x['a2_raw']:.1f}   {str(x['inc']):<6} {x['over']:+.6f} {x['allowance']:.2f}  "
              f"{x['cat']['A']:.4f}  {x['cat']['B']:.4f}  {x['cat']['C']:.2f}  {x['cat']['D']:.1f}  "
              f"{x['total']:.2f}  {x['base']:<6} {x['grade']:<6} {';'.join(x['caps']):<6} "
              f"{';'.join(x['vetoes']):<6} {x['rank']}")


def read_csv(name):
    with open(OUT / name, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def main(argv):
    energy = build_energy()
    targets = build_targets()
    indicators = build_indicators()
    for _, _year, total, raw, renew, gdp in energy[1]:
        assert float(gdp) > 0 and float(raw) >= 0 and float(renew) >= 0 and float(total) > float(raw)
    res = score(energy[1], indicators, targets)
    if "--check" in argv:
        print("Without the verification tables (energy, indicators, targets only):")
        report(res)
    check(res)
    write_csv("energy.csv", *energy)
    write_csv("targets.csv", *targets)
    write_csv("indicators.csv", *indicators)
    print(f"wrote energy.csv ({len(energy[1])} rows), targets.csv, indicators.csv to {OUT}")
    if (OUT / "projects.csv").exists() and (OUT / "reviews.csv").exists():
        res = score(energy[1], indicators, targets, read_csv("projects.csv"), read_csv("reviews.csv"))
        if "--check" in argv:
            print("With projects.csv and reviews.csv (RULEBOOK §8, §9):")
            report(res)
            for city in CITIES:
                for code, key, detail in res[city]["findings"]:
                    print(f"  {city:<4} {code:<9} {key:<10} {detail}")
        check(res)  # fails if the verification sample no longer fits: run data/make_verification.py


if __name__ == "__main__":
    main(sys.argv[1:])
