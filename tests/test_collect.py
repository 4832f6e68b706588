"""`jxscore collect`: returned workbooks → the canonical dataset, each problem located in its cell."""

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest

from jxscore import service
from jxscore.core.problems import Code, InputError
from jxscore.i18n import message
from jxscore.resources import default_criteria_path
from jxscore.service import CollectOptions, RunOptions
from returns import make_returns

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data"


@pytest.fixture
def returns(tmp_path, criteria):
    return make_returns(tmp_path / "returns", SAMPLE, criteria, 2024, default_criteria_path())


def _collect(folder):
    return service.collect(CollectOptions(2024, folder))


def _problems(folder):
    with pytest.raises(InputError) as e:
        _collect(folder)
    return e.value.problems


def _cell(path, sheet, ref, value, number_format=None):
    wb = openpyxl.load_workbook(path)
    wb[sheet][ref] = value
    if number_format:
        wb[sheet][ref].number_format = number_format
    wb.save(path)


def test_round_trip_gives_the_same_scores_and_identical_bytes(returns, tmp_path):
    a = service.save(_collect(returns), tmp_path / "a")
    service.save(_collect(returns), tmp_path / "b")
    assert a.files == ["energy.csv", "indicators.csv", "targets.csv", "sources.csv", "collect_report.csv"]
    for name in a.files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    direct = service.save(service.score(RunOptions(2024, SAMPLE)), tmp_path / "direct")
    # The generated returns carry energy, indicators and targets only (their 项目 and 专家评分 sheets are left
    # empty), so the sample's project list and expert panels (RULEBOOK §8, §9: they lower 抚州's A4 to the
    # verified 816 t) are put next to the collected tables before scoring.
    for name in ("projects.csv", "reviews.csv"):
        shutil.copy(SAMPLE / name, tmp_path / "a" / name)
    via = service.save(service.score(RunOptions(2024, tmp_path / "a")), tmp_path / "via")
    assert (tmp_path / "via" / "scores.csv").read_bytes() == (tmp_path / "direct" / "scores.csv").read_bytes()
    led = via.result.ledger
    assert led.drop(columns="source").equals(direct.result.ledger)  # the same ledger, plus where each value was typed
    row = led[(led.city == "上饶") & (led.indicator == "A4")].iloc[0]
    assert row["source"] == "shangrao.xlsx › 指标 › E3"
    assert led[(led.city == "南昌") & (led.indicator == "A1")].iloc[0]["source"] == "nanchang.xlsx › 能源 › B6"
    src = (tmp_path / "a" / "sources.csv").read_text(encoding="utf-8").splitlines()
    # 上饶's A4 (the second city indicator, row 3 of 指标) came from shangrao.xlsx › 指标 › E3
    assert any(line.startswith("indicators,上饶,,A4,") and ",shangrao.xlsx,指标,E3," in line for line in src)


def test_a_clerks_mistakes_are_located_to_the_cell(returns):
    book = returns / "shangrao.xlsx"
    _cell(book, "指标", "E3", "12%")                      # A4 in 吨: not a percentage
    _cell(book, "指标", "E4", "1,280")                    # A5: thousands separator, read as 1280
    _cell(book, "指标", "E7", "１２")                     # A8: full-width digits, read as 12
    _cell(book, "指标", "E8", dt.datetime(2024, 3, 4))    # A9: a date in a number cell
    _cell(book, "能源", "B6", "=B5*1.02")                  # 2024 energy_total: a formula
    probs = _problems(returns)
    got = {(p.file, p.sheet, p.cell, p.city, p.column, p.code) for p in probs}
    assert got == {
        ("shangrao.xlsx", "指标", "E3", "上饶", "A4", Code.PERCENT_NOT_ALLOWED),
        ("shangrao.xlsx", "指标", "E8", "上饶", "A9", Code.DATE_CELL),
        ("shangrao.xlsx", "能源", "B6", "上饶", "energy_total", Code.FORMULA),
    }
    p = next(p for p in probs if p.cell == "E3")
    assert message(p) == "本列单位是吨，不是百分比；“12%”带%号或为百分比格式"


def test_wrong_year_wrong_city_duplicate_missing_and_edited_header(returns):
    wb = openpyxl.load_workbook(returns / "nanchang.xlsx")
    meta = wb["_meta"]
    meta["B3"] = 2023                                    # year
    wb.save(returns / "nanchang.xlsx")
    shutil.copy(returns / "jiujiang.xlsx", returns / "xinyu.xlsx")   # 九江's book under 新余's name
    shutil.copy(returns / "yingtan.xlsx", returns / "yingtan (1).xlsx")
    _cell(returns / "ganzhou.xlsx", "指标", "E1", "本年完成")          # header edited
    got = {(p.file, p.city, p.code) for p in _problems(returns)}
    assert got == {
        ("nanchang.xlsx", "南昌", Code.WORKBOOK_WRONG_YEAR),
        ("xinyu.xlsx", "九江", Code.WORKBOOK_WRONG_CITY),
        ("xinyu.xlsx", "新余", Code.WORKBOOK_MISSING),
        ("yingtan (1).xlsx", "鹰潭", Code.WORKBOOK_DUPLICATE_CITY),
        ("ganzhou.xlsx", "赣州", Code.HEADER_CHANGED),
    }


def test_statistics_bureau_figures_win_and_differences_are_listed(returns, tmp_path):
    wb = openpyxl.load_workbook(returns / "office.xlsx")
    ws = wb["统计"]
    # row 3 = 南昌 2020; 南昌 2024 is row 7. The city reported 1734.61 万tce and gdp 7132.59 亿元 for 2024.
    assert (ws["A7"].value, ws["B7"].value) == ("南昌", 2024)
    ws["C7"] = 1736.0   # 1734.61 / 1736 − 1 = −0.08 %: within 0.5 %, used, not listed
    ws["F7"] = 7200.0   # 7132.59 / 7200 − 1 = −0.94 %: used and listed
    wb.save(returns / "office.xlsx")
    run = service.save(_collect(returns), tmp_path / "out")
    rep = [p for p in run.collected.report if p.code == Code.STATS_DIFFER]
    assert [(p.city, p.column, p.cell, p.value, p.params["pct"]) for p in rep] == [
        ("南昌", "gdp", "F7", "7200", "-0.94")]
    energy = (tmp_path / "out" / "energy.csv").read_text(encoding="utf-8")
    assert "南昌,2024,1736,54.02,153.6,7200\n" in energy
    text = (tmp_path / "out" / "collect_report.csv").read_text(encoding="utf-8")
    assert "城市填报7132.59（nanchang.xlsx › 能源 › E6）" in text


def test_a_city_checks_its_own_workbook_before_sending(returns):
    ok = service.validate(RunOptions(2024, returns / "nanchang.xlsx"))
    assert (ok.city, ok.file, ok.warnings) == ("南昌", "nanchang.xlsx", [])
    book = returns / "shangrao.xlsx"
    _cell(book, "指标", "E3", "12%")
    _cell(book, "指标", "E5", None)                       # A6 applies (目标 given): must be reported
    wb = openpyxl.load_workbook(book)
    row = next(r for r in wb["指标"].iter_rows(min_row=2) if r[0].value == "B1")
    assert row[3].value == "不适用"                       # 上饶 has no B1 target in the sample
    row[4].value = 5                                       # a value there is ignored, with a warning
    wb.save(book)
    with pytest.raises(InputError) as e:
        service.validate(RunOptions(2024, book))
    assert {(p.cell, p.column, p.code) for p in e.value.problems} == {
        ("E3", "A4", Code.PERCENT_NOT_ALLOWED), ("E5", "A6", Code.MISSING_VALUE)}
    with pytest.raises(InputError) as e:
        service.validate(RunOptions(2023, returns / "nanchang.xlsx"))
    assert [p.code for p in e.value.problems] == [Code.WORKBOOK_WRONG_YEAR]


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_a_broken_workbook_is_a_located_problem_never_a_crash(returns, damage):
    book = returns / "shangrao.xlsx"
    data = book.read_bytes()
    book.write_bytes({"garbage": b"\x00\xffnot a zip" * 100, "truncated": data[: len(data) // 2], "empty": b""}[damage])
    probs = _problems(returns)
    mine = [p for p in probs if p.file == "shangrao.xlsx"]
    assert [p.code for p in mine] in ([Code.WORKBOOK_UNREADABLE], [Code.WORKBOOK_TOO_LARGE])
    assert probs == mine  # nothing else: no echo of the unreadable book in the other tables
