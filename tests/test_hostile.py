"""Hostile and broken files never crash a reader: random bytes, truncated or corrupted workbooks, wrong
encodings, huge cells, NUL bytes, very many rows or columns, zip bombs, odd sheets and cells. Each gives
located problems (every one with a code and a file) or a clean result — never another exception, and
from the command line never a traceback: exit 2 with the problems.

Property tests are derandomized (a fixed seed) and bounded, so the file runs in well under a minute.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jxscore.core.criteria import load_criteria
from jxscore.core.problems import Code, InputError, Problem
from jxscore.core.tables import table_specs
from jxscore.i18n import message
from jxscore.io import readers
from jxscore.io.readers import load_inputs, read_csv_table, read_tables, read_workbook

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data"
JX = [str(Path(sys.executable).with_name("jxscore"))]
TABLES = ("energy", "indicators", "targets")
CRITERIA = load_criteria()
SPECS = table_specs(CRITERIA)

FAST = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
SLOW = settings(FAST, max_examples=50)  # examples that write a workbook and validate it


# ---------------------------------------------------------------- checks

def located(problems: list[Problem]) -> None:
    """Every problem has a code and a file, and its message renders in both languages."""
    for p in problems:
        assert isinstance(p.code, Code) and p.file, p
        for lang in ("zh", "en"):
            assert message(p, lang)


def read_ok(fn, *args) -> list[Problem]:
    problems: list[Problem] = []
    fn(*args, problems)
    located(problems)
    return problems


def load_ok(data: Path) -> list[Problem]:
    """load_inputs: a clean result or an InputError with located problems — nothing else."""
    try:
        load_inputs(data, 2024, CRITERIA)
    except InputError as e:
        assert e.problems
        located(e.problems)
        return e.problems
    return []


def codes(problems) -> set[str]:
    return {p.code.value for p in problems}


def reasons(problems) -> set[str]:
    return {p.params.get("reason", "") for p in problems}


# ---------------------------------------------------------------- files

def _sample_rows(name: str) -> list[list[str]]:
    with (SAMPLE / f"{name}.csv").open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


@cache
def good_workbook() -> bytes:
    """The sample data as one workbook, numbers stored as numbers."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name in TABLES:
        ws = wb.create_sheet(name)
        for r in _sample_rows(name):
            ws.append([_number(v) for v in r])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _number(v: str):
    try:
        return float(v)
    except ValueError:
        return v if v else None


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def rezip(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return buf.getvalue()


def sheet_member(name: str) -> str:
    """The zip member of sheet `name` in good_workbook() (openpyxl writes them in order)."""
    return f"xl/worksheets/sheet{TABLES.index(name) + 1}.xml"


def sheet_xml(rows: str, head: str = "") -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"{head}<sheetData>{rows}</sheetData></worksheet>").encode()


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def folder(tmp: Path, **tables: bytes) -> Path:
    """The sample folder with some tables' CSV files replaced by the given bytes."""
    d = tmp / "data"
    d.mkdir(exist_ok=True)
    for name in TABLES:
        shutil.copy(SAMPLE / f"{name}.csv", d / f"{name}.csv")
    for name, raw in tables.items():
        (d / f"{name}.csv").write_bytes(raw)
    return d


# ---------------------------------------------------------------- properties: bytes

@FAST
@given(raw=st.binary(max_size=3000), csv_like=st.booleans())
def test_random_bytes_as_a_csv_file(raw, csv_like):
    if csv_like:  # bytes around the sample's header, so parsing goes further
        raw = (SAMPLE / "energy.csv").read_bytes()[:60] + raw
    with tempfile.TemporaryDirectory() as tmp:
        d = folder(Path(tmp), energy=raw)
        read_ok(read_csv_table, "energy", d / "energy.csv")
        read_ok(read_tables, d, SPECS)
        load_ok(d)


@FAST
@given(raw=st.binary(max_size=3000), zip_like=st.booleans())
def test_random_bytes_as_a_workbook(raw, zip_like):
    if zip_like:
        raw = b"PK\x03\x04" + raw
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "data.xlsx"
        p.write_bytes(raw)
        problems = read_ok(read_workbook, p, SPECS)
        assert problems  # random bytes are never a workbook
        assert load_ok(p)


@FAST
@given(cut=st.integers(min_value=0, max_value=len(good_workbook()) - 1))
def test_a_truncated_workbook(cut):
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "data.xlsx"
        p.write_bytes(good_workbook()[:cut])
        assert load_ok(p)  # a cut archive has lost its central directory: never read as clean


@FAST
@given(flips=st.lists(st.tuples(st.integers(0, len(good_workbook()) - 1), st.integers(1, 255)),
                      min_size=1, max_size=8))
def test_a_workbook_with_corrupted_bytes(flips):
    data = bytearray(good_workbook())
    for pos, x in flips:
        data[pos] ^= x
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "data.xlsx"
        p.write_bytes(bytes(data))
        read_ok(read_workbook, p, SPECS)
        load_ok(p)


XMLISH = st.text(alphabet=st.sampled_from(list('<>/="\' &;#x:ABCrcvtsfin0129-.\n') + ["\x00", "é", "南"]),
                 max_size=60)


@FAST
@given(member=st.sampled_from(["xl/workbook.xml", "xl/styles.xml", "docProps/core.xml", "[Content_Types].xml",
                               "xl/_rels/workbook.xml.rels", sheet_member("energy"), sheet_member("indicators")]),
       where=st.floats(0, 1), cut=st.integers(0, 80), junk=XMLISH)
def test_a_workbook_with_broken_xml(member, where, cut, junk):
    parts = members(good_workbook())
    xml = parts[member].decode("utf-8")
    i = int(where * len(xml))
    parts[member] = (xml[:i] + junk + xml[i + cut:]).encode("utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "data.xlsx"
        p.write_bytes(rezip(parts))
        read_ok(read_workbook, p, SPECS)
        load_ok(p)


# ---------------------------------------------------------------- properties: text and encodings

NASTY = ["", " ", "\x00", "\r", "\n", "\r\n", '"', '""', ",", "\ufeff", "\u3000", "１２．５", "22.5%", "=A1+B1",
         "@SUM(A1)", "#DIV/0!", "NA", "不适用", "南昌", "南昌市", "2024", "1e309", "-0", "\udcff", "\x1b[2J", "\u202e"]
CELL = st.one_of(st.sampled_from(NASTY), st.text(max_size=12))
ENCODINGS = ["utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le", "utf-32", "latin-1", "cp1252", "shift_jis"]


def _encode(text: str, enc: str) -> bytes:
    return text.encode(enc, errors="replace" if enc != "utf-8" else "surrogateescape")


@FAST
@given(table=st.sampled_from(TABLES), rows=st.lists(st.lists(CELL, max_size=8), max_size=8),
       keep_header=st.booleans(), enc=st.sampled_from(ENCODINGS + ["mixed"]),
       mixed=st.lists(st.sampled_from(ENCODINGS), min_size=1, max_size=4))
def test_any_text_in_any_encoding(table, rows, keep_header, enc, mixed):
    header = _sample_rows(table)[0] if keep_header else []
    lines = [",".join(header)] + [",".join(r) for r in rows]
    if enc == "mixed":  # each line in another encoding, as when files are pasted together
        raw = b"\n".join(_encode(line, mixed[k % len(mixed)]) for k, line in enumerate(lines))
    else:
        raw = _encode("\n".join(lines), enc)
    with tempfile.TemporaryDirectory() as tmp:
        d = folder(Path(tmp), **{table: raw})
        read_ok(read_csv_table, table, d / f"{table}.csv")
        load_ok(d)


def _cell_value():
    return st.one_of(
        st.none(), st.sampled_from(NASTY), st.text(max_size=10), st.integers(-10**20, 10**20),
        st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
        st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
        st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 1, 1)),
        st.times(), st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=1000)),
        st.sampled_from(["=1/0", "=A1+B1", "=SUM(B2:B12)", "=", "#DIV/0!", "#N/A", "#REF!", "#VALUE!"]),
    )


FORMATS = st.sampled_from(["General", "0.0%", '0.0"%"', "0%", "yyyy-mm-dd", "[h]:mm", "0.00;[Red]-0.00", "@", ""])


@SLOW
@given(table=st.sampled_from(TABLES),
       edits=st.lists(st.tuples(st.integers(1, 14), st.integers(1, 40), _cell_value(), FORMATS), max_size=12),
       merges=st.lists(st.tuples(st.integers(1, 13), st.integers(1, 30), st.integers(0, 2), st.integers(0, 2)),
                       max_size=2),
       state=st.sampled_from(["visible", "hidden", "veryHidden"]),
       extra=st.sampled_from([None, "projects", "reviews", "Energy", "其他"]))
def test_a_workbook_with_odd_cells_and_sheets(table, edits, merges, state, extra):
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    wb = openpyxl.load_workbook(io.BytesIO(good_workbook()))
    ws = wb[table]
    for r, c, v, fmt in edits:
        if isinstance(v, str):
            v = ILLEGAL_CHARACTERS_RE.sub("", v.encode("utf-8", "replace").decode("utf-8"))
        cell = ws.cell(r, c)
        cell.value = v
        if fmt:
            cell.number_format = fmt
    for r, c, dr, dc in merges:
        ws.merge_cells(start_row=r, start_column=c, end_row=r + dr, end_column=c + dc)
    ws.sheet_state = state
    if extra:
        wb.create_sheet(extra)  # a sheet named like a table but empty, or a near-duplicate name
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "data.xlsx"
        wb.save(p)
        read_ok(read_workbook, p, SPECS)
        load_ok(p)


# ---------------------------------------------------------------- fixed cases: workbooks

def _write(tmp_path: Path, data: bytes, name: str = "data.xlsx") -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def _sheet_replaced(table: str, xml: bytes) -> bytes:
    parts = members(good_workbook())
    parts[sheet_member(table)] = xml
    return rezip(parts)


def _no_openpyxl(monkeypatch):
    import openpyxl

    def refuse(*a, **k):
        raise AssertionError("openpyxl must not open a refused workbook")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


def test_the_sample_workbook_reads_clean(tmp_path):
    p = _write(tmp_path, good_workbook())
    assert readers.guard_workbook(p) is None
    assert load_ok(p) == []


def test_a_zip_bomb_is_refused_before_it_is_parsed(tmp_path, monkeypatch):
    # one member of 300 MB of zeros packs to ~300 KB: refused from the zip directory alone
    p = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members(good_workbook()).items():
            z.writestr(name, data)
        with z.open("xl/media/zeros.bin", "w", force_zip64=True) as f:
            block = bytes(4 * 2**20)
            for _ in range(75):
                f.write(block)
    try:
        assert p.stat().st_size < 2 * 2**20
        _no_openpyxl(monkeypatch)
        problems = read_ok(read_workbook, p, SPECS)
        assert [(x.code, x.file, x.params["reason"]) for x in problems] == [
            (Code.WORKBOOK_TOO_LARGE, "bomb.xlsx", "@limit.unpacked")]
        assert "100 MB" in message(problems[0]) and "300 MB" in message(problems[0], "en")
        from jxscore.io.intake import is_city_book

        assert is_city_book(p) is False  # `validate --data x.xlsx` asks this first: openpyxl never opens it
    finally:
        p.unlink()


def test_a_member_packed_absurdly_tight_is_refused(tmp_path, monkeypatch):
    # 20 MB of spaces inside a sheet's XML: under the total limit, but packed ~1000:1
    pad = b" " * (20 * 2**20)
    p = _write(tmp_path, _sheet_replaced("energy", sheet_xml(inline("A1", "city"), head="").replace(
        b"<sheetData>", pad + b"<sheetData>")))
    _no_openpyxl(monkeypatch)
    problems = read_ok(read_workbook, p, SPECS)
    assert [(x.code, x.params["reason"], x.params["member"]) for x in problems] == [
        (Code.WORKBOOK_TOO_LARGE, "@limit.ratio", sheet_member("energy"))]


def test_too_many_members_are_refused(tmp_path, monkeypatch):
    parts = members(good_workbook()) | {f"xl/media/image{i}.png": b"x" for i in range(readers.MAX_MEMBERS)}
    p = _write(tmp_path, rezip(parts))
    _no_openpyxl(monkeypatch)
    problems = read_ok(read_workbook, p, SPECS)
    assert [(x.code, x.params["reason"]) for x in problems] == [(Code.WORKBOOK_TOO_LARGE, "@limit.members")]


@pytest.mark.parametrize("ref", ["A1:XFD1048576", "A1:ZZZ10", "A1:B2000000", "A1:CV20001"])
def test_a_sheet_declaring_millions_of_cells_is_refused(tmp_path, monkeypatch, ref):
    p = _write(tmp_path, _sheet_replaced("targets", sheet_xml(inline("A1", "city"), f'<dimension ref="{ref}"/>')))
    _no_openpyxl(monkeypatch)
    problems = read_ok(read_workbook, p, SPECS)
    assert [(x.code, x.params["reason"], x.params["found"]) for x in problems] == [
        (Code.WORKBOOK_TOO_LARGE, "@limit.dimension", ref)]


def test_a_sheet_declaring_too_small_a_dimension_is_read_whole(tmp_path):
    # some writers declare <dimension ref="A1"/>: openpyxl would read one cell; the rows there are count
    parts = members(good_workbook())
    for name in TABLES:
        xml = parts[sheet_member(name)].decode()
        start, end = xml.index("<dimension"), xml.index("/>", xml.index("<dimension")) + 2
        parts[sheet_member(name)] = (xml[:start] + '<dimension ref="A1"/>' + xml[end:]).encode()
    assert load_ok(_write(tmp_path, rezip(parts))) == []


def _too_large(problems, reason):
    got = [x for x in problems if x.code == Code.TABLE_TOO_LARGE]
    assert [x.params["reason"] for x in got] == [reason], problems
    return got[0]


def test_a_sheet_with_data_past_the_row_limit_stops(tmp_path):
    n = readers.MAX_ROWS + 1
    rows = f'<row r="1">{inline("A1", "city")}</row><row r="{n}">{inline(f"A{n}", "x")}</row>'
    problems = read_ok(read_workbook, _write(tmp_path, _sheet_replaced("energy", sheet_xml(rows))), SPECS)
    p = _too_large(problems, "@limit.rows")
    assert (p.file, p.sheet, p.row) == ("data.xlsx", "energy", n) and "10,000" in message(p)


def test_blank_rows_past_the_row_limit_are_not_data(tmp_path):
    # rows with no value (formatting only) beyond the limit are skipped, as blank lines are
    head, tail = members(good_workbook())[sheet_member("targets")].decode().split("</sheetData>")
    last = int(head.rsplit('<row r="', 1)[1].split('"')[0])
    rows = "".join(f'<row r="{r}"><c r="A{r}" s="0"/></row>' for r in range(last + 1, readers.MAX_ROWS + 50))
    xml = head + rows + "</sheetData>" + tail
    assert load_ok(_write(tmp_path, _sheet_replaced("targets", xml.encode()))) == []


def test_a_row_a_billion_rows_down_stops_the_reader(tmp_path):
    rows = f'<row r="1">{inline("A1", "city")}</row><row r="999999999">{inline("A999999999", "x")}</row>'
    problems = read_ok(read_workbook, _write(tmp_path, _sheet_replaced("energy", sheet_xml(rows))), SPECS)
    assert _too_large(problems, "@limit.lines").row == readers.MAX_LINES + 1


def test_a_sheet_with_data_past_the_column_limit_stops(tmp_path):
    from openpyxl.utils import get_column_letter

    col = get_column_letter(readers.MAX_COLUMNS + 1)
    rows = f'<row r="1">{inline("A1", "city")}{inline(f"{col}1", "x")}</row>'
    problems = read_ok(read_workbook, _write(tmp_path, _sheet_replaced("indicators", sheet_xml(rows))), SPECS)
    p = _too_large(problems, "@limit.columns")
    assert (p.sheet, p.cell) == ("indicators", f"{col}1")


def test_rows_padded_to_the_last_column_stop_at_the_cell_limit(tmp_path):
    # one styled cell at XFD per row: openpyxl hands over 16,384 cells a row
    rows = "".join(f'<row r="{r}">{inline(f"A{r}", "x")}<c r="XFD{r}" s="0"/></row>' for r in range(1, 200))
    problems = read_ok(read_workbook, _write(tmp_path, _sheet_replaced("energy", sheet_xml(rows))), SPECS)
    assert _too_large(problems, "@limit.cells").row == readers.MAX_CELLS // 16384 + 1


def _with_cell(table: str, ref: str, text: str, data: bytes | None = None) -> bytes:
    """A workbook (good_workbook() by default) with the cell `ref` of `table` replaced by an inline string
    (openpyxl itself cuts a string to 32,767 characters: a longer one comes from another writer)."""
    import re

    parts = members(data or good_workbook())
    xml = parts[sheet_member(table)].decode()
    xml, n = re.subn(f'<c r="{ref}"[^>]*?(/>|>.*?</c>)', inline(ref, text), xml, count=1)
    assert n == 1
    parts[sheet_member(table)] = xml.encode()
    return rezip(parts)


def test_a_huge_cell_in_a_workbook_is_refused_and_shown_short(tmp_path):
    problems = load_ok(_write(tmp_path, _with_cell("indicators", "C3", "9" * 2**20)))  # 1 MB
    big = [x for x in problems if x.code == Code.CELL_TOO_LARGE]
    assert [(x.sheet, x.cell, x.row) for x in big] == [("indicators", "C3", 3)]
    assert len(big[0].value) < 50 and all(len(x.value) < 100 for x in problems)


def test_sheets_named_alike_but_for_case_are_ambiguous(tmp_path):
    parts = members(good_workbook())
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(b'name="targets"', b'name="Energy"')
    problems = load_ok(_write(tmp_path, rezip(parts)))
    dup = [x for x in problems if x.code == Code.DUPLICATE_SHEET]
    assert [(x.sheet, x.value) for x in dup] == [("energy", "energy, Energy")]
    assert Code.SHEET_MISSING in {x.code for x in problems}  # targets is gone


def test_two_sheets_with_one_name_are_ambiguous(tmp_path):
    parts = members(good_workbook())
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(b'name="targets"', b'name="indicators"')
    problems = load_ok(_write(tmp_path, rezip(parts)))
    assert ("indicators", "duplicate-sheet") in {(x.sheet, x.code.value) for x in problems}


def test_a_chart_sheet_named_like_a_table_is_an_empty_table(tmp_path):
    import openpyxl
    from openpyxl.chart import BarChart

    wb = openpyxl.load_workbook(io.BytesIO(good_workbook()))
    del wb["targets"]
    wb.create_chartsheet("targets").add_chart(BarChart())
    p = tmp_path / "data.xlsx"
    wb.save(p)
    assert {(x.sheet, x.code) for x in load_ok(p)} == {("targets", Code.EMPTY_TABLE)}


def test_values_openpyxl_cannot_cast_are_located_to_the_sheet(tmp_path):
    rows = f'<row r="1">{inline("A1", "city")}<c r="B1"><v>nan</v></c><c r="C1"><v>{"9" * 5000}</v></c></row>'
    problems = read_ok(read_workbook, _write(tmp_path, _sheet_replaced("energy", sheet_xml(rows))), SPECS)
    assert [(x.code, x.sheet, x.params["reason"]) for x in problems] == [
        (Code.WORKBOOK_UNREADABLE, "energy", "ValueError")]


def test_an_entity_bomb_in_a_sheet_is_unreadable(tmp_path):
    ents = '<!ENTITY a0 "lololololol">' + "".join(
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    xml = (f'<?xml version="1.0"?><!DOCTYPE w [{ents}]>'
           '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
           f'<row r="1">{inline("A1", "&a9;")}</row></sheetData></worksheet>').encode()
    problems = read_ok(read_workbook, _write(tmp_path, _sheet_replaced("energy", xml)), SPECS)
    assert codes(problems) == {"workbook-unreadable"}


class Weird(Exception):
    pass


def test_any_exception_while_opening_is_a_problem(tmp_path, monkeypatch):
    import openpyxl

    def boom(*a, **k):
        raise Weird("no")

    monkeypatch.setattr(openpyxl, "load_workbook", boom)
    problems = read_ok(read_workbook, _write(tmp_path, good_workbook()), SPECS)
    assert [(x.code, x.params["reason"]) for x in problems] == [(Code.WORKBOOK_UNREADABLE, "Weird")]


def test_any_exception_while_reading_a_sheet_is_a_problem(tmp_path, monkeypatch):
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    def boom(self, *a, **k):
        if self.title == "indicators":
            raise Weird("no")
        yield from ()

    monkeypatch.setattr(ReadOnlyWorksheet, "iter_rows", boom)
    problems = read_ok(read_workbook, _write(tmp_path, good_workbook()), SPECS)
    assert ("indicators", Code.WORKBOOK_UNREADABLE, "Weird") in {
        (x.sheet, x.code, x.params.get("reason")) for x in problems}


def test_openpyxl_warnings_do_not_reach_the_user(tmp_path):
    import warnings

    parts = members(good_workbook())
    del parts["xl/styles.xml"]  # "Workbook contains no default style"
    p = _write(tmp_path, rezip(parts))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_ok(read_workbook, p, SPECS)


# ---------------------------------------------------------------- fixed cases: CSV

def test_a_csv_file_past_the_size_limit_is_refused_unread(tmp_path):
    d = folder(tmp_path, energy=b"city,year\n" + b"x" * readers.MAX_CSV_BYTES)
    problems = read_ok(read_csv_table, "energy", d / "energy.csv")
    assert [(x.code, x.file, x.params["reason"]) for x in problems] == [
        (Code.TABLE_TOO_LARGE, "energy.csv", "@limit.bytes")]
    assert "10 MB" in message(problems[0])


def test_a_csv_file_past_the_row_limit(tmp_path):
    d = folder(tmp_path, energy=b"city,year\n" + b"x,1\n" * readers.MAX_ROWS)
    p = _too_large(read_ok(read_csv_table, "energy", d / "energy.csv"), "@limit.rows")
    assert p.row == readers.MAX_ROWS + 1


def test_blank_lines_past_the_row_limit_are_not_data(tmp_path):
    raw = (SAMPLE / "targets.csv").read_bytes() + b",,,\n" * (readers.MAX_ROWS + 10)
    assert load_ok(folder(tmp_path, targets=raw)) == []


def test_a_csv_file_past_the_column_limit(tmp_path):
    d = folder(tmp_path, indicators=",".join(f"c{j}" for j in range(readers.MAX_COLUMNS + 5)).encode())
    p = _too_large(read_ok(read_csv_table, "indicators", d / "indicators.csv"), "@limit.columns")
    assert p.row == 1 and p.column == "(ALM)"


def test_a_csv_line_of_a_million_empty_cells(tmp_path):
    d = folder(tmp_path, energy=b"city\n" + b"," * readers.MAX_CELLS + b"\n")
    _too_large(read_ok(read_csv_table, "energy", d / "energy.csv"), "@limit.cells")


@pytest.mark.parametrize("size", [readers.MAX_CELL_CHARS + 1, 2**20])
def test_a_huge_csv_cell_is_refused_and_shown_short(tmp_path, size):
    rows = _sample_rows("indicators")
    rows[3][2] = "9" * size
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    problems = load_ok(folder(tmp_path, indicators=buf.getvalue().encode()))
    assert [(x.code, x.file, x.row) for x in problems] == [(Code.CELL_TOO_LARGE, "indicators.csv", 4)]
    assert len(problems[0].value) < 50


def test_an_unclosed_quote_swallowing_the_file_is_located(tmp_path):
    raw = (SAMPLE / "energy.csv").read_bytes()
    raw = raw.replace(b"\n", b'\n"', 5) + (b"x" * 2**17)  # a quote opened on line 6 and never closed
    problems = read_ok(read_csv_table, "energy", folder(tmp_path, energy=raw) / "energy.csv")
    assert [(x.code, x.row) for x in problems] == [(Code.CELL_TOO_LARGE, 6)]


@pytest.mark.parametrize("enc", ["utf-16", "utf-16-le", "utf-32"])
def test_utf16_and_utf32_are_an_encoding_problem(tmp_path, enc):
    raw = (SAMPLE / "energy.csv").read_text(encoding="utf-8").encode(enc)
    assert [x.code for x in load_ok(folder(tmp_path, energy=raw))] == [Code.ENCODING]


def test_a_nul_byte_is_an_encoding_problem(tmp_path):
    raw = (SAMPLE / "energy.csv").read_bytes().replace(b"1600.00", b"16\x0000.00")
    assert [(x.code, x.file) for x in load_ok(folder(tmp_path, energy=raw))] == [(Code.ENCODING, "energy.csv")]


def test_latin1_text_is_refused_or_read_as_text(tmp_path):
    raw = (SAMPLE / "energy.csv").read_bytes().replace("南昌".encode(), "Nanchâng".encode("latin-1"))
    problems = load_ok(folder(tmp_path, energy=raw))
    assert problems and codes(problems) <= {"encoding", "unknown-city", "missing-row"}


def test_a_folder_the_reader_may_not_look_into(tmp_path, monkeypatch):
    d = folder(tmp_path)
    real = Path.is_file

    def denied(self):
        if self.name == "targets.csv":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "is_file", denied)
    problems = read_ok(read_tables, d, SPECS)
    assert [(x.code, x.file) for x in problems] == [(Code.FILE_UNREADABLE, "targets.csv")]


# ---------------------------------------------------------------- the command line

def _cases(tmp: Path) -> dict[str, Path]:
    """A few fixed nasty inputs, each a folder or a workbook."""
    out: dict[str, Path] = {}

    def wb(name: str, data: bytes) -> None:
        out[name] = tmp / f"{name}.xlsx"
        out[name].write_bytes(data)

    def fo(name: str, **tables: bytes) -> None:
        (tmp / name).mkdir()
        out[name] = folder(tmp / name, **tables)

    wb("random", bytes(range(256)) * 8)
    wb("truncated", good_workbook()[: len(good_workbook()) // 2])
    parts = members(good_workbook()) | {"xl/media/pad.bin": bytes(120 * 2**20)}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for k, v in parts.items():
            z.writestr(k, v)
    wb("bomb", buf.getvalue())
    wb("far-row", _sheet_replaced("energy", sheet_xml(f'<row r="1">{inline("A1", "city")}</row>'
                                                      f'<row r="999999999">{inline("A999999999", "x")}</row>')))
    parts = members(good_workbook())
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(b'name="targets"', b'name="ENERGY"')
    wb("dup-sheets", rezip(parts))
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(good_workbook()))
    ws = book["indicators"]
    ws["B2"], ws["C2"], ws["D2"], ws["E2"] = "=1/0", "#DIV/0!", dt.datetime(2024, 3, 4), True
    ws.merge_cells("G3:I4")
    book["energy"].sheet_state = "hidden"
    book.create_sheet("projects")  # named like a table, empty
    b = io.BytesIO()
    book.save(b)
    wb("odd-cells", _with_cell("targets", "B4", "x" * 2**20, b.getvalue()))  # and a cell of 1 MB
    text = (SAMPLE / "energy.csv").read_text(encoding="utf-8")
    fo("utf16", energy=text.encode("utf-16"))
    fo("huge-cell", energy=text.replace("1600.00", "9" * 2**20).encode())
    fo("many-columns", indicators=(",".join(f"c{j}" for j in range(5000)) + "\n" + ",1" * 5000).encode())
    return out


def _validate(data: Path, *extra: str) -> subprocess.Popen:
    env = dict(os.environ, JXSCORE_LANG="zh")
    return subprocess.Popen(JX + ["validate", "--year", "2024", "--data", str(data), *extra], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_the_command_line_exits_2_with_the_problems_never_a_traceback(tmp_path):
    cases = _cases(tmp_path)
    runs = {name: _validate(p) for name, p in cases.items()}
    runs_json = {name: _validate(cases[name], "--format", "json") for name in ("bomb",)}
    expect = {"random": ["workbook-unreadable"], "truncated": ["workbook-unreadable"],
              "bomb": ["workbook-too-large"], "far-row": ["table-too-large"], "dup-sheets": ["duplicate-sheet"],
              "odd-cells": ["cell-too-large", "formula", "date-cell", "not-a-number", "empty-table"],
              "utf16": ["encoding"], "huge-cell": ["cell-too-large"], "many-columns": ["table-too-large"]}
    for name, proc in runs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 2, (name, err[-2000:])
        assert "Traceback" not in err and "内部错误" not in err and "Warning" not in err, (name, err[-2000:])
        assert all(c in err for c in expect[name]), (name, err[-2000:])
        assert max(len(line) for line in err.splitlines()) < 2000, name  # no megabyte of cell on screen
    for name, proc in runs_json.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 2 and "Traceback" not in err and expect[name][0] in out, (name, err)
    cases["bomb"].unlink()


def test_a_cell_that_looks_like_a_message_reference(tmp_path):
    text = (SAMPLE / "indicators.csv").read_text(encoding="utf-8")
    d = folder(tmp_path, indicators=text.replace("10.20", "@{city.foo}", 1).encode())
    proc = _validate(d)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "Traceback" not in err, err[-3000:]
