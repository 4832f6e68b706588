"""The bundled sample returns (data/returns/, made by data/make_returns.py): collected and scored they
give the sample's scores; a spreadsheet program's re-save keeps them readable, validated and protected."""

import importlib.util
import shutil
from pathlib import Path

import openpyxl

from jxscore import service
from jxscore.service import CollectOptions, RunOptions
from libreoffice import resave

ROOT = Path(__file__).resolve().parents[1]
RETURNS = ROOT / "data" / "returns"


def _make_returns():
    spec = importlib.util.spec_from_file_location("make_returns", ROOT / "data" / "make_returns.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_bundled_returns_are_what_the_script_writes(tmp_path):
    out = _make_returns().main(tmp_path / "returns")
    names = sorted(p.name for p in RETURNS.glob("*.xlsx"))
    assert names == sorted(p.name for p in out.glob("*.xlsx")) and len(names) == 12
    for n in names:
        assert (out / n).read_bytes() == (RETURNS / n).read_bytes(), f"{n}: run data/make_returns.py"


def test_collected_returns_score_as_the_sample(tmp_path):
    col = service.save(service.collect(CollectOptions(2024, RETURNS)), tmp_path / "data")
    # the cities' 项目 sheets and the office's 专家评分 carry the sample's project list and panels (§8, §9)
    assert {"projects.csv", "reviews.csv"} <= set(col.files)
    via = service.save(service.score(RunOptions(2024, tmp_path / "data")), tmp_path / "a")
    service.save(service.score(RunOptions(2024, ROOT / "data")), tmp_path / "b")
    for name in ("scores.csv", "verification.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert via.result.scores.set_index("city").loc["抚州", ["total", "grade"]].tolist() == [99.4, "基本完成"]
    assert via.result.scores.set_index("city").loc["南昌", "total"] == 103.34  # the sample's first city


def test_a_libreoffice_resave_is_still_collected(tmp_path):
    books = tmp_path / "books"
    shutil.copytree(RETURNS, books)
    for name in ("shangrao.xlsx", "office.xlsx"):
        saved = resave(books / name, tmp_path / "lo")
        shutil.copy(saved, books / name)
    wb = openpyxl.load_workbook(books / "shangrao.xlsx")
    ws = wb["指标"]
    assert ws.protection.sheet and len(ws.data_validations.dataValidation) > 0
    assert wb["_meta"].sheet_state == "hidden"
    assert ws["A3"].protection.locked and not ws["E3"].protection.locked  # codes locked, the value cell open
    a = service.collect(CollectOptions(2024, books)).collected
    b = service.collect(CollectOptions(2024, RETURNS)).collected
    assert [t.cells for t in a.tables.values()] == [t.cells for t in b.tables.values()]
