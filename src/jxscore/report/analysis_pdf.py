"""One-page PDFs for a what-if and a sensitivity run, through the report's HTML→PDF path
(`jxscore.report.pdf.html_to_pdf`: restricted fetcher, fixed dates, repeatable bytes) and its
stylesheet. Templates are inline strings rendered with autoescaping and StrictUndefined."""

from __future__ import annotations

import base64
from pathlib import Path

_HEAD = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{{ title }}</title>
<link rel="stylesheet" href="report.css"></head><body>
<h1>{{ title }}</h1><div class="subtitle">{{ subtitle }}</div><hr class="rule-red"><hr class="rule-thin">"""

_WHATIF = _HEAD + """
<h2>情景设置</h2><p>{{ scenario }}</p>
<h2>基准与情景对比</h2>
<table class="detail"><thead><tr><th>设区市</th><th>基准总分</th><th>基准等级</th><th>基准排名</th>
<th>情景总分</th><th>情景等级</th><th>情景排名</th><th>变化</th></tr></thead><tbody>
{% for r in rows %}<tr{% if r.moved %} class="me"{% endif %}><td class="c">{{ r.city }}</td>
<td class="n">{{ r.bt }}</td><td class="c">{{ r.bg }}</td><td class="c">{{ r.br }}</td>
<td class="n">{{ r.t }}</td><td class="c">{{ r.g }}</td><td class="c">{{ r.r }}</td><td class="n">{{ r.d }}</td></tr>
{% endfor %}</tbody></table>
<h2>排名变化</h2><img src="{{ chart }}" style="width:120mm">
{% if movers %}<h2>变动原因</h2><ul>
{%- for m in movers %}<li><b>{{ m.city }}</b>：{{ m.why }}</li>{% endfor %}</ul>{% endif %}
</body></html>"""

_SENS = _HEAD + """
<h2>方法</h2><p>{{ method }}</p>
<h2>排名区间</h2><img src="{{ intervals }}" style="width:150mm">
<h2>排名概率</h2><img src="{{ heatmap }}" style="width:150mm">
<h2>类别权重敏感性指数（Sobol'）</h2>
<table class="detail"><thead><tr><th>类别</th><th>一阶指数 S1</th><th>总效应指数 ST</th></tr></thead><tbody>
{% for r in indices %}<tr><td class="c">{{ r.factor }}</td><td class="n">{{ r.S1 }}</td><td class="n">
{{- r.ST }}</td></tr>
{% endfor %}</tbody></table>
</body></html>"""


def _render(template: str, **ctx) -> str:
    from jinja2 import Environment, StrictUndefined

    return Environment(autoescape=True, undefined=StrictUndefined).from_string(template).render(**ctx)


def _data_url(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def whatif_pdf(w, path: Path) -> None:
    from jxscore.report.analysis_charts import slope_chart, svg_bytes
    from jxscore.report.pdf import html_to_pdf

    rows = [{"city": r.city, "bt": f"{r.baseline_total:.2f}", "bg": r.baseline_grade, "br": r.baseline_rank,
             "t": f"{r.total:.2f}", "g": r.grade, "r": r.rank, "d": f"{r.delta_total:+.2f}", "moved": bool(r.moved)}
            for r in w.table.itertuples(index=False)]
    movers = [{"city": r.city, "why": r.why} for r in w.table.itertuples(index=False) if r.moved]
    html = _render(_WHATIF, title="权重情景分析（what-if）", subtitle=f"{w.year}年度 · 指标得分系数不变，仅调整分值",
                   scenario=w.scenario.describe(), rows=rows, movers=movers,
                   chart=_data_url(svg_bytes(slope_chart(w))))
    html_to_pdf(html, path)


def sensitivity_pdf(s, figs: dict, path: Path) -> None:
    from jxscore.report.analysis_charts import svg_bytes
    from jxscore.report.pdf import html_to_pdf

    o = s.options
    how = (f"各指标分值在名义值±{o.band:.0%}内独立均匀扰动" if o.method == "uniform"
           else f"各指标分值按以名义分值为均值的Dirichlet分布抽样（离散程度与±{o.band:.0%}均匀扰动相当）")
    method = (f"{how}，A+B+C合计保持100分；样本数{o.samples}，随机种子{o.seed}。得分系数、一票否决与等级封顶不变。"
              f"Sobol'指数：A、B、C类别分值乘数在±{o.band:.0%}内变化"
              f"（{s.sobol_n}×{s.indices['factor'].nunique() + 2}次计算），"
              "输出为各市平均排名变动。")
    overall = s.indices[s.indices["output"] == "mean_abs_rank_shift"]
    indices = [{"factor": r.factor, "S1": f"{r.S1:.3f} ± {r.S1_conf:.3f}", "ST": f"{r.ST:.3f} ± {r.ST_conf:.3f}"}
               for r in overall.itertuples(index=False)]
    html = _render(_SENS, title="权重敏感性分析", subtitle=f"{s.year}年度 · 排名对权重选择的稳健性", method=method,
                   intervals=_data_url(svg_bytes(figs["sensitivity_ranks.svg"])),
                   heatmap=_data_url(svg_bytes(figs["sensitivity_heatmap.svg"])), indices=indices)
    html_to_pdf(html, path)


def sensitivity_figures(s, out: Path, *, plots: bool = True, pdf: bool = False) -> list[str]:
    """The two SVG plots and/or sensitivity.pdf into `out` (a staging folder)."""
    if not (plots or pdf):
        return []
    from jxscore.report.analysis_charts import rank_heatmap, rank_intervals, svg_bytes

    names = []
    figs = {"sensitivity_ranks.svg": rank_intervals(s), "sensitivity_heatmap.svg": rank_heatmap(s)}
    if plots:
        for name, fig in figs.items():
            (out / name).write_bytes(svg_bytes(fig))
            names.append(name)
    if pdf:
        sensitivity_pdf(s, figs, out / "sensitivity.pdf")
        names.append("sensitivity.pdf")
    return names
