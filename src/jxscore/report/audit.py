"""The 核查报告 (verification.pdf) and the 核查 section of each scorecard: RULEBOOK §8, §9 findings as the
office and a city read them. Plain dicts for the templates; words from the catalogue and the findings."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from jxscore.core.rules import fmt as _num  # numbers as the ledger notes print them

REASONS = {"P-USCC": "信用代码有误", "P-LATE": "完成前计入", "P-EVID": "缺佐证材料", "P-DUP": "重复计算"}


def city_section(c, inputs, ver, city: str) -> dict | None:
    """One city's findings and its claim-vs-verified table (None when neither table was given)."""
    from jxscore.io.writers import finding_detail

    if ver is None:
        return None
    mine = [f for f in ver.findings if f.city == city]
    claims = []
    if ver.projects is not None:
        # numpy masks over the projects table, not pandas filtering: called for every card and every
        # 核查报告 page, the per-row-set overhead of DataFrame indexing was most of a card's context time
        rows = ver.projects.rows
        here = rows["city"].to_numpy() == city
        pols = rows["pollutant"].to_numpy()[here]
        excluded = rows["excluded"].to_numpy(dtype=bool)[here]
        pol_of = {v: k for k, v in c.verification.pollutants.items()}
        targets, values = inputs.targets.loc[city], inputs.values.loc[city]
        sums, over_of = ver.projects.sums.loc[city], ver.reconciled.over.loc[city]
        for code in ver.projects.sums.columns:
            pol = pol_of[code]
            of_pol = pols == pol
            n, n_excluded = int(of_pol.sum()), int(excluded[of_pol].sum())
            applies = bool(pd.notna(targets[code]))
            claimed = float(values[code]) if applies else float("nan")
            over = bool(over_of[code]) if applies else False
            under = any(f.code == "R-UNDER" and f.key == code for f in mine)
            claims.append({
                "code": code, "pollutant": pol, "name": c.indicator(code).name, "unit": c.indicator(code).unit,
                "n": n, "kept": n - n_excluded, "excluded": n_excluded,
                "claimed": _num(claimed) if applies else "不适用",
                "verified": _num(float(sums[code])),
                "result": "按核定量计分" if over else ("申报少于核定" if under else ("相符" if applies else "—")),
                "over": over})
    panels = []
    if ver.panels is not None:
        for item in ver.panels.values.columns:
            spread = next((f for f in mine if f.code == "C-SPREAD" and f.key == item), None)
            panels.append({"item": item, "name": c.indicator(item).name, "n": int(ver.panels.counts.loc[city, item]),
                           "value": _num(float(ver.panels.values.loc[city, item])),
                           "points": _num(c.indicator(item).points),
                           "spread": finding_detail(spread) if spread else ""})
    return {"findings": [{"code": f.code, "key": f.key, "row": "" if f.row is None else f.row,
                          "detail": finding_detail(f), "excluded": f.excluded} for f in mine],
            "claims": claims, "panels": panels}


def audit_context(run) -> dict:
    """The whole 核查报告: a provincial overview first, then a page per city."""
    from jxscore.io.writers import input_hash

    c, inputs, ver = run.criteria, run.inputs, run.verification
    _, _, digest = input_hash(inputs.files, run.opts.criteria_path, run.opts.params())
    overview = []
    for e in c.entities:
        sec = city_section(c, inputs, ver, e.name)
        by = {k: 0 for k in REASONS}
        for f in sec["findings"]:
            if f["code"] in by:
                by[f["code"]] += 1
        overview.append({"city": e.name, "projects": sum(x["n"] for x in sec["claims"]),
                         "kept": sum(x["kept"] for x in sec["claims"]),
                         **{k.replace("-", "_"): v for k, v in by.items()},
                         "over": "、".join(x["code"] for x in sec["claims"] if x["over"]) or "—",
                         "spread": "、".join(p["item"] for p in sec["panels"] if p["spread"]) or "—",
                         "section": sec})
    return {"meta": {"scheme": c.scheme.name, "region": c.scheme.region, "year": inputs.year,
                     "input_hash": digest, "version": "", "n": len(c.entities)},
            "has_projects": ver.projects is not None, "has_panels": ver.panels is not None,
            "reasons": REASONS, "overview": overview, "n_findings": len(ver.findings),
            "cn": list("一二三四五六七八九十") + [f"十{d}" for d in "一二三四五六七八九"] + ["二十"]}


def audit_pdf(run, path: Path) -> None:
    from jxscore.report.pdf import html_to_pdf
    from jxscore.report.render import environment

    ctx = audit_context(run)
    html = environment().get_template("audit.html.j2").render(**ctx)
    html_to_pdf(html, path, identifier=f"{ctx['meta']['input_hash'][:20]}:verification.pdf")
