"""Filled reporting workbooks built straight from the layout contract (jxscore.io.workbooks), from a
folder of canonical CSVs — independent of `jxscore template`, so `collect` is tested against the
contract itself."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import openpyxl

from jxscore.io import workbooks as W


def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / f"{name}.csv").open(encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def _num(v: str):
    try:
        f = float(v)
    except ValueError:
        return v if v else None
    return int(f) if f.is_integer() else f


def make_returns(out: Path, data: Path, criteria, year: int, criteria_path: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    sha = hashlib.sha256(criteria_path.read_bytes()).hexdigest()
    energy, ind, tg = _rows(data, "energy"), _rows(data, "indicators"), _rows(data, "targets")
    city_codes = [i.code for i in W.city_indicators(criteria)]
    for e in criteria.entities:
        wb = openpyxl.Workbook()
        wb.active.title = W.INSTRUCTIONS
        ws = wb.create_sheet(W.ENERGY)
        heads = W.energy_headers(criteria)
        ws.append([h for _, h in heads])
        for r in energy:
            if r["city"] == e.name and int(r["year"]) <= year:
                ws.append([_num(r[f]) for f, _ in heads])
        ws = wb.create_sheet(W.INDICATORS)
        ws.append(list(W.INDICATOR_HEADERS))
        row = next(r for r in ind if r["city"] == e.name)
        trow = next(r for r in tg if r["city"] == e.name)
        for code in city_codes:
            i = criteria.indicator(code)
            target = trow.get(code, "") if i.target else ""
            ws.append([code, i.name, i.unit, _num(target) if target else ("不适用" if i.target else None),
                       _num(row[code]), None])
        ws = wb.create_sheet(W.PROJECTS)
        ws.append(list(W.PROJECT_HEADERS))
        meta = wb.create_sheet(W.META)
        for k, v in {"kind": "city", "scheme": criteria.scheme.name, "year": year, "city": e.name,
                     "city_code": e.code, "slug": e.slug, "criteria_sha256": sha, "tool_version": "test"}.items():
            meta.append([k, v])
        meta.sheet_state = "hidden"
        wb.save(out / f"{e.slug}.xlsx")
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    spec_tg = [c for c in tg[0].keys()]
    ws = wb.create_sheet(W.OFFICE_TARGETS)
    ws.append(spec_tg)
    ws.append(["城市"] + spec_tg[1:])
    for r in tg:
        ws.append([r["city"]] + [_num(r[c]) for c in spec_tg[1:]])
    ws = wb.create_sheet(W.OFFICE_REVIEW)
    fields = W.office_review_fields(criteria)
    ws.append(["city"] + fields)
    ws.append(["城市"] + fields)
    for r in ind:
        ws.append([r["city"]] + [_num(r[f]) for f in fields])
    ws = wb.create_sheet(W.OFFICE_STATS)
    cols = ["city", "year"] + [c.name for c in criteria.energy]
    ws.append(cols)
    ws.append(["城市", "年份"] + [c.label for c in criteria.energy])
    for e in criteria.entities:
        for y in range(criteria.scheme.base_year, year + 1):
            ws.append([e.name, y])
    ws = wb.create_sheet(W.OFFICE_EXPERTS)
    ws.append(list(W.REVIEW_HEADERS))
    meta = wb.create_sheet(W.META)
    for k, v in {"kind": "office", "scheme": criteria.scheme.name, "year": year, "criteria_sha256": sha}.items():
        meta.append([k, v])
    meta.sheet_state = "hidden"
    wb.save(out / W.OFFICE_FILE)
    return out
