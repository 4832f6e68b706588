"""Every kind of bad input is reported with file, row and column — all of them in one pass."""

import pandas as pd
import pytest
from builders import Dataset

from jxscore.core.errors import InputError, UsageError
from jxscore.service import RunOptions, run_score, validate


def problems(tmp_path, ds: Dataset, **kw):
    folder = ds.write(tmp_path / "d")
    with pytest.raises(InputError) as e:
        validate(RunOptions(ds.year, folder, **kw))
    return [(p.file, p.row, p.column, p.value, p.expected) for p in e.value.problems]


def has(probs, file, row, column, expected_part):
    return any(p[0] == file and p[1] == row and p[2] == column and expected_part in p[4] for p in probs)


# CSV line numbers: header is line 1, city i (0-based, admin order) is line i + 2 in indicators/targets.
PINGXIANG = 4


def test_unknown_and_duplicate_city(tmp_path):
    ds = Dataset()
    ds.indicators.loc[0, "city"] = "南京"
    ds.targets = pd.concat([ds.targets, ds.targets.iloc[[3]]])  # 九江 twice, last line 13
    probs = problems(tmp_path, ds)
    assert has(probs, "indicators.csv", 2, "city", "one of 南昌")
    assert has(probs, "indicators.csv", None, "city", "a row for 南昌")
    assert has(probs, "targets.csv", 13, "city", "each city once")


def test_unknown_missing_and_duplicate_columns(tmp_path):
    ds = Dataset()
    ds.indicators = ds.indicators.rename(columns={"B7": "B77"})
    ds.targets = ds.targets.drop(columns=["T5"])
    probs = problems(tmp_path, ds)
    assert has(probs, "indicators.csv", 1, "B77", "a known column")
    assert has(probs, "indicators.csv", 1, "B7", "a column named 'B7'")
    assert has(probs, "targets.csv", 1, "T5", "a column named 'T5'")
    folder = tmp_path / "dup"
    Dataset().write(folder)
    text = (folder / "energy.csv").read_text().splitlines()
    (folder / "energy.csv").write_text("\n".join([text[0] + ",gdp"] + [t + ",1" for t in text[1:]]) + "\n")
    with pytest.raises(InputError) as e:
        validate(RunOptions(2023, folder))
    assert any(p.file == "energy.csv" and p.row == 1 and p.column == "gdp" and "once" in p.expected
               for p in e.value.problems)


def test_empty_files(tmp_path):
    folder = Dataset().write(tmp_path / "d")
    (folder / "targets.csv").write_text("")
    (folder / "energy.csv").write_text("city,year,energy_total,energy_raw,renewable_power,gdp\n")
    with pytest.raises(InputError) as e:
        validate(RunOptions(2023, folder))
    files = {(p.file, p.expected) for p in e.value.problems}
    assert ("targets.csv", "a header row and at least one data row") in files
    assert ("energy.csv", "a header row and at least one data row") in files


def test_missing_file_and_folder(tmp_path):
    folder = Dataset().write(tmp_path / "d")
    (folder / "energy.csv").unlink()
    with pytest.raises(InputError) as e:
        validate(RunOptions(2023, folder))
    assert e.value.problems[0].file == "energy.csv" and "energy.csv" in e.value.problems[0].expected
    with pytest.raises(InputError):
        validate(RunOptions(2023, tmp_path / "nowhere"))


def test_non_numeric_and_formula_cells(tmp_path):
    ds = Dataset()
    ds.set("indicators", "萍乡", "A4", "lots")
    ds.set("indicators", "萍乡", "A5", "=1+2")
    ds.set("indicators", "萍乡", "A6", "@SUM(A1)")
    ds.set("targets", "萍乡", "B2", "-2+3")
    ds.set("indicators", "萍乡", "A7", "1,234")
    probs = problems(tmp_path, ds)
    assert has(probs, "indicators.csv", PINGXIANG, "A4", "a number")
    assert has(probs, "indicators.csv", PINGXIANG, "A5", "not a formula")
    assert has(probs, "indicators.csv", PINGXIANG, "A6", "not a formula")
    assert has(probs, "targets.csv", PINGXIANG, "B2", "not a formula")
    assert has(probs, "indicators.csv", PINGXIANG, "A7", "a number")


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
    for col, part in [("C1", "between 0 and 3"), ("C6", "between 0 and 2"), ("D1", "whole number"),
                      ("D2", "whole number"), ("fraud", "0 or 1"), ("A4", "≥ 0"), ("B6", "between 0 and 100"),
                      ("A9", "at most 100")]:
        assert has(probs, "indicators.csv", PINGXIANG, col, part), col
    assert has(probs, "targets.csv", PINGXIANG, "B3", "a target > 0")
    assert has(probs, "targets.csv", 5, "T5_inc", "T5 < T5_inc")
    assert len(probs) == 10  # every problem, in one pass


def test_energy_rows(tmp_path):
    ds = Dataset()
    ds.energy = ds.energy[~((ds.energy.city == "萍乡") & ds.energy.year.isin([2020, 2022]))]
    ds.set_energy("九江", 2023, gdp=0.0)
    ds.set_energy("新余", 2023, energy_raw=2000.0)
    ds.set_energy("鹰潭", 2021, renewable_power=-1.0)
    probs = problems(tmp_path, ds)
    assert has(probs, "energy.csv", None, "year", "萍乡 2020 (base year)")
    assert has(probs, "energy.csv", None, "year", "萍乡 2022 (previous year)")
    assert any(p[2] == "gdp" and p[4] == "gdp > 0" for p in probs)
    assert any(p[2] == "energy_total" and "energy_raw" in p[4] for p in probs)
    assert any(p[2] == "renewable_power" for p in probs)


def test_energy_row_numbers_are_file_lines(tmp_path):
    ds = Dataset()
    ds.set_energy("萍乡", 2021, gdp="x")  # 萍乡 is the 3rd city: lines 10..13 hold 2020..2023
    probs = problems(tmp_path, ds)
    assert has(probs, "energy.csv", 11, "gdp", "a number")


def test_applicable_value_missing_and_allow_missing(tmp_path):
    ds = Dataset()
    ds.set("indicators", "萍乡", "B8", "")
    ds.set("indicators", "萍乡", "C3", "")
    probs = problems(tmp_path, ds)
    assert has(probs, "indicators.csv", PINGXIANG, "B8", "the indicator applies")
    assert has(probs, "indicators.csv", PINGXIANG, "C3", "the indicator applies")
    folder = ds.write(tmp_path / "m")
    res, _ = run_score(RunOptions(2023, folder, allow_missing=True))
    r = res.scores.set_index("city").loc["萍乡"]
    assert r["missing"] == "B8;C3"
    assert r["total"] == 100 - 2 - 4  # B8 2 points, C3 4 points scored 0
    led = res.ledger.set_index(["city", "indicator"])
    assert led.loc[("萍乡", "B8"), "flags"] == "缺报按0分计"


def test_not_applicable_value_is_ignored_with_warning(tmp_path):
    ds = Dataset()
    ds.set("targets", "萍乡", "B12", "NA")  # value 100 stays in indicators
    folder = ds.write(tmp_path / "d")
    inputs = validate(RunOptions(2023, folder))
    assert any(w.column == "B12" and w.row == PINGXIANG and "ignored" in w.expected for w in inputs.warnings)


def test_category_without_applicable_indicator(tmp_path):
    ds = Dataset()
    for code in [f"B{i}" for i in range(1, 19)]:
        ds.not_applicable("萍乡", code)
    probs = problems(tmp_path, ds)
    assert has(probs, "targets.csv", PINGXIANG, "B1…B18", "category B")


def test_year_outside_the_plan(tmp_path):
    folder = Dataset().write(tmp_path / "d")
    with pytest.raises(UsageError, match="2021–2025"):
        validate(RunOptions(2026, folder))


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
    got = {(p.file, p.row, p.column) for p in e.value.problems}
    assert ("data.xlsx[indicators]", 4, "A3") in got
    assert any(p.file == "data.xlsx" and "targets" in p.expected for p in e.value.problems)


def test_gbk_csv_is_read(tmp_path):
    folder = Dataset().write(tmp_path / "d")
    p = folder / "targets.csv"
    p.write_bytes(p.read_text(encoding="utf-8").encode("gb18030"))
    validate(RunOptions(2023, folder))
