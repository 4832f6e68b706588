"""Every input table described once, as data generated from the criteria file.

A `TableSpec` says which columns a table has, their kind, unit, range, when a value is needed and
which columns form the key. One generic validator (`jxscore.core.inputs`) checks any table from its
spec; the template workbook and docs/formats.md are written from the same specs. A new table is a
new spec here, not a new loader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Literal

from jxscore.core.criteria import Bounds, Criteria


class Kind(StrEnum):
    CITY = "city"
    YEAR = "year"
    NUMBER = "number"
    COUNT = "count"  # whole number ≥ 0
    FLAG = "flag"  # 0 or 1
    TEXT = "text"  # free text (an identifier, a name); cleaned of surrounding spaces
    DATE = "date"  # YYYY-MM-DD (a workbook's date cell is taken as its date)


Need = Literal["always", "applicable", "optional", "na"]
# always: a value in every row · applicable: when the city's target is set (§4) · optional: empty takes
# `default` · na: empty/NA means "does not apply" (targets)

# Value kinds of indicators (criteria `value = ...`) and the ranges RULEBOOK §1 gives them.
VALUE_BOUNDS: dict[str, Bounds] = {
    "amount": Bounds(ge=0),
    "share": Bounds(ge=0, le=100),
    "cumulative": Bounds(le=100),
    "count": Bounds(ge=0),
}


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    label: str
    unit: str = ""
    kind: Kind = Kind.NUMBER
    need: Need = "always"
    bounds: Bounds = field(default_factory=Bounds)
    above: str | None = None  # the value must be greater than this column's in the same row
    default: float | None = None
    header_required: bool = True
    why: str = "why.required"  # message id saying why an empty cell is a problem
    choices: tuple[str, ...] = ()  # TEXT: the allowed values (a drop-down in a workbook)

    @property
    def percent(self) -> bool:
        return self.unit == "%"

    @property
    def numeric(self) -> bool:
        return self.kind in (Kind.NUMBER, Kind.COUNT, Kind.FLAG)

    def what(self) -> str:
        """How the docs and messages name what belongs in the cell."""
        return f"{self.label}（{self.unit}）" if self.unit and self.unit != "分" else self.label


@dataclass(frozen=True)
class TableSpec:
    name: str
    label: str
    description: str
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...]
    required: bool = True  # the table must be given
    every_city: bool = True  # each city needs a row (per key without year)

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


CORE_TABLES = ("energy", "indicators", "targets")
WITHIN_YEAR = ("progress",)  # read only by the barometer (RULEBOOK §10), never by the annual run
PERIODS = ("Q1", "H1", "Q3")  # year-to-date periods of the progress table: 一季度, 上半年, 前三季度


def table_specs(c: Criteria, year: int | None = None) -> dict[str, TableSpec]:
    """The tables a scheme reads, in the order the office fills them; `year` bounds what depends on it
    (a project's count year: base year + 1 … Y)."""
    city = ColumnSpec("city", "设区市", kind=Kind.CITY)
    energy = TableSpec(
        "energy", "能源", "每个设区市每年一行：基年、上一年和考核年度必填，其他年份可选（用于趋势图）。",
        (city, ColumnSpec("year", "年份", kind=Kind.YEAR),
         *(ColumnSpec(e.name, e.label, e.unit, bounds=e.bounds, above=e.above, why="why.energy") for e in c.energy)),
        key=("city", "year"))
    value_cols = []
    for ind in c.indicators:
        if ind.value == "computed":
            continue
        if ind.value == "review":
            bounds = Bounds(ge=0, le=ind.points)
        else:
            bounds = VALUE_BOUNDS[ind.value]
        value_cols.append(ColumnSpec(
            ind.code, ind.name, ind.unit, kind=Kind.COUNT if ind.value == "count" else Kind.NUMBER,
            need="applicable" if ind.target else "always", bounds=bounds,
            why="why.applicable" if ind.target else ("why.count" if ind.value == "count" else "why.required")))
    for f in c.fields:
        value_cols.append(ColumnSpec(f.name, f.label, kind=Kind.COUNT if f.kind == "count" else Kind.FLAG,
                                     why="why.count"))
    indicators = TableSpec("indicators", "指标", f"每个设区市一行：{c.scheme.name}各项指标的完成值。",
                           (city, *value_cols), key=("city",))
    params = [ColumnSpec(p.name, p.label, p.unit, need="always" if p.required else "optional", bounds=p.bounds,
                         above=p.above, default=p.default, header_required=p.required, why="why.parameter")
              for p in c.parameters]
    targets = [ColumnSpec(i.code, i.name, i.unit, need="na", bounds=Bounds(gt=0))
               for i in c.indicators if i.target]
    tg = TableSpec("targets", "目标", "每个设区市一行，由考核办公室填写：参数与各项指标的年度目标；"
                   "指标目标为空或NA表示该指标不适用于该市。", (city, *params, *targets), key=("city",))
    specs = {"energy": energy, "indicators": indicators, "targets": tg}
    v = c.verification
    if v.pollutants:
        base = c.scheme.base_year
        specs["projects"] = TableSpec(
            "projects", "项目", "重点减排工程项目清单（RULEBOOK §8）：每个项目每种污染物一行。",
            (ColumnSpec("project_id", "项目编号", kind=Kind.TEXT), city,
             ColumnSpec("name", "项目名称", kind=Kind.TEXT),
             ColumnSpec("uscc", "统一社会信用代码", kind=Kind.TEXT),
             ColumnSpec("facility", "治理设施编号", kind=Kind.TEXT, need="optional"),
             ColumnSpec("pollutant", "污染物", kind=Kind.TEXT, choices=tuple(v.pollutants)),
             ColumnSpec("reduction", "减排量", "吨", bounds=Bounds(gt=0)),
             ColumnSpec("count_year", "计入年度", kind=Kind.YEAR,
                        bounds=Bounds(gt=base, le=year if year is not None else base + c.scheme.plan_years)),
             ColumnSpec("completion_date", "完成日期", kind=Kind.DATE),
             ColumnSpec("evidence", "佐证材料", kind=Kind.TEXT, need="optional")),
            key=("project_id",), required=False, every_city=False)
    if v.review_items:
        specs["reviews"] = TableSpec(
            "reviews", "专家评分", "专家评审（RULEBOOK §9）：每位专家对每个设区市每个项目一行。",
            (city, ColumnSpec("item", "项目", kind=Kind.TEXT, choices=tuple(v.review_items)),
             ColumnSpec("expert", "专家", kind=Kind.TEXT),
             ColumnSpec("points", "得分", "分", bounds=Bounds(ge=0))),
            key=("city", "item", "expert"), required=False, every_city=False)
    specs["progress"] = TableSpec(
        "progress", "进度", "晴雨表（RULEBOOK §10）：每个设区市每年每期一行，年初至本期末累计数；"
        "P期需本年和上年同期两行。检查同能源表。",
        (city, ColumnSpec("year", "年份", kind=Kind.YEAR),
         ColumnSpec("period", "期别", kind=Kind.TEXT, choices=PERIODS), *energy.columns[2:]),
        key=("city", "year", "period"), required=False, every_city=False)
    return specs


@dataclass
class RawTable:
    """One table as text, exactly as read: header, cells, and where each came from.

    `special` marks cells whose stored type says more than their text (a workbook's dates, booleans,
    error values): (row index, column index) → kind.
    """

    name: str
    file: str  # energy.csv, or the workbook's file name
    sheet: str  # "" for a CSV file
    header: list[str]
    cells: list[list[str]]  # data rows, each padded to len(header)
    rows: list[int]  # the row number a person sees for each data row (header = 1)
    special: dict[tuple[int, int], str] = field(default_factory=dict)
    path: Path | None = None  # the file read (hashed into the manifest)

    @property
    def is_sheet(self) -> bool:
        return bool(self.sheet)
