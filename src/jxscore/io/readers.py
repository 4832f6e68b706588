"""Reading the office's tables — CSV files or sheets of one workbook — as text, never guessing types.

Everything arrives as strings so that "NA", "007", "１２" and formulas reach validation unchanged.
What a workbook's stored type adds is kept: a percent-formatted number becomes the text it shows
("22.5%"), a date, a boolean or an error value is marked, so validation can name it.

Hostile or broken files never crash a reader: every failure is a coded problem naming the file (and
the sheet, row and cell where one is known). A workbook is inspected with zipfile before openpyxl
parses anything (`guard_workbook`), and no table is read past the limits below.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import warnings
import zipfile
from decimal import Decimal
from pathlib import Path

from jxscore.core.criteria import Criteria
from jxscore.core.inputs import (
    Inputs,
    Progress,
    check_period,
    check_year,
    column_letter,
    validate_progress,
    validate_tables,
)
from jxscore.core.problems import Code, Problem
from jxscore.core.rules import barometer_names
from jxscore.core.tables import WITHIN_YEAR, RawTable, TableSpec, table_specs

# ------------------------------------------------------------------ limits
# An office table has 11–70 rows (a row per city, or per city and year) and under 50 columns; the
# largest optional table (projects, reviews) a few thousand rows. A 70-row table is ~20 KB as CSV and
# ~50 KB as a workbook. Each limit leaves wide headroom over that and bounds what a file can cost
# (openpyxl reads ~100,000 cells a second): beyond it the file is refused with a coded problem.
MB = 2**20
MAX_CSV_BYTES = 10 * MB  # 500× a real table; a CSV file is read whole into memory
MAX_ROWS = 10_000  # rows holding data: 140× a city table, several times the longest project list
MAX_COLUMNS = 1_000  # columns holding data: the indicators table has ~40
MAX_CELLS = 1_000_000  # cells visited in one table, empty or not: ~10 s of openpyxl at worst
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell: a longer one was not typed in Excel
MAX_LINES = 1_048_576  # Excel's number of rows: blank rows are skipped, but not past this
# a workbook (a zip archive), before openpyxl opens it
MAX_UNPACKED_BYTES = 100 * MB  # all members unpacked; a real workbook is < 1 MB, pictures included a few MB
MAX_MEMBERS = 1_000  # members of the archive; a workbook has ~10 plus ~2 per sheet, chart or picture
MAX_RATIO = 100  # a member unpacking to more than 100× its packed size ...
RATIO_MIN_BYTES = 10 * MB  # ... and to more than 10 MB is a zip bomb (XML packs ~10–20×)
EXCEL_MAX_ROWS, EXCEL_MAX_COLUMNS = 1_048_576, 16_384  # the grid of Excel (XFD1048576)
MAX_DECLARED_CELLS = 2_000_000  # a sheet declaring (<dimension ref>) a larger used range is refused
DIMENSION_SCAN_BYTES = 64 * 1024  # <dimension> comes first in a sheet's XML: read only its head


def _size(n: int) -> str:
    return f"{n / MB:,.0f} MB" if n >= MB else f"{n:,} bytes"


def _preview(s: str, n: int = 40) -> str:
    """The start of a long text, for a problem's value (never megabytes into a message)."""
    return s if len(s) <= n else s[:n] + "…"


def _shown(name: str) -> str:
    """A file name as it can be printed (undecodable bytes from the file system become �)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030")  # Excel on Chinese Windows saves CSV as GBK


class _TooLarge(Exception):
    """A table past a limit: the problem says which (raised inside a reading loop, caught by its reader)."""

    def __init__(self, problem: Problem):
        self.problem = problem


class _Limits:
    """Counts what one table has read so far and stops it past MAX_LINES, MAX_CELLS, MAX_ROWS, MAX_COLUMNS."""

    def __init__(self, file: str, sheet: str, where_cell: bool):
        self.where = {"file": file, "sheet": sheet}
        self.where_cell = where_cell
        self.cells = 0

    def _refuse(self, reason: str, limit: int, **kw) -> None:
        raise _TooLarge(Problem.make(Code.TABLE_TOO_LARGE, **self.where, reason=reason, limit=f"{limit:,}", **kw))

    def row(self, rownum: int, cells: list[str]) -> None:
        """One row read (row number as a person sees it; header = 1), before it is kept."""
        if rownum > MAX_LINES:
            self._refuse("@limit.lines", MAX_LINES, row=rownum)
        self.cells += len(cells)
        if self.cells > MAX_CELLS:
            self._refuse("@limit.cells", MAX_CELLS, row=rownum)
        last = next((j for j in range(len(cells) - 1, -1, -1) if cells[j].strip()), -1)
        if last < 0:
            return
        if rownum > MAX_ROWS:
            self._refuse("@limit.rows", MAX_ROWS, row=rownum, value=_preview(cells[last]))
        if last >= MAX_COLUMNS:  # located at the first cell past the limit
            j = next(j for j in range(MAX_COLUMNS, last + 1) if cells[j].strip())
            self._refuse("@limit.columns", MAX_COLUMNS, row=rownum, column=f"({column_letter(j)})",
                         cell=f"{column_letter(j)}{rownum}" if self.where_cell else "", value=_preview(cells[j]))
        for j, c in enumerate(cells):
            if len(c) > MAX_CELL_CHARS:
                raise _TooLarge(Problem.make(
                    Code.CELL_TOO_LARGE, **self.where, row=rownum, column=f"({column_letter(j)})",
                    cell=f"{column_letter(j)}{rownum}" if self.where_cell else "", value=_preview(c),
                    limit=f"{MAX_CELL_CHARS:,}"))


def _from_records(name: str, file: str, sheet: str, path: Path, records: list[tuple[int, list[str]]],
                  special: dict[tuple[int, int], str], problems: list[Problem]) -> RawTable | None:
    """A table from its rows (row number, cells); `special` is keyed by (index in records, column)."""
    where = {"file": file, "sheet": sheet or name}
    if not records:
        problems.append(Problem.make(Code.EMPTY_TABLE, **where))
        return None
    by_record: dict[int, dict[int, str]] = {}
    for (ri, j), kind in special.items():
        by_record.setdefault(ri, {})[j] = kind
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
            j = extra[0]
            problems.append(Problem.make(Code.EXTRA_CELL, **where, row=rownum, column=f"({column_letter(j)})",
                                         cell=f"{column_letter(j)}{rownum}" if sheet else "", value=cells[j],
                                         n=len(header)))
        for j, kind in by_record.get(k, {}).items():
            marks[(len(body), j)] = kind
        body.append((cells + [""] * len(header))[: len(header)])
        rows.append(rownum)
    if not body:
        problems.append(Problem.make(Code.EMPTY_TABLE, **where))
        return None
    return RawTable(name, file, sheet, header, body, rows, marks, path)


def read_csv_table(name: str, path: Path, problems: list[Problem]) -> RawTable | None:
    """One CSV file as a table, or None with the reason in `problems`; never raises for a bad file."""
    file = _shown(path.name)
    where = {"file": file, "sheet": name}
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_CSV_BYTES + 1)  # never more than the limit, whatever the file claims
    except OSError as e:
        problems.append(Problem.make(Code.FILE_UNREADABLE, **where, reason=e.strerror or type(e).__name__))
        return None
    if len(raw) > MAX_CSV_BYTES:
        problems.append(Problem.make(Code.TABLE_TOO_LARGE, **where, reason="@limit.bytes", limit=_size(MAX_CSV_BYTES)))
        return None
    if b"\x00" in raw:  # no text file holds NUL bytes: UTF-16 (Excel's "Unicode text") or not text at all
        problems.append(Problem.make(Code.ENCODING, **where))
        return None
    try:
        text = _decode(raw)
    except UnicodeDecodeError:
        problems.append(Problem.make(Code.ENCODING, **where))
        return None
    reader = csv.reader(io.StringIO(text, newline=""))
    limits = _Limits(file, name, where_cell=False)
    records: list[tuple[int, list[str]]] = []
    start = 1  # first line of the record being read
    try:
        for cells in reader:
            limits.row(reader.line_num, cells)
            if not records or any(c.strip() for c in cells):  # the first line is the header, even if blank
                records.append((reader.line_num, cells))
            start = reader.line_num + 1
    except _TooLarge as e:
        problems.append(e.problem)
        return None
    except csv.Error as e:
        if "field larger than field limit" in str(e):  # a cell of megabytes: often an unclosed quote
            line = next(itertools.islice(io.StringIO(text, newline=""), start - 1, None), "")
            problems.append(Problem.make(Code.CELL_TOO_LARGE, **where, row=start, limit=f"{MAX_CELL_CHARS:,}",
                                         value=_preview(line.rstrip("\r\n"))))
        else:
            problems.append(Problem.make(Code.CSV_SYNTAX, **where, row=reader.line_num, reason=str(e)))
        return None
    except Exception as e:  # noqa: BLE001 - a bad file is a problem, never a crash
        problems.append(Problem.make(Code.CSV_SYNTAX, **where, row=reader.line_num, reason=type(e).__name__))
        return None
    return _from_records(name, file, "", path, records, {}, problems)


def _percent_text(v: float) -> str:
    """A percent-formatted cell as the clerk sees it: 0.225 → '22.5%' (exact decimal, no float noise)."""
    d = (Decimal(repr(float(v))) * 100).normalize()
    return f"{d:f}%"


def _number_format(cell) -> str:
    try:
        return str(getattr(cell, "number_format", "") or "")
    except Exception:  # noqa: BLE001 - a style id that points nowhere: no format
        return ""


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
    if isinstance(v, dt.timedelta):  # a duration-formatted number ([h]:mm)
        return str(v), "date"
    if getattr(cell, "data_type", "") == "e":
        return str(v), "error"
    if getattr(cell, "data_type", "") == "f" and not isinstance(v, str):  # array and data-table formulas
        text = str(getattr(v, "text", "") or "")
        return (text if text.startswith("=") else "=" + text), None
    if isinstance(v, (int, float)):
        fmt = _number_format(cell).split(";")[0]
        shown = re.sub(r'"[^"]*"|\\.', "", fmt)  # quoted text and escaped characters are shown as they are
        try:
            if "%" in shown:  # a true percent format: the stored 0.225 is shown (and meant) as 22.5%
                return _percent_text(v), None
            if "%" in fmt:  # a literal % after the number: 22.5 is shown as 22.5%
                return (str(int(v)) if float(v).is_integer() else repr(float(v))) + "%", None
        except (OverflowError, ValueError, ArithmeticError):  # a number no float holds: as stored
            return str(v), None
        if isinstance(v, float) and v.is_integer():
            return str(int(v)), None
        return repr(v) if isinstance(v, float) else str(v), None
    return str(v), None


_DIMENSION = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?dimension\b[^>]*?\bref\s*=\s*[\"']([^\"']*)[\"']")
_REF = re.compile(r"\$?([A-Za-z]{1,4})\$?(\d{1,9})")


def _declared(ref: str) -> tuple[int, int] | None:
    """(rows, columns) of a dimension ref such as A1:F70, or None if it is not one."""
    corners = []
    for part in ref.strip().split(":")[:2]:
        m = _REF.fullmatch(part.strip())
        if not m:
            return None
        col = 0
        for ch in m.group(1).upper():
            col = col * 26 + ord(ch) - 64
        corners.append((int(m.group(2)), col))
    if len(corners) == 1:
        corners.append(corners[0])
    (r1, c1), (r2, c2) = corners
    return abs(r2 - r1) + 1, abs(c2 - c1) + 1


def guard_workbook(path: Path) -> Problem | None:
    """Why the .xlsx at `path` must not be handed to openpyxl — a zip bomb, too many members, a sheet
    declaring millions of cells, not a zip at all — or None. Looks only at zipfile's directory and at
    the first bytes of each XML member; never unpacks a whole member."""
    file = _shown(path.name)

    def refuse(reason: str, **kw) -> Problem:
        return Problem.make(Code.WORKBOOK_TOO_LARGE, file=file, reason=reason, **kw)

    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            if len(infos) > MAX_MEMBERS:
                return refuse("@limit.members", found=f"{len(infos):,}", limit=f"{MAX_MEMBERS:,}")
            total = sum(i.file_size for i in infos)
            if total > MAX_UNPACKED_BYTES:
                return refuse("@limit.unpacked", found=_size(total), limit=_size(MAX_UNPACKED_BYTES))
            for i in infos:
                if i.file_size > RATIO_MIN_BYTES and i.file_size > MAX_RATIO * max(i.compress_size, 1):
                    return refuse("@limit.ratio", member=_shown(i.filename), size=_size(i.file_size),
                                  found=f"{i.file_size // max(i.compress_size, 1):,}", limit=f"{MAX_RATIO:,}")
            for i in infos:
                if i.is_dir() or not i.filename.lower().endswith(".xml"):
                    continue
                with z.open(i) as f:
                    head = f.read(DIMENSION_SCAN_BYTES)
                m = _DIMENSION.search(head)
                ref = m.group(1).decode("ascii", "replace") if m else ""
                size = _declared(ref) if ref else None
                if size and (size[0] > EXCEL_MAX_ROWS or size[1] > EXCEL_MAX_COLUMNS
                             or size[0] * size[1] > MAX_DECLARED_CELLS):
                    return refuse("@limit.dimension", member=_shown(i.filename), found=ref,
                                  limit=f"{MAX_DECLARED_CELLS:,}", rows=f"{EXCEL_MAX_ROWS:,}",
                                  columns=f"{EXCEL_MAX_COLUMNS:,}")
    except Exception as e:  # noqa: BLE001 - not a zip, a damaged or an encrypted one: openpyxl could not read it either
        return Problem.make(Code.WORKBOOK_UNREADABLE, file=file, reason=type(e).__name__)
    return None


def _read_sheet(ws, name: str, file: str, path: Path, problems: list[Problem]) -> RawTable | None:
    if not hasattr(ws, "iter_rows"):  # a chart sheet: no cells
        problems.append(Problem.make(Code.EMPTY_TABLE, file=file, sheet=name))
        return None
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()  # read the rows there are, not the <dimension> the file claims (it may say A1)
    limits = _Limits(file, name, where_cell=True)
    records: list[tuple[int, list[str]]] = []
    special: dict[tuple[int, int], str] = {}
    try:
        for k, row in enumerate(ws.iter_rows()):
            texts, kinds = [], {}
            for j, cell in enumerate(row):
                text, kind = _cell(cell)  # formulas arrive as "=..." text
                texts.append(text)
                if kind:
                    kinds[j] = kind
            limits.row(k + 1, texts)
            if not records or any(t.strip() for t in texts):  # the first row is the header, even if blank
                for j, kind in kinds.items():
                    special[(len(records), j)] = kind
                records.append((k + 1, texts))
    except _TooLarge as e:
        problems.append(e.problem)
        return None
    return _from_records(name, file, name, path, records, special, problems)


def read_workbook(path: Path, specs: dict[str, TableSpec], problems: list[Problem]) -> dict[str, RawTable]:
    """The sheets of one workbook named like the tables; never raises for a bad file (see guard_workbook)."""
    file = _shown(path.name)
    refused = guard_workbook(path)
    if refused is not None:
        problems.append(refused)
        return {}
    import openpyxl  # only when a workbook is given

    out: dict[str, RawTable] = {}
    with warnings.catch_warnings():  # openpyxl's warnings (no default style, odd dates) are not the user's
        warnings.simplefilter("ignore")
        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
        except Exception as e:  # noqa: BLE001 - any failure to open is the file's problem, never a crash
            problems.append(Problem.make(Code.WORKBOOK_UNREADABLE, file=file, reason=type(e).__name__))
            return {}
        try:
            names = list(wb.sheetnames)
            for name, spec in specs.items():
                same = [s for s in names if s.casefold() == name.casefold()]
                if len(same) > 1:  # Excel forbids it; a crafted file: which one is meant?
                    problems.append(Problem.make(Code.DUPLICATE_SHEET, file=file, sheet=name, name=name,
                                                 value=", ".join(same)))
                    continue
                if name not in names:
                    if spec.required:
                        problems.append(Problem.make(Code.SHEET_MISSING, file=file, sheet=name, name=name,
                                                     value=", ".join(names)))
                    continue
                try:
                    t = _read_sheet(wb[name], name, file, path, problems)
                except Exception as e:  # noqa: BLE001 - broken XML, a damaged member, a value openpyxl cannot cast
                    problems.append(Problem.make(Code.WORKBOOK_UNREADABLE, file=file, sheet=name,
                                                 reason=type(e).__name__))
                    continue
                if t is not None:
                    out[name] = t
        except Exception as e:  # noqa: BLE001
            problems.append(Problem.make(Code.WORKBOOK_UNREADABLE, file=file, reason=type(e).__name__))
        finally:
            try:
                wb.close()
            except Exception:  # noqa: BLE001 - closing a damaged archive must not hide what was found
                pass
    return out


def _is(p: Path, kind: str) -> bool | None:
    """p.is_file() / p.is_dir(), or None when the file system will not say (permission denied)."""
    try:
        return p.is_file() if kind == "file" else p.is_dir()
    except OSError:
        return None


def read_tables(data: Path, specs: dict[str, TableSpec], problems: list[Problem]) -> dict[str, RawTable]:
    """A folder of <table>.csv files, or one .xlsx with a sheet per table; optional tables may be absent."""
    if _is(data, "file") and data.suffix.lower() in (".xlsx", ".xlsm"):
        return read_workbook(data, specs, problems)
    if not _is(data, "dir"):
        problems.append(Problem.make(Code.DATA_PATH, file=_shown(str(data)), value=_shown(str(data))))
        return {}
    out = {}
    for name, spec in specs.items():
        p = data / f"{name}.csv"
        found = _is(p, "file")
        if found is None:
            problems.append(Problem.make(Code.FILE_UNREADABLE, file=p.name, sheet=name, reason="PermissionError"))
            continue
        if not found:
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
    specs = {k: v for k, v in table_specs(criteria).items() if k not in WITHIN_YEAR}
    tables = read_tables(Path(data), specs, problems)
    inputs = validate_tables(tables, year, criteria, allow_missing=allow_missing, source=Path(data), problems=problems)
    inputs.sources = read_sources(Path(data), year, criteria)
    return inputs


def load_progress(data: str | Path, year: int, period: str, criteria: Criteria) -> Progress:
    """The barometer's inputs (RULEBOOK §10): only the targets and progress tables of `data` are read
    (no annual data exists mid-year); raise InputError listing every problem, or return Progress."""
    from dataclasses import replace

    check_year(year, criteria)
    check_period(period)
    problems: list[Problem] = []
    specs = table_specs(criteria, year)
    tables = read_tables(Path(data), {"targets": specs["targets"],
                                      "progress": replace(specs["progress"], required=True)}, problems)
    return validate_progress(tables, year, period, criteria, source=Path(data), problems=problems)


def read_sources(data: Path, year: int, criteria: Criteria) -> dict[tuple[str, str], str]:
    """Provenance left by `jxscore collect` (sources.csv): where each actual value was typed.

    A1 and A2 are computed from the energy table: they cite the assessment year's total-consumption
    cell (the column the scheme's A1 rule names, energy_total in the bundled one).
    """
    total = barometer_names(criteria).energy.total
    out: dict[tuple[str, str], str] = {}
    try:
        path = data / "sources.csv" if data.is_dir() else None
        if path is None or not path.is_file() or path.stat().st_size > MAX_CSV_BYTES:
            return {}
        with path.open(encoding="utf-8-sig", newline="") as f:
            for r in csv.DictReader(f):
                where = f"{r.get('file', '')} › {r.get('sheet', '')} › {r.get('cell', '')}"
                if r.get("table") == "indicators":
                    out[(r.get("city", ""), r.get("column", ""))] = where
                elif r.get("table") == "energy" and r.get("key") == str(year) and r.get("column") == total:
                    for ind in criteria.indicators:
                        if ind.value == "computed":
                            out[(r.get("city", ""), ind.code)] = where
    except (OSError, UnicodeDecodeError, csv.Error):
        return {}  # provenance is a courtesy: a damaged sources.csv never stops scoring
    return out
