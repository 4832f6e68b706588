"""The barometer (晴雨表, RULEBOOK §10): warning levels within the year from year-to-date figures.

For period P of year Y and each city, from its (Y, P) and (Y − 1, P) rows and its targets:

- intensity I = (energy_total − energy_raw)/gdp, r = 1 − I(Y,P)/I(Y−1,P), gap g = A1_annual − 100·r
  (percentage points): 绿 if g ≤ 0; 黄 if 0 < g ≤ 0.1·A1_annual and r > 0; 红 otherwise;
- Ê(Y,P) = energy_total − energy_raw − max(0, renewable_power(Y,P) − renewable_power(Y−1,P)),
  Ê(Y−1,P) = energy_total − energy_raw; G = Ê(Y,P)/Ê(Y−1,P) − 1;
  g* = (1 + gdp_growth/100)·(1 − T5/100)^(1/5) − 1: 绿 if G ≤ g*; 黄 if G − g* ≤ 0.1·|g*|; 红 otherwise;
- level = the worse of the two; a red intensity level with r ≤ 0 carries RISE_ADVICE.

Every comparison rounds both sides to the scheme's compare decimals (§2), in those units (g and 100·r
in percentage points, G and g* as fractions). Pure and vectorised over the cities; warnings never
change a score (nothing here is read by the engine).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from jxscore.core.criteria import Criteria
from jxscore.core.inputs import Progress
from jxscore.core.rules import barometer_names

GREEN, YELLOW, RED = "绿", "黄", "红"
LEVELS = (GREEN, YELLOW, RED)  # best first: the worse of two levels is the larger index
RISE_ADVICE = "能耗强度不降反升，暂停'两高'项目节能审查"
PERIOD_NAMES = {"Q1": "一季度", "H1": "上半年", "Q3": "前三季度"}
PERIOD_MONTHS = {"Q1": 3, "H1": 6, "Q3": 9}  # year to date: January … the period's last month

COLUMNS = ("city", "city_code", "year", "period", "intensity", "intensity_prev", "r", "A1_annual", "gap",
           "level_intensity", "E_adj", "E_adj_prev", "G", "g_star", "level_total", "level", "advice")


def intensity_levels(r: np.ndarray, a1: np.ndarray, dec: int = 9) -> np.ndarray:
    """0 绿 / 1 黄 / 2 红 per city from the reduction r (a fraction) and the annual target A1 (%)."""
    g = np.round(a1 - 100.0 * r, dec)
    green = g <= 0
    yellow = ~green & (g <= np.round(0.1 * a1, dec)) & (np.round(100.0 * r, dec) > 0)
    return np.where(green, 0, np.where(yellow, 1, 2))


def total_levels(growth: np.ndarray, allowed: np.ndarray, dec: int = 9) -> np.ndarray:
    """0 绿 / 1 黄 / 2 红 per city from the adjusted consumption growth G and the allowed growth g*."""
    green = np.round(growth, dec) <= np.round(allowed, dec)
    yellow = ~green & (np.round(growth - allowed, dec) <= np.round(0.1 * np.abs(allowed), dec))
    return np.where(green, 0, np.where(yellow, 1, 2))


def allowed_growth(gdp_growth: np.ndarray, t5: np.ndarray, plan_years: int = 5) -> np.ndarray:
    """g* = (1 + gdp_growth/100)·(1 − T5/100)^(1/plan_years) − 1."""
    return (1.0 + gdp_growth / 100.0) * (1.0 - t5 / 100.0) ** (1.0 / plan_years) - 1.0


@dataclass(frozen=True)
class Barometer:
    """The barometer of one period: one row per city in the scheme's order (full precision)."""

    year: int
    period: str
    table: pd.DataFrame  # COLUMNS; levels as 绿/黄/红

    def frame(self, decimals: int = 9) -> pd.DataFrame:
        """barometer.csv: numbers rounded to `decimals` (no float noise, no −0)."""
        out = self.table.copy()
        for k in out.columns:
            if out[k].dtype == float:
                out[k] = out[k].round(decimals) + 0.0
        return out

    def count(self, level: str) -> int:
        return int((self.table["level"] == level).sum())


def barometer(p: Progress, criteria: Criteria) -> Barometer:
    """Levels and advice for every city from validated progress inputs (jxscore.core.inputs.validate_progress)."""
    c = criteria
    dec = c.scheme.compare_decimals
    ents = c.entity_names
    cur, prev, tg = p.current.loc[ents], p.previous.loc[ents], p.targets.loc[ents]
    n = barometer_names(c)  # the columns as the scheme's A1 and A2 rules name them
    en = n.energy

    def net(f: pd.DataFrame) -> np.ndarray:
        return f[en.total].to_numpy(float) - f[en.raw].to_numpy(float)

    i_cur = net(cur) / cur[en.gdp].to_numpy(float)
    i_prev = net(prev) / prev[en.gdp].to_numpy(float)
    r = 1.0 - i_cur / i_prev
    a1 = tg[n.annual].to_numpy(float)
    gap = a1 - 100.0 * r
    li = intensity_levels(r, a1, dec)
    new_re = np.maximum(0.0, cur[en.renewable].to_numpy(float) - prev[en.renewable].to_numpy(float))
    e_cur, e_prev = net(cur) - new_re, net(prev)
    growth = e_cur / e_prev - 1.0
    allowed = allowed_growth(tg[n.growth].to_numpy(float), tg[n.target].to_numpy(float), c.scheme.plan_years)
    lt = total_levels(growth, allowed, dec)
    level = np.maximum(li, lt)
    rose = (li == 2) & (np.round(100.0 * r, dec) <= 0)
    advice = [_advice(bool(rose[k]), int(li[k]), int(lt[k]), 100.0 * r[k], a1[k], gap[k], i_prev[k] * (1 - a1[k] / 100),
                      growth[k], allowed[k], e_prev[k] * (1.0 + allowed[k]))
              for k in range(len(ents))]
    table = pd.DataFrame({
        "city": ents, "city_code": [e.code for e in c.entities], "year": p.year, "period": p.period,
        "intensity": i_cur, "intensity_prev": i_prev, "r": r, "A1_annual": a1, "gap": gap,
        "level_intensity": [LEVELS[k] for k in li], "E_adj": e_cur, "E_adj_prev": e_prev, "G": growth,
        "g_star": allowed, "level_total": [LEVELS[k] for k in lt], "level": [LEVELS[k] for k in level],
        "advice": advice}, columns=list(COLUMNS))
    return Barometer(p.year, p.period, table)


def _advice(rose: bool, li: int, lt: int, cut: float, a1: float, gap: float, i_green: float, growth: float,
            allowed: float, ceiling: float) -> str:
    """What turns the light green, in the figures' own units; empty for a green city."""
    parts = []
    if rose:
        parts.append(RISE_ADVICE)
    elif li:
        parts.append(f"能耗强度降低{cut:.2f}%，差年度目标{gap:.2f}个百分点，需降至{i_green:.4f}吨标准煤/万元以下")
    if lt:
        parts.append(f"扣除新增可再生能源电力后能耗增长{100 * growth:.2f}%，超过允许的{100 * allowed:.2f}%，"
                     f"需控制在{ceiling:.2f}万吨标准煤以内")
    return "；".join(parts)
