"""What-if reviews (RULEBOOK §6): the same fractions with a scenario's weights — who moves and why.

Why a city moved is told in points. With effective weights E (after §4 renormalisation) the change
of a city's total splits exactly as  Δtotal = Σₖ ΔEₖ·fₖ = ΣΔEₖ + Σₖ ΔEₖ·(fₖ − 1):
the change of the maximum it can reach (0 when A+B+C is rescaled to 100) plus, per indicator, the
change in points it falls short of full marks. The second form names the indicators that matter
(re-weighting an indicator a city met in full changes nothing relative to the others), so the text
uses it; whatif_reasons.csv also lists the plain contribution change ΔEₖ·fₖ.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from jxscore.analysis.scenario import Scenario, scenario_weights
from jxscore.core.aggregate import Basis, Evaluation, evaluate
from jxscore.core.engine import Result
from jxscore.core.weights import effective_weights, weighted_mask

SHOWN = 0.005  # points below this are noise in a two-decimal total
TOP = 3  # indicators named per mover


@dataclass
class WhatIf:
    """Baseline and scenario side by side, plus the weights used and the movers' reasons."""

    scenario: Scenario
    year: int
    weights: np.ndarray  # (m,)
    baseline: Evaluation
    evaluation: Evaluation
    table: pd.DataFrame  # one row per city, baseline rank order  -> whatif.csv
    weights_table: pd.DataFrame  # -> whatif_weights.csv
    reasons: pd.DataFrame  # movers × indicators with a visible change -> whatif_reasons.csv
    warnings: list


def compute_whatif(result: Result, scenario: Scenario) -> WhatIf:
    """Re-aggregate `result.basis` with the scenario's weights; never re-reads inputs."""
    basis = result.basis
    w = scenario_weights(basis, scenario)
    base = result.evaluation
    ev = evaluate(basis, w, vetoes_off=scenario.vetoes_off, caps_off=scenario.caps_off)
    f = np.nan_to_num(basis.fractions, nan=0.0)
    dE = effective_weights(basis, w) - effective_weights(basis)  # bonus rows: 0 (bonus is never re-weighted)
    contrib = dE * f
    short = dE * (f - 1.0) * basis.applicable
    max_change = (dE * weighted_mask(basis)).sum(axis=1)
    table = _table(result, base, ev, short, max_change)
    reasons = _reasons(result, table, contrib, short, dE)
    return WhatIf(scenario, result.year, w, base, ev, table, _weights_table(result, scenario, w), reasons,
                  list(result.warnings))


def _table(result: Result, base: Evaluation, ev: Evaluation, short: np.ndarray, max_change: np.ndarray) -> pd.DataFrame:
    b = result.basis
    g = np.array(b.grade_names)
    n = len(b.entities)
    df = pd.DataFrame({
        "city": b.entities, "city_code": b.entity_codes,
        "baseline_total": base.total, "baseline_grade": g[base.grade], "baseline_rank": base.rank,
        "total": ev.total, "grade": g[ev.grade], "rank": ev.rank,
        "delta_total": np.round(ev.total - base.total, 2) + 0.0,
        "rank_change": base.rank - ev.rank,  # + = moved up
    })
    for ci, code in enumerate(b.categories):
        if not b.bonus[ci]:
            df[f"delta_{code}"] = np.round(ev.category_scores[:, ci] - base.category_scores[:, ci], 6) + 0.0
    df["vetoes"] = [";".join(np.array(b.veto_codes)[r]) for r in ev.vetoed]
    df["caps"] = [";".join(np.array(b.cap_codes)[r]) for r in ev.capped]
    moved = (base.rank != ev.rank) | (base.grade != ev.grade)
    df["moved"] = moved.astype(int)
    why = [_why(b, i, base, ev, short[i], max_change[i]) if moved[i] else ("", "") for i in range(n)]
    df["why"] = [z for z, _ in why]
    df["why_en"] = [e for _, e in why]
    return df.sort_values("baseline_rank", kind="stable").reset_index(drop=True)


def _why(b: Basis, i: int, base: Evaluation, ev: Evaluation, short: np.ndarray, max_change: float) -> tuple[str, str]:
    """Short Chinese and English reasons for one mover, largest effects first."""
    g = b.grade_names
    zh, en = [], []
    if base.rank[i] != ev.rank[i]:
        zh.append(f"排名{base.rank[i]}→{ev.rank[i]}")
        en.append(f"rank {base.rank[i]}→{ev.rank[i]}")
    if base.grade[i] != ev.grade[i]:
        zh.append(f"等级{g[base.grade[i]]}→{g[ev.grade[i]]}")
        en.append(f"grade {g[base.grade[i]]}→{g[ev.grade[i]]}")
    d = ev.total[i] - base.total[i]
    zh.append(f"总分{base.total[i]:.2f}→{ev.total[i]:.2f}（{d:+.2f}）")
    en.append(f"total {base.total[i]:.2f}→{ev.total[i]:.2f} ({d:+.2f})")
    off = [c for c, was, now in zip(b.veto_codes, base.vetoed[i], ev.vetoed[i]) if was and not now]
    off += [c for c, was, now in zip(b.cap_codes, base.capped[i], ev.capped[i]) if was and not now]
    if off:
        zh.append("取消" + "、".join(off))
        en.append("switched off: " + ", ".join(off))
    terms_zh, terms_en = [], []
    if abs(max_change) >= SHOWN:
        terms_zh.append(f"满分{max_change:+.2f}")
        terms_en.append(f"maximum {max_change:+.2f}")
    order = np.lexsort((np.arange(len(short)), -np.round(np.abs(short), 9)))  # |effect| desc, scheme order
    top = [j for j in order[:TOP] if abs(short[j]) >= SHOWN]
    terms_zh += [f"{b.codes[j]} {short[j]:+.2f}" for j in top]
    terms_en += [f"{b.codes[j]} {short[j]:+.2f}" for j in top]
    if terms_zh:
        zh.append("失分权重变化：" + "，".join(terms_zh))
        en.append("points short of full marks re-weighted: " + ", ".join(terms_en))
    passed = [j for j in np.argsort(base.rank) if base.rank[j] < base.rank[i] and ev.rank[j] > ev.rank[i]]
    by = [j for j in np.argsort(base.rank) if base.rank[j] > base.rank[i] and ev.rank[j] < ev.rank[i]]
    if passed:
        zh.append("超过" + "、".join(b.entities[j] for j in passed))
        en.append("passes " + ", ".join(b.entities[j] for j in passed))
    if by:
        zh.append("被" + "、".join(b.entities[j] for j in by) + "超过")
        en.append("passed by " + ", ".join(b.entities[j] for j in by))
    return "；".join(zh), "; ".join(en)


def _reasons(result: Result, table: pd.DataFrame, contrib: np.ndarray, short: np.ndarray,
             dE: np.ndarray) -> pd.DataFrame:
    b = result.basis
    f = b.fractions
    rows = []
    movers = table.loc[table["moved"] == 1, "city"].tolist()
    for city in movers:
        i = b.entities.index(city)
        for j, code in enumerate(b.codes):
            if abs(short[i, j]) < SHOWN and abs(contrib[i, j]) < SHOWN:
                continue
            rows.append({"city": city, "indicator": code, "fraction": f[i, j],
                         "weight_change": round(float(dE[i, j]), 6) + 0.0,
                         "contribution_change": round(float(contrib[i, j]), 6) + 0.0,
                         "shortfall_change": round(float(short[i, j]), 6) + 0.0})
    cols = ["city", "indicator", "fraction", "weight_change", "contribution_change", "shortfall_change"]
    df = pd.DataFrame(rows, columns=cols)
    if df.empty:
        return df
    df["_e"] = df["city"].map(table.set_index("city")["baseline_rank"])
    df["_a"] = -df["shortfall_change"].abs()
    df["_j"] = df["indicator"].map({c: j for j, c in enumerate(b.codes)})
    return df.sort_values(["_e", "_a", "_j"], kind="stable").drop(columns=["_e", "_a", "_j"]).reset_index(drop=True)


def _weights_table(result: Result, sc: Scenario, w: np.ndarray) -> pd.DataFrame:
    b = result.basis
    names = {i.code: i.name for i in result.criteria.indicators}
    cat_names = {k.code: k.name for k in result.criteria.categories}
    rows = []
    for ci, cat in enumerate(b.categories):
        idx = b.category_of == ci
        bonus = bool(b.bonus[ci])
        note = "加分项，不调整 (bonus, never scaled)" if bonus else ("set" if cat in sc.points else "")
        rows.append({"level": "category", "code": cat, "category": cat, "name": cat_names.get(cat, ""),
                     "baseline_points": float(b.category_points[ci] if bonus else b.points[idx].sum()),
                     "points": float(b.category_points[ci] if bonus else w[idx].sum()), "note": note})
        for j in np.flatnonzero(idx):
            code = b.codes[j]
            note = "加分项，不调整 (bonus, never scaled)" if bonus else (
                "set" if code in sc.points else ("from category" if cat in sc.points else ""))
            rows.append({"level": "indicator", "code": code, "category": cat, "name": names.get(code, ""),
                         "baseline_points": float(b.points[j]), "points": float(w[j]), "note": note})
    df = pd.DataFrame(rows)
    df["points"] = df["points"].round(9)
    df["change"] = (df["points"] - df["baseline_points"]).round(9) + 0.0
    return df[["level", "code", "category", "name", "baseline_points", "points", "change", "note"]]


def scenario_record(w: WhatIf) -> dict:
    """The scenario as run, for whatif.json (file names only: output bytes do not depend on paths)."""
    sc = w.scenario
    return {"year": w.year, "name": sc.name, "source": Path(sc.source).name if sc.source != "--set" else "--set",
            "points": dict(sc.points), "vetoes_off": sorted(sc.vetoes_off), "caps_off": sorted(sc.caps_off),
            "rescale": sc.rescale, "description": sc.describe(),
            "movers": w.table.loc[w.table["moved"] == 1, "city"].tolist()}


def write_whatif(w: WhatIf, out: Path) -> list[str]:
    """Write whatif.csv, whatif_weights.csv, whatif_reasons.csv, whatif.json into `out`."""
    import json

    from jxscore.io.writers import write_csv

    write_csv(w.table, out / "whatif.csv")
    write_csv(w.weights_table, out / "whatif_weights.csv")
    write_csv(w.reasons, out / "whatif_reasons.csv")
    (out / "whatif.json").write_text(json.dumps(scenario_record(w), ensure_ascii=False, indent=2, sort_keys=True)
                                     + "\n", encoding="utf-8")
    names = ["whatif.csv", "whatif_weights.csv", "whatif_reasons.csv", "whatif.json"]
    return names
