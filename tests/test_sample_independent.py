"""The sample data (data/*.csv, 2024) scored twice: by jxscore and by the independent scorer in
data/make_sample.py (standard library only, RULEBOOK §2/§5 and the verification of §8/§9 re-implemented
without the engine). Every city's total, grade, rank, subtotals, caps and vetoes must agree, and so must
the verification findings (verification.csv) for the sample's project list and expert panels."""

from __future__ import annotations

import csv
import importlib.util
import io
from pathlib import Path

import pytest

from jxscore import service
from jxscore.service import RunOptions

DATA = Path(__file__).resolve().parent.parent / "data"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, DATA / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # defines the tables and the scorer; writes nothing (main() is not run)
    return mod


@pytest.fixture(scope="module")
def make_sample():
    return _load("make_sample")


@pytest.fixture(scope="module")
def make_verification():
    return _load("make_verification")


def read(name: str) -> tuple[list[str], list[list[str]]]:
    with open(DATA / name, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


@pytest.fixture(scope="module")
def independent(make_sample):
    """The script's own scorer run on the CSV files as they are on disk, verification tables included."""
    energy, indicators, targets = read("energy.csv"), read("indicators.csv"), read("targets.csv")
    return make_sample.score(energy[1], indicators, targets, read("projects.csv"), read("reviews.csv"))


@pytest.fixture(scope="module")
def engine_out(tmp_path_factory):
    """jxscore's outputs for the sample, 2024."""
    out = tmp_path_factory.mktemp("sample_scores")
    service.save(service.score(RunOptions(2024, DATA)), out)
    return out


@pytest.fixture(scope="module")
def engine(engine_out):
    """jxscore's scores.csv for the sample, read back as text."""
    with open(engine_out / "scores.csv", encoding="utf-8-sig", newline="") as fh:
        return {r["city"]: r for r in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def findings(engine_out):
    """jxscore's verification.csv for the sample."""
    with open(engine_out / "verification.csv", encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_csv_files_are_what_the_script_writes(make_sample, make_verification):
    """Byte for byte: the data on disk were not edited by hand after generation."""
    projects, reviews, _ = make_verification.build()  # reads indicators.csv and targets.csv
    for name, build in (("energy.csv", make_sample.build_energy), ("targets.csv", make_sample.build_targets),
                        ("indicators.csv", make_sample.build_indicators), ("projects.csv", lambda: projects),
                        ("reviews.csv", lambda: reviews)):
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


def test_verification_findings_agree(make_sample, independent, findings):
    """verification.csv holds, per city, exactly the findings the independent §8/§9 re-implementation
    finds (code and key: project_id, indicator or item); a P-DUP names the project that was kept."""
    got, want = {}, {}
    for f in findings:
        got.setdefault(f["city"], set()).add(f["code"])
    for city in make_sample.CITIES:
        if independent[city]["findings"]:
            want[city] = {code for code, _, _ in independent[city]["findings"]}
    assert got == want
    assert sorted((f["city"], f["code"], f["key"]) for f in findings) == sorted(
        (city, code, key) for city in make_sample.CITIES for code, key, _ in independent[city]["findings"])
    for f in findings:
        if f["code"] == "P-DUP":
            kept = next(d for c, k, d in independent[f["city"]]["findings"] if k == f["key"]).split()[0]
            assert kept in f["detail"], f
        assert f["excluded"] == ("1" if f["code"].startswith("P-") else "0"), f


def test_sample_ranking_as_documented(engine):
    """The order the sample is built to give (the table in data/README.md): grade first — 超额完成 南昌 103.34,
    宜春 103.00; 完成 九江 101.00 (G2), 景德镇 91.76, 萍乡 90.38; 基本完成 抚州 99.40 (G1: its NOx projects
    verify 816 t against a claim of 1010 and a target of 960, so A4 f = 0.85 and A = 50 − 4·0.15 = 49.40),
    鹰潭 91.62 (G1), 上饶 77.32; 未完成 赣州 92.50 (V2), 新余 75.10 (V1), 吉安 60.71 (V1).
    Without projects.csv 抚州 would be 超额完成 with 100.00, 3rd; 九江, 景德镇 and 萍乡 move up one place."""
    order = sorted(engine, key=lambda c: int(engine[c]["rank"]))
    assert order == ["南昌", "宜春", "九江", "景德镇", "萍乡", "抚州", "鹰潭", "上饶", "赣州", "新余", "吉安"]
    assert [engine[c]["total"] for c in order] == ["103.34", "103", "101", "91.76", "90.38", "99.4", "91.62",
                                                   "77.32", "92.5", "75.1", "60.71"]
