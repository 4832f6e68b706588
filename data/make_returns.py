#!/usr/bin/env python3
"""Write data/returns/: the 11 city workbooks and office.xlsx as the cities and the office would send
them back, filled from the sample data (data/*.csv, year 2024).

    .venv/bin/python data/make_returns.py

It writes the workbooks with `jxscore template` (targets from data/targets.csv) and types every value
into the cells the layout contract names (jxscore.io.workbooks) — energy, indicators and each city's
key projects in its book; the reviewers' fields and the expert panels in office.xlsx — nothing else.
`jxscore collect` on the result, then `jxscore score`, gives the same scores.csv as scoring data/ directly
(tested).
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
YEAR = 2024


def _rows(name: str) -> list[dict[str, str]]:
    with (HERE / f"{name}.csv").open(encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def _num(v: str):
    if v == "":
        return None
    f = float(v)
    return int(f) if f.is_integer() else f


def fill(folder: Path, criteria) -> None:
    """Type the sample values into the written workbooks, cell by cell, as a clerk would."""
    import openpyxl

    from jxscore.io import workbooks as W
    from jxscore.io.template import save_reproducible

    energy, ind, projects = _rows("energy"), _rows("indicators"), _rows("projects")
    for e in criteria.entities:
        path = folder / W.city_file(e.slug)
        wb = openpyxl.load_workbook(path)
        ws = wb[W.ENERGY]
        cols = W.energy_columns(criteria)
        for r in range(W.FIRST_ROW, ws.max_row + 1):
            year = ws[f"{cols['year']}{r}"].value
            src = next((x for x in energy if x["city"] == e.name and int(x["year"]) == year), None)
            if src is None:
                continue  # an optional year the sample leaves out
            for f, col in cols.items():
                if f != "year":
                    ws[f"{col}{r}"] = _num(src[f])
        ws = wb[W.INDICATORS]
        src = next(x for x in ind if x["city"] == e.name)
        for r in range(W.FIRST_ROW, ws.max_row + 1):
            code = ws[f"{W.INDICATOR_CODE_COLUMN}{r}"].value
            if code and ws[f"{W.INDICATOR_TARGET_COLUMN}{r}"].value != W.NOT_APPLICABLE:
                ws[f"{W.INDICATOR_VALUE_COLUMN}{r}"] = _num(src[code])
        ws = wb[W.PROJECTS]  # the city's key-project list, a row per project and pollutant
        mine = [x for x in projects if x["city"] == e.name]
        for r, x in enumerate(mine, start=W.FIRST_ROW):
            for f, col in W.PROJECT_COLUMN_LETTERS.items():
                v = x[f]
                if f in ("reduction", "count_year"):
                    v = _num(v)
                elif f == "completion_date":
                    v = dt.date.fromisoformat(v)
                ws[f"{col}{r}"] = v if v != "" else None
        save_reproducible(wb, path)
    path = folder / W.OFFICE_FILE
    wb = openpyxl.load_workbook(path)
    ws = wb[W.OFFICE_REVIEW]
    fields = [c.value for c in ws[W.HEADER_ROW]]
    for r in range(W.OFFICE_FIRST_ROW, ws.max_row + 1):
        src = next(x for x in ind if x["city"] == ws.cell(r, 1).value)
        for j, f in enumerate(fields[1:], start=2):
            ws.cell(r, j).value = _num(src[f])
    ws = wb[W.OFFICE_EXPERTS]  # the expert panels (RULEBOOK §9)
    for r, x in enumerate(_rows("reviews"), start=W.FIRST_ROW):
        for f, col in W.REVIEW_COLUMN_LETTERS.items():
            ws[f"{col}{r}"] = _num(x[f]) if f == "points" else x[f]
    save_reproducible(wb, path)


def main(out: Path = HERE / "returns") -> Path:
    sys.path.insert(0, str(HERE.parent / "src"))
    from jxscore.core.criteria import load_criteria
    from jxscore.io.template import write_template
    from jxscore.resources import default_criteria_path

    c = load_criteria()
    write_template(c, YEAR, out, criteria_path=default_criteria_path(), targets=HERE)
    fill(out, c)
    return out


if __name__ == "__main__":
    print(f"wrote {main()}")
