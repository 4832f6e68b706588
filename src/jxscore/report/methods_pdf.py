"""compare_methods.pdf (templates/methods.html.j2 in the shared page frame): the rankings side by
side, a bump chart, why each city's rank differs, Kendall τ, the rank-reversal check and what every
column of the three CSVs means."""

from __future__ import annotations

from pathlib import Path

from jxscore.analysis.methods import BASE_LABEL, COLUMNS, METHODS, OTHER, REVERSAL_TEXT, TAU_TEXT, MethodsComparison
from jxscore.report.analysis_pdf import data_url, page


def _texts(m: MethodsComparison) -> dict:
    others = "、".join(METHODS[k][0] for k in OTHER)
    dropped = (f"各市相同的指标列（{'、'.join(m.dropped)}）不影响任何方法的先后，已从矩阵中去掉。" if m.dropped else "")
    return {
        "method": [
            "决策矩阵：各市 × 计分指标（A、B、C类，不含加分项D），值为指标得分系数f（0–1，越大越好），"
            "权重为评分细则分值；不适用的指标取该市同类适用指标的加权平均系数，"
            "在加权求和下正好重现官方类别得分。" + dropped,
            f"同一矩阵和权重下，官方加权和A+B+C与{others}各给出一种排名（并列按行政区划代码）。"
            "scikit-criteria的加权求和模型只作核对：其结果必须与A+B+C一致，否则程序报错。",
            "官方排名还要经过两步，才与各方法可比：一票否决和等级封顶降低等级后按等级优先排名；加分项D计入总分。"
            f"因此另列“{BASE_LABEL}”（关闭全部否决与封顶，按总分排名，并列按A类得分、能耗强度进度p、行政区划代码），"
            "逐市区分名次差异来自否决或封顶、加分项D，还是汇总方法本身。",
        ],
        "tau": TAU_TEXT,
        "tau_read": "“对不计否决封顶排名”与“对官方排名”之差反映否决与封顶的影响；"
                    "“对官方加权和”只反映汇总方法本身的差别。p值：假设两种排名毫无关系时得到至少如此一致的概率，越小说明一致越不是偶然。",
        "reversal": REVERSAL_TEXT,
    }


def context(m: MethodsComparison, meta: dict, chart: str) -> dict:
    rows = [{"city": r.city, "official": r.official_rank, "grade": r.official_grade, "total": f"{r.official_total:.2f}",
             "rules": "、".join((*r.vetoes, *r.caps)) or "—",
             "base": r.base_rank, "abc": f"{r.score_ABC:.2f}", "score": r.score_rank,
             "wpm": r.weighted_product_rank, "topsis": r.topsis_rank, "vikor": r.vikor_rank,
             "cause": r.cause, "attribution": r.attribution} for r in m.table.itertuples(index=False)]
    corr = [{"label": c.label, "official": f"{c.kendall_tau_vs_official:.3f}", "base": f"{c.kendall_tau_vs_base:.3f}",
             "score": f"{c.kendall_tau_vs_score:.3f}",
             "moved": f"{c.cities_moved_vs_official} / {c.cities_moved_vs_score}",
             "shift": f"{c.max_rank_shift_vs_official} / {c.max_rank_shift_vs_score}"}
            for c in m.correlations.itertuples(index=False)]
    reversal = [{"label": r.label, "mutations": r.mutations, "best": f"{r.best_kept_rate:.2f}",
                 "shift": f"{r.best_mean_displacement:.2f}", "order": f"{r.order_kept_rate:.2f}"}
                for r in m.reversal.itertuples(index=False)]
    files = [f for f in COLUMNS if f != "methods_rank_reversal.csv" or reversal]
    glossary = [{"file": f, "columns": [{"name": c, "label": lab, "text": t} for c, lab, t in COLUMNS[f]]}
                for f in files]
    same = "、".join(r["city"] for r in rows if r["cause"] == "无差异")
    return {"meta": meta, "year": m.year, "texts": _texts(m), "rows": rows, "corr": corr, "reversal": reversal,
            "glossary": glossary, "same": same, "chart": chart}


def methods_pdf(m: MethodsComparison, path: Path, meta: dict) -> None:
    from jxscore.report.analysis_charts import svg_bytes
    from jxscore.report.methods_charts import rank_bump

    page("methods.html.j2", context(m, meta, data_url(svg_bytes(rank_bump(m)))), path)
