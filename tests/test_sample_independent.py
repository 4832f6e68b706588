"""The sample data (data/*.csv, 2024) scored twice: by jxscore and by the independent scorer in
data/make_sample.py (standard library only, RULEBOOK §2/§5 re-implemented without the engine).
Every city's total, grade, rank, subtotals, caps and vetoes must agree."""

from __future__ import annotations

import csv
import importlib.util
import io
from pathlib import Path

import pytest

from jxscore import service
from jxscore.service import RunOptions

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="module")
def make_sample():
    spec = importlib.util.spec_from_file_location("make_sample", DATA / "make_sample.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # defines the tables and the scorer; writes nothing (main() is not run)
    return mod


def read(name: str) -> tuple[list[str], list[list[str]]]:
    with open(DATA / name, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


@pytest.fixture(scope="module")
def independent(make_sample):
    """The script's own scorer run on the CSV files as they are on disk."""
    energy, indicators, targets = read("energy.csv"), read("indicators.csv"), read("targets.csv")
    return make_sample.score(energy[1], indicators, targets)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    """jxscore's scores.csv for the sample, 2024, read back as text."""
    out = tmp_path_factory.mktemp("sample_scores")
    service.save(service.score(RunOptions(2024, DATA)), out)
    with open(out / "scores.csv", encoding="utf-8-sig", newline="") as fh:
        return {r["city"]: r for r in csv.DictReader(fh)}


def test_the_csv_files_are_what_the_script_writes(make_sample):
    """Byte for byte: the data on disk were not edited by hand after generation."""
    for name, build in (("energy.csv", make_sample.build_energy), ("targets.csv", make_sample.build_targets),
                        ("indicators.csv", make_sample.build_indicators)):
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        header, rows = build()
        w.writerow(header)
        w.writerows(rows)
        assert (DATA / name).read_bytes() == buf.getvalue().encode("utf-8"), name


def test_independent_scorer_still_covers_what_the_sample_is_meant_to_show(make_sample, independent):
    make_sample.check(independent)  # the script's own assertions (data/README.md), on the files on disk


def test_all_eleven_cities_score_the_same(make_sample, independent, engine):
    assert list(engine) != [] and set(engine) == set(make_sample.CITIES)
    got, want = {}, {}
    for city in make_sample.CITIES:
        e, x = engine[city], independent[city]
        got[city] = (float(e["total"]), e["grade"], int(e["rank"]))
        want[city] = (x["total"], x["grade"], x["rank"])
    assert got == want


def test_subtotals_caps_vetoes_and_a1_agree(make_sample, independent, engine):
    for city in make_sample.CITIES:
        e, x = engine[city], independent[city]
        for cat in "ABCD":
            assert float(e[cat]) == pytest.approx(x["cat"][cat], abs=1e-6), (city, cat)
        assert e["base_grade"] == x["base"], city
        assert e["caps"] == ";".join(x["caps"]), city
        assert e["vetoes"] == ";".join(x["vetoes"]), city
        assert e["exempt"] == ("A2" if x["inc"] else ""), city
        assert e["city_code"] == make_sample.CODES[city]
        for key, ref in (("A1.c", "c"), ("A1.r", "r"), ("A1.p", "p"), ("A1.p_inc", "p_inc"),
                         ("A2.allowance", "allowance"), ("A2.over", "over")):
            assert float(e[key]) == pytest.approx(x[ref], abs=1e-6), (city, key)


def test_sample_ranking_as_documented(engine):
    """The order the sample is built to give (the table in data/README.md): grade first — 超额完成 南昌 103.34,
    宜春 103.00, 抚州 100.00; 完成 九江 101.00 (G2), 景德镇 91.76, 萍乡 90.38; 基本完成 鹰潭 91.62 (G1),
    上饶 77.32; 未完成 赣州 92.50 (V2), 新余 75.10 (V1), 吉安 60.71 (V1)."""
    order = sorted(engine, key=lambda c: int(engine[c]["rank"]))
    assert order == ["南昌", "宜春", "抚州", "九江", "景德镇", "萍乡", "鹰潭", "上饶", "赣州", "新余", "吉安"]
    assert [engine[c]["total"] for c in order] == ["103.34", "103", "100", "101", "91.76", "90.38", "91.62",
                                                   "77.32", "92.5", "75.1", "60.71"]
