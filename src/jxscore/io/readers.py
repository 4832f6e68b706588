"""Reading the office's tables (CSV files or sheets of one workbook) as text, never guessing types.

Everything is read as strings so that "NA", "007" and formulas reach validation unchanged.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from jxscore.core.errors import Problem

TABLES = ("energy", "indicators", "targets")


@dataclass
class RawTable:
    """One table as text: `frame` has string cells, `rows` the row number a reader sees for each."""

    name: str
    label: str  # what messages call the file: "energy.csv" or "data.xlsx[energy]"
    path: Path
    header: list[str]
    frame: pd.DataFrame
    rows: list[int]


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030")  # Excel on Chinese Windows saves CSV as GBK


def _from_records(name: str, label: str, path: Path, records: list[tuple[int, list[str]]],
                  problems: list[Problem]) -> RawTable | None:
    if not records:
        problems.append(Problem(label, None, "", "(empty)", "a header row and at least one data row"))
        return None
    header_row, header = records[0]
    header = [h.strip() for h in header]
    while header and header[-1] == "":  # trailing empty columns from spreadsheets
        header.pop()
    body = []
    for rownum, cells in records[1:]:
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue  # blank lines are not data
        extra = cells[len(header):]
        if any(extra):
            problems.append(Problem(label, rownum, f"(column {len(header) + 1})", next(c for c in extra if c),
                                    f"at most {len(header)} cells, as in the header"))
        cells = (cells + [""] * len(header))[: len(header)]
        body.append((rownum, cells))
    if not body:
        problems.append(Problem(label, None, "", "(no data rows)", "a header row and at least one data row"))
        return None
    frame = pd.DataFrame([c for _, c in body], columns=range(len(header)), dtype=object)
    return RawTable(name, label, path, header, frame, [r for r, _ in body])


def _read_csv(name: str, path: Path, problems: list[Problem]) -> RawTable | None:
    label = path.name
    try:
        text = _decode(path.read_bytes())
    except OSError as e:
        problems.append(Problem(label, None, "", "", f"a readable file ({e.strerror})"))
        return None
    except UnicodeDecodeError:
        problems.append(Problem(label, None, "", "", "text in UTF-8 or GB18030"))
        return None
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            records.append((reader.line_num, cells))
    except csv.Error as e:
        problems.append(Problem(label, reader.line_num, "", "", f"well-formed CSV ({e})"))
        return None
    return _from_records(name, label, path, records, problems)


def _cell_text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _read_workbook(path: Path, problems: list[Problem]) -> dict[str, RawTable]:
    import openpyxl  # only when a workbook is given
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except (InvalidFileException, OSError, KeyError, ValueError) as e:
        problems.append(Problem(path.name, None, "", "", f"a readable .xlsx workbook ({type(e).__name__})"))
        return {}
    out: dict[str, RawTable] = {}
    try:
        for name in TABLES:
            label = f"{path.name}[{name}]"
            if name not in wb.sheetnames:
                problems.append(Problem(path.name, None, "", ", ".join(wb.sheetnames),
                                        f"a sheet named {name!r}"))
                continue
            records = []
            for i, row in enumerate(wb[name].iter_rows(values_only=True), start=1):
                records.append((i, [_cell_text(v) for v in row]))  # formulas arrive as "=..." text
            t = _from_records(name, label, path, records, problems)
            if t is not None:
                out[name] = t
    finally:
        wb.close()
    return out


def read_tables(data: Path, problems: list[Problem]) -> dict[str, RawTable]:
    """A folder of energy.csv/indicators.csv/targets.csv, or one .xlsx with sheets of those names."""
    if data.is_file() and data.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_workbook(data, problems)
    if not data.is_dir():
        problems.append(Problem(str(data), None, "", "",
                                "a folder with energy.csv, indicators.csv, targets.csv, or an .xlsx workbook"))
        return {}
    out = {}
    for name in TABLES:
        p = data / f"{name}.csv"
        if not p.is_file():
            problems.append(Problem(f"{name}.csv", None, "", "(missing)", f"file {name}.csv in {data}"))
            continue
        t = _read_csv(name, p, problems)
        if t is not None:
            out[name] = t
    return out
