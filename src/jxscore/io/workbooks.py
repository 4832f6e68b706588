"""The reporting workbooks' layout: a stable, documented contract between `jxscore template` (which
writes them), the cities (who fill them), office scripts, and `jxscore collect` (which reads them back).

City workbook `<slug>.xlsx` — only what the city reports:
  填报说明  instructions (free text)
  能源      row 1: ENERGY_HEADERS; one row per year, base year … Y (年份 pre-filled, locked)
  指标      row 1: INDICATOR_HEADERS; one row per city-reported indicator (代码/指标/单位/目标 locked;
            目标 "不适用" where the indicator does not apply, its 完成值 locked too)
  项目      row 1: PROJECT_HEADERS; one row per key project and pollutant (RULEBOOK §8), empty rows to fill
  _meta     hidden; column A keys, column B values: META_KEYS
office.xlsx — the office's fields; 目标, 核查, 统计: field codes in row 1, Chinese labels and units in
  row 2, one row per city (统计: per city and year) from row 3; 专家评分: REVIEW_HEADERS in row 1.
Everything here is derived from the criteria file and the table specs, never typed twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from jxscore.core.criteria import Criteria, Indicator
from jxscore.core.tables import table_specs

INSTRUCTIONS = "填报说明"
ENERGY = "能源"
INDICATORS = "指标"
PROJECTS = "项目"
META = "_meta"
OFFICE_TARGETS = "目标"
OFFICE_REVIEW = "核查"
OFFICE_STATS = "统计"
OFFICE_EXPERTS = "专家评分"
OFFICE_FILE = "office.xlsx"

INDICATOR_HEADERS = ("代码", "指标", "单位", "目标", "完成值", "说明")
PROJECT_COLUMNS = (  # (field of the projects table, header)
    ("project_id", "项目编号"), ("name", "项目名称"), ("uscc", "统一社会信用代码"), ("facility", "治理设施编号"),
    ("pollutant", "污染物"), ("reduction", "减排量（吨）"), ("count_year", "计入年度"),
    ("completion_date", "完成日期"), ("evidence", "佐证材料"))
PROJECT_HEADERS = tuple(h for _, h in PROJECT_COLUMNS)
POLLUTANTS = ("NOx", "VOCs", "COD", "NH3N")  # RULEBOOK §8 → A4, A5, A6, A7
REVIEW_COLUMNS = (("city", "城市"), ("item", "项目"), ("expert", "专家"), ("points", "得分"))
REVIEW_HEADERS = tuple(h for _, h in REVIEW_COLUMNS)
META_KEYS = ("kind", "scheme", "year", "city", "city_code", "slug", "criteria_sha256", "tool_version")
PROJECT_ROWS = 60  # empty, validated rows offered for the project list


def energy_headers(c: Criteria) -> list[tuple[str, str]]:
    """(field, header) of the 能源 sheet: 年份 then each measured column with its unit."""
    spec = table_specs(c)["energy"]
    out = [("year", "年份")]
    for col in spec.columns[2:]:
        unit = col.unit
        if col.name == "gdp":
            unit = f"{unit}，{c.scheme.base_year}年不变价"
        label = col.label.split("（")[0]
        out.append((col.name, f"{label}（{unit}）" if unit else label))
    return out


def city_reports(ind: Indicator) -> bool:
    """The city reports amounts, shares, reductions and counts; reviewers' points are the office's."""
    return ind.value in ("amount", "share", "cumulative", "count")


def city_indicators(c: Criteria) -> list[Indicator]:
    return [i for i in c.indicators if city_reports(i)]


def office_review_fields(c: Criteria) -> list[str]:
    """核查: the reviewers' points (C1–C6, when no expert panel is used) and the office's own fields."""
    return [i.code for i in c.indicators if i.value == "review"] + [f.name for f in c.fields]


@dataclass(frozen=True)
class Meta:
    kind: str  # "city" or "office"
    scheme: str
    year: int
    city: str = ""
    city_code: str = ""
    slug: str = ""
    criteria_sha256: str = ""
    tool_version: str = ""
