"""Every kind of bad input is reported with file, row and column — all of them in one pass."""

import pandas as pd
import pytest

from builders import Dataset
from jxscore.core.problems import Code, InputError, UsageError
from jxscore.i18n import message
from jxscore.service import RunOptions, run_score, validate


def problems(tmp_path, ds: Dataset, **kw):
    folder = ds.write(tmp_path / "d")
    with pytest.raises(InputError) as e:
        validate(RunOptions(ds.year, folder, **kw))
    return e.value.problems


def has(probs, file, row, column, code, city=None, text=None):
    """A problem of `code` at file/row/column (and city); `text` must appear in its Chinese message."""
    return any(p.file == file and p.row == row and p.column == column and p.code == code
               and (city is None or p.city == city) and (text is None or text in message(p)) for p in probs)


# CSV line numbers: header is line 1, city i (0-based, admin order) is line i + 2 in indicators/targets.
PINGXIANG = 4


def test_unknown_and_duplicate_city(tmp_path):
    ds = Dataset()
    ds.indicators.loc[0, "city"] = "南京"
    ds.targets = pd.concat([ds.targets, ds.targets.iloc[[3]]])  # 九江 twice, last line 13
    probs = problems(tmp_path, ds)
    assert has(probs, "indicators.csv", 2, "city", Code.UNKNOWN_CITY, text="南京")
    assert has(probs, "indicators.csv", None, "city", Code.MISSING_ROW, city="南昌")
    assert has(probs, "targets.csv", 13, "city", Code.DUPLICATE_KEY, city="九江", text="第5行")


def test_unknown_missing_and_duplicate_columns(tmp_path):
    ds = Dataset()
    ds.indicators = ds.indicators.rename(columns={"B7": "B77"})
    ds.targets = ds.targets.drop(columns=["T5"])
    probs = problems(tmp_path, ds)
    assert has(probs, "indicators.csv", 1, "B77", Code.UNKNOWN_COLUMN)
    assert has(probs, "indicators.csv", 1, "B7", Code.MISSING_COLUMN, text="水路和铁路货运量占比")
    assert has(probs, "targets.csv", 1, "T5", Code.MISSING_COLUMN)
    folder = tmp_path / "dup"
    Dataset().write(folder)
    text = (folder / "energy.csv").read_text().splitlines()
    (folder / "energy.csv").write_text("\n".join([text[0] + ",gdp"] + [t + ",1" for t in text[1:]]) + "\n")
    with pytest.raises(InputError) as e:
        validate(RunOptions(2023, folder))
    assert has(e.value.problems, "energy.csv", 1, "gdp", Code.DUPLICATE_COLUMN)


def test_empty_files(tmp_path):
    folder = Dataset().write(tmp_path / "d")
    (folder / "targets.csv").write_text("")
    (folder / "energy.csv").write_text("city,year,energy_total,energy_raw,renewable_power,gdp\n")
    with pytest.raises(InputError) as e:
        validate(RunOptions(2023, folder))
    files = {(p.file, p.code) for p in e.value.problems}
    assert ("targets.csv", Code.EMPTY_TABLE) in files and ("energy.csv", Code.EMPTY_TABLE) in files


def test_missing_file_and_folder(tmp_path):
    folder = Dataset().write(tmp_path / "d")
    (folder / "energy.csv").unlink()
    with pytest.raises(InputError) as e:
        validate(RunOptions(2023, folder))
    assert [(p.file, p.code) for p in e.value.problems] == [("energy.csv", Code.FILE_MISSING)]
    with pytest.raises(InputError) as e:
        validate(RunOptions(2023, tmp_path / "nowhere"))
    assert [p.code for p in e.value.problems] == [Code.DATA_PATH]


def test_non_numeric_and_formula_cells(tmp_path):
    ds = Dataset()
    ds.set("indicators", "萍乡", "A4", "lots")
    ds.set("indicators", "萍乡", "A5", "=1+2")
    ds.set("indicators", "萍乡", "A6", "@SUM(A1)")
    ds.set("targets", "萍乡", "B2", "-2+3")
    ds.set("indicators", "萍乡", "A7", "1,23")
    probs = problems(tmp_path, ds)
    assert has(probs, "indicators.csv", PINGXIANG, "A4", Code.NOT_A_NUMBER, city="萍乡", text="lots")
    assert has(probs, "indicators.csv", PINGXIANG, "A5", Code.FORMULA)
    assert has(probs, "indicators.csv", PINGXIANG, "A6", Code.FORMULA)
    assert has(probs, "targets.csv", PINGXIANG, "B2", Code.NOT_A_NUMBER)
    assert has(probs, "indicators.csv", PINGXIANG, "A7", Code.AMBIGUOUS_SEPARATOR)
    assert len(probs) == 5


def test_ranges(tmp_path):
    ds = Dataset()
    ds.set("indicators", "萍乡", "C1", 3.5)        # review points above the item's 3
    ds.set("indicators", "萍乡", "C6", -0.5)
    ds.set("indicators", "萍乡", "D1", -1)         # negative count
    ds.set("indicators", "萍乡", "D2", 1.5)        # not whole
    ds.set("indicators", "萍乡", "fraud", 2)
    ds.set("indicators", "萍乡", "A4", -3)         # amount
    ds.set("indicators", "萍乡", "B6", 101)        # share
    ds.set("indicators", "萍乡", "A9", 100.5)      # cumulative
    ds.set("targets", "萍乡", "B3", 0)             # non-positive target
    ds.set("targets", "九江", "T5_inc", 13)        # T5 < T5_inc violated
    probs = problems(tmp_path, ds)
    for col, code, part in [("C1", Code.OUT_OF_RANGE, "在0与3之间"), ("C6", Code.OUT_OF_RANGE, "在0与2之间"),
                            ("D1", Code.OUT_OF_RANGE, "不小于0"), ("D2", Code.NOT_WHOLE, "非负整数"),
                            ("fraud", Code.NOT_A_FLAG, "0或1"), ("A4", Code.OUT_OF_RANGE, "不小于0"),
                            ("B6", Code.OUT_OF_RANGE, "在0与100之间"), ("A9", Code.OUT_OF_RANGE, "不大于100")]:
        assert has(probs, "indicators.csv", PINGXIANG, col, code, city="萍乡", text=part), col
    assert has(probs, "targets.csv", PINGXIANG, "B3", Code.OUT_OF_RANGE, text="大于0")
    assert has(probs, "targets.csv", 5, "T5_inc", Code.NOT_ABOVE, city="九江", text="现为13，不大于14")
    assert len(probs) == 10  # every problem, in one pass


def test_energy_rows(tmp_path):
    ds = Dataset()
    ds.energy = ds.energy[~((ds.energy.city == "萍乡") & ds.energy.year.isin([2020, 2022]))]
    ds.set_energy("九江", 2023, gdp=0.0)
    ds.set_energy("新余", 2023, energy_raw=2000.0)
    ds.set_energy("鹰潭", 2021, renewable_power=-1.0)
    probs = problems(tmp_path, ds)
    assert has(probs, "energy.csv", None, "year", Code.MISSING_ROW, city="萍乡", text="萍乡2020年（基年）")
    assert has(probs, "energy.csv", None, "year", Code.MISSING_ROW, city="萍乡", text="萍乡2022年（上一年）")
    assert any(p.column == "gdp" and p.code == Code.OUT_OF_RANGE and p.city == "九江" for p in probs)
    assert any(p.column == "energy_total" and p.code == Code.NOT_ABOVE and p.city == "新余" for p in probs)
    assert any(p.column == "renewable_power" and p.code == Code.OUT_OF_RANGE for p in probs)
    assert len(probs) == 5


def test_energy_row_numbers_are_file_lines(tmp_path):
    ds = Dataset()
    ds.set_energy("萍乡", 2021, gdp="x")  # 萍乡 is the 3rd city: lines 10..13 hold 2020..2023
    probs = problems(tmp_path, ds)
    assert has(probs, "energy.csv", 11, "gdp", Code.NOT_A_NUMBER, city="萍乡")


def test_applicable_value_missing_and_allow_missing(tmp_path):
    ds = Dataset()
    ds.set("indicators", "萍乡", "B8", "")
    ds.set("indicators", "萍乡", "C3", "")
    probs = problems(tmp_path, ds)
    assert has(probs, "indicators.csv", PINGXIANG, "B8", Code.MISSING_VALUE, city="萍乡", text="适用于该市")
    assert has(probs, "indicators.csv", PINGXIANG, "C3", Code.MISSING_VALUE, city="萍乡")
    folder = ds.write(tmp_path / "m")
    res, _ = run_score(RunOptions(2023, folder, allow_missing=True))
    r = res.scores.set_index("city").loc["萍乡"]
    assert r["missing"] == ("B8", "C3")
    assert r["total"] == 100 - 2 - 4  # B8 2 points, C3 4 points scored 0
    led = res.ledger.set_index(["city", "indicator"])
    from jxscore.core.engine import Flag

    assert led.loc[("萍乡", "B8"), "flags"] == (Flag.MISSING,)
    assert {(w.column, w.code) for w in res.warnings} == {("B8", Code.MISSING_SCORED_ZERO),
                                                         ("C3", Code.MISSING_SCORED_ZERO)}


def test_not_applicable_value_is_ignored_with_warning(tmp_path):
    ds = Dataset()
    ds.set("targets", "萍乡", "B12", "NA")  # value 100 stays in indicators
    folder = ds.write(tmp_path / "d")
    inputs = validate(RunOptions(2023, folder))
    assert [(w.column, w.row, w.city, w.code) for w in inputs.warnings] == [
        ("B12", PINGXIANG, "萍乡", Code.VALUE_IGNORED_NA)]


def test_category_without_applicable_indicator(tmp_path):
    ds = Dataset()
    for code in [f"B{i}" for i in range(1, 19)]:
        ds.not_applicable("萍乡", code)
    probs = problems(tmp_path, ds)
    assert has(probs, "targets.csv", PINGXIANG, "B1…B18", Code.NO_APPLICABLE, city="萍乡", text="B类")


def test_year_outside_the_plan(tmp_path):
    folder = Dataset().write(tmp_path / "d")
    with pytest.raises(UsageError) as e:
        validate(RunOptions(2026, folder))
    assert [p.code for p in e.value.problems] == [Code.YEAR_OUT_OF_SCHEME]
    assert message(e.value.problems[0]) == "--year 2026：评分标准只覆盖2021–2025年"


def test_workbook_input_equals_csv(tmp_path):
    ds = Dataset()
    ds.set("indicators", "萍乡", "A3", 90.0)
    a, _ = run_score(RunOptions(2023, ds.write(tmp_path / "csv")))
    b, _ = run_score(RunOptions(2023, ds.write_xlsx(tmp_path / "data.xlsx")))
    assert a.scores.equals(b.scores)
    assert a.scores.set_index("city").loc["萍乡", "total"] == 99.6


def test_workbook_formula_and_missing_sheet(tmp_path):
    import openpyxl

    path = Dataset().write_xlsx(tmp_path / "data.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["indicators"]["B4"] = "=SUM(1,2)"   # column B = A3, row 4 = 萍乡
    del wb["targets"]
    wb.save(path)
    with pytest.raises(InputError) as e:
        validate(RunOptions(2023, path))
    got = {(p.file, p.sheet, p.row, p.column, p.cell, p.city, p.code) for p in e.value.problems}
    assert ("data.xlsx", "indicators", 4, "A3", "B4", "萍乡", Code.FORMULA) in got
    assert ("data.xlsx", "targets", None, "", "", "", Code.SHEET_MISSING) in got


def test_gbk_csv_is_read(tmp_path):
    folder = Dataset().write(tmp_path / "d")
    p = folder / "targets.csv"
    p.write_bytes(p.read_text(encoding="utf-8").encode("gb18030"))
    validate(RunOptions(2023, folder))
