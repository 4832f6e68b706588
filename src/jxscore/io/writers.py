"""scores.csv, ledger.csv, manifest.json and results.xlsx — deterministic bytes, safe text cells."""

from __future__ import annotations

import hashlib
import json
import platform
from pathlib import Path

import numpy as np
import pandas as pd

from jxscore import __version__
from jxscore.core.engine import Result

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

LEDGER_HEADERS = {
    "city": "设区市", "city_code": "行政区划代码", "category": "类别", "indicator": "指标代码", "name": "指标",
    "unit": "单位", "rule": "评分规则", "actual": "实际值", "target": "目标值", "fraction": "得分系数",
    "points_nominal": "分值", "weight": "折算分值", "points": "得分", "flags": "标记", "note": "说明",
}
SCORES_HEADERS = {
    "rank": "排名", "city": "设区市", "city_code": "行政区划代码", "grade": "考核等级", "base_grade": "按分数等级",
    "total": "总分", "vetoes": "一票否决", "caps": "等级封顶", "exempt": "免予考核", "missing": "缺报按0分计",
}


def safe_text(v: object) -> object:
    """Neutralise text a spreadsheet would run as a formula (CSV injection); numbers pass unchanged."""
    if isinstance(v, str) and v.startswith(_FORMULA_START):
        return "'" + v
    return v


def cell_text(v: object) -> object:
    """Typed values as a file shows them: a tuple of codes or flags as `a;b`, a flag by its Chinese label."""
    from enum import Enum

    if isinstance(v, tuple):
        return ";".join(str(cell_text(x)) for x in v)
    if isinstance(v, Enum):
        from jxscore.i18n import text

        return text(f"flag.{v.value}", "zh")
    return v


def _safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: safe_text(cell_text(v)))
    return out


def write_csv(df: pd.DataFrame, path: Path) -> None:
    # BOM so Excel opens the Chinese text correctly; LF line ends and repr floats for identical bytes
    _safe_frame(df).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n", float_format="%.10g")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def manifest(result: Result, input_files: list[Path], criteria_file: Path, params: dict) -> dict:
    import jinja2
    import openpyxl

    inputs = {p.name: sha256(p) for p in sorted(input_files)}
    crit = {criteria_file.name: sha256(criteria_file)}
    combined = hashlib.sha256(
        json.dumps({"inputs": inputs, "criteria": crit, "params": params}, sort_keys=True).encode()
    ).hexdigest()
    return {
        "tool": "jxscore",
        "version": __version__,
        "scheme": result.criteria.scheme.name,
        "year": result.year,
        "parameters": params,
        "inputs": inputs,
        "criteria": crit,
        "input_hash": combined,
        "versions": {
            "python": platform.python_version(), "numpy": np.__version__, "pandas": pd.__version__,
            "openpyxl": openpyxl.__version__, "jinja2": jinja2.__version__,
        },
        "counts": {"cities": len(result.scores), "ledger_rows": len(result.ledger),
                   "warnings": len(result.warnings)},
    }


def write_manifest(data: dict, path: Path) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def write_xlsx(result: Result, path: Path) -> None:
    """A formatted workbook for the office: Chinese headers, text never stored as a formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    sheets = [
        ("评分结果", result.scores, SCORES_HEADERS),
        ("评分明细", result.ledger, LEDGER_HEADERS),
    ]
    cats = {k.code: f"{k.code} {k.name}" for k in result.criteria.categories}
    head_fill = PatternFill("solid", fgColor="DDE6F0")
    for n, (title, df, headers) in enumerate(sheets):
        ws = wb.active if n == 0 else wb.create_sheet()
        ws.title = title
        names = [headers.get(col, cats.get(col, col)) for col in df.columns]
        ws.append(names)
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = head_fill
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        for row in df.itertuples(index=False):
            ws.append([None if (isinstance(v, float) and np.isnan(v)) else
                       (v.item() if isinstance(v, np.generic) else cell_text(v)) for v in row])
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # openpyxl would otherwise store "=..." as a live formula
                elif isinstance(cell.value, float):
                    cell.number_format = "0.00" if df.columns[cell.column - 1] in ("total", "points", "weight") \
                        else "0.######"
        for j, col in enumerate(df.columns, start=1):
            width = 40 if col == "note" else max(8, min(24, len(str(names[j - 1])) * 2 + 2))
            ws.column_dimensions[get_column_letter(j)].width = width
        ws.freeze_panes = "C2"
    wb.properties.creator = "jxscore"
    wb.save(path)


def write_score_outputs(result: Result, out: Path, manifest: dict) -> list[str]:
    """Write everything `jxscore score` promises into `out` (a staging folder)."""
    write_csv(result.scores, out / "scores.csv")
    write_csv(result.ledger, out / "ledger.csv")
    write_manifest(manifest, out / "manifest.json")
    write_xlsx(result, out / "results.xlsx")
    return ["scores.csv", "ledger.csv", "manifest.json", "results.xlsx"]
