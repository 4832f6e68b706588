"""sensitivity.pdf and the two sensitivity plots."""

from __future__ import annotations

from pathlib import Path

from jxscore.report.analysis_pdf import _HEAD, data_url, render

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
    html = render(_SENS, title="权重敏感性分析", subtitle=f"{s.year}年度 · 排名对权重选择的稳健性", method=method,
                   intervals=data_url(svg_bytes(figs["sensitivity_ranks.svg"])),
                   heatmap=data_url(svg_bytes(figs["sensitivity_heatmap.svg"])), indices=indices)
    html_to_pdf(html, path)


def sensitivity_figures(s, out: Path, *, plots: bool = True, pdf: bool = False) -> list[str]:
    """The two SVG plots and/or sensitivity.pdf into `out` (a staging folder)."""
    if not (plots or pdf):
        return []
    from jxscore.report.analysis_charts import svg_bytes
    from jxscore.report.sensitivity_charts import rank_heatmap, rank_intervals

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
