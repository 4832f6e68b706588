"""Every chart fits its box: no label, tick or title outside the figure (issue: ranking labels ran
past the right edge, the heat map's colour-bar ticks were clipped). The report's charts are
hand-written SVG; their text extents are estimated from the font's advance widths."""

from __future__ import annotations

from pathlib import Path

import pytest

from chartfit import svg_overflows
from jxscore.report import charts, context
from jxscore.report.render import add_charts
from jxscore.service import RunOptions, run_score

DATA = Path(__file__).resolve().parents[1] / "data"
MAN = {"input_hash": "0" * 64, "version": "test"}


@pytest.fixture(scope="module")
def sample():
    return run_score(RunOptions(2024, DATA))


def test_every_scorecard_chart_fits(sample):
    result, inputs = sample
    for city in result.scores["city"]:
        ctx = add_charts(context.scorecard(result, inputs, MAN, city))
        for name, url in ctx["charts"].items():
            assert svg_overflows(url) == [], (city, name)


def test_summary_charts_fit(sample):
    result, _ = sample
    ctx = add_charts(context.summary(result, MAN))
    assert set(ctx["charts"]) == {"grades", "heat", "map"}
    for name, url in ctx["charts"].items():
        assert svg_overflows(url) == [], name


def test_ranking_chart_fits_the_widest_labels():
    # the longest total (three digits, two decimals) with the longest grade, on the longest bar
    rows = [{"rank": i + 1, "city": c, "total": t, "total_v": float(t), "grade": "超额完成"}
            for i, (c, t) in enumerate([("景德镇", "105.00"), ("南昌", "104.99"), ("萍乡", "0.00")])]
    assert svg_overflows(charts.ranking_chart(rows, "景德镇")) == []


def test_a_label_outside_is_caught():
    g = charts.Svg(50, 20)
    g.text(45, 10, "超额完成")  # 4 ideographs at 7 pt = 28 pt from x = 45, in a 50 pt box
    assert len(svg_overflows(g.url())) == 1
