"""A clerk's typing is read as meant or refused with the city and field named — never scored as
something else (jxscore.core.numbers lists every decision). Checked on the CSV and the xlsx path."""

import csv
import datetime as dt
import shutil
from pathlib import Path

import pytest

from jxscore.core.numbers import city_name, parse_number, parse_year
from jxscore.core.problems import Code, InputError
from jxscore.i18n import message
from jxscore.service import RunOptions, run_score, validate

SAMPLE = Path(__file__).resolve().parents[1] / "data"
NAMES = {"南昌": "南昌", "萍乡": "萍乡", "360300": "萍乡"}


@pytest.mark.parametrize("text, percent, value", [
    ("１２", False, 12.0),             # full-width digits (Chinese input method)
    ("１２．５", False, 12.5),
    ("－３．２", False, -3.2),           # full-width minus
    ("\u22123.2", False, -3.2),        # Unicode minus sign
    ("\u00a012.5\u3000", False, 12.5),  # no-break and ideographic spaces
    ("\u200b7\ufeff", False, 7.0),      # zero-width space, BOM
    ("'12", False, 12.0),              # Excel's "stored as text" apostrophe
    ("1,234.5", False, 1234.5),         # thousands separators
    ("１，２３４", False, 1234.0),
    ("22.5%", True, 22.5),             # a percent sign where the unit is %
    ("22.5 ％", True, 22.5),
    ("+3", False, 3.0),
    ("1e3", False, 1000.0),
    ("-0", False, 0.0),
])
def test_normalised(text, percent, value):
    p = parse_number(text, percent=percent)
    assert p.refused is None and p.value == value


@pytest.mark.parametrize("text, percent, code", [
    ("22.5%", False, Code.PERCENT_NOT_ALLOWED),  # % where the unit is not %
    ("12,5", False, Code.AMBIGUOUS_SEPARATOR),   # decimal comma?
    ("1,23", False, Code.AMBIGUOUS_SEPARATOR),
    ("1 234", False, Code.NOT_A_NUMBER),
    ("12吨", False, Code.NOT_A_NUMBER),
    ("约12", False, Code.NOT_A_NUMBER),
    ("无", False, Code.NOT_A_NUMBER),
    ("—", False, Code.NOT_A_NUMBER),
    ("5‰", True, Code.NOT_A_NUMBER),
    ("inf", False, Code.NOT_A_NUMBER),
    ("nan", False, Code.NOT_A_NUMBER),
    ("1.2.3", False, Code.NOT_A_NUMBER),
    ("十二", False, Code.NOT_A_NUMBER),
    ("=A1+B1", False, Code.FORMULA),
    ("#DIV/0!", False, Code.FORMULA),
    ("@SUM(A1)", False, Code.FORMULA),
    ("3050²", False, Code.NOT_A_NUMBER),         # a footnote mark: NFKC would read 30502
    ("10⁵", False, Code.NOT_A_NUMBER),           # not 105, nor 100000
    ("H₂", False, Code.NOT_A_NUMBER),
    ("①", False, Code.NOT_A_NUMBER),             # NFKC: 1
    ("⒓", False, Code.NOT_A_NUMBER),             # NFKC: 12.
    ("⑴", False, Code.NOT_A_NUMBER),             # NFKC: (1)
    ("½", False, Code.NOT_A_NUMBER),             # NFKC: 1⁄2
    ("𝟏𝟐", False, Code.NOT_A_NUMBER),            # mathematical bold digits: NFKC 12
    ("٣", False, Code.NOT_A_NUMBER),             # Arabic-Indic three: float() would read 3
    ("１２³", False, Code.NOT_A_NUMBER),          # full-width digits are fine, the superscript is not
])
def test_refused(text, percent, code):
    assert parse_number(text, percent=percent).refused == code


@pytest.mark.parametrize("text", ["", "NA", "n/a", "N/A", "不适用", "　"])
def test_empty(text):
    assert parse_number(text).empty


def test_years_and_cities():
    assert parse_year("２０２４").value == 2024 and parse_year("2024年").value == 2024
    assert parse_year("2024.5").refused == Code.BAD_YEAR and parse_year("24").refused == Code.BAD_YEAR
    assert [city_name(s, NAMES) for s in ("萍乡", "萍乡市", " 萍乡 ", "\u3000萍乡市", "360300", "萍")] == [
        "萍乡", "萍乡", "萍乡", "萍乡", "萍乡", None]


# ---------------------------------------------------------------- end to end on the sample data

def _copy(tmp_path) -> Path:
    d = tmp_path / "data"
    shutil.copytree(SAMPLE, d, ignore=shutil.ignore_patterns("*.py", "*.md"))
    return d


def _edit(folder: Path, table: str, city: str, column: str, value: str) -> None:
    p = folder / f"{table}.csv"
    rows = list(csv.reader(p.open(encoding="utf-8-sig")))
    j = rows[0].index(column)
    for r in rows[1:]:
        if r[0] == city:
            r[j] = value
    with p.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)


def _total(folder, city):
    res, _ = run_score(RunOptions(2024, folder))
    return res.scores.set_index("city").loc[city, ["total", "base_grade"]].tolist()


def test_csv_full_width_and_percent_are_read_as_meant(tmp_path):
    # baseline (RULEBOOK scoring of the sample): 萍乡 90.38, 吉安 60.71 with grade by score 基本完成
    d = _copy(tmp_path)
    _edit(d, "indicators", "萍乡", "A8", "１２")      # 12 ≥ target 9.5: full 3 points, as 9.7 was
    _edit(d, "targets", "萍乡", "A8", "９．５")
    _edit(d, "indicators", "吉安", "A8", "22.5%")    # the share in %, as the sample has 22.5
    _edit(d, "indicators", "吉安", "city", "吉安市")
    assert _total(d, "萍乡") == [90.38, "完成"]
    assert _total(d, "吉安") == [60.71, "基本完成"]


def _workbook(folder: Path, path: Path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name in ("energy", "indicators", "targets"):
        ws = wb.create_sheet(name)
        for r in csv.reader((folder / f"{name}.csv").open(encoding="utf-8-sig")):
            out = []
            for v in r:
                try:
                    out.append(float(v))
                except ValueError:
                    out.append(v if v else None)
            ws.append(out)
    wb.save(path)
    return openpyxl.load_workbook(path)


def _cell(ws, city, column):
    head = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == city:
            return row[head.index(column)]
    raise KeyError(city)


def test_xlsx_percent_cell_is_read_as_shown(tmp_path):
    path = tmp_path / "data.xlsx"
    wb = _workbook(SAMPLE, path)
    c = _cell(wb["indicators"], "吉安", "A8")
    c.value, c.number_format = 0.225, "0.0%"  # typed as 22.5% in Excel: stored 0.225, shown 22.5%
    c = _cell(wb["indicators"], "萍乡", "A8")
    c.value, c.number_format = 9.7, '0.0"%"'  # a literal % after the number: the value is 9.7
    c = _cell(wb["targets"], "萍乡", "T5")
    c.value = "１４．５"                        # text cell, full-width
    wb.save(path)
    assert _total(path, "吉安") == [60.71, "基本完成"]
    assert _total(path, "萍乡") == [90.38, "完成"]


def test_xlsx_refusals_name_cell_city_and_field(tmp_path):
    path = tmp_path / "data.xlsx"
    wb = _workbook(SAMPLE, path)
    ws = wb["indicators"]
    c = _cell(ws, "萍乡", "A4")
    c.value, c.number_format = 0.5, "0%"      # a percentage in a column of 吨
    _cell(ws, "九江", "A5").value = dt.datetime(2024, 3, 4)  # Excel turned "3/4" into a date
    _cell(ws, "新余", "C1").value = True
    _cell(ws, "鹰潭", "C3").value = "=2+1"
    _cell(ws, "赣州", "A6").value = "#DIV/0!"
    _cell(ws, "吉安", "A4").value = "3050¹"   # a footnote mark typed after the claim: not 30,501 t
    wb.save(path)
    with pytest.raises(InputError) as e:
        validate(RunOptions(2024, path))
    got = {(p.sheet, p.cell, p.city, p.column, p.code) for p in e.value.problems}
    assert got == {
        ("indicators", "C4", "萍乡", "A4", Code.PERCENT_NOT_ALLOWED),
        ("indicators", "D5", "九江", "A5", Code.DATE_CELL),
        ("indicators", "AB6", "新余", "C1", Code.NOT_A_NUMBER),
        ("indicators", "AD7", "鹰潭", "C3", Code.FORMULA),
        ("indicators", "E8", "赣州", "A6", Code.FORMULA),
        ("indicators", "C9", "吉安", "A4", Code.NOT_A_NUMBER),
    }
    date = next(p for p in e.value.problems if p.code == Code.DATE_CELL)
    assert "2024-03-04" in message(date) and "挥发性有机物重点工程累计减排量" in message(date)


def test_an_extra_column_does_not_hide_the_cell_problems(tmp_path):
    d = _copy(tmp_path)
    p = d / "indicators.csv"
    rows = list(csv.reader(p.open(encoding="utf-8-sig")))
    rows[0].append("备注")
    for r in rows[1:]:
        r.append("说明")
    with p.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    bad = [("萍乡", "A3", "abc"), ("九江", "A4", "-1"), ("新余", "B6", "120"), ("鹰潭", "C1", "9"),
           ("赣州", "D1", "1.5"), ("吉安", "fraud", "2"), ("宜春", "A5", "=1"), ("抚州", "A4", "①")]
    for city, col, v in bad:
        _edit(d, "indicators", city, col, v)
    with pytest.raises(InputError) as e:
        validate(RunOptions(2024, d))
    got = sorted((p.city, p.column, p.code.value) for p in e.value.problems)
    assert got == sorted([("", "备注", "unknown-column"), ("萍乡", "A3", "not-a-number"),
                          ("九江", "A4", "out-of-range"), ("新余", "B6", "out-of-range"),
                          ("鹰潭", "C1", "out-of-range"), ("赣州", "D1", "not-whole"),
                          ("吉安", "fraud", "not-a-flag"), ("宜春", "A5", "formula"),
                          ("抚州", "A4", "not-a-number")])
