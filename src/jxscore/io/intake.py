"""From the returned reporting workbooks to one checked, canonical dataset (`jxscore collect`).

The workbooks follow the layout of `jxscore.io.workbooks`. Every value read keeps where it came
from (file, sheet, cell, the workbook's SHA-256); the canonical tables are checked by the same
generic validator as any input, and each problem is then located in the workbook cell it came from
(`shangrao.xlsx › 指标 › E14`). Nothing is written unless every workbook is clean.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from jxscore.core.criteria import Criteria
from jxscore.core.inputs import Inputs, check_year, column_letter, validate_tables
from jxscore.core.numbers import clean_text, parse_number
from jxscore.core.problems import Code, InputError, Problem
from jxscore.core.tables import Kind, RawTable, table_specs
from jxscore.io import workbooks as W
from jxscore.io.writers import sha256


@dataclass
class Cell:
    text: str
    special: str | None
    ref: str  # "E14"
    file: str = ""
    sheet: str = ""


@dataclass
class Book:
    """One workbook as read: its sheets as grids of cells, its _meta, its hash."""

    path: Path
    sha256: str
    sheets: dict[str, list[list[Cell]]]
    meta: dict[str, str]

    @property
    def file(self) -> str:
        return self.path.name


def read_book(path: Path, problems: list[Problem]) -> Book | None:
    """Every sheet's cells as text (with the stored type where it matters), or a located problem.

    The same limits and guards as every workbook reader (jxscore.io.readers): a zip bomb is refused
    before it is parsed, a sheet is read as the rows it has, never as its declared dimension."""
    import warnings

    import openpyxl

    from jxscore.io import readers

    refused = readers.guard_workbook(path)
    if refused is not None:
        problems.append(refused)
        return None
    sheets: dict[str, list[list[Cell]]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
        except Exception as e:  # noqa: BLE001 - any failure to open is the file's problem, never a crash
            problems.append(Problem.make(Code.WORKBOOK_UNREADABLE, file=path.name, reason=type(e).__name__))
            return None
        try:
            for ws in wb.worksheets:
                if hasattr(ws, "reset_dimensions"):
                    ws.reset_dimensions()
                limits = readers._Limits(path.name, ws.title, where_cell=True)
                grid = []
                for i, row in enumerate(ws.iter_rows()):
                    cells = []
                    for j, c in enumerate(row):
                        text, special = readers._cell(c)
                        cells.append(Cell(text.strip(), special, f"{column_letter(j)}{i + 1}", path.name, ws.title))
                    limits.row(i + 1, [x.text for x in cells])
                    grid.append(cells)
                while grid and not any(x.text for x in grid[-1]):
                    grid.pop()
                sheets[ws.title] = grid
        except readers._TooLarge as e:
            problems.append(e.problem)
            return None
        except Exception as e:  # noqa: BLE001 - broken XML, a damaged member: the file's problem
            problems.append(Problem.make(Code.WORKBOOK_UNREADABLE, file=path.name, reason=type(e).__name__))
            return None
        finally:
            try:
                wb.close()
            except Exception:  # noqa: BLE001
                pass
    meta = {}
    for row in sheets.get(W.META, []):
        if len(row) >= 2 and row[0].text:
            meta[row[0].text] = row[1].text
    return Book(path, sha256(path), sheets, meta)


def _cell_at(grid: list[list[Cell]], i: int, j: int, file: str = "", sheet: str = "") -> Cell:
    if i < len(grid) and j < len(grid[i]):
        return grid[i][j]
    return Cell("", None, f"{column_letter(j)}{i + 1}", file, sheet)


@dataclass
class Builder:
    """Canonical tables under construction, each value with its source."""

    specs: dict
    rows: dict[str, list[dict[str, Cell | str]]] = field(default_factory=dict)

    def add(self, table: str, values: dict[str, Cell | str]) -> None:
        self.rows.setdefault(table, []).append(values)

    def raw(self, table: str, spec=None) -> tuple[RawTable, dict[tuple[int, str], tuple[str, str, str]]]:
        """The table as the validator reads it, and (row number, column) → (file, sheet, cell)."""
        spec = spec or self.specs[table]
        header = spec.names
        cells, special, where = [], {}, {}
        for i, r in enumerate(self.rows.get(table, [])):
            line = []
            for j, col in enumerate(header):
                v = r.get(col, "")
                if isinstance(v, Cell):
                    line.append(v.text)
                    if v.special:
                        special[(i, j)] = v.special
                    where[(i + 2, col)] = (v.file, v.sheet, v.ref)
                else:
                    line.append(v)
            cells.append(line)
        return RawTable(table, "collected", "", header, cells, list(range(2, len(cells) + 2)), special), where


def _header_ok(book: Book, sheet: str, row: int, expected: list[str], problems: list[Problem], city: str) -> bool:
    grid = book.sheets.get(sheet)
    if grid is None:
        problems.append(Problem.make(Code.SHEET_MISSING, file=book.file, sheet=sheet, city=city, name=sheet,
                                     value=", ".join(book.sheets)))
        return False
    ok = True
    for j, h in enumerate(expected):
        c = _cell_at(grid, row, j)
        if clean_text(c.text) != clean_text(h):
            problems.append(Problem.make(Code.HEADER_CHANGED, file=book.file, sheet=sheet, row=row + 1, cell=c.ref,
                                         city=city, column=h, value=c.text))
            ok = False
    return ok


def _meta_ok(book: Book, kind: str, year: int, c: Criteria, crit_sha: str, problems: list[Problem],
             warnings: list[Problem]) -> bool:
    m = book.meta
    where = {"file": book.file, "sheet": W.META, "city": m.get("city", "")}
    if not m:
        problems.append(Problem.make(Code.WORKBOOK_NOT_OURS, **where))
        return False
    ok = True
    if m.get("kind") != kind:
        problems.append(Problem.make(Code.WORKBOOK_NOT_OURS, **where, value=m.get("kind", "")))
        return False
    if m.get("year") != str(year):
        problems.append(Problem.make(Code.WORKBOOK_WRONG_YEAR, **where, value=m.get("year", ""), year=year))
        ok = False
    if m.get("scheme") != c.scheme.name:
        problems.append(Problem.make(Code.WORKBOOK_WRONG_SCHEME, **where, value=m.get("scheme", ""),
                                     scheme=c.scheme.name))
        ok = False
    elif crit_sha and m.get("criteria_sha256") and m["criteria_sha256"] != crit_sha:
        warnings.append(Problem.make(Code.WORKBOOK_OTHER_CRITERIA, **where, value=m["criteria_sha256"][:12],
                                     expected_hash=crit_sha[:12]))
    return ok


@dataclass
class Collected:
    """The canonical tables (as text the validator reads), where each value came from, and the checks."""

    year: int
    tables: dict[str, RawTable]
    sources: list[dict[str, str]]
    report: list[Problem]
    inputs: Inputs
    books: list[Book]


def collect(year: int, folder: Path, criteria: Criteria, criteria_path: Path | None = None) -> Collected:
    """Read every returned workbook in `folder` (11 city books and office.xlsx) and check them all at once."""
    c = criteria
    check_year(year, c)
    problems: list[Problem] = []
    warnings: list[Problem] = []
    crit_sha = sha256(criteria_path) if criteria_path else ""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(Problem.make(Code.DATA_PATH, file=str(folder), value=str(folder)))
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".xlsx" and not p.name.startswith(("~$", ".")))
    specs = table_specs(c)
    b = Builder(specs)
    by_city: dict[str, Book] = {}
    candidates: dict[str, list[Book]] = {}
    office: Book | None = None
    books: list[Book] = []
    slug = {e.name: e.slug for e in c.entities}
    unusable: set[str] = set()  # files already reported as unreadable or not of this round: no "missing" echo
    for p in paths:
        book = read_book(p, problems)
        if book is None:
            unusable.add(p.name)
            continue
        books.append(book)
        kind = book.meta.get("kind", "")
        if p.name == W.OFFICE_FILE or kind == "office":
            if _meta_ok(book, "office", year, c, crit_sha, problems, warnings):
                office = book
            else:
                unusable.add(p.name)
            continue
        if not _meta_ok(book, "city", year, c, crit_sha, problems, warnings):
            unusable.add(p.name)
            continue
        city = book.meta.get("city", "")
        if city not in slug:
            problems.append(Problem.make(Code.UNKNOWN_CITY, file=book.file, sheet=W.META, value=city,
                                         known=" ".join(c.entity_names)))
            continue
        candidates.setdefault(city, []).append(book)
    for city, group in candidates.items():
        # the properly named book is the city's; any other is a copy (two for one city) or misnamed
        right = [bk for bk in group if bk.path.stem == slug[city]]
        slugs = set(slug.values())
        for bk in group:
            if bk.path.stem in slugs and bk.path.stem != slug[city]:  # named for another city
                problems.append(Problem.make(Code.WORKBOOK_WRONG_CITY, file=bk.file, sheet=W.META, city=city,
                                             value=bk.path.name, expected_file=f"{slug[city]}.xlsx"))
            elif right and bk is not right[0]:
                problems.append(Problem.make(Code.WORKBOOK_DUPLICATE_CITY, file=bk.file, city=city,
                                             other=right[0].file))
            elif not right:
                problems.append(Problem.make(Code.WORKBOOK_WRONG_CITY, file=bk.file, sheet=W.META, city=city,
                                             value=bk.path.name, expected_file=f"{slug[city]}.xlsx"))
        if right:
            by_city[city] = right[0]
    for e in c.entities:
        if e.name not in by_city and f"{e.slug}.xlsx" not in unusable:
            problems.append(Problem.make(Code.WORKBOOK_MISSING, file=f"{e.slug}.xlsx", city=e.name))
    blocked = {e.name for e in c.entities if e.name not in by_city}  # already reported: no echoes downstream
    if office is None and W.OFFICE_FILE not in unusable:
        problems.append(Problem.make(Code.WORKBOOK_MISSING, file=W.OFFICE_FILE))

    for e in c.entities:
        if e.name in by_city:
            before = len(problems)
            _city_book(by_city[e.name], e.name, year, c, b, problems)
            if any(p.code == Code.HEADER_CHANGED for p in problems[before:]):
                blocked.add(e.name)
    stats: dict[tuple[str, int, str], Cell] = {}
    if office is not None:
        stats = _office_book(office, year, c, b, problems)
    _apply_stats(b, stats, warnings)
    tables = {}
    where_all: dict[tuple[str, int, str], tuple[str, str, str]] = {}
    for name in specs:
        if name in b.rows or name in ("energy", "indicators", "targets"):
            t, where = b.raw(name)
            if t.cells:
                tables[name] = t
                where_all |= {(name, r, col): loc for (r, col), loc in where.items()}
    try:
        inputs = validate_tables(tables, year, c, source=folder, problems=problems)
    except InputError as err:
        echoes = (Code.MISSING_ROW, Code.MISSING_VALUE, Code.MISSING_COLUMN)
        kept = [p for p in err.problems if not (p.file == "collected" and p.city in blocked and p.code in echoes)]
        raise InputError([_locate(p, where_all, by_city, slug) for p in kept]) from None
    if problems:
        raise InputError(problems)
    src_rows = _sources(b, tables, where_all, {bk.file: bk.sha256 for bk in books})
    return Collected(year, tables, src_rows, sorted(warnings, key=Problem.sort_key), inputs, books)


def _locate(p: Problem, where: dict, by_city: dict[str, Book], slug: dict[str, str]) -> Problem:
    """A problem found in a canonical table, moved to the workbook cell its value came from."""
    if p.file != "collected":
        return p
    loc = where.get((p.sheet, p.row, p.column))
    if loc:
        file, sheet, cell = loc
        return replace(p, file=file, sheet=sheet, cell=cell, row=None)
    book = by_city.get(p.city)
    sheet = {"energy": W.ENERGY, "indicators": W.INDICATORS, "projects": W.PROJECTS}.get(p.sheet, p.sheet)
    if book is not None and p.sheet in ("energy", "indicators", "projects"):
        return replace(p, file=book.file, sheet=sheet, row=None)
    office_sheet = {"targets": W.OFFICE_TARGETS, "reviews": W.OFFICE_EXPERTS}.get(p.sheet, p.sheet)
    return replace(p, file=W.OFFICE_FILE, sheet=office_sheet, row=None)


def _city_book(book: Book, city: str, year: int, c: Criteria, b: Builder, problems: list[Problem]) -> None:
    energy = W.energy_headers(c)
    if _header_ok(book, W.ENERGY, 0, [h for _, h in energy], problems, city):
        for i, _ in enumerate(book.sheets[W.ENERGY][1:], start=1):
            vals = {f: _cell_at(book.sheets[W.ENERGY], i, j, book.file, W.ENERGY) for j, (f, _) in enumerate(energy)}
            if not any(v.text for f, v in vals.items() if f != "year"):
                continue  # an optional year left blank (only the pre-filled 年份): no row
            b.add("energy", {"city": city, **vals})
    codes = {i.code for i in W.city_indicators(c)}
    if _header_ok(book, W.INDICATORS, 0, list(W.INDICATOR_HEADERS), problems, city):
        values: dict[str, Cell | str] = {"city": city}
        seen = set()
        for i, _ in enumerate(book.sheets[W.INDICATORS][1:], start=1):
            code = clean_text(_cell_at(book.sheets[W.INDICATORS], i, 0, book.file, W.INDICATORS).text)
            if not code:
                continue
            cell = _cell_at(book.sheets[W.INDICATORS], i, 4, book.file, W.INDICATORS)
            if code not in codes or code in seen:
                problems.append(Problem.make(Code.HEADER_CHANGED, file=book.file, sheet=W.INDICATORS, city=city,
                                             cell=f"A{i + 1}", column="代码", value=code))
                continue
            seen.add(code)
            values[code] = cell
        for code in sorted(codes - seen):
            problems.append(Problem.make(Code.MISSING_ROW, file=book.file, sheet=W.INDICATORS, city=city,
                                         what="@what.indicator", code=code))
        b.add("indicators", values)
    if W.PROJECTS in book.sheets and "projects" in b.specs:
        if _header_ok(book, W.PROJECTS, 0, list(W.PROJECT_HEADERS), problems, city):
            grid = book.sheets[W.PROJECTS]
            for i in range(1, len(grid)):
                vals = {f: _cell_at(grid, i, j, book.file, W.PROJECTS) for j, (f, _) in enumerate(W.PROJECT_COLUMNS)}
                if any(v.text for v in vals.values()):
                    b.add("projects", {"city": city, **vals})


def _coded_sheet(book: Book, sheet: str, problems: list[Problem]) -> tuple[list[str], list[list[Cell]]]:
    """Row 1 field codes, row 2 labels, data from row 3 (each row padded to the codes)."""
    grid = book.sheets.get(sheet)
    if grid is None:
        problems.append(Problem.make(Code.SHEET_MISSING, file=book.file, sheet=sheet, name=sheet,
                                     value=", ".join(book.sheets)))
        return [], []
    codes = [clean_text(x.text) for x in grid[0]] if grid else []
    while codes and not codes[-1]:
        codes.pop()
    rows = [[_cell_at(grid, i, j, book.file, sheet) for j in range(len(codes))] for i in range(2, len(grid))]
    return codes, rows


def _office_book(book: Book, year: int, c: Criteria, b: Builder, problems: list[Problem]) -> dict:
    specs = b.specs
    # 目标 → targets
    codes, rows = _coded_sheet(book, W.OFFICE_TARGETS, problems)
    if codes:
        _expect_codes(book, W.OFFICE_TARGETS, codes, specs["targets"].names, problems)
        for _, r in enumerate(rows, start=3):
            vals = {code: r[j] for j, code in enumerate(codes) if code}
            if any(v.text for v in vals.values()):
                b.add("targets", vals)
    # 核查 → the office's columns of indicators (merged into each city's row)
    codes, rows = _coded_sheet(book, W.OFFICE_REVIEW, problems)
    if codes:
        _expect_codes(book, W.OFFICE_REVIEW, codes, ["city"] + W.office_review_fields(c), problems)
        by_city = {r["city"]: r for r in b.rows.get("indicators", []) if isinstance(r.get("city"), str)}
        for r in rows:
            vals = {code: r[j] for j, code in enumerate(codes) if code}
            city_cell = vals.pop("city", None)
            if city_cell is None or not city_cell.text:
                continue
            from jxscore.core.numbers import city_name

            names = {e.name: e.name for e in c.entities} | {e.code: e.name for e in c.entities}
            city = city_name(city_cell.text, names)
            if city in by_city:
                by_city[city].update(vals)
            elif city is None:
                problems.append(Problem.make(Code.UNKNOWN_CITY, file=book.file, sheet=W.OFFICE_REVIEW,
                                             cell=city_cell.ref, value=city_cell.text,
                                             known=" ".join(c.entity_names)))
    # 统计 → official figures that replace the cities' own
    stats: dict[tuple[str, int, str], Cell] = {}
    codes, rows = _coded_sheet(book, W.OFFICE_STATS, problems)
    if codes:
        _expect_codes(book, W.OFFICE_STATS, codes, ["city", "year"] + [e.name for e in c.energy], problems)
        for r in rows:
            vals = {code: r[j] for j, code in enumerate(codes) if code}
            city, yr = vals.get("city"), parse_number(vals["year"].text).value if "year" in vals else None
            if city is None or yr is None:
                continue
            for e in c.energy:
                if e.name in vals and vals[e.name].text:
                    stats[(clean_text(city.text).removesuffix("市"), int(yr), e.name)] = vals[e.name]
    # 专家评分 → reviews
    if W.OFFICE_EXPERTS in book.sheets and "reviews" in specs:
        if _header_ok(book, W.OFFICE_EXPERTS, 0, list(W.REVIEW_HEADERS), problems, ""):
            grid = book.sheets[W.OFFICE_EXPERTS]
            for i in range(1, len(grid)):
                vals = {f: _cell_at(grid, i, j, book.file, W.OFFICE_EXPERTS)
                        for j, (f, _) in enumerate(W.REVIEW_COLUMNS)}
                if any(v.text for v in vals.values()):
                    b.add("reviews", vals)
    return stats


def _expect_codes(book: Book, sheet: str, got: list[str], expected: list[str], problems: list[Problem]) -> None:
    for j, code in enumerate(expected):
        if j >= len(got) or got[j] != code:
            problems.append(Problem.make(Code.HEADER_CHANGED, file=book.file, sheet=sheet, row=1,
                                         cell=f"{column_letter(j)}1", column=code,
                                         value=got[j] if j < len(got) else ""))


STATS_TOLERANCE = 0.005  # a city's own figure more than 0.5 % from the statistics bureau's is listed


def _apply_stats(b: Builder, stats: dict, warnings: list[Problem]) -> None:
    """Where 统计 holds a figure it is the one used (以统计部门联合通报的数据为准); big differences are listed."""
    for r in b.rows.get("energy", []):
        city = r["city"]
        yr = parse_number(r["year"].text).value if isinstance(r.get("year"), Cell) else None
        if yr is None:
            continue
        for key in list(r):
            off = stats.get((city, int(yr), key))
            if off is None:
                continue
            own = r[key]
            a, o = parse_number(own.text).value, parse_number(off.text).value
            if a is not None and o is not None and o != 0 and abs(a / o - 1) > STATS_TOLERANCE + 1e-12:
                warnings.append(Problem.make(Code.STATS_DIFFER, file=off.file, sheet=off.sheet, cell=off.ref,
                                             city=city, column=key, value=off.text, own=own.text,
                                             own_cell=f"{own.file} › {own.sheet} › {own.ref}", year=int(yr),
                                             pct=f"{100 * (a / o - 1):+.2f}"))
            r[key] = off


def _sources(b: Builder, tables: dict[str, RawTable], where: dict, sha: dict[str, str]) -> list[dict[str, str]]:
    rows = []
    for name, t in tables.items():
        spec = b.specs[name]
        key_cols = [k for k in spec.key if k != "city"]
        for i, line in enumerate(t.cells):
            vals = dict(zip(t.header, line))
            key = " ".join(vals.get(k, "") for k in key_cols)
            for col in t.header:
                loc = where.get((name, i + 2, col))
                if loc is None or col in spec.key:
                    continue
                file, sheet, cell = loc
                rows.append({"table": name, "city": vals.get("city", ""), "key": key, "column": col,
                             "value": vals[col], "file": file, "sheet": sheet, "cell": cell,
                             "sha256": sha.get(file, "")})
    return rows


def canonical_frames(col: Collected, criteria: Criteria) -> dict[str, list[list[str]]]:
    """Each table as rows of normalised text: numbers as plain decimals, text cleaned, cities by short name."""
    from jxscore.core.numbers import city_name, parse_year

    names = {e.name: e.name for e in criteria.entities} | {e.code: e.name for e in criteria.entities}
    specs = table_specs(criteria)
    out = {}
    for name, t in col.tables.items():
        spec = specs[name]
        rows = [spec.names]
        for _, line in enumerate(t.cells):
            new = []
            for colname, text in zip(t.header, line):
                cs = spec.column(colname)
                if cs.kind == Kind.CITY:
                    new.append(city_name(text, names) or text)
                elif cs.kind == Kind.YEAR:
                    v = parse_year(text).value
                    new.append("" if v is None else str(int(v)))
                elif cs.kind in (Kind.TEXT,):
                    new.append(clean_text(text))
                elif cs.kind == Kind.DATE:
                    new.append(clean_text(text)[:10])
                else:
                    v = parse_number(text, percent=cs.percent).value
                    new.append("" if v is None else _num(v))
            rows.append(new)
        out[name] = rows
    return out


def _num(v: float) -> str:
    """Shortest text that reads back as the same float (12.0 → 12)."""
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))


def write_collected(col: Collected, criteria: Criteria, out: Path) -> list[str]:
    """The canonical tables, sources.csv and collect_report.csv into `out` (a staging folder)."""
    import csv

    from jxscore.i18n import problem_record
    from jxscore.io.writers import safe_text

    def write(name: str, rows: list[list[str]]) -> None:
        with (out / name).open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            for r in rows:
                w.writerow([safe_text(v) if isinstance(v, str) and i else v for i, v in enumerate(r)])

    names = []
    for name, rows in canonical_frames(col, criteria).items():
        write(f"{name}.csv", rows)
        names.append(f"{name}.csv")
    cols = ["table", "city", "key", "column", "value", "file", "sheet", "cell", "sha256"]
    write("sources.csv", [cols] + [[r[k] for k in cols] for r in col.sources])
    rec = ["severity", "code", "file", "sheet", "cell", "city", "column", "value", "message"]
    write("collect_report.csv", [rec] + [[problem_record(p, "zh")[k] for k in rec] for p in col.report])
    return names + ["sources.csv", "collect_report.csv"]


@dataclass
class CityCheck:
    """What a city learns from checking its own workbook before sending it."""

    city: str
    file: str
    warnings: list[Problem]


def is_city_book(path: Path) -> bool:
    """An .xlsx with our hidden _meta sheet saying kind = city (cheap: reads only that sheet)."""
    import openpyxl

    from jxscore.io import readers

    if path.suffix.lower() != ".xlsx" or not path.is_file() or readers.guard_workbook(path) is not None:
        return False  # refused by the guard: the normal reader reports why, openpyxl never opens it
    try:
        wb = openpyxl.load_workbook(path, read_only=True)
        try:
            if W.META not in wb.sheetnames:
                return False
            return any(r[:2] == ("kind", "city") for r in wb[W.META].iter_rows(values_only=True))
        finally:
            wb.close()
    except Exception:  # noqa: BLE001 - not readable: the normal reader reports why
        return False


def check_city_book(path: Path, year: int, c: Criteria, criteria_path: Path | None = None) -> CityCheck:
    """Every check that does not need the other cities, with the same cell-addressed problems."""
    from dataclasses import replace as dc_replace

    from jxscore.core.inputs import Checker

    check_year(year, c)
    problems: list[Problem] = []
    warnings: list[Problem] = []
    book = read_book(Path(path), problems)
    if book is None or not _meta_ok(book, "city", year, c, sha256(criteria_path) if criteria_path else "",
                                    problems, warnings):
        raise InputError(problems)
    city = book.meta.get("city", "")
    if city not in c.entity_names:
        raise InputError(Problem.make(Code.UNKNOWN_CITY, file=book.file, sheet=W.META, value=city,
                                      known=" ".join(c.entity_names)))
    specs = table_specs(c)
    b = Builder(specs)
    _city_book(book, city, year, c, b, problems)
    ck = Checker(c)
    where_all = {}
    own = {"energy": specs["energy"], "projects": specs.get("projects"),
           "indicators": dc_replace(specs["indicators"], columns=tuple(
               col for col in specs["indicators"].columns if col.name == "city"
               or col.name in {i.code for i in W.city_indicators(c)}))}
    checked = {}
    for name, spec in own.items():
        if spec is None or name not in b.rows:
            continue
        t, where = b.raw(name, spec)
        where_all |= {(name, r, col): loc for (r, col), loc in where.items()}
        checked[name] = (t, ck.check(t, spec))
    if "energy" in checked:
        t, ch = checked["energy"]
        have = {int(v) for v in ch.values.get("year", []) if v == v}
        for y in (c.scheme.base_year, year - 1, year):
            if y not in have:
                ck.add(Code.MISSING_ROW, file=book.file, sheet=W.ENERGY, column="year", city=city,
                       what="@what.city_year", year=y, role={c.scheme.base_year: "@role.base", year - 1: "@role.prev",
                                                             year: "@role.year"}[y])
    grid = book.sheets.get(W.INDICATORS, [])
    for i in range(1, len(grid)):  # applicability as the office wrote it in 目标
        code = clean_text(_cell_at(grid, i, 0).text)
        if code not in {x.code for x in W.city_indicators(c)} or not c.indicator(code).target:
            continue
        target, value = _cell_at(grid, i, 3), _cell_at(grid, i, 4, book.file, W.INDICATORS)
        na = parse_number(target.text).empty
        where = {"file": book.file, "sheet": W.INDICATORS, "cell": value.ref, "city": city, "column": code}
        if na and value.text:
            ck.add(Code.VALUE_IGNORED_NA, **where, value=value.text)
        elif not na and not value.text:
            ck.add(Code.MISSING_VALUE, **where, why="@why.applicable", label=c.indicator(code).name)
    probs = [_locate(p, where_all, {city: book}, {}) for p in problems + ck.problems]
    if probs:
        raise InputError(probs)
    return CityCheck(city, book.file, sorted(warnings + ck.warnings, key=Problem.sort_key))
