"""barometer.pdf: the 晴雨表 of one period on one A4 page — the map coloured by level, the table of
figures and the advice, dated by the period and year, the input hash in the footer (base.html.j2).
The level colours live here and only here."""

from __future__ import annotations

from pathlib import Path

from jxscore.core.barometer import GREEN, LEVELS, PERIOD_MONTHS, PERIOD_NAMES, RED, YELLOW

COLOURS = {GREEN: "#2e8b57", YELLOW: "#e0b000", RED: "#b0171f"}  # 绿 / 黄 / 红: map, table cells, legend
INK = {GREEN: "#ffffff", YELLOW: "#111111", RED: "#ffffff"}  # text on each colour
MAP_W = 170.0  # pt (drawn at the map's reference width, shown 62 mm wide)


def _pct(v: float, d: int = 2) -> str:
    return f"{v:.{d}f}".replace("-", "−")


def barometer_context(run) -> dict:
    """Plain data for barometer.html.j2 (numbers already text)."""
    from jxscore import __version__

    b, c = run.barometer, run.criteria
    rows = [{"city": r["city"], "code": r["city_code"], "i_prev": f"{r['intensity_prev']:.4f}",
             "i_cur": f"{r['intensity']:.4f}", "cut": _pct(100 * r["r"]), "a1": _pct(r["A1_annual"]),
             "gap": _pct(r["gap"]), "li": r["level_intensity"], "growth": _pct(100 * r["G"]),
             "allowed": _pct(100 * r["g_star"]), "lt": r["level_total"], "level": r["level"],
             "advice": r["advice"]} for _, r in b.table.iterrows()]
    return {"meta": {"scheme": c.scheme.name, "region": c.scheme.region, "year": b.year, "n": len(rows),
                     "input_hash": run.input_hash, "version": __version__},
            "period": b.period, "period_name": PERIOD_NAMES[b.period], "months": PERIOD_MONTHS[b.period],
            "prev_year": b.year - 1, "rows": rows, "colours": COLOURS, "ink": INK,
            "levels": [{"name": lv, "colour": COLOURS[lv], "ink": INK[lv], "n": b.count(lv),
                        "cities": "、".join(r["city"] for r in rows if r["level"] == lv) or "—"} for lv in LEVELS],
            "advice": [r for r in rows if r["advice"]]}


def barometer_pdf(run, path: Path) -> None:
    from jxscore.report import jxmap
    from jxscore.report.analysis_pdf import page

    ctx = barometer_context(run)
    ctx["map"] = jxmap.province_map({r["code"]: COLOURS[r["level"]] for r in ctx["rows"]},
                                    names={r["code"]: r["city"] for r in ctx["rows"]},
                                    legend=[(lv, COLOURS[lv]) for lv in LEVELS], w=MAP_W)
    page("barometer.html.j2", ctx, path)
