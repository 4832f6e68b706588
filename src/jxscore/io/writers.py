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
from jxscore.core.numbers import is_plain_number

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

LEDGER_HEADERS = {
    "city": "设区市", "city_code": "行政区划代码", "category": "类别", "indicator": "指标代码", "name": "指标",
    "unit": "单位", "rule": "评分规则", "actual": "实际值", "target": "目标值", "fraction": "得分系数",
    "points_nominal": "分值", "weight": "折算分值", "points": "得分", "flags": "标记", "note": "说明",
    "source": "数据来源",
}
SCORES_HEADERS = {
    "rank": "排名", "city": "设区市", "city_code": "行政区划代码", "grade": "考核等级", "base_grade": "按分数等级",
    "total": "总分", "vetoes": "一票否决", "caps": "等级封顶", "exempt": "免予考核", "missing": "缺报按0分计",
}


def safe_text(v: object) -> object:
    """Neutralise text a spreadsheet would run as a formula (CSV injection); numbers, and text that is
    just a signed number (-1.0, as a refused value may be), pass unchanged."""
    if isinstance(v, str) and v.startswith(_FORMULA_START) and not is_plain_number(v):
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


def input_hash(input_files: list[Path], criteria_file: Path, params: dict) -> tuple[dict, dict, str]:
    """SHA-256 of every input and of the criteria file, and one hash over them and the run's parameters."""
    inputs = {p.name: sha256(p) for p in sorted(input_files)}
    crit = {criteria_file.name: sha256(criteria_file)}
    combined = hashlib.sha256(
        json.dumps({"inputs": inputs, "criteria": crit, "params": params}, sort_keys=True).encode()
    ).hexdigest()
    return inputs, crit, combined


def _dist_version(name: str) -> str:
    """An installed distribution's version, read from its metadata: importing openpyxl and jinja2 only
    to read `__version__` cost the report's parent ~20 ms (jinja2 is otherwise only used by workers)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:  # e.g. vendored without metadata: ask the module itself
        import importlib

        return importlib.import_module(name).__version__


def manifest(result: Result, input_files: list[Path], criteria_file: Path, params: dict) -> dict:
    inputs, crit, combined = input_hash(input_files, criteria_file, params)
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
            "openpyxl": _dist_version("openpyxl"), "jinja2": _dist_version("jinja2"),
        },
        "counts": {"cities": len(result.scores), "ledger_rows": len(result.ledger),
                   "warnings": len(result.warnings)},
    }


def write_manifest(data: dict, path: Path) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")


# ------------------------------------------------------------------ results.xlsx

_XLSX_FONT = "Noto Sans CJK SC"  # the CJK font the PDFs use; Simplified forms (not the JP/KR/TC variants)
_XLSX_SIZE = 10  # pt
_XLSX_LINE = 14.5  # pt per wrapped line of 10 pt Noto Sans CJK (ascent + descent ~1.45 em)
_XLSX_TWO_DECIMALS = {"total", "points", "weight", "points_nominal"}  # + the category subtotals
_XLSX_FRACTION = {"fraction"}  # a coefficient keeps its digits: 0.785714
# the rules' metrics (scores sheet, "A1.I" …) by name after the dot, in the cards' formats: intensities
# 4 decimals, reductions and the overshoot as percentages with 2, progress 3, 万吨标准煤 2
_XLSX_METRIC = {"I_base": "0.0000", "I_prev": "0.0000", "I": "0.0000", "c": "0.00%", "r": "0.00%",
                "over": "0.00%", "required": "0.00", "p": "0.000", "p_inc": "0.000",
                "E_adj_base": "#,##0.00", "E_adj": "#,##0.00", "allowance": "#,##0.00"}
_XLSX_WRAP = {"note": 56}  # columns that wrap at a fixed width
_XLSX_MAX_WIDTH = 40  # wider text wraps
_XLSX_FIXED_TIME = (2000, 1, 1, 0, 0, 0)  # = report.pdf FIXED_DATE


def _xlsx_time():
    """The workbook's created/modified time and its zip entries' time: fixed, or SOURCE_DATE_EPOCH
    (as the PDFs do) - the same inputs give the same bytes."""
    import datetime as dt
    import os

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not epoch.isdigit():
        return dt.datetime(*_XLSX_FIXED_TIME)
    # naive UTC, as openpyxl writes it; a zip entry cannot be dated before 1980
    return max(dt.datetime.fromtimestamp(int(epoch), dt.UTC).replace(tzinfo=None), dt.datetime(1980, 1, 1))


def _display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: a CJK (wide) character counts two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _xlsx_shown(value: object, number_format: str) -> str:
    """The text a cell shows (close enough to size its column)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "" if value is None else str(value)
    if number_format == "0.00":
        return f"{value:.2f}"
    if number_format == "0.00####":
        return f"{value:.6f}".rstrip("0").ljust(len(f"{value:.2f}"), "0")
    if number_format.endswith("%"):
        return f"{100 * value:.2f}%"
    if number_format != "General":
        return f"{value:,.{len(number_format.rpartition('.')[2])}f}"
    return f"{round(value, 6):.12g}"  # General: Excel and Calc round what does not fit to the width


def _xlsx_header_text(text: str) -> str:
    """Literal text for a print header or footer, where & starts a code."""
    return text.replace("&", "&&")


def _fixed_time_zip(date_time: tuple):
    """A ZipFile class whose entries all carry one timestamp (writestr stamps the current time, write
    - used by openpyxl for the worksheets - the temporary file's)."""
    import zipfile

    class FixedTimeZip(zipfile.ZipFile):
        def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
            self.writestr(arcname or Path(filename).name, Path(filename).read_bytes(), compress_type, compresslevel)

        def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
            if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
                zinfo = zipfile.ZipInfo(zinfo_or_arcname, date_time=date_time)
                zinfo.compress_type = self.compression
                zinfo.external_attr = 0o600 << 16
                zinfo_or_arcname = zinfo
            super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    return FixedTimeZip


def write_xlsx(result: Result, path: Path) -> None:
    """A workbook for the office, to read and to print: Chinese headers in the SC font, text never
    stored as a formula, points with 2 decimals; A4 landscape at page width with the header row on
    every page, frozen panes and filters; identical bytes for identical results."""
    import math
    import zipfile
    from copy import copy

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.page import PageMargins
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook()
    sheets = [
        ("评分结果", result.scores, SCORES_HEADERS),
        ("评分明细", result.ledger, LEDGER_HEADERS),
    ]
    cats = {k.code: f"{k.code} {k.name}" for k in result.criteria.categories}
    two_decimals = _XLSX_TWO_DECIMALS | set(cats)
    scheme = result.criteria.scheme.name
    head_fill = PatternFill("solid", fgColor="DDE6F0")
    edge = Side(style="thin", color="A6A6A6")
    border = Border(left=edge, right=edge, top=edge, bottom=edge)
    head_font = Font(name=_XLSX_FONT, size=_XLSX_SIZE, bold=True)
    body_font = Font(name=_XLSX_FONT, size=_XLSX_SIZE)
    head_align = Alignment(horizontal="center", vertical="center", wrap_text=True)
    wrap_align = Alignment(vertical="top", wrap_text=True)
    top_align = Alignment(vertical="top")
    # Setting a style object on a cell hashes it against the workbook's tables (most of the time this
    # function took); cells with the same style share one StyleArray of table ids, copied from the first.
    styled: dict[tuple, object] = {}
    for n, (title, df, headers) in enumerate(sheets):
        ws = wb.active if n == 0 else wb.create_sheet()
        ws.title = title
        columns = list(df.columns)
        names = [headers.get(col, cats.get(col, col)) for col in columns]
        formats = ["0.00" if col in two_decimals else "0.00####" if col in _XLSX_FRACTION else
                   _XLSX_METRIC.get(col.rpartition(".")[2], "General") if "." in col else "General" for col in columns]
        ws.append(names)
        for row in df.itertuples(index=False):
            ws.append([None if (isinstance(v, float) and np.isnan(v)) else
                       (v.item() if isinstance(v, np.generic) else cell_text(v)) for v in row])

        # widths from what the cells show (header and values, CJK counted double); longer text wraps
        widths, wraps = [], []
        for j, (col, values) in enumerate(zip(columns, ws.iter_cols(min_row=2, values_only=True))):
            head = _display_width(str(names[j])) + 2
            natural = max([head] + [_display_width(_xlsx_shown(v, formats[j])) + 2 for v in values])
            width = _XLSX_WRAP.get(col) or max(8, head, min(natural, _XLSX_MAX_WIDTH))
            widths.append(width)
            wraps.append(col in _XLSX_WRAP or natural > width)
            ws.column_dimensions[get_column_letter(j + 1)].width = width

        for cell in ws[1]:
            cell.font, cell.fill, cell.alignment, cell.border = head_font, head_fill, head_align, border
        for r, row in enumerate(ws.iter_rows(min_row=2), start=2):
            lines = 1
            for j, cell in enumerate(row):
                text = isinstance(cell.value, str)
                key = (wraps[j], None if text else formats[j])
                if key in styled:  # the same style as an earlier cell: copy its style ids (no re-hashing)
                    cell._style = copy(styled[key])
                else:  # first use: registered in the workbook's style tables in the same order as ever
                    cell.font, cell.border = body_font, border
                    cell.alignment = wrap_align if wraps[j] else top_align
                    if not text:  # numbers, and empty cells of a number column (something typed in later)
                        cell.number_format = formats[j]
                    styled[key] = copy(cell._style)
                if text:
                    cell.data_type = "s"  # openpyxl would otherwise store "=..." as a live formula
                    if wraps[j]:  # a wide character takes ~1.9 width units in 10 pt Noto Sans CJK: ~5 % slack
                        lines = max(lines, math.ceil(_display_width(cell.value) / (widths[j] - 2)))
            if lines > 1:  # Excel does not grow a row for wrapped text by itself
                ws.row_dimensions[r].height = round(lines * _XLSX_LINE + 3, 1)

        last = f"{get_column_letter(len(columns))}{max(ws.max_row, 2)}"
        ws.freeze_panes = "C2"
        ws.auto_filter.ref = f"A1:{last}"
        ws.print_title_rows = "1:1"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0  # as many pages down as it takes
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.7, bottom=0.6, header=0.3, footer=0.3)
        ws.print_options.horizontalCentered = True
        for part, text in ((ws.oddHeader.left, _xlsx_header_text(scheme)),
                           (ws.oddHeader.right, _xlsx_header_text(f"{result.year}年度 {title}")),
                           (ws.oddFooter.center, "第 &P 页，共 &N 页")):  # &P page, &N pages
            part.text, part.font, part.size = text, f"{_XLSX_FONT},Regular", 9

    when = _xlsx_time()
    wb.properties.creator = "jxscore"
    wb.properties.created = wb.properties.modified = when
    # openpyxl's save() stamps `modified` with the current time; its writer, given a zip with fixed entry
    # times, writes the same bytes every run
    with _fixed_time_zip(when.timetuple()[:6])(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()


def finding_detail(f, lang: str = "zh") -> str:
    from jxscore.i18n import text

    return text(f"finding.{f.code}" + (f".{f.variant}" if f.variant else ""), lang, **f.params)


def verification_frame(result) -> pd.DataFrame:
    """verification.csv: one row per finding (RULEBOOK §8, §9), sorted by city, table, key, code, row.

    `result` is a scored Result or anything with a `verification` (the audit's run)."""
    cols = ["code", "city", "key", "table", "row", "excluded", "detail"]
    rows = [{"code": f.code, "city": f.city, "key": f.key, "table": f.table,
             "row": "" if f.row is None else str(f.row), "excluded": int(f.excluded), "detail": finding_detail(f)}
            for f in result.verification.findings]
    return pd.DataFrame(rows, columns=cols)


def write_score_outputs(result: Result, out: Path, manifest: dict) -> list[str]:
    """Write everything `jxscore score` promises into `out` (a staging folder)."""
    write_csv(result.scores, out / "scores.csv")
    write_csv(result.ledger, out / "ledger.csv")
    write_manifest(manifest, out / "manifest.json")
    write_xlsx(result, out / "results.xlsx")
    names = ["scores.csv", "ledger.csv", "manifest.json", "results.xlsx"]
    if result.verification is not None:
        write_csv(verification_frame(result), out / "verification.csv")
        names.append("verification.csv")
    return names
