"""history.pdf (templates/history.html.j2 in the shared page frame) and the scorecard's 历年考核结果
section: the plan period side by side (RULEBOOK §11).

The chart is hand-written SVG in the style of jxscore.report.charts: one small panel per city with
its total over the years (points coloured by grade, the grade thresholds dashed) and its rank under
each point. The footer's input hash is the history's (jxscore.analysis.history: SHA-256 over the
per-year manifest input hashes)."""

from __future__ import annotations

from pathlib import Path

from jxscore.report.charts import AXIS, DARK, GRADE_COLOURS, GREY, GRID, Svg, _n

HASH_TEXT = ("页脚的输入数据指纹是各年度输入数据指纹（即对该年度运行 jxscore score 时 manifest.json 中的 input_hash，"
             "由该年度各输入文件、评分标准文件和运行参数的SHA-256得出）按年度排列后的SHA-256："
             "sha256(JSON{年度: 该年度input_hash})，键按年度排序。任一年度的任一输入改变，指纹随之改变。")


def _pct(fraction: float) -> str:
    return f"{100.0 * fraction:.2f}"


def _grade_colour(criteria) -> dict[str, str]:
    names = list(criteria.grade_names)
    return dict(zip(names, list(GRADE_COLOURS) + [GREY] * max(0, len(names) - len(GRADE_COLOURS))))


def _verdict_text(v) -> dict:
    return {"city": v.city, "c": _pct(v.c), "p": f"{v.p:.4f}", "p_inc": f"{v.p_inc:.4f}", "basic": v.basic,
            "incentive": v.incentive, "basic_cmp": "≥" if v.basic == "完成" else "<",
            "incentive_cmp": "≥" if v.incentive == "完成" else "<"}


def card_section(history, result, city: str) -> dict:
    """The card's 历年考核结果: every year of `history` up to the card's year (the card's own run is
    that year), and in the final year of the plan the §11 verdict."""
    from jxscore.analysis.history import verdicts

    rows = []
    for _, r in history.city(city).iterrows():
        if int(r["year"]) > result.year:
            continue
        rules = "、".join((*r["vetoes"], *r["caps"]))
        rows.append({"year": int(r["year"]), "total": f"{r['total']:.2f}", "grade": r["grade"],
                     "rank": int(r["rank"]), "c": _pct(r["c"]), "required": f"{r['required']:.2f}",
                     "p": f"{r['p']:.3f}", "need": f"{int(r['k']) / result.criteria.scheme.plan_years:.1f}",
                     "met": "达到" if int(r["cumulative"]) else "未达到", "rules": rules or "—",
                     "current": int(r["year"]) == result.year})
    verdict = None
    if result.year == history.final_year:
        verdict = _verdict_text(next(v for v in verdicts(result, history.intensity_code) if v.city == city))
    return {"rows": rows, "n": len(result.scores), "verdict": verdict, "code": history.intensity_code,
            "hash16": history.input_hash[:16], "first": rows[0]["year"] if rows else result.year,
            "years": "、".join(str(r["year"]) for r in rows)}


# ---------------------------------------------------------------- the chart

PANEL_W, PANEL_H, COLS = 120.0, 92.0, 4


def totals_chart(history) -> str:
    """Small multiples, one panel per city (criteria order): total over the years, each point in its
    grade's colour with the total above it and the rank below; grade thresholds dashed. The last
    cell of the grid holds the legend."""
    crit = history.criteria
    years = history.years
    colour = _grade_colour(crit)
    cities = [e.name for e in crit.entities]
    mins = [g.min for g in crit.grades if g.min > 0]
    n_cells = len(cities) + 1
    rows = (n_cells + COLS - 1) // COLS
    g = Svg(PANEL_W * COLS, PANEL_H * rows, 6.0)
    t = history.table_full
    lo_data = float(t["total"].min())
    lo = min(min(mins) - 10.0 if mins else 0.0, 10.0 * (lo_data // 10.0))
    hi = 112.0  # room above 105 for the total printed over a point
    for i, city in enumerate(cities):
        x0, y0 = PANEL_W * (i % COLS), PANEL_H * (i // COLS)
        left, right, top, bottom = x0 + 17.0, x0 + PANEL_W - 8.0, y0 + 13.0, y0 + PANEL_H - 12.0
        g.text(x0 + 3.0, y0 + 8.0, city, size=7.0)

        def Y(v: float, top=top, bottom=bottom) -> float:
            return bottom - (bottom - top) * (v - lo) / (hi - lo)

        def X(yr: int, left=left, right=right) -> float:
            if len(years) == 1:
                return (left + right) / 2
            return left + 10.0 + (right - left - 20.0) * (yr - years[0]) / (years[-1] - years[0])

        g.rect(left, top, right - left, bottom - top, "#fafafa")
        for m in mins:
            g.line(left, Y(m), right, Y(m), GRID if m != mins[-1] else "#d0d0d0", 0.5, "2,1.5")
            g.text(left - 2.5, Y(m) + 1.9, _n(m), "end", 5.4, AXIS)
        g.line(left, top, left, bottom, AXIS, 0.5)
        for yr in years:
            g.text(X(yr), bottom + 8.0, str(yr), "middle", 5.4, AXIS)
        c = t[t["city"] == city].sort_values("year")
        pts = [(X(int(r.year)), Y(float(r.total))) for r in c.itertuples(index=False)]
        if len(pts) > 1:
            g.polyline(pts, DARK, 0.9)
        for (x, y), r in zip(pts, c.itertuples(index=False)):
            g.circle(x, y, 2.0, colour.get(r.grade, GREY))
            g.text(x, y - 3.6, f"{r.total:.2f}", "middle", 5.2)
            g.text(x, y + 7.4, f"第{int(r.rank)}名", "middle", 5.0, AXIS)
    # legend in the last cell
    x0, y0 = PANEL_W * (len(cities) % COLS), PANEL_H * (len(cities) // COLS)
    g.text(x0 + 6.0, y0 + 14.0, "点的颜色：考核等级", size=6.2)
    for j, name in enumerate(crit.grade_names):
        y = y0 + 25.0 + 10.0 * j
        g.circle(x0 + 9.0, y - 2.0, 2.2, colour[name])
        g.text(x0 + 14.0, y, name, size=6.2)
    y = y0 + 25.0 + 10.0 * len(crit.grade_names) + 4.0
    g.text(x0 + 6.0, y, "点上为总分，点下为全省排名；", size=5.8)
    g.text(x0 + 6.0, y + 8.0, "虚线为等级分数线（" + "、".join(_n(m) for m in mins) + "）", size=5.8)
    return g.url()


# ---------------------------------------------------------------- history.pdf

def context(history) -> dict:
    """Plain data for history.html.j2 (numbers already text)."""
    from jxscore import __version__

    crit = history.criteria
    s = crit.scheme
    colour = _grade_colour(crit)
    t = history.table_full
    cells = {(int(r.year), r.city): r for r in t.itertuples(index=False)}
    grid = []
    for e in crit.entities:
        cols = []
        for y in history.years:
            r = cells.get((y, e.name))
            cols.append(None if r is None else {
                "grade": r.grade, "rank": int(r.rank), "total": f"{r.total:.2f}", "colour": colour.get(r.grade, GREY),
                "c": _pct(r.c), "p": f"{r.p:.3f}", "met": bool(r.cumulative),
                "rules": "、".join((*r.vetoes, *r.caps))})
        grades = [c["grade"] for c in cols if c]
        grid.append({"city": e.name, "cols": cols, "changed": len(set(grades)) > 1})
    required = [{"year": y, "k": crit.k(y), "need": f"{crit.k(y) / s.plan_years:.1f}"} for y in history.years]
    first, last = history.years[0], history.years[-1]
    return {
        "meta": {"scheme": s.name, "region": s.region, "year": last, "input_hash": history.input_hash,
                 "version": __version__, "n": len(crit.entities)},
        "first": first, "last": last, "base_year": s.base_year, "years": history.years, "required": required,
        "grid": grid,
        "changed": "、".join(g["city"] for g in grid if g["changed"]) or "无",
        "runs": [{"year": r.year, "source": r.source, "hash": r.input_hash} for r in history.runs],
        "verdicts": [_verdict_text(v) for v in history.verdicts()], "final_year": history.final_year,
        "code": history.intensity_code, "hash_text": HASH_TEXT, "chart": totals_chart(history),
        "legend": [{"name": g, "colour": colour[g]} for g in crit.grade_names],
    }


def history_pdf(history, path: Path) -> None:
    from jxscore.report.analysis_pdf import page

    page("history.html.j2", context(history), path)
