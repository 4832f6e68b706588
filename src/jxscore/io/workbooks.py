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

Positions (1-based rows, column letters): headers in HEADER_ROW; city sheets and 专家评分 hold data from
FIRST_ROW, the coded office sheets have labels in OFFICE_LABEL_ROW and data from OFFICE_FIRST_ROW.
Columns follow the header tuples left to right from column A (INDICATOR_COLUMNS, energy_columns(c),
PROJECT_COLUMN_LETTERS, REVIEW_COLUMN_LETTERS, columns(office_target_fields(c)) …).
Sheet order: CITY_SHEETS, OFFICE_SHEETS (项目 and 专家评分 only when the scheme has those tables).
"""

from __future__ import annotations

from dataclasses import dataclass

from jxscore.core import inputs
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
REVIEW_ROWS = 400  # empty, validated rows of 专家评分 (11 cities × 6 items × 5 experts = 330)

CITY_SHEETS = (INSTRUCTIONS, ENERGY, INDICATORS, PROJECTS, META)
OFFICE_SHEETS = (OFFICE_TARGETS, OFFICE_REVIEW, OFFICE_STATS, OFFICE_EXPERTS, META)
HEADER_ROW = 1  # headers (city sheets, 专家评分) or field codes (目标, 核查, 统计)
FIRST_ROW = 2  # first data row of 能源, 指标, 项目 and 专家评分
OFFICE_LABEL_ROW = 2  # 目标, 核查, 统计: Chinese labels with units
OFFICE_FIRST_ROW = 3  # 目标, 核查, 统计: first data row
NOT_APPLICABLE = "不适用"  # 指标's 目标 where the indicator does not apply to the city (完成值 then locked)
INDICATOR_COLUMNS = dict(zip(INDICATOR_HEADERS, "ABCDEF"))  # header → column letter
INDICATOR_CODE_COLUMN = INDICATOR_COLUMNS["代码"]  # A
INDICATOR_TARGET_COLUMN = INDICATOR_COLUMNS["目标"]  # D
INDICATOR_VALUE_COLUMN = INDICATOR_COLUMNS["完成值"]  # E: what the city reports
INDICATOR_NOTE_COLUMN = INDICATOR_COLUMNS["说明"]  # F: free text
ENERGY_YEAR_COLUMN = "A"
META_KEY_COLUMN = "A"
META_VALUE_COLUMN = "B"


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


def column_letter(n: int) -> str:
    """1 → A, 27 → AA (openpyxl's 1-based column numbers)."""
    return inputs.column_letter(n - 1)


def columns(fields: list[str] | tuple[str, ...]) -> dict[str, str]:
    """field (or header) → its column letter, left to right from A."""
    return {f: column_letter(j) for j, f in enumerate(fields, start=1)}


def city_file(slug: str) -> str:
    return f"{slug}.xlsx"


def energy_years(c: Criteria, year: int) -> range:
    """The 能源 rows (and 统计's per city): base year … Y."""
    return range(c.scheme.base_year, year + 1)


def office_target_fields(c: Criteria) -> list[str]:
    """目标 row 1: city, the parameters (T5, T5_inc, gdp_growth, A1_annual, A2_adjust), the target indicators."""
    return table_specs(c)["targets"].names


def office_stats_fields(c: Criteria) -> list[str]:
    """统计 row 1: city, year and the energy table's measured columns."""
    return ["city", "year"] + [e.name for e in c.energy]


def energy_columns(c: Criteria) -> dict[str, str]:
    """能源: field → column letter (year → A, energy_total → B, …)."""
    return columns([f for f, _ in energy_headers(c)])


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

    def rows(self) -> list[tuple[str, str | int]]:
        """(key, value) in META_KEYS order, as written to _meta columns A and B (year as a number)."""
        return [(k, getattr(self, k)) for k in META_KEYS]

    @classmethod
    def from_values(cls, values: dict[str, str]) -> Meta:
        """From _meta's key → text (as read back); missing keys are empty, a year that is not a number is 0."""
        year = str(values.get("year", "")).strip()
        return cls(**{k: str(values.get(k, "") or "").strip() for k in META_KEYS if k != "year"},
                   year=int(year) if year.isdigit() else 0)


PROJECT_COLUMN_LETTERS = columns([f for f, _ in PROJECT_COLUMNS])  # project_id → A … evidence → I
REVIEW_COLUMN_LETTERS = columns([f for f, _ in REVIEW_COLUMNS])  # city → A … points → D
