"""The 公示 and 公告 documents (issue 15 item 4): the 公示稿 mark on every page of the cards and the
summary, and the announcement (jxscore announce).

By hand, from the sample (data/, Y = 2024; data/README.md "Expected results"): the official order is
南昌 103.34 and 宜春 103.00 (超额完成), 九江 101.00, 景德镇 91.76, 萍乡 90.38 (完成), 抚州 99.40,
鹰潭 91.62, 上饶 77.32 (基本完成), 赣州 92.50, 新余 75.10, 吉安 60.71 (未完成) — by grade first, then
total. Vetoes: 赣州 V2 (fraud = 1), 新余 and 吉安 V1 (p < 0.8: c = 8.06 % against the 11.78 % that
T5 14.5 requires, 3.72 points short; 吉安 4.04 % against 10.95 % for T5 13.5, 6.91 short). Caps: 九江 G2
(Ê 1,802.77 against an allowance of 1,734.53 万tce: 68.24 over, +3.93 %), 抚州 G1 (A4 verified 816 of
960 t: 144 short, 85.0 %), 鹰潭 G1 (A6 2,380 of 2,560 t: 180 short, 92.97 %), 新余 G2 (1,073.98 against
1,007.99: 65.99, +6.55 %), 吉安 G1 (A5 700 of 720 t: 20, 97.22 %) and G2 (767.19 against 689.46: 77.73,
+11.27 %).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from builders import worked_example
from jxscore.cli import app

SAMPLE = Path(__file__).resolve().parents[1] / "data"
TITLE = "江西省人民政府办公厅关于2024年度设区市人民政府节能减排目标责任评价考核结果的公告"
OPENING = "经省政府审定同意，现将2024年度设区市人民政府节能减排目标责任评价考核结果公告如下："
RANKING = [("1", "南昌", "超额完成", "103.34"), ("2", "宜春", "超额完成", "103.00"), ("3", "九江", "完成", "101.00"),
           ("4", "景德镇", "完成", "91.76"), ("5", "萍乡", "完成", "90.38"), ("6", "抚州", "基本完成", "99.40"),
           ("7", "鹰潭", "基本完成", "91.62"), ("8", "上饶", "基本完成", "77.32"), ("9", "赣州", "未完成", "92.50"),
           ("10", "新余", "未完成", "75.10"), ("11", "吉安", "未完成", "60.71")]
VETOES = [
    "赣州 V2：存在统计造假、弄虚作假（一票否决）——指标表“统计造假、弄虚作假”（fraud）填报为是；考核等级定为未完成。"
    "按总分92.50分应为“完成”，确定为“未完成”。",
    "新余 V1：能耗强度降低未达到序时进度（一票否决）——A1 单位GDP能耗降低：能耗强度累计降低8.06%，序时进度要求11.78%，"
    "差3.72个百分点；考核等级定为未完成。按总分75.10分应为“基本完成”，确定为“未完成”。",
    "吉安 V1：能耗强度降低未达到序时进度（一票否决）——A1 单位GDP能耗降低：能耗强度累计降低4.04%，序时进度要求10.95%，"
    "差6.91个百分点；考核等级定为未完成。按总分60.71分应为“基本完成”，确定为“未完成”。",
]
CAPS = [
    "九江 G2：能源消费总量超出控制目标且未免予考核——A2 能源消费总量控制：调整后能源消费量1,802.77万吨标准煤，"
    "控制目标1,734.53万吨标准煤，超出68.24万吨标准煤（3.93%）；等级最高为完成。按总分101.00分应为“超额完成”，确定为“完成”。",
    "抚州 G1：主要污染物重点工程减排量未完成目标——A4 氮氧化物重点工程累计减排量816吨，目标960吨，差144吨"
    "（完成率85.0%）；等级最高为基本完成。按总分99.40分应为“超额完成”，确定为“基本完成”。",
    "鹰潭 G1：主要污染物重点工程减排量未完成目标——A6 化学需氧量重点工程累计减排量2,380吨，目标2,560吨，差180吨"
    "（完成率92.97%）；等级最高为基本完成。按总分91.62分应为“完成”，确定为“基本完成”。",
    "新余 G2：能源消费总量超出控制目标且未免予考核——A2 能源消费总量控制：调整后能源消费量1,073.98万吨标准煤，"
    "控制目标1,007.99万吨标准煤，超出65.99万吨标准煤（6.55%）；等级最高为完成。",
    "吉安 G1：主要污染物重点工程减排量未完成目标——A5 挥发性有机物重点工程累计减排量700吨，目标720吨，差20吨"
    "（完成率97.22%）；等级最高为基本完成。",
    "吉安 G2：能源消费总量超出控制目标且未免予考核——A2 能源消费总量控制：调整后能源消费量767.19万吨标准煤，"
    "控制目标689.46万吨标准煤，超出77.73万吨标准煤（11.27%）；等级最高为完成。",
]
WINDOW = "公示期截止：2025年3月15日 17:00（北京时间）"


def pdftext(path: Path, page: int | None = None, layout: bool = False) -> str:
    args = ["pdftotext"] + (["-layout"] if layout else []) + (["-f", str(page), "-l", str(page)] if page else [])
    return subprocess.run(args + [str(path), "-"], capture_output=True, text=True, check=True).stdout


def pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def body_text(path: Path) -> str:
    """The announcement's text without the page frame (running head, footer, page numbers), lines joined."""
    n = pages(path)
    parts = []
    for i in range(1, n + 1):
        lines = [ln for ln in pdftext(path, i).splitlines()
                 if not ln.startswith(("江西省人民政府办公厅 · ", "输入数据指纹")) and not re.match(r"^第 \d+ 页", ln)]
        parts.append("".join(lines))
    return "".join(parts)


def announce(out: Path, *extra: str):
    return CliRunner().invoke(app, ["announce", "--year", "2024", "--data", str(SAMPLE), "--out", str(out),
                                    "--date", "2025-03-20", *extra])


@pytest.fixture(scope="module")
def announced(tmp_path_factory):
    base = tmp_path_factory.mktemp("announce")
    res = announce(base / "a", "--version", "2")
    assert res.exit_code == 0, res.output
    score = CliRunner().invoke(app, ["score", "--year", "2024", "--data", str(SAMPLE), "--out", str(base / "s")])
    assert score.exit_code == 0, score.output
    return base, json.loads((base / "s" / "manifest.json").read_text(encoding="utf-8"))["input_hash"]


def test_announcement_text_by_hand(announced):
    base, input_hash = announced
    pdf = base / "a" / "announcement.pdf"
    assert sorted(p.name for p in (base / "a").iterdir()) == ["announcement.pdf"]
    assert 1 <= pages(pdf) <= 2
    text = body_text(pdf)
    assert text.startswith("江西省人民政府办公厅" + TITLE)  # the red header, then the title
    assert OPENING in text
    row = r"^\s*(\d+)\s+(\S+)\s+(超额完成|完成|基本完成|未完成)\s+(\d+\.\d\d)\s*$"
    rows = re.findall(row, pdftext(pdf, layout=True), re.M)
    assert rows == RANKING
    assert ("11个设区市中，超额完成等级2个（南昌、宜春），完成等级3个（九江、景德镇、萍乡），"
            "基本完成等级3个（抚州、鹰潭、上饶），未完成等级3个（赣州、新余、吉安）。") in text
    at = [text.index(s) for s in VETOES + CAPS]  # each sentence, in rank order, vetoes before caps
    assert at == sorted(at)
    assert text.index("（一）一票否决。") < at[0] < text.index("（二）等级封顶。") < at[len(VETOES)]
    for city in ("南昌", "宜春", "景德镇", "萍乡", "上饶"):  # neither vetoed nor capped: no sentence
        assert not re.search(city + r" [VG]\d", text), city
    assert "特此公告。" in text and text.count("2025年3月20日") == 2  # under the text and in the footer note
    assert "本公告为第2版" in text
    assert input_hash in text.replace(" ", "")
    assert "第2版" in pdftext(pdf, 1)  # the running head too
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert [ln for ln in fonts.splitlines()[2:] if ln.strip()] and all(
        "Noto-Sans-CJK-SC" in ln and " yes " in ln for ln in fonts.splitlines()[2:] if ln.strip())


def test_announcement_same_bytes_for_same_inputs_and_date(announced, tmp_path):
    base, _ = announced
    assert announce(tmp_path / "b", "--version", "2").exit_code == 0
    assert (tmp_path / "b" / "announcement.pdf").read_bytes() == (base / "a" / "announcement.pdf").read_bytes()
    assert announce(tmp_path / "c", "--version", "2", "--date", "2025-03-21").exit_code == 0
    assert "2025年3月21日" in body_text(tmp_path / "c" / "announcement.pdf")


def test_issuer_and_html_variant(tmp_path):
    """The issuing body is the caller's, escaped; the portal's HTML page has the same sentences."""
    from jxscore.report.announce import announcement_context, announcement_html
    from jxscore.service import RunOptions, score

    run = score(RunOptions(2024, SAMPLE))
    html = announcement_html(run.result, run.manifest, issuer="<b>某某</b>办公室", date=dt.date(2025, 3, 5), version=3)
    assert "&lt;b&gt;某某&lt;/b&gt;办公室关于2024年度" in html and "<b>某某</b>" not in html
    assert "2025年3月5日" in html and "第3版" in html and run.manifest["input_hash"] in html
    ctx = announcement_context(run.result, run.manifest, date=dt.date(2025, 3, 5))
    assert [(str(r["rank"]), r["city"], r["grade"], r["total"]) for r in ctx["rows"]] == RANKING
    assert [v["text"] for v in ctx["vetoes"]] == VETOES and [k["text"] for k in ctx["caps"]] == CAPS


def test_announcement_without_vetoes_or_caps(tmp_path):
    """RULEBOOK §7's worked example: every city 超额完成, nobody vetoed or capped."""
    from jxscore.report.announce import announcement_html
    from jxscore.service import RunOptions, score

    run = score(RunOptions(2023, worked_example().write(tmp_path / "data")))
    html = announcement_html(run.result, run.manifest, date=dt.date(2024, 4, 1))
    assert "本年度无设区市被一票否决或等级封顶。" in html and "（一）一票否决" not in html
    assert "11个设区市中，超额完成等级11个（" in html


def test_bad_announce_options_exit_2_in_chinese(tmp_path):
    res = announce(tmp_path / "o", "--date", "2025-02-30", "--version", "0")
    assert res.exit_code == 2
    assert "--date 2025-02-30：应为日期，如2025-03-20" in res.output
    assert "--version 0：应为不小于1的版本号" in res.output
    assert "Traceback" not in res.output and not (tmp_path / "o").exists()


# ------------------------------------------------------------------ the 公示稿 mark

@pytest.fixture(scope="module")
def marked(tmp_path_factory):
    out = tmp_path_factory.mktemp("marked") / "out"
    res = CliRunner().invoke(app, ["report", "--year", "2024", "--data", str(SAMPLE), "--out", str(out), "--jobs", "2",
                                   "--mark", "公示稿", "--window-end", "2025-03-15T17:00", "--version", "1"])
    assert res.exit_code == 0, res.output
    return out


def test_mark_on_every_page_of_every_card_and_the_summary(marked):
    docs = sorted((marked / "scorecards").glob("*.pdf")) + [marked / "summary.pdf"]
    assert len(docs) == 12
    for doc in docs:
        n = pages(doc)
        assert n >= 1
        for i in range(1, n + 1):
            t = pdftext(doc, i)
            assert "公示稿" in t and WINDOW in t and "第1版" in t, (doc.name, i)


def test_unmarked_card_has_no_mark_and_is_unchanged(marked, tmp_path):
    """Without a mark the card is rendered from the same context as before (no `mark` key at all); with
    one, the HTML differs only by the mark's block."""
    from jxscore.report.announce import Mark
    from jxscore.report.render import jobs_for, render_html, render_job
    from jxscore.service import RunOptions, score

    run = score(RunOptions(2024, SAMPLE))
    plain = jobs_for(run.result, run.inputs, run.manifest)
    assert all("mark" not in j.context for j in plain)
    job = next(j for j in plain if j.pdf == "scorecards/jian.pdf")
    render_job(job, tmp_path)
    doc = tmp_path / job.pdf
    for i in range(1, pages(doc) + 1):
        t = pdftext(doc, i)
        assert "公示稿" not in t and "公示期截止" not in t and "第1版" not in t
    mark = Mark("公示稿", dt.datetime(2025, 3, 15, 17, 0), 1)
    marked_job = next(j for j in jobs_for(run.result, run.inputs, run.manifest, mark=mark) if j.pdf == job.pdf)
    charts = {"categories": "data:,", "intensity": "data:,", "ranking": "data:,", "map": "data:,"}
    a, b = render_html(job.template, job.context, charts=charts), render_html(job.template, marked_job.context,
                                                                              charts=charts)
    block = re.search(r"<style>\n\.jx-mark.*?</div>\n", b, re.S).group(0)
    assert b.replace(block, "", 1) == a and WINDOW in block


def test_mark_window_in_beijing_time():
    from jxscore.report.announce import Mark, mark_context, parse_window_end

    utc = dt.datetime(2025, 3, 15, 9, 0, tzinfo=dt.UTC)  # 09:00 UTC = 17:00 北京时间
    assert mark_context(Mark("征求意见稿", utc, 2)) == {"kind": "征求意见稿", "version": "第2版",
                                                     "window": "征求意见截止：2025年3月15日 17:00（北京时间）"}
    assert mark_context(Mark("公示稿", dt.date(2025, 3, 5)))["window"] == "公示期截止：2025年3月5日 24:00（北京时间）"
    assert parse_window_end("2025-03-15T17:00") == dt.datetime(2025, 3, 15, 17, 0)
    assert parse_window_end("2025-03-15 17:00:00+08:00").utcoffset() == dt.timedelta(hours=8)
    assert parse_window_end("2025-03-15") == dt.date(2025, 3, 15)


@pytest.mark.parametrize("value", ["2025-03-15T25:00", "15/03/2025 17:00", "明天", "2025-02-30", "2025-03-15T17"])
def test_bad_window_end_exit_2_in_chinese(tmp_path, value):
    out = tmp_path / "o"
    res = CliRunner().invoke(app, ["report", "--year", "2024", "--data", str(SAMPLE), "--out", str(out),
                                   "--mark", "公示稿", "--window-end", value])
    assert res.exit_code == 2
    assert f"--window-end {value}：应为北京时间的公示截止日期时间" in res.output
    assert "Traceback" not in res.output and not out.exists()


def test_mark_options_need_each_other(tmp_path):
    out = tmp_path / "o"
    run = CliRunner().invoke
    res = run(app, ["report", "--year", "2024", "--data", str(SAMPLE), "--out", str(out), "--window-end",
                    "2025-03-15T17:00"])
    assert res.exit_code == 2 and "--window-end ：应为与--mark（公示稿或征求意见稿）同时给出" in res.output
    res = run(app, ["report", "--year", "2024", "--data", str(SAMPLE), "--out", str(out), "--mark", "草稿"])
    assert res.exit_code == 2 and "--mark 草稿：应为公示稿或征求意见稿" in res.output
    assert "--window-end ：应为北京时间的公示截止日期时间" in res.output  # both problems at once
    assert not out.exists()
