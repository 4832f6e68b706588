"""sensitivity.pdf (templates/sensitivity.html.j2 in the shared page frame) and the two plots."""

from __future__ import annotations

from pathlib import Path

from jxscore.analysis.sensitivity import OFF_MODE_LIMIT, RESAMPLES, index_rows, reading
from jxscore.report.analysis_pdf import data_url, page


def _texts(s) -> dict:
    o = s.options
    D = len(s.factor_names) or s.indices["factor"].nunique()
    cats = "、".join(s.factor_names) if s.factor_names else "、".join(s.indices["factor"].unique())
    how = (f"各指标分值在名义值±{o.band:.0%}内独立均匀扰动" if o.method == "uniform"
           else f"各指标分值按以名义分值为均值的Dirichlet分布抽样（离散程度与±{o.band:.0%}均匀扰动相当）")
    keep = "A+B+C合计调回100分" if o.rescale else "A+B+C合计不调整"
    return {
        "method": f"{how}，{keep}；样本数{o.samples:,}，随机种子{o.seed}。得分系数、一票否决与等级封顶不变，"
                  "每个样本按评分细则重新计算总分、等级和全省排名（含并列处理）。",
        "sobol": f"{cats}类分值各乘以一个在±{o.band:.0%}内均匀变化的系数（同类指标同比例缩放，{keep}），"
                 f"按Saltelli方案抽样，共{s.sobol_n:,}×{D + 2}={s.sobol_n * (D + 2):,}次计算。"
                 "分析的输出有两种：各市的全省排名；全省平均排名变动，即11个市“抽样排名与官方排名之差的绝对值”的平均。",
        "explain": "一阶指数S1：仅该类别分值变化可解释的输出（排名或平均排名变动）方差占比；"
                   "总效应指数ST：再加上与其他类别交互作用的占比。",
        "ci": f"括号内为95%置信区间（自助法{RESAMPLES}次重抽样，估计值±1.96倍标准差）；"
              "指数是方差占比，不小于0，估计值为负仅是抽样误差，记作≈0。",
        "criterion": f"“排名不随权重变化”的判定：在蒙特卡洛样本和Sobol'样本中，该市排名偏离其最常见名次的样本占比"
                     f"均低于{OFF_MODE_LIMIT:.0%}。此时排名方差只来自极少数样本，指数是噪声，不予列出；"
                     "全省平均排名变动按“任一市偏离其最常见名次”的样本占比同样判定。",
    }


def context(s, meta: dict, figs: dict) -> dict:
    from jxscore.report.analysis_charts import svg_bytes

    factors = list(s.factor_names) or list(s.indices["factor"].unique())
    cities = [{"city": r.city, "nominal": r.nominal_rank, "median": r.median_rank,
               "p90": f"{r.rank_p05}–{r.rank_p95}" if r.rank_p05 != r.rank_p95 else f"{r.rank_p05}",
               "range": f"{r.rank_min}–{r.rank_max}" if r.rank_min != r.rank_max else f"{r.rank_min}",
               "p_rank": f"{r.p_nominal_rank:.1%}", "p_grade": f"{g.p_nominal_grade:.1%}",
               "grade": g.nominal_grade, "shift": f"{r.mean_abs_shift:.3f}"}
              for r, g in zip(s.ranks.itertuples(index=False), s.grades.itertuples(index=False))]
    return {
        "meta": meta, "year": s.year, "band": f"{s.options.band:.0%}", "texts": _texts(s), "reading": reading(s),
        "factors": [{"code": f, "name": s.factor_names.get(f, "")} for f in factors],
        "cities": cities, "indices": index_rows(s.indices),
        "charts": {"intervals": data_url(svg_bytes(figs["sensitivity_ranks.svg"])),
                   "heatmap": data_url(svg_bytes(figs["sensitivity_heatmap.svg"]))},
    }


def sensitivity_pdf(s, figs: dict, path: Path, meta: dict) -> None:
    page("sensitivity.html.j2", context(s, meta, figs), path)


def sensitivity_figures(s, out: Path, *, plots: bool = True, pdf: bool = False, meta: dict | None = None) -> list[str]:
    """The two SVG plots and/or sensitivity.pdf into `out` (a staging folder); the PDF needs the
    page frame's `meta` (`jxscore.report.context.meta`)."""
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
        if meta is None:
            raise ValueError("sensitivity.pdf needs the page frame's meta (report.context.meta)")
        sensitivity_pdf(s, figs, out / "sensitivity.pdf", meta)
        names.append("sensitivity.pdf")
    return names
