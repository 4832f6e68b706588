"""jxscore diff (issue 15 item 3): two score output folders compared, the expected rows worked by hand.

Hand-built runs (3 cities, 2 ledger rows each; A old, B new):
- 南昌: nothing scored changes (only A3's note is reworded) → no ledger row; its total 90.00 stays, but
  景德镇 overtakes it, so its rank goes 1 → 2 (a `city` row with fields `rank`).
- 景德镇 A3: actual 5 → 10 against target 10, f = 5/10 = 0.5 → 1, points 4·0.5 = 2 → 4; total
  89.00 + 2 = 91.00, rank 2 → 1.
- 萍乡 A4: actual 900 → 1000 against target 1000, f 0.9 → 1, points 4·0.9 = 3.6 → 4; total 82.00 + 0.4 =
  82.40; G1 (A4 short of its target) is lifted, so the grade goes 基本完成 → 完成 (82.40 ≥ 80); rank 3.
  Its new note starts with `=` (written `'=` by the score writer): diff.csv writes it guarded once.
- 景德镇 B1 (不适用) and 萍乡 D1 are the same in both runs.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jxscore.analysis.diff import CSV_COLUMNS, Diff, diff_frames, diff_runs, write_diff
from jxscore.cli import app
from jxscore.core.problems import Code, InputError

ROOT = Path(__file__).resolve().parents[1]
RUNNER = CliRunner()

SCORES_HEAD = "rank,city,city_code,grade,base_grade,total,A,B,C,D,vetoes,caps,exempt,missing"
LEDGER_HEAD = ("city,city_code,category,indicator,name,unit,rule,actual,target,fraction,points_nominal,weight,points,"
               "flags,note")
SCORES_A = """1,南昌,360100,完成,完成,90,40,30,20,0,,,,
2,景德镇,360200,完成,完成,89,39,30,20,0,,,,
3,萍乡,360300,基本完成,完成,82,32,30,20,0,,G1,,
"""
SCORES_B = """1,景德镇,360200,完成,完成,91,41,30,20,0,,,,
2,南昌,360100,完成,完成,90,40,30,20,0,,,,
3,萍乡,360300,完成,完成,82.4,32.4,30,20,0,,,,
"""
LEDGER_A = """南昌,360100,A,A3,规上工业单位增加值能耗累计降低,%,ratio,10.2,9.5,1,4,4,4,,实际10.2%，达到目标9.5%
南昌,360100,A,A4,氮氧化物重点工程累计减排量,吨,ratio,3050,2880,1,4,4,4,,"完成3,050吨，达到目标2,880吨"
景德镇,360200,A,A3,规上工业单位增加值能耗累计降低,%,ratio,5,10,0.5,4,4,2,,实际5%，目标10%，完成率50%
景德镇,360200,B,B1,钢铁产能超低排放改造累计完成,万吨,ratio,,,,3,0,0,不适用,未下达目标，不适用
萍乡,360300,A,A4,氮氧化物重点工程累计减排量,吨,ratio,900,1000,0.9,4,4,3.6,,完成900吨，目标1000吨，完成率90%
萍乡,360300,D,D1,国家级节能减排示范、试点,个,bonus,0,,0,3,3,0,,无
"""
LEDGER_B = """南昌,360100,A,A3,规上工业单位增加值能耗累计降低,%,ratio,10.2,9.5,1,4,4,4,,实际10.2%，已达到目标9.5%
南昌,360100,A,A4,氮氧化物重点工程累计减排量,吨,ratio,3050,2880,1,4,4,4,,"完成3,050吨，达到目标2,880吨"
景德镇,360200,A,A3,规上工业单位增加值能耗累计降低,%,ratio,10,10,1,4,4,4,,实际10%，达到目标10%
景德镇,360200,B,B1,钢铁产能超低排放改造累计完成,万吨,ratio,,,,3,0,0,不适用,未下达目标，不适用
萍乡,360300,A,A4,氮氧化物重点工程累计减排量,吨,ratio,1000,1000,1,4,4,4,,'=复查后认定1000吨
萍乡,360300,D,D1,国家级节能减排示范、试点,个,bonus,0,,0,3,3,0,,无
"""


def run_folder(path: Path, scores: str, ledger: str, *, year: int = 2024, criteria: str = "c" * 64,
               input_hash: str = "a" * 64) -> Path:
    """A score output folder as `jxscore score` writes it (BOM, LF), by hand."""
    path.mkdir(parents=True)
    (path / "scores.csv").write_text("\ufeff" + SCORES_HEAD + "\n" + scores, encoding="utf-8")
    (path / "ledger.csv").write_text("\ufeff" + LEDGER_HEAD + "\n" + ledger, encoding="utf-8")
    man = {"tool": "jxscore", "year": year, "criteria": {"jiangxi.toml": criteria}, "input_hash": input_hash}
    (path / "manifest.json").write_text(json.dumps(man), encoding="utf-8")
    return path


@pytest.fixture
def runs(tmp_path):
    return (run_folder(tmp_path / "A", SCORES_A, LEDGER_A),
            run_folder(tmp_path / "B", SCORES_B, LEDGER_B, input_hash="b" * 64))


def read_diff_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_hand_built_runs_give_the_expected_changes(runs):
    d = diff_runs(*runs)
    assert d.year == 2024 and d.input_hash_old == "a" * 64 and d.input_hash_new == "b" * 64
    got = [(c.city, c.fields, c.total_old, c.total_new, c.grade_old, c.grade_new, c.rank_old, c.rank_new,
            c.caps_old, c.caps_new) for c in d.cities]
    assert got == [
        ("南昌", ("rank",), 90.0, 90.0, "完成", "完成", 1, 2, "", ""),
        ("景德镇", ("total", "rank"), 89.0, 91.0, "完成", "完成", 2, 1, "", ""),
        ("萍乡", ("total", "grade", "caps"), 82.0, 82.4, "基本完成", "完成", 3, 3, "G1", ""),
    ]
    got = [(r.city, r.code, r.fields, r.actual_old, r.actual_new, r.target_old, r.target_new, r.fraction_old,
            r.fraction_new, r.points_old, r.points_new, r.cause) for r in d.rows]
    assert got == [
        ("景德镇", "A3", ("actual", "fraction", "points"), 5.0, 10.0, 10.0, 10.0, 0.5, 1.0, 2.0, 4.0, None),
        ("萍乡", "A4", ("actual", "fraction", "points"), 900.0, 1000.0, 1000.0, 1000.0, 0.9, 1.0, 3.6, 4.0, None),
    ]
    assert d.rows[1].note_new == "=复查后认定1000吨"  # the score writer's guard undone in memory


def test_diff_csv_rows_exactly(runs, tmp_path):
    d = diff_runs(*runs).with_causes({("萍乡", "A4"): "objection-7"})
    assert write_diff(d, tmp_path / "out") == ["diff.csv"]
    raw = (tmp_path / "out" / "diff.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf" + ",".join(CSV_COLUMNS).encode() + b"\n")
    rows = read_diff_csv(tmp_path / "out" / "diff.csv")
    short = [(r["kind"], r["city"], r["code"], r["fields"], r["actual_old"], r["actual_new"], r["points_old"],
              r["points_new"], r["total_old"], r["total_new"], r["grade_old"], r["grade_new"], r["rank_old"],
              r["rank_new"], r["caps_old"], r["caps_new"], r["cause"]) for r in rows]
    assert short == [
        ("city", "南昌", "", "rank", "", "", "", "", "90", "90", "完成", "完成", "1", "2", "", "", ""),
        ("city", "景德镇", "", "total;rank", "", "", "", "", "89", "91", "完成", "完成", "2", "1", "", "", ""),
        ("ledger", "景德镇", "A3", "actual;fraction;points", "5", "10", "2", "4", "", "", "", "", "", "", "", "", ""),
        ("city", "萍乡", "", "total;grade;caps", "", "", "", "", "82", "82.4", "基本完成", "完成", "3", "3", "G1", "",
         ""),
        ("ledger", "萍乡", "A4", "actual;fraction;points", "900", "1000", "3.6", "4", "", "", "", "", "", "", "", "",
         "objection-7"),
    ]
    assert rows[4]["note_new"] == "'=复查后认定1000吨"  # formula-safe, guarded once
    assert rows[4]["note_old"] == "完成900吨，目标1000吨，完成率90%"
    # same inputs → same bytes
    write_diff(d, tmp_path / "again")
    assert (tmp_path / "again" / "diff.csv").read_bytes() == raw


def test_same_run_twice_is_unchanged(runs, tmp_path):
    d = diff_runs(runs[0], runs[0])
    assert d.unchanged and d.cities == [] and d.rows == []
    write_diff(d, tmp_path / "out")
    assert (tmp_path / "out" / "diff.csv").read_text(encoding="utf-8-sig") == ",".join(CSV_COLUMNS) + "\n"


def test_every_problem_of_both_folders_in_one_pass(tmp_path):
    a = run_folder(tmp_path / "A", SCORES_A, LEDGER_A.replace("ratio,5,10,0.5,4,4,2,", "ratio,5,10,0.5,4,4,两分,"))
    (a / "manifest.json").write_text("{not json", encoding="utf-8")
    b = run_folder(tmp_path / "B", SCORES_B + "4,上饶,361100,完成,完成,80,30,30,20,0,,,,\n",
                   LEDGER_B + LEDGER_B.splitlines()[0] + "\n", year=2023, criteria="d" * 64)
    with pytest.raises(InputError) as e:
        diff_runs(a, b)
    got = sorted((p.code, Path(p.file).relative_to(tmp_path).as_posix(), p.row, p.column, p.city, p.value)
                 for p in e.value.problems)
    assert got == sorted([
        (Code.NOT_A_NUMBER, "A/ledger.csv", 4, "points", "景德镇", "两分"),
        (Code.MANIFEST_INVALID, "A/manifest.json", 1, "", "", ""),
        (Code.DUPLICATE_KEY, "B/ledger.csv", 8, "indicator", "南昌", "南昌 A3"),
        (Code.RUN_ROW_MISSING, "B/scores.csv", 5, "", "上饶", ""),  # a city the ledger (and run A) lack
    ]), [str(p) for p in e.value.problems]
    # a valid manifest on both sides, then the year and criteria are compared
    (a / "manifest.json").write_text(json.dumps({"year": 2024, "criteria": {"jiangxi.toml": "c" * 64}}),
                                     encoding="utf-8")
    with pytest.raises(InputError) as e:
        diff_runs(a, b)
    codes = {p.code: p for p in e.value.problems}
    assert codes[Code.DIFF_YEAR].params == {"old": "2024", "new": "2023"}
    assert codes[Code.DIFF_YEAR].file == str(b / "manifest.json")
    assert codes[Code.DIFF_CRITERIA].params == {"old": "c" * 12, "new": "d" * 12}
    from jxscore.i18n import message

    assert message(codes[Code.DIFF_YEAR]) == ("两次评分的考核年度不同（--from为2024年，--to为2023年）："
                                              "只能比较同一年度的两次评分")


def test_missing_files_and_columns_and_not_a_folder(tmp_path, runs):
    a, b = runs
    (b / "ledger.csv").unlink()
    (b / "manifest.json").unlink()
    (a / "scores.csv").write_text("\ufeffrank,city,total,vetoes,caps\n1,南昌,90,,\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        diff_runs(a, b)
    got = sorted((p.code, Path(p.file).relative_to(tmp_path).as_posix(), p.column) for p in e.value.problems)
    assert got == [(Code.FILE_MISSING, "B/ledger.csv", ""), (Code.FILE_MISSING, "B/manifest.json", ""),
                   (Code.MISSING_COLUMN, "A/scores.csv", "grade")]
    with pytest.raises(InputError) as e:
        diff_runs(tmp_path / "nowhere", b / "scores.csv")
    assert sorted((p.code, p.params["option"]) for p in e.value.problems) == [
        (Code.RUN_FOLDER, "--from"), (Code.RUN_FOLDER, "--to")]


def test_cli_prints_without_writing_and_writes_with_out(runs, tmp_path):
    a, b = runs
    before = sorted(p.name for p in tmp_path.iterdir())
    res = RUNNER.invoke(app, ["diff", "--from", str(a), "--to", str(b)])
    assert res.exit_code == 0, res.output
    assert "3个设区市的总分、等级或名次有变化，2行评分明细有变化" in res.output
    assert "89.00 → 91.00" in res.output and "基本完成 → 完成" in res.output and "3.60 → 4.00" in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written
    res = RUNNER.invoke(app, ["diff", "--from", str(a), "--to", str(b), "--out", str(tmp_path / "d")])
    assert res.exit_code == 0, res.output
    cities = [r["city"] for r in read_diff_csv(tmp_path / "d" / "diff.csv")]
    assert cities == ["南昌", "景德镇", "景德镇", "萍乡", "萍乡"]
    res = RUNNER.invoke(app, ["diff", "--from", str(a), "--to", str(a)])
    assert res.exit_code == 0 and "两次评分结果相同" in res.output


def test_cli_bad_folder_exit_2_nothing_written(runs, tmp_path):
    a, b = runs
    (b / "manifest.json").write_text(json.dumps({"year": 2025, "criteria": {"jiangxi.toml": "c" * 64}}),
                                     encoding="utf-8")
    out = tmp_path / "d"
    res = RUNNER.invoke(app, ["diff", "--from", str(a), "--to", str(b), "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert "diff-year" in res.output and "--to为2025年" in res.output and "Traceback" not in res.output
    assert not out.exists()
    res = RUNNER.invoke(app, ["diff", "--from", str(tmp_path / "none"), "--to", str(b)])
    assert res.exit_code == 2 and "run-folder" in res.output and "Traceback" not in res.output


# ------------------------------------------------------------------ a real case: data/ scored twice

@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """data/ scored into A; a copy with 景德镇's A9 (万元工业增加值用水量累计降低) changed 12.5 → 2.8 scored into B."""
    base = tmp_path_factory.mktemp("real")
    data = base / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("history", "returns", "*.py", "*.md"))
    text = (data / "indicators.csv").read_text(encoding="utf-8")
    old = "景德镇,9.00,1010.00,600.00,3300.00,210.00,11.00,12.50,"
    assert text.count(old) == 1
    (data / "indicators.csv").write_text(text.replace(old, old.replace(",12.50,", ",2.80,")), encoding="utf-8")
    for name, src in (("A", ROOT / "data"), ("B", data)):
        res = RUNNER.invoke(app, ["score", "--year", "2024", "--data", str(src), "--out", str(base / name)])
        assert res.exit_code == 0, res.output
    return base


def test_real_rescore_moves_two_ranks(real):
    """景德镇 A9, ratio against target 14 with weight 2 (every A indicator applies): f = 12.5/14 = 0.892857143
    → 2.8/14 = 0.2, points 1.785714286 → 0.4, Δ = −1.385714286. Its total: A = 20 + 5 + 4·9/9.5 + 4 + 3 +
    4 + 3 + 3·11/12.2 + 2·12.5/14 + 2 = 49.280106; B (B1, B12 不适用: weights × 30/26) = 27.980124; C = 2 +
    3.5 + 3.5 + 2 + 2 + 1.5 = 14.5; D = 0 → 91.760230 = 91.76, then 90.374516 = 90.37. Still 完成 (≥ 80),
    now below 萍乡's 90.38 (完成, unchanged): 景德镇 rank 4 → 5, 萍乡 5 → 4; 抚州 (6th) is 基本完成, so
    nobody else moves."""
    d = diff_runs(real / "A", real / "B")
    assert [(c.city, c.fields, c.total_old, c.total_new, c.grade_old, c.grade_new, c.rank_old, c.rank_new)
            for c in d.cities] == [("景德镇", ("total", "rank"), 91.76, 90.37, "完成", "完成", 4, 5),
                                   ("萍乡", ("rank",), 90.38, 90.38, "完成", "完成", 5, 4)]
    assert [(r.city, r.code, r.fields, r.actual_old, r.actual_new, r.target_old, r.target_new, r.fraction_old,
             r.fraction_new, r.weight_old, r.weight_new, r.points_old, r.points_new) for r in d.rows] == [
        ("景德镇", "A9", ("actual", "fraction", "points"), 12.5, 2.8, 14.0, 14.0, 0.892857143, 0.2, 2.0, 2.0,
         1.785714286, 0.4)]
    assert d.rows[0].note_new == "实际2.8%，目标14%，完成率20%"


def test_real_rescore_in_memory_frames_give_the_same_diff(real):
    """The portal's path: the engine's frames (tuples, flags, full-precision floats) diff as the files do."""
    from jxscore.service import RunOptions, run_score

    ra, _ = run_score(RunOptions(2024, ROOT / "data"))
    rb, _ = run_score(RunOptions(2024, real / "data"))
    mem = diff_frames(ra.scores, ra.ledger, rb.scores, rb.ledger)
    files = diff_runs(real / "A", real / "B")
    assert isinstance(mem, Diff)
    assert mem.cities == files.cities and mem.rows == files.rows


def test_service_diff_and_save(real, tmp_path):
    from jxscore import service

    run = service.save(service.diff(service.DiffOptions(real / "A", real / "B")), tmp_path / "o")
    assert run.files == ["diff.csv"]
    rows = read_diff_csv(tmp_path / "o" / "diff.csv")
    assert [(r["kind"], r["city"], r["code"], r["rank_old"], r["rank_new"]) for r in rows] == [
        ("city", "景德镇", "", "4", "5"), ("ledger", "景德镇", "A9", "", ""), ("city", "萍乡", "", "5", "4")]


def test_manifest_that_is_not_a_score_manifest(runs):
    a, b = runs
    (a / "manifest.json").write_text("[]", encoding="utf-8")
    (b / "manifest.json").write_text(json.dumps({"year": "2024年", "criteria": {}}), encoding="utf-8")
    with pytest.raises(InputError) as e:
        diff_runs(a, b)
    got = sorted((Path(p.file).parent.name, p.code, p.column, p.params["field"]) for p in e.value.problems)
    assert got == [("A", Code.MANIFEST_INVALID, "", "year"), ("B", Code.MANIFEST_INVALID, "criteria", "criteria"),
                   ("B", Code.MANIFEST_INVALID, "year", "year")]
    from jxscore.i18n import message

    assert message(e.value.problems[-1]) == "不是jxscore score写出的manifest.json：缺少“year”或其值无效"
