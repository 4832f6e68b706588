"""whatif.pdf (templates/whatif.html.j2 in the shared page frame): the scenario as set and as rescaled,
baseline against scenario, a rank slope chart, who moved and why."""

from __future__ import annotations

from pathlib import Path

from jxscore.analysis.scenario import num
from jxscore.analysis.whatif import SIGN_NOTE, WhatIf, settings
from jxscore.report.analysis_pdf import data_url, page


def context(w: WhatIf, meta: dict, chart: str) -> dict:
    rows = [{"city": r.city, "bt": f"{r.baseline_total:.2f}", "bg": r.baseline_grade, "br": r.baseline_rank,
             "t": f"{r.total:.2f}", "g": r.grade, "r": r.rank, "d": f"{r.delta_total:+.2f}", "moved": bool(r.moved)}
            for r in w.table.itertuples(index=False)]
    movers = [{"city": r.city, "lines": r.why.split("；")} for r in w.table.itertuples(index=False) if r.moved]
    sets = [{"code": s["code"], "name": s["name"], "baseline": f"{num(s['baseline_points'])}分",
             "set": f"{num(s['set_points'])}分", "final": f"{s['points']:.2f}分"} for s in settings(w)]
    cats = w.weights_table[w.weights_table["level"] == "category"]
    categories = "、".join(f"{r.code} {r.name} {r.points:.2f}分（原{num(r.baseline_points)}分）"
                          for r in cats.itertuples(index=False) if r.code not in w.bonus)
    bonus = [f"{r.code} {r.name}" for r in cats.itertuples(index=False) if r.code in w.bonus]
    rule = ("类别设定按评分细则分值比例分摊到所属指标，再应用指标设定，"
            + ("然后A+B+C合计按比例折算为规定总分" if w.scenario.rescale else "A+B+C不折算")
            + (f"；加分项（{'、'.join(bonus)}）不是权重，不调整" if bonus else "")
            + "。一票否决与等级封顶照常适用，除非情景取消。")
    return {"meta": meta, "year": w.year, "scenario": w.describe(), "settings": sets,
            "final_label": "折算后分值" if w.scenario.rescale else "使用分值", "categories": categories,
            "rule": rule, "rows": rows, "movers": movers, "sign_note": SIGN_NOTE, "chart": chart}


def whatif_pdf(w: WhatIf, path: Path, meta: dict) -> None:
    """whatif.pdf; `meta` is the page frame's (`jxscore.report.context.meta(result, manifest)`)."""
    from jxscore.report.analysis_charts import svg_bytes
    from jxscore.report.whatif_charts import slope_chart

    page("whatif.html.j2", context(w, meta, data_url(svg_bytes(slope_chart(w)))), path)
