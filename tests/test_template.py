"""`jxscore template`: the per-city reporting workbooks and office.xlsx follow the layout contract
(jxscore.io.workbooks) — sheets, headers, rows, pre-filled and locked cells, a data validation with the
spec's range on every input cell, protection, the hidden _meta — and are byte-for-byte reproducible."""

import csv
import hashlib
import shutil
from pathlib import Path

import openpyxl
import pytest

from jxscore import __version__
from jxscore.core.problems import Code, InputError, UsageError
from jxscore.io import workbooks as W
from jxscore.io.template import write_template
from jxscore.resources import default_criteria_path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
YEAR = 2024
CODES = [f"A{i}" for i in range(3, 11)] + [f"B{i}" for i in range(1, 19)] + ["D1", "D2"]


@pytest.fixture(scope="module")
def books(tmp_path_factory, criteria):
    out = tmp_path_factory.mktemp("tpl") / "books"
    names = write_template(criteria, YEAR, out, criteria_path=default_criteria_path(), targets=DATA)
    assert names == [f"{e.slug}.xlsx" for e in criteria.entities] + ["office.xlsx"]
    return out


def _load(path):
    return openpyxl.load_workbook(path)


def _rules(ws):
    """cell coordinate → its data validation (each cell is covered by at most one)."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            for row in ws[rng.coord] if ":" in rng.coord else [[ws[rng.coord]]]:
                for cell in row:
                    assert cell.coordinate not in out, f"{ws.title}!{cell.coordinate} has two validations"
                    out[cell.coordinate] = dv
    return out


def _targets_row(city):
    with (DATA / "targets.csv").open(encoding="utf-8-sig") as f:
        return next(r for r in csv.DictReader(f) if r["city"] == city)


def test_one_workbook_per_city_and_the_office(books, criteria):
    assert sorted(p.name for p in books.iterdir()) == sorted(
        [f"{e.slug}.xlsx" for e in criteria.entities] + ["office.xlsx"])
    assert not [p for p in books.parent.iterdir() if "staging" in p.name]


def test_city_sheets_headers_and_years(books, criteria):
    wb = _load(books / "jian.xlsx")
    assert wb.sheetnames == list(W.CITY_SHEETS) == ["填报说明", "能源", "指标", "项目", "_meta"]
    ws = wb[W.ENERGY]
    heads = [h for _, h in W.energy_headers(criteria)]
    assert [c.value for c in ws[W.HEADER_ROW]] == heads and heads[0] == "年份"
    years = [ws.cell(r, 1).value for r in range(W.FIRST_ROW, ws.max_row + 1)]
    assert years == list(range(2020, YEAR + 1)) == list(W.energy_years(criteria, YEAR))
    for r in range(W.FIRST_ROW, ws.max_row + 1):
        assert ws.cell(r, 1).protection.locked
        assert all(not ws.cell(r, j).protection.locked and ws.cell(r, j).value is None
                   for j in range(2, len(heads) + 1))
    assert ws.freeze_panes == "B2"
    ws = wb[W.INDICATORS]
    assert tuple(c.value for c in ws[W.HEADER_ROW]) == W.INDICATOR_HEADERS
    codes = [ws[f"{W.INDICATOR_CODE_COLUMN}{r}"].value for r in range(W.FIRST_ROW, ws.max_row + 1)]
    assert codes == CODES == [i.code for i in W.city_indicators(criteria)]
    ws = wb[W.PROJECTS]
    assert tuple(c.value for c in ws[W.HEADER_ROW]) == W.PROJECT_HEADERS
    assert ws.max_row == W.FIRST_ROW + W.PROJECT_ROWS - 1
    text = "\n".join(str(c.value) for row in wb[W.INSTRUCTIONS].iter_rows() for c in row if c.value)
    for must in (criteria.scheme.name, f"{YEAR}年", "吉安市", "联系人", "考核办公室",
                 f"jxscore validate --year {YEAR} --data jian.xlsx", "NA", "不适用", "公式", "万吨标准煤",
                 "2020年不变价", "14.5表示14.5%", "A3、A9", "B5–B18", "NOx计入A4"):
        assert must in text, must


def test_indicator_rows_prefilled_locked_and_targets_from_file(books, criteria):
    ws = _load(books / "jian.xlsx")[W.INDICATORS]
    tg = _targets_row("吉安")
    assert tg["B1"] == ""  # the sample data: 吉安 has no steel capacity target
    T, V = W.INDICATOR_TARGET_COLUMN, W.INDICATOR_VALUE_COLUMN
    for r, code in enumerate(CODES, start=W.FIRST_ROW):
        ind = criteria.indicator(code)
        assert [ws.cell(r, j).value for j in (1, 2, 3)] == [code, ind.name, ind.unit]
        assert all(ws.cell(r, j).protection.locked for j in (1, 2, 3, 4))
        assert not ws[f"{W.INDICATOR_NOTE_COLUMN}{r}"].protection.locked
        target = ws[f"{T}{r}"].value
        if code == "B1":
            assert target == W.NOT_APPLICABLE == "不适用"
            assert ws[f"{V}{r}"].protection.locked
        elif ind.target:
            assert target == pytest.approx(float(tg[code]))
            assert not ws[f"{V}{r}"].protection.locked
        else:
            assert target is None and not ws[f"{V}{r}"].protection.locked
    rules = _rules(ws)
    b1 = CODES.index("B1") + W.FIRST_ROW
    assert f"{V}{b1}" not in rules  # nothing to fill, nothing to validate
    other = _load(books / "nanchang.xlsx")[W.INDICATORS]
    assert other[f"{T}{b1}"].value == pytest.approx(float(_targets_row("南昌")["B1"]))
    assert not other[f"{V}{b1}"].protection.locked


def test_validations_carry_the_spec_ranges(books):
    ws = _load(books / "nanchang.xlsx")[W.INDICATORS]
    rules = _rules(ws)
    V = W.INDICATOR_VALUE_COLUMN
    row = {code: r for r, code in enumerate(CODES, start=W.FIRST_ROW)}

    def formula(code):
        dv = rules[f"{V}{row[code]}"]
        assert dv.type == "custom" and dv.showErrorMessage and dv.errorStyle == "stop"
        assert dv.error and dv.errorTitle and dv.prompt and dv.promptTitle
        return dv.formula1

    ref = f"{V}{row['B6']}"
    assert formula("B6").startswith(f"OR(AND(ISNUMBER({ref}),{ref}>=0,{ref}<=100)")  # a share: 0–100
    assert f'{ref}="NA"' in formula("B6") and f'{ref}="不适用"' in formula("B6")
    assert "0与100之间" in rules[ref].error and "百分数" in rules[ref].prompt
    ref = f"{V}{row['A3']}"
    assert f"{ref}<=100" in formula("A3") and ">=" not in formula("A3")  # a cumulative reduction may be negative
    ref = f"{V}{row['A4']}"
    assert f"{ref}>=0" in formula("A4") and "<=" not in formula("A4") and "吨" in rules[ref].prompt
    ref = f"{V}{row['D1']}"
    assert formula("D1") == f"AND(ISNUMBER({ref}),{ref}>=0,INT({ref})={ref})"  # a count: whole, ≥ 0, no NA
    assert rules[ref].error.startswith("D1 国家级节能减排示范、试点")
    # energy: ranges and "total above raw" in the same row
    ws = _load(books / "nanchang.xlsx")[W.ENERGY]
    rules = _rules(ws)
    L = W.energy_columns(_crit())
    last = W.FIRST_ROW + YEAR - 2020
    total = rules[f"{L['energy_total']}{W.FIRST_ROW}"]
    assert str(total.sqref) == f"B2:B{last}"
    assert "OR(NOT(ISNUMBER(C2)),B2>C2)" in total.formula1 and "原料用能" in total.error
    assert "E2>0" in rules["E2"].formula1 and "C2>=0" in rules["C2"].formula1
    # projects
    ws = _load(books / "nanchang.xlsx")[W.PROJECTS]
    rules = _rules(ws)
    P = W.PROJECT_COLUMN_LETTERS
    last = W.FIRST_ROW + W.PROJECT_ROWS - 1
    dv = rules[f"{P['pollutant']}{last}"]
    assert dv.type == "list" and dv.formula1 == '"NOx,VOCs,COD,NH3N"'
    dv = rules[f"{P['reduction']}2"]
    assert (dv.type, dv.operator, dv.formula1) == ("decimal", "greaterThan", "0")
    dv = rules[f"{P['count_year']}2"]
    assert (dv.type, dv.operator, dv.formula1, dv.formula2) == ("whole", "between", "2021", str(YEAR))
    dv = rules[f"{P['completion_date']}2"]
    assert dv.type == "date" and dv.operator == "between"
    assert ws[f"{P['completion_date']}2"].number_format == "yyyy-mm-dd"
    dv = rules[f"{P['uscc']}2"]
    assert (dv.type, dv.operator, dv.formula1) == ("textLength", "equal", "18")
    assert ws[f"{P['uscc']}2"].number_format == "@"  # an all-digit code stays text


def _crit():
    from jxscore.core.criteria import load_criteria

    return load_criteria()


def _every_book(books):
    for p in sorted(books.iterdir()):
        wb = _load(p)
        yield p.name, wb


def test_every_input_cell_validated_every_sheet_protected_printable(books):
    for name, wb in _every_book(books):
        assert wb.security is not None and wb.security.lockStructure, name
        for ws in wb.worksheets:
            assert ws.protection.sheet and not ws.protection.password, (name, ws.title)
            if ws.title == W.META:
                assert ws.sheet_state == "hidden"
                assert all(c.protection.locked for row in ws.iter_rows() for c in row)
                continue
            assert ws.sheet_state == "visible"
            rules = _rules(ws)
            unlocked = {c.coordinate for row in ws.iter_rows() for c in row if not c.protection.locked}
            assert unlocked and unlocked == set(rules), (name, ws.title, sorted(unlocked ^ set(rules))[:5])
            for dv in ws.data_validations.dataValidation:
                assert dv.showErrorMessage and dv.showInputMessage and dv.allow_blank
                assert len(dv.error) <= 255 and len(dv.prompt) <= 255 and len(dv.formula1) <= 255
                assert 0 < len(dv.errorTitle) <= 32 and 0 < len(dv.promptTitle) <= 32
                assert dv.showDropDown in (None, False)  # openpyxl: True would hide the drop-down arrow
            ps = ws.page_setup
            assert int(ps.paperSize) == int(ws.PAPERSIZE_A4) == 9 and ps.fitToWidth >= 1
            assert ws.sheet_properties.pageSetUpPr.fitToPage
            assert all(ws.column_dimensions[L].width for L in "AB")


def test_meta_names_the_city_the_year_and_the_criteria(books, criteria):
    sha = hashlib.sha256(default_criteria_path().read_bytes()).hexdigest()
    for e in criteria.entities:
        ws = _load(books / f"{e.slug}.xlsx")[W.META]
        meta = {ws[f"{W.META_KEY_COLUMN}{r}"].value: ws[f"{W.META_VALUE_COLUMN}{r}"].value
                for r in range(1, ws.max_row + 1)}
        assert list(meta) == list(W.META_KEYS)
        assert meta == {"kind": "city", "scheme": criteria.scheme.name, "year": YEAR, "city": e.name,
                        "city_code": e.code, "slug": e.slug, "criteria_sha256": sha, "tool_version": __version__}
        assert W.Meta.from_values({k: str(v) for k, v in meta.items()}) == W.Meta(
            "city", criteria.scheme.name, YEAR, e.name, e.code, e.slug, sha, __version__)
    ws = _load(books / W.OFFICE_FILE)[W.META]
    meta = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, ws.max_row + 1)}
    assert meta["kind"] == "office" and meta["year"] == YEAR and meta["criteria_sha256"] == sha
    assert meta["city"] is None and ws.sheet_state == "hidden"


def test_office_sheets(books, criteria):
    wb = _load(books / W.OFFICE_FILE)
    assert wb.sheetnames == list(W.OFFICE_SHEETS) == ["目标", "核查", "统计", "专家评分", "_meta"]
    names = criteria.entity_names
    ws = wb[W.OFFICE_TARGETS]
    fields = [c.value for c in ws[W.HEADER_ROW]]
    assert fields == W.office_target_fields(criteria)
    assert fields[:6] == ["city", "T5", "T5_inc", "gdp_growth", "A1_annual", "A2_adjust"]
    assert fields[6:] == CODES[:-2]
    labels = [c.value for c in ws[W.OFFICE_LABEL_ROW]]
    assert labels[0] == "设区市" and labels[1] == "“十四五”能耗强度降低基本目标（%）" and labels[6].endswith("（%）")
    assert [ws.cell(r, 1).value for r in range(W.OFFICE_FIRST_ROW, ws.max_row + 1)] == names
    col = W.columns(fields)
    for r, city in enumerate(names, start=W.OFFICE_FIRST_ROW):
        tg = _targets_row(city)
        assert ws.cell(r, 1).protection.locked
        for f in fields[1:]:
            v = ws[f"{col[f]}{r}"].value
            assert not ws[f"{col[f]}{r}"].protection.locked
            assert v == "NA" if tg[f] == "" else v == pytest.approx(float(tg[f])), (city, f)
    jian = W.OFFICE_FIRST_ROW + names.index("吉安")
    assert ws[f"{col['B1']}{jian}"].value == "NA"
    rules = _rules(ws)
    assert rules[f"{col['T5_inc']}3"].formula1 == "AND(ISNUMBER(C3),C3>0,C3<100,OR(NOT(ISNUMBER(B3)),C3>B3))"
    assert 'G3="NA"' in rules[f"{col['A3']}3"].formula1 and "G3>0" in rules[f"{col['A3']}3"].formula1
    assert ws.freeze_panes == "B3"
    ws = wb[W.OFFICE_REVIEW]
    fields = [c.value for c in ws[W.HEADER_ROW]]
    assert fields == ["city"] + W.office_review_fields(criteria) == ["city", "C1", "C2", "C3", "C4", "C5", "C6",
                                                                      "C2_unapproved", "C2_lianggao", "fraud"]
    assert ws.cell(W.OFFICE_LABEL_ROW, 2).value == "组织领导与目标分解（0–3分）"
    assert [ws.cell(r, 1).value for r in range(W.OFFICE_FIRST_ROW, ws.max_row + 1)] == names
    rules = _rules(ws)
    assert rules["B3"].formula1 == "AND(ISNUMBER(B3),B3>=0,B3<=3)"
    assert rules["J3"].formula1 == "AND(ISNUMBER(J3),OR(J3=0,J3=1))"
    ws = wb[W.OFFICE_STATS]
    assert [c.value for c in ws[W.HEADER_ROW]] == ["city", "year", "energy_total", "energy_raw", "renewable_power",
                                                    "gdp"] == W.office_stats_fields(criteria)
    assert ws.cell(W.OFFICE_LABEL_ROW, 6).value == "地区生产总值（亿元，2020年不变价）"
    keys = [(ws.cell(r, 1).value, ws.cell(r, 2).value) for r in range(W.OFFICE_FIRST_ROW, ws.max_row + 1)]
    assert keys == [(c, y) for c in names for y in range(2020, YEAR + 1)]
    assert all(ws.cell(r, 3).value is None for r in range(W.OFFICE_FIRST_ROW, ws.max_row + 1))
    ws = wb[W.OFFICE_EXPERTS]
    assert tuple(c.value for c in ws[W.HEADER_ROW]) == W.REVIEW_HEADERS
    assert ws.max_row == W.FIRST_ROW + W.REVIEW_ROWS - 1
    rules = _rules(ws)
    assert rules["A2"].type == "list" and rules["A2"].formula1 == '"' + ",".join(names) + '"'
    assert rules["B401"].formula1 == '"C1,C2,C3,C4,C5,C6"'
    assert (rules["D2"].type, rules["D2"].operator, rules["D2"].formula1) == ("decimal", "greaterThanOrEqual", "0")


def test_same_inputs_same_bytes(books, criteria, tmp_path):
    again = tmp_path / "again"
    write_template(criteria, YEAR, again, criteria_path=default_criteria_path(), targets=DATA)
    for p in books.iterdir():
        assert (again / p.name).read_bytes() == p.read_bytes(), p.name
    wb = _load(books / "nanchang.xlsx")
    assert wb.properties.creator == "jxscore" and wb.properties.created == wb.properties.modified


def test_without_targets_every_value_is_open_and_a_password_is_set(criteria, tmp_path):
    out = tmp_path / "blank"
    write_template(criteria, YEAR, out, password="s3cret")
    wb = _load(out / "jian.xlsx")
    ws = wb[W.INDICATORS]
    for r in range(W.FIRST_ROW, ws.max_row + 1):
        assert ws[f"{W.INDICATOR_TARGET_COLUMN}{r}"].value is None
        assert not ws[f"{W.INDICATOR_VALUE_COLUMN}{r}"].protection.locked
    assert all(ws.protection.password for ws in wb.worksheets)
    assert wb.security.workbookPassword
    office = _load(out / W.OFFICE_FILE)[W.OFFICE_TARGETS]
    assert all(office.cell(r, 2).value is None for r in range(W.OFFICE_FIRST_ROW, office.max_row + 1))


def test_targets_as_a_csv_file_or_a_workbook_sheet(criteria, tmp_path):
    write_template(criteria, YEAR, tmp_path / "a", targets=DATA / "targets.csv")
    with (DATA / "targets.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    wb = openpyxl.Workbook()
    wb.active.title = "targets"
    for r in rows:
        wb.active.append([r[0]] + [float(v) if v else None for v in r[1:]] if r[0] != "city" else r)
    wb.save(tmp_path / "t.xlsx")
    write_template(criteria, YEAR, tmp_path / "b", targets=tmp_path / "t.xlsx")
    for name in ("jian.xlsx", "office.xlsx"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_bad_targets_or_out_path_write_nothing(criteria, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    text = (DATA / "targets.csv").read_text(encoding="utf-8-sig").replace("南昌,14.00", "南昌,abc", 1)
    (bad / "targets.csv").write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as e:
        write_template(criteria, YEAR, tmp_path / "out", targets=bad)
    assert [(p.code, p.column, p.city) for p in e.value.problems] == [(Code.NOT_A_NUMBER, "T5", "南昌")]
    with pytest.raises(InputError):
        write_template(criteria, YEAR, tmp_path / "out", targets=tmp_path / "nope")
    with pytest.raises(UsageError) as e:
        write_template(criteria, YEAR, tmp_path / "book.xlsx")
    assert e.value.problems[0].code == Code.OUT_PATH
    assert not (tmp_path / "out").exists() and not (tmp_path / "book.xlsx").exists()


def test_filled_workbooks_collect_back_to_the_same_data(books, criteria, tmp_path):
    """The contract both ways: fill the written workbooks from data/ by the layout constants (the
    sample returns' own filler, data/make_returns.py), and `jxscore collect` reads back data/'s tables."""
    import importlib.util

    from jxscore.io.intake import canonical_frames, collect

    filled = tmp_path / "filled"
    shutil.copytree(books, filled)

    def rows(name):
        with (DATA / f"{name}.csv").open(encoding="utf-8-sig") as f:
            return list(csv.DictReader(f))

    def num(v):
        return None if v == "" else float(v)

    spec = importlib.util.spec_from_file_location("make_returns", ROOT / "data" / "make_returns.py")
    make_returns = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_returns)
    make_returns.fill(filled, criteria)
    heads = W.energy_headers(criteria)
    assert len(heads) == 5
    got = canonical_frames(collect(YEAR, filled, criteria, default_criteria_path()), criteria)
    for name in ("energy", "indicators", "targets"):
        want = rows(name)
        table = [dict(zip(got[name][0], r)) for r in got[name][1:]]
        assert len(table) == len(want)
        for a, b in zip(table, want):
            for k, v in b.items():
                if k == "city":
                    assert a[k] == v
                else:
                    got_v = num(a[k]) if a[k] not in ("", "NA") else None
                    assert got_v == pytest.approx(num(v)), (name, b["city"], k)


def test_the_service_builds_then_save_writes_the_same_workbooks(criteria, tmp_path):
    from jxscore import service

    write_template(criteria, YEAR, tmp_path / "direct", criteria_path=default_criteria_path(), targets=DATA)
    run = service.template(service.TemplateOptions(YEAR, targets=DATA))
    assert run.files == [] and not (tmp_path / "svc").exists()  # built, nothing written yet
    run = service.save(run, tmp_path / "svc")
    assert run.files == [f"{e.slug}.xlsx" for e in criteria.entities] + ["office.xlsx"]
    for name in run.files:
        assert (tmp_path / "svc" / name).read_bytes() == (tmp_path / "direct" / name).read_bytes()
    bad = tmp_path / "bad"
    bad.mkdir()
    text = (DATA / "targets.csv").read_text(encoding="utf-8-sig").replace("南昌,14.00", "南昌,abc", 1)
    (bad / "targets.csv").write_text(text, encoding="utf-8")
    with pytest.raises(InputError):
        service.template(service.TemplateOptions(YEAR, targets=bad))
