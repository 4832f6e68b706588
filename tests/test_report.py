"""Scorecards and summary: HTML snapshots, PDF structure (pages, embedded CJK font, extracted text),
escaping of hostile text, the restricted fetcher, byte-identical re-renders, atomic failure.

Data: the builders' default set (every city meets everything: 100.00) with 景德镇's C1 review set
to 2 of 3 points, on RULEBOOK §7's worked example (南昌). By hand: 南昌 100.00 and, tied on total
and A subtotal with eight other cities at 100.00, ranks first on intensity progress p = 0.953 (the
others: 4 %/year → c = 1 − 0.96³, p = ln 0.884736 / ln 0.86 = 0.812); the 100.00 cities then follow
in administrative-code order; 景德镇 99.00 (still 超额完成, ≥ 95) is last, 11th; it lost exactly
1.00 point, on C1.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from builders import worked_example
from jxscore.cli import app

SNAP = Path(__file__).parent / "snapshots"
HOSTILE = '<img src="file:///etc/passwd"> http://example.invalid/x.png {{ 7*7 }}'
EXPECTED_ORDER = ["南昌", "萍乡", "九江", "新余", "鹰潭", "赣州", "吉安", "宜春", "抚州", "上饶", "景德镇"]
FIXED_MANIFEST = {"input_hash": "0123456789abcdef" * 4, "version": "0", "criteria": {"jiangxi.toml": "x"}}



def dataset():
    return worked_example().set("indicators", "景德镇", "C1", 2.0)


def pdftext(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One real `jxscore report --html` run, shared by the module's tests."""
    base = tmp_path_factory.mktemp("report")
    data = dataset().write(base / "data")
    out = base / "out"
    res = CliRunner().invoke(app, ["report", "--year", "2023", "--data", str(data), "--out", str(out), "--html",
                                   "--jobs", "2"])
    assert res.exit_code == 0, res.output
    return out, data


@pytest.fixture(scope="module")
def scored(run):
    from jxscore.service import RunOptions, run_score

    return run_score(RunOptions(2023, run[1]))


def test_writes_scores_and_all_documents(run):
    out, _ = run
    for name in ("scores.csv", "ledger.csv", "manifest.json", "results.xlsx", "summary.pdf", "summary.html"):
        assert (out / name).is_file(), name
    slugs = ["nanchang", "jingdezhen", "pingxiang", "jiujiang", "xinyu", "yingtan", "ganzhou", "jian", "yichun",
             "fuzhou", "shangrao"]
    assert sorted(p.stem for p in (out / "scorecards").glob("*.pdf")) == sorted(slugs)
    assert sorted(p.stem for p in (out / "scorecards").glob("*.html")) == sorted(slugs)
    assert not list(out.parent.glob(".out.staging-*"))


def test_scorecard_pdf_structure_and_figures(run):
    out, _ = run
    card = out / "scorecards" / "jingdezhen.pdf"
    assert 1 <= pages(card) <= 3
    fonts = subprocess.run(["pdffonts", str(card)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "Noto-Sans-CJK-SC" in line]
    assert cjk and all(" yes " in line for line in cjk)  # embedded, not a fallback
    text = pdftext(card)
    assert "景德镇 2023年度节能减排目标责任评价考核成绩单" in text
    assert "99.00" in text and "超额完成" in text and "第11名 / 11" in text
    assert "组织领导与目标分解" in text and "评审得分2/3分" in text  # the one lost point, with its reason
    # 改进建议: reviewed 2 of 3 points, so full marks bring the one point lost
    assert "C1 组织领导与目标分解：专家评审得分2分，满分3分，可多得1.00分。" in text.replace("\n", "")
    assert "第1页/共3页" in text.replace(" ", "") or "第1页/共2页" in text.replace(" ", "")  # footer
    man = (out / "manifest.json").read_text(encoding="utf-8")
    h = re.search(r'"input_hash": "([0-9a-f]{64})"', man).group(1)
    assert h in text.replace("\n", "")  # a printed card traces back to its data


def test_worked_example_card(run):
    text = pdftext(run[0] / "scorecards" / "nanchang.pdf")
    assert "100.00" in text and "第1名 / 11" in text and "超额完成" in text
    assert "免予考核" in text  # A2 exempt (RULEBOOK §7)
    assert "13.39" in text  # c = 13.3913 % cumulative reduction 2020→2023
    assert "各项指标均获满分" in text


def test_summary_ranking_by_hand(run):
    out, _ = run
    assert pages(out / "summary.pdf") >= 2
    text = pdftext(out / "summary.pdf")
    found = [m.group(1) for m in re.finditer(r"^\s*\d+\s+(\S+)\s+\d+\.\d\d\s+超额完成", text, re.M)]
    assert found == EXPECTED_ORDER
    assert re.search(r"超额完成\s+11\s", text)  # grade distribution


def test_pdfs_are_byte_identical_on_rerender(run, scored, tmp_path):
    from jxscore.io.writers import manifest
    from jxscore.report.render import jobs_for, render_job
    from jxscore.service import RunOptions

    out, data = run
    result, inputs = scored
    opts = RunOptions(2023, data)
    man = manifest(result, inputs.files, opts.criteria_path, opts.params())
    job = next(j for j in jobs_for(result, inputs, man) if j.pdf == "scorecards/jingdezhen.pdf")
    render_job(job, tmp_path)  # in this process, not a pool worker
    assert (tmp_path / job.pdf).read_bytes() == (out / job.pdf).read_bytes()


SAMPLE = Path(__file__).resolve().parent.parent / "data"  # the shipped sample inputs (make_sample.py)


def test_sample_scorecards_fit_three_pages(tmp_path):
    """Every card of the sample run (data/, 2024: vetoes, caps, exemptions, up to 29 indicators with
    lost points) fits on at most 3 A4 pages, and the page footer agrees with the PDF."""
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["report", "--year", "2024", "--data", str(SAMPLE), "--out", str(out),
                                   "--jobs", "2"])
    assert res.exit_code == 0, res.output
    cards = sorted((out / "scorecards").glob("*.pdf"))
    assert len(cards) == 11
    counts = {p.stem: pages(p) for p in cards}
    assert all(1 <= n <= 3 for n in counts.values()), counts
    for p in cards:
        footer = pdftext(p).replace(" ", "")
        assert f"第1页/共{counts[p.stem]}页" in footer, p.stem


def test_short_note_drops_only_restated_clauses():
    from jxscore.report.render import short_note

    assert short_note("实际22.5%，目标24%，完成率93.8%") == "完成率93.8%"
    assert short_note("完成2,000吨/日，目标2,400吨/日，完成率83.3%") == "完成率83.3%"
    assert short_note("实际9.9%，不高于目标10%") == "不高于目标10%"
    for kept in ("评审得分2/3分", "调整后消费量767.2，控制目标689.5，超出11.27%，系数0", "实际1%", ""):
        assert short_note(kept) == kept


def test_charts_are_escaped_and_repeatable():
    import base64

    from jxscore.report import charts

    ranking = [{"rank": 1, "city": "<b>&", "total": "1.00", "total_v": 1.0, "grade": "完成"},
               {"rank": 2, "city": "南昌", "total": "0.50", "total_v": 0.5, "grade": "未完成"}]
    url = charts.ranking_chart(ranking, "南昌")
    assert url == charts.ranking_chart(ranking, "南昌")
    svg = base64.b64decode(url.split(",", 1)[1]).decode("utf-8")
    assert "&lt;b&gt;&amp;" in svg and "<b>" not in svg


@pytest.mark.parametrize("name,kind", [("scorecard_jingdezhen.html", "card"), ("summary.html", "summary")])
def test_html_snapshot(scored, name, kind):
    from jxscore.report import context
    from jxscore.report.render import render_html

    result, inputs = scored
    if kind == "card":
        html = render_html("scorecard.html.j2", context.scorecard(result, inputs, FIXED_MANIFEST, "景德镇"),
                           charts={"categories": "data:,", "intensity": "data:,", "ranking": "data:,", "map": "data:,"})
    else:
        html = render_html("summary.html.j2", context.summary(result, FIXED_MANIFEST),
                           charts={"grades": "data:,", "heat": "data:,", "map": "data:,"})
    golden = SNAP / name
    if os.environ.get("JX_UPDATE_SNAPSHOTS") == "1" or not golden.exists():
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(html, encoding="utf-8")
        if os.environ.get("JX_UPDATE_SNAPSHOTS") != "1":
            pytest.fail(f"snapshot {name} created; re-run (set JX_UPDATE_SNAPSHOTS=1 to regenerate)")
    assert html == golden.read_text(encoding="utf-8"), "HTML changed; JX_UPDATE_SNAPSHOTS=1 to accept"


def test_fetcher_allows_only_data_and_templates():
    from jxscore.core.problems import Code
    from jxscore.report.pdf import RefusedURL, make_fetcher
    from jxscore.resources import templates_dir

    f = make_fetcher()
    css = (templates_dir() / "report.css").resolve()
    assert b"@page" in f.fetch(css.as_uri()).read()
    assert f.fetch("data:text/plain,hi").read() == b"hi"
    for url in ("file:///etc/passwd", "http://example.invalid/x.png", "https://example.invalid/",
                css.as_uri().replace("report.css", "../pyproject.toml"), "file://evil.host/etc/passwd",
                "ftp://example.invalid/x"):
        with pytest.raises(RefusedURL) as e:
            f.fetch(url)
        assert e.value.problem.code == Code.URL_REFUSED and e.value.problem.value == url


def test_hostile_text_is_escaped_and_never_fetched(scored, tmp_path, monkeypatch):
    """An indicator name from a criteria copy reaches the page as text, not markup, and nothing is fetched."""
    import dataclasses

    from jxscore.report import context, pdf
    from jxscore.report.render import render_html

    result, inputs = scored
    result = dataclasses.replace(result, ledger=result.ledger.copy())  # the fixture is shared
    result.ledger.loc[result.ledger["indicator"] == "B2", "name"] = HOSTILE
    result.ledger.loc[(result.ledger["indicator"] == "C1") & (result.ledger["city"] == "景德镇"), "note"] = HOSTILE
    html = render_html("scorecard.html.j2", context.scorecard(result, inputs, FIXED_MANIFEST, "景德镇"))
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    assert '<img src="file:///etc/passwd">' not in html and "{{ 7*7 }}" in html
    asked: list[str] = []
    original = pdf.check_url

    def spy(url, root=None):
        asked.append(url)
        return original(url, root)

    monkeypatch.setattr(pdf, "check_url", spy)
    pdf.html_to_pdf(html, tmp_path / "h.pdf")
    assert asked and all(u.startswith("data:") for u in asked)  # only the chart data: URLs
    text = pdftext(tmp_path / "h.pdf").replace("\n", " ")
    assert '<img src="file:///etc/passwd">' in text and "{{ 7*7 }}" in text


def test_hostile_criteria_file(tmp_path):
    from jxscore.io.writers import manifest
    from jxscore.report.render import jobs_for, render_html
    from jxscore.resources import default_criteria_path
    from jxscore.service import RunOptions, run_score

    crit = tmp_path / "hostile.toml"
    crit.write_text(default_criteria_path().read_text(encoding="utf-8").replace(
        'name = "组织领导与目标分解"', "name = '''" + HOSTILE + "'''"), encoding="utf-8")
    data = dataset().write(tmp_path / "data")
    opts = RunOptions(2023, data, criteria=crit)
    result, inputs = run_score(opts)
    man = manifest(result, inputs.files, crit, opts.params())
    job = jobs_for(result, inputs, man)[1]
    html = render_html(job.template, job.context, charts={"categories": "data:,", "intensity": "data:,",
                                                          "ranking": "data:,", "map": "data:,"})
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt; http://example.invalid/x.png {{ 7*7 }}" in html


def test_failed_render_keeps_previous_results(tmp_path, monkeypatch):
    from jxscore import service
    from jxscore.report import render
    from jxscore.service import RunOptions

    data = dataset().write(tmp_path / "data")
    out = tmp_path / "out"
    out.mkdir()
    (out / "scores.csv").write_text("previous", encoding="utf-8")

    def boom(job, stage):
        raise RuntimeError("render failed")

    monkeypatch.setattr(render, "render_job", boom)
    with pytest.raises(RuntimeError):
        service.report(RunOptions(2023, data), service.ReportOptions(jobs=1), out)
    assert (out / "scores.csv").read_text(encoding="utf-8") == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out"]  # no staging left behind


def test_missing_cjk_font_stops_before_writing(tmp_path, monkeypatch):
    from jxscore import service
    from jxscore.report import fonts
    from jxscore.service import RunOptions

    monkeypatch.setattr(fonts, "_match", lambda pattern, fmt: "DejaVu Sans")
    fonts.cjk_font_file.cache_clear()
    try:
        with pytest.raises(fonts.FontMissingError) as e:
            service.report(RunOptions(2023, dataset().write(tmp_path / "data")), service.ReportOptions(jobs=1),
                           tmp_path / "out")
    finally:
        fonts.cjk_font_file.cache_clear()
    from jxscore.i18n import message

    assert "fonts-noto-cjk" in message(e.value.problems[0]) and "DejaVu Sans" in message(e.value.problems[0])
    assert not (tmp_path / "out").exists()


def test_help_does_not_import_renderers():
    import sys

    code = "import sys, jxscore.cli; print(any(m in sys.modules for m in ('weasyprint', 'matplotlib')))"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "False"


def _flate_streams(pdf: bytes) -> list[bytes]:
    """Every compressed stream of a PDF, exactly as stored (the zlib data between `stream` and its end)."""
    import zlib

    found = []
    for m in re.finditer(rb"/FlateDecode[^>]*>>\s*stream\r?\n", pdf):
        d = zlib.decompressobj()
        rest = pdf[m.end():]
        d.decompress(rest)
        found.append(rest[:len(rest) - len(d.unused_data)])
    return found


def test_pdf_streams_are_compressed_at_level_6():
    """pydyf asks zlib for level 9; html_to_pdf has it write level 6 (faster, as deterministic). Each
    stored stream is what zlib's level 6 makes of its content, and at least one differs from level 9
    (so the check tells the two apart)."""
    import zlib

    from jxscore.report.pdf import html_to_pdf

    pdf = html_to_pdf("<html lang='zh-CN'><body><h1>汇总</h1>" + "<p>设区市 0123456789 考核</p>" * 40
                      + "</body></html>")
    streams = _flate_streams(pdf)
    assert len(streams) >= 3  # page content, the embedded font, the sRGB profile at least

    def level(data: bytes, n: int) -> bytes:
        c = zlib.compressobj(n)
        return c.compress(zlib.decompress(data)) + c.flush()

    assert all(level(s, 6) == s for s in streams)
    assert any(level(s, 9) != s for s in streams)
    assert html_to_pdf("<p>同样的输入</p>") == html_to_pdf("<p>同样的输入</p>")  # still byte for byte


def test_charts_drawn_before_the_workers_give_the_same_html(scored):
    """with_charts draws each job's charts in the calling process (the parent, while the pool starts);
    the page is the one the worker would have made drawing them itself, and add_charts then leaves
    the context as it is."""
    from jxscore.report.render import add_charts, jobs_for, render_html, with_charts

    result, inputs = scored
    jobs = jobs_for(result, inputs, FIXED_MANIFEST)
    drawn = with_charts(jobs)
    assert [j.pdf for j in drawn] == [j.pdf for j in jobs]
    assert set(drawn[0].context["charts"]) == {"categories", "intensity", "ranking", "map"}
    assert set(drawn[-1].context["charts"]) == {"grades", "heat", "map"}
    for before, after in ((jobs[1], drawn[1]), (jobs[-1], drawn[-1])):
        assert "charts" not in before.context
        assert add_charts(after.context) is after.context
        assert render_html(after.template, after.context) == render_html(before.template, before.context)


def test_jobs_reach_the_workers_without_numpy():
    """The summary's veto and cap codes come from the engine as numpy strings (the sample data has
    both); with_charts makes them (and any numpy scalar) Python ones, so unpickling a job in a worker
    imports nothing of numpy."""
    import io
    import pickle

    import numpy as np

    from jxscore.report.render import jobs_for, plain, with_charts

    assert plain({"a": [np.str_("V1"), (np.float64(0.5), np.int64(3))], "b": np.bool_(True)}) == \
        {"a": ["V1", (0.5, 3)], "b": True}
    assert type(plain([np.str_("G1")])[0]) is str and type(plain((np.float64(2.0),))[0]) is float

    class Modules(pickle.Unpickler):
        seen: set = set()

        def find_class(self, module, name):
            Modules.seen.add(module)
            return super().find_class(module, name)

    from jxscore.service import RunOptions, run_score

    result, inputs = run_score(RunOptions(2024, SAMPLE))
    jobs = jobs_for(result, inputs, FIXED_MANIFEST)
    Modules(io.BytesIO(pickle.dumps(jobs))).load()
    assert any(m.startswith("numpy") for m in Modules.seen)  # as built: the check can tell
    Modules.seen = set()
    Modules(io.BytesIO(pickle.dumps(with_charts(jobs)))).load()
    assert Modules.seen == {"jxscore.report.render"}


def test_cards_are_built_most_losses_first_and_hashed_in_criteria_order(tmp_path):
    """card_jobs hands out the cards with the most 失分 rows first (in the sample 吉安 loses points on 31
    ledger rows, 新余 on 30, 宜春 on 1) while jobs_for and the summary's hash list keep the criteria's
    order, whatever order the cards were rendered in."""
    from jxscore.report.render import card_hashes, card_jobs, jobs_for
    from jxscore.service import RunOptions, run_score

    result, inputs = run_score(RunOptions(2024, SAMPLE))
    names = [e.name for e in result.criteria.entities]
    lost = {n: int(((result.ledger["city"] == n) & (result.ledger["weight"] - result.ledger["points"] > 0.005)).sum())
            for n in names}
    given = [j.context["city"]["name"] for j in card_jobs(result, inputs, FIXED_MANIFEST)]
    assert sorted(given) == sorted(names) and [lost[n] for n in given] == sorted(lost.values(), reverse=True)
    assert (given[0], lost["吉安"], lost["新余"], given[-1], lost["宜春"]) == ("吉安", 31, 30, "宜春", 1)
    assert [j.context["city"]["name"] for j in jobs_for(result, inputs, FIXED_MANIFEST)[:-1]] == names
    jobs = list(card_jobs(result, inputs, FIXED_MANIFEST))
    for j in jobs:
        (tmp_path / j.pdf).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / j.pdf).write_bytes(j.context["city"]["name"].encode("utf-8"))
    import hashlib

    assert [h["city"] for h in card_hashes(jobs, tmp_path)] == names
    assert card_hashes(jobs, tmp_path)[0]["sha256"] == hashlib.sha256(names[0].encode("utf-8")).hexdigest()


def test_a_card_built_alone_is_the_card_built_with_the_others(scored):
    """scorecard() with the shared tables (Shared.of, built once for 11 cards) gives the same context
    as without them."""
    from jxscore.report import context

    result, inputs = scored
    shared = context.Shared.of(result)
    for city in ("吉安", "南昌"):
        assert context.scorecard(result, inputs, FIXED_MANIFEST, city, shared=shared) == \
            context.scorecard(result, inputs, FIXED_MANIFEST, city)


def _weasyprint_own(monkeypatch):
    """Put WeasyPrint's own SVG text and font subsetting back for this test (html_to_pdf's replacements
    stay installed elsewhere: they are installed once per process)."""
    import importlib

    import weasyprint.pdf.fonts as wfonts
    import weasyprint.svg as svgmod

    from jxscore.report import pdf

    pdf.use_whole_svg_text()
    pdf.use_one_pass_subset()
    own_text = importlib.import_module("weasyprint.svg.text").text
    monkeypatch.setattr(svgmod, "text", own_text)
    monkeypatch.setattr(svgmod, "TAGS", {k: own_text if v.__module__ == pdf.__name__ else v
                                         for k, v in svgmod.TAGS.items()})
    monkeypatch.setattr(wfonts.Font, "_harfbuzz_subset", wfonts.Font._harfbuzz_subset.weasyprint_original)


def test_one_pass_font_subset_writes_the_same_bytes(scored, monkeypatch):
    """use_one_pass_subset is a shortcut, not a change: a scorecard written with WeasyPrint's own
    two-pass subsetting and with the one pass is the same PDF, byte for byte."""
    import weasyprint.svg as svgmod

    from jxscore.report import context
    from jxscore.report.pdf import html_to_pdf
    from jxscore.report.render import render_html

    result, inputs = scored
    html = render_html("scorecard.html.j2", context.scorecard(result, inputs, FIXED_MANIFEST, "景德镇"))
    ours = html_to_pdf(html)
    text = svgmod.text
    _weasyprint_own(monkeypatch)
    monkeypatch.setattr(svgmod, "text", text)  # the SVG text as ours: only the subsetting differs
    monkeypatch.setattr(svgmod, "TAGS", {**svgmod.TAGS, "text": text})
    assert html_to_pdf(html) == ours


def _word_boxes(pdf_bytes: bytes, tmp_path) -> list[tuple[str, float, float]]:
    import html

    src = tmp_path / "w.pdf"
    src.write_bytes(pdf_bytes)
    out = subprocess.run(["pdftotext", "-bbox", str(src), "-"], capture_output=True, text=True, check=True).stdout
    word = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="[\d.]+">([^<]*)</word>'
    return [(html.unescape(m[2]), float(m[0]), float(m[1])) for m in re.findall(word, out)]


def test_svg_text_drawn_whole_lands_where_weasyprint_puts_it(monkeypatch, tmp_path):
    """use_whole_svg_text draws a chart label as one run: every word of a chart (start, middle and end
    anchored labels, CJK and digits) is where WeasyPrint's letter-by-letter drawing puts it, within
    0.05 pt; a label with per-letter dx still goes through WeasyPrint's own code."""
    from jxscore.report import charts
    from jxscore.report.pdf import html_to_pdf

    svg = charts.Svg(300, 60)
    svg.text(10, 20, "南昌 103.34")
    svg.text(150, 20, "完成率97.22%", anchor="middle")
    svg.text(290, 40, "排名第11名", anchor="end")
    svg.parts.append('<text x="10" y="55" dx="0 2 2 2">dx逐字</text>')
    page = f'<html lang="zh-CN"><body style="font-family: \'Noto Sans CJK SC\'"><img src="{svg.url()}"></body></html>'
    import weasyprint.text.line_break as lb

    layouts = []
    split = lb.split_first_line
    monkeypatch.setattr(lb, "split_first_line", lambda *a, **k: layouts.append(a[0]) or split(*a, **k))
    ours = _word_boxes(html_to_pdf(page), tmp_path)
    ours_layouts, layouts[:] = list(layouts), []
    _weasyprint_own(monkeypatch)
    theirs = _word_boxes(html_to_pdf(page), tmp_path)
    assert "南昌 103.34" in ours_layouts and "南昌 103.34" in layouts  # (WeasyPrint measures the whole first)
    assert ours_layouts.count("南") == 0 and layouts.count("南") == 1  # then sets it letter by letter; ours not
    words = ["南昌", "103.34", "完成率97.22%", "排名第11名", "dx逐字"]
    assert [w for w, _, _ in ours] == [w for w, _, _ in theirs] == words
    assert all(abs(a[1] - b[1]) < 0.05 and abs(a[2] - b[2]) < 0.05 for a, b in zip(ours, theirs))
