"""A few real `jxscore` processes: exit codes, messages without tracebacks, atomic outputs."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from builders import Dataset

ROOT = Path(__file__).resolve().parents[1]
JX = [str(Path(sys.executable).parent / "jxscore")]


def run(*args, cwd=ROOT):
    return subprocess.run(JX + [str(a) for a in args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "COLUMNS": "200"})


def test_help_lists_commands():
    p = run("--help")
    assert p.returncode == 0
    for cmd in ("validate", "score", "template"):
        assert cmd in p.stdout


def test_score_sample_data(tmp_path):
    out = tmp_path / "out"
    p = run("score", "--year", 2024, "--data", ROOT / "data", "--out", out)
    assert p.returncode == 0, p.stderr
    # the sample holds projects.csv and reviews.csv (RULEBOOK §8, §9), so verification.csv is written too
    assert {f.name for f in out.iterdir()} == {"scores.csv", "ledger.csv", "manifest.json", "results.xlsx",
                                               "verification.csv"}
    text = (out / "scores.csv").read_text(encoding="utf-8-sig").splitlines()
    assert text[0].startswith("rank,city,city_code,grade,base_grade,total,A,B,C,D,vetoes,caps")
    assert len(text) == 12
    assert "ledger.csv" in p.stdout


def test_bad_input_exit_2_names_file_row_column_and_writes_nothing(tmp_path):
    ds = Dataset()
    ds.set("indicators", "萍乡", "C1", "=HYPERLINK(\"http://x\")")
    ds.set("targets", "九江", "B3", -1)
    folder = ds.write(tmp_path / "d")
    out = tmp_path / "out"
    p = run("score", "--year", 2023, "--data", folder, "--out", out)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    assert "输入数据有2个问题，未写出任何文件。" in p.stderr
    lines = p.stderr.splitlines()
    assert any("indicators.csv" in ln and " 4 " in ln and "C1" in ln and "萍乡" in ln and "是公式或错误值" in ln
               for ln in lines)
    assert any("targets.csv" in ln and " 5 " in ln and "B3" in ln and "九江" in ln and "应大于0" in ln for ln in lines)
    assert not out.exists()
    p = run("--lang", "en", "validate", "--year", 2023, "--data", folder)
    assert p.returncode == 2 and "2 problem(s) in the input data; nothing was written." in p.stderr
    assert "is a formula or an error value" in p.stderr and "must be greater than 0" in p.stderr


def test_failed_run_keeps_previous_results(tmp_path):
    good = Dataset().write(tmp_path / "good")
    out = tmp_path / "out"
    assert run("score", "--year", 2023, "--data", good, "--out", out).returncode == 0
    before = {f.name: f.read_bytes() for f in out.iterdir()}
    bad = tmp_path / "bad"
    shutil.copytree(good, bad)
    (bad / "energy.csv").write_text("nonsense\n")
    assert run("score", "--year", 2023, "--data", bad, "--out", out).returncode == 2
    assert {f.name: f.read_bytes() for f in out.iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if "staging" in p.name]


def test_validate_ok_and_bad_year(tmp_path):
    folder = Dataset().write(tmp_path / "d")
    p = run("validate", "--year", 2023, "--data", folder)
    assert p.returncode == 0 and "通过" in p.stdout
    p = run("validate", "--year", 2030, "--data", folder)
    assert p.returncode == 2 and "2021–2025" in p.stderr and "Traceback" not in p.stderr


def test_bad_criteria_file_names_the_path(tmp_path):
    src = (ROOT / "src" / "jxscore" / "schemes" / "jiangxi.toml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    a3 = 'code = "A3"\nname = "规上工业单位增加值能耗累计降低"\ncategory = "A"\nunit = "%"\npoints = '
    bad.write_text(src.replace(a3 + "4", a3 + "-4"), encoding="utf-8")
    folder = Dataset().write(tmp_path / "d")
    p = run("validate", "--year", 2023, "--data", folder, "--criteria", bad)
    assert p.returncode == 2
    assert "indicators[2].points" in p.stderr and "bad.toml" in p.stderr


def test_template_round_trip(tmp_path):
    out = tmp_path / "books"
    p = run("template", "--year", 2024, "--out", out, "--targets", ROOT / "data")
    assert p.returncode == 0, p.stderr
    import openpyxl

    assert sorted(f.name for f in out.iterdir()) == sorted(
        ["nanchang.xlsx", "jingdezhen.xlsx", "pingxiang.xlsx", "jiujiang.xlsx", "xinyu.xlsx", "yingtan.xlsx",
         "ganzhou.xlsx", "jian.xlsx", "yichun.xlsx", "fuzhou.xlsx", "shangrao.xlsx", "office.xlsx"])
    wb = openpyxl.load_workbook(out / "nanchang.xlsx")
    assert wb.sheetnames == ["填报说明", "能源", "指标", "项目", "_meta"]
    assert wb["能源"].max_row == 1 + 5  # 2020..2024
    assert openpyxl.load_workbook(out / "office.xlsx").sheetnames == ["目标", "核查", "统计", "专家评分", "_meta"]
    # a blank city workbook is not valid data: every cell the city must fill is reported
    p = run("validate", "--year", 2024, "--data", out / "nanchang.xlsx")
    assert p.returncode == 2 and "nanchang.xlsx" in p.stderr and "Traceback" not in p.stderr
    # one workbook is not what --out takes
    p = run("--lang", "en", "template", "--year", 2024, "--out", tmp_path / "blank.xlsx")
    assert p.returncode == 2 and "a folder" in p.stderr and not (tmp_path / "blank.xlsx").exists()


@pytest.mark.parametrize("cmd", ["validate", "score"])
def test_missing_data_folder(tmp_path, cmd):
    extra = ["--out", tmp_path / "o"] if cmd == "score" else []
    p = run(cmd, "--year", 2024, "--data", tmp_path / "nope", *extra)
    assert p.returncode == 2 and "nope" in p.stderr and "Traceback" not in p.stderr


@pytest.mark.parametrize("args, pool", [
    (["report", "--year", "2024"], True), (["--lang", "en", "report"], True), (["--lang=en", "report"], True),
    (["report", "--jobs", "2"], True), (["report", "--help"], False), (["report", "--jobs", "1"], False),
    (["report", "--jobs=1"], False), (["score", "--year", "2024"], False), (["--lang", "report"], False), ([], False)])
def test_the_render_pool_starts_before_parsing_only_for_a_rendering_report(args, pool):
    from jxscore.__main__ import renders

    assert renders(args) is pool
