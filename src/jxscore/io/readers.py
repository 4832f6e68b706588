"""Reading the office's tables — CSV files or sheets of one workbook — as text, never guessing types.

Everything arrives as strings so that "NA", "007", "１２" and formulas reach validation unchanged.
What a workbook's stored type adds is kept: a percent-formatted number becomes the text it shows
("22.5%"), a date, a boolean or an error value is marked, so validation can name it.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

from jxscore.core.criteria import Criteria
from jxscore.core.inputs import Inputs, check_year, validate_tables
from jxscore.core.problems import Code, Problem
from jxscore.core.tables import RawTable, TableSpec, table_specs


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030")  # Excel on Chinese Windows saves CSV as GBK


def _from_records(name: str, file: str, sheet: str, path: Path, records: list[tuple[int, list[str]]],
                  special: dict[tuple[int, int], str], problems: list[Problem]) -> RawTable | None:
    where = {"file": file, "sheet": sheet or name}
    if not records:
        problems.append(Problem.make(Code.EMPTY_TABLE, **where))
        return None
    header_row, header = records[0]
    header = [h.strip() for h in header]
    while header and header[-1] == "":  # trailing empty columns from spreadsheets
        header.pop()
    body, rows, marks = [], [], {}
    for k, (rownum, cells) in enumerate(records[1:], start=1):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue  # blank lines are not data
        extra = [j for j, c in enumerate(cells) if j >= len(header) and c]
        if extra:
            from jxscore.core.inputs import column_letter

            j = extra[0]
            problems.append(Problem.make(Code.EXTRA_CELL, **where, row=rownum, column=f"({column_letter(j)})",
                                         cell=f"{column_letter(j)}{rownum}" if sheet else "", value=cells[j],
                                         n=len(header)))
        for (ri, j), kind in special.items():
            if ri == k:
                marks[(len(body), j)] = kind
        body.append((cells + [""] * len(header))[: len(header)])
        rows.append(rownum)
    if not body:
        problems.append(Problem.make(Code.EMPTY_TABLE, **where))
        return None
    return RawTable(name, file, sheet, header, body, rows, marks, path)


def read_csv_table(name: str, path: Path, problems: list[Problem]) -> RawTable | None:
    file = path.name
    try:
        text = _decode(path.read_bytes())
    except OSError as e:
        problems.append(Problem.make(Code.FILE_UNREADABLE, file=file, sheet=name, reason=e.strerror or type(e).__name__))
        return None
    except UnicodeDecodeError:
        problems.append(Problem.make(Code.ENCODING, file=file, sheet=name))
        return None
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            records.append((reader.line_num, cells))
    except csv.Error as e:
        problems.append(Problem.make(Code.CSV_SYNTAX, file=file, sheet=name, row=reader.line_num, reason=str(e)))
        return None
    return _from_records(name, file, "", path, records, {}, problems)


def _percent_text(v: float) -> str:
    """A percent-formatted cell as the clerk sees it: 0.225 → '22.5%' (exact decimal, no float noise)."""
    d = (Decimal(repr(float(v))) * 100).normalize()
    return f"{d:f}%"


def _cell(cell) -> tuple[str, str | None]:
    """(text, special kind) of one workbook cell."""
    import datetime as dt

    v = cell.value
    if v is None:
        return "", None
    if isinstance(v, bool):
        return str(v).upper(), "bool"
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat(), "date"
    if getattr(cell, "data_type", "") == "e":
        return str(v), "error"
    if isinstance(v, (int, float)):
        fmt = (getattr(cell, "number_format", "") or "").split(";")[0]
        shown = re.sub(r'"[^"]*"|\\.', "", fmt)  # quoted text and escaped characters are shown as they are
        if "%" in shown:  # a true percent format: the stored 0.225 is shown (and meant) as 22.5%
            return _percent_text(v), None
        if "%" in fmt:  # a literal % after the number: 22.5 is shown as 22.5%
            return (str(int(v)) if float(v).is_integer() else repr(float(v))) + "%", None
        if isinstance(v, float) and v.is_integer():
            return str(int(v)), None
        return repr(v) if isinstance(v, float) else str(v), None
    return str(v), None


def read_workbook(path: Path, specs: dict[str, TableSpec], problems: list[Problem]) -> dict[str, RawTable]:
    import zipfile

    import openpyxl  # only when a workbook is given
    from openpyxl.utils.exceptions import InvalidFileException

    file = path.name
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except (InvalidFileException, OSError, KeyError, ValueError, zipfile.BadZipFile) as e:
        problems.append(Problem.make(Code.WORKBOOK_UNREADABLE, file=file, reason=type(e).__name__))
        return {}
    out: dict[str, RawTable] = {}
    try:
        for name, spec in specs.items():
            if name not in wb.sheetnames:
                if spec.required:
                    problems.append(Problem.make(Code.SHEET_MISSING, file=file, sheet=name, name=name,
                                                 value=", ".join(wb.sheetnames)))
                continue
            records, special = [], {}
            for k, row in enumerate(wb[name].iter_rows()):
                texts = []
                for j, cell in enumerate(row):
                    text, kind = _cell(cell)
                    texts.append(text)
                    if kind:
                        special[(k, j)] = kind
                records.append((k + 1, texts))  # formulas arrive as "=..." text
            t = _from_records(name, file, name, path, records, special, problems)
            if t is not None:
                out[name] = t
    finally:
        wb.close()
    return out


def read_tables(data: Path, specs: dict[str, TableSpec], problems: list[Problem]) -> dict[str, RawTable]:
    """A folder of <table>.csv files, or one .xlsx with a sheet per table; optional tables may be absent."""
    if data.is_file() and data.suffix.lower() in (".xlsx", ".xlsm"):
        return read_workbook(data, specs, problems)
    if not data.is_dir():
        problems.append(Problem.make(Code.DATA_PATH, file=str(data), value=str(data)))
        return {}
    out = {}
    for name, spec in specs.items():
        p = data / f"{name}.csv"
        if not p.is_file():
            if spec.required:
                problems.append(Problem.make(Code.FILE_MISSING, file=f"{name}.csv", sheet=name, name=f"{name}.csv"))
            continue
        t = read_csv_table(name, p, problems)
        if t is not None:
            out[name] = t
    return out


def load_inputs(data: str | Path, year: int, criteria: Criteria, *, allow_missing: bool = False) -> Inputs:
    """Read every table of `data` and check it; raise InputError listing every problem, or return Inputs."""
    check_year(year, criteria)
    problems: list[Problem] = []
    tables = read_tables(Path(data), table_specs(criteria), problems)
    inputs = validate_tables(tables, year, criteria, allow_missing=allow_missing, source=Path(data), problems=problems)
    inputs.sources = read_sources(Path(data), year, criteria)
    return inputs


def read_sources(data: Path, year: int, criteria: Criteria) -> dict[tuple[str, str], str]:
    """Provenance left by `jxscore collect` (sources.csv): where each actual value was typed.

    A1 and A2 are computed from the energy table: they cite the assessment year's energy_total cell.
    """
    path = data / "sources.csv" if data.is_dir() else None
    if path is None or not path.is_file():
        return {}
    out: dict[tuple[str, str], str] = {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            for r in csv.DictReader(f):
                where = f"{r.get('file', '')} › {r.get('sheet', '')} › {r.get('cell', '')}"
                if r.get("table") == "indicators":
                    out[(r.get("city", ""), r.get("column", ""))] = where
                elif r.get("table") == "energy" and r.get("key") == str(year) and r.get("column") == "energy_total":
                    for ind in criteria.indicators:
                        if ind.value == "computed":
                            out[(r.get("city", ""), ind.code)] = where
    except (OSError, UnicodeDecodeError, csv.Error):
        return {}  # provenance is a courtesy: a damaged sources.csv never stops scoring
    return out
