"""What-if reviews (RULEBOOK §6): the same fractions with a scenario's weights — who moves and why.

Why a city moved is told in points. With effective weights E (after §4 renormalisation) the change
of a city's total splits exactly as  Δtotal = Σₖ ΔEₖ·fₖ = ΣΔEₖ + Σₖ ΔEₖ·(fₖ − 1):
the change of the maximum it can reach (0 when A+B+C is rescaled to 100) plus, per indicator, its
points relative to full marks. ΔEₖ·(fₖ − 1) names the indicators that matter (re-weighting an
indicator a city met in full changes nothing relative to the others), so the text uses it, in
words: an indicator whose weight went up and that the city met only in part (f < 1) leaves it
相对少得 ΔEₖ·(1 − fₖ) points; a weight that went down leaves it 相对多得. Every signed number is
scenario minus baseline (+ = more points for the city), like Δtotal; SIGN_NOTE says so once, under
every table of reasons. whatif_reasons.csv lists both ΔEₖ·fₖ (the indicator's own points) and
ΔEₖ·(fₖ − 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from jxscore.analysis.scenario import Applied, Scenario, scenario_weights, set_weights, setting_text
from jxscore.core.aggregate import Basis, Evaluation, evaluate
from jxscore.core.engine import Result
from jxscore.core.weights import effective_weights, weighted_mask

SHOWN = 0.005  # points below this are noise in a two-decimal total
TOP = 3  # indicators named per mover

SIGN_NOTE = ("读法：权重为该市计入总分的分值（不适用指标的分值已按§4在同类中重新分配）。"
             "“本项得分”的正负号与Δ总分相同，均为情景减基准，正为多得分；"
             "“相对多得/相对少得”是与该指标得满分相比：相对得分 = 权重变化 ×（得分率 − 1），"
             "权重提高而得分率不足100%时相对少得，权重降低时相对多得，得分率100%时与满分相比不变。"
             "A+B+C折算为100分时各市满分不变，Δ总分等于各指标相对多得与相对少得之差（不折算时再加满分的变化）；"
             f"每市列出影响最大的{TOP}项。")


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
    applied: Applied  # the settings' points on this scheme, for describe()
    bonus: frozenset[str] = frozenset()  # the bonus categories (capped, never a weight: not adjusted)

    def describe(self) -> str:
        """The scenario in Chinese, each setting with its points after rescaling."""
        return self.scenario.describe(self.applied)


def compute_whatif(result: Result, scenario: Scenario) -> WhatIf:
    """Re-aggregate `result.basis` with the scenario's weights; never re-reads inputs."""
    basis = result.basis
    w = scenario_weights(basis, scenario)
    base = result.evaluation
    ev = evaluate(basis, w, vetoes_off=scenario.vetoes_off, caps_off=scenario.caps_off)
    f = np.nan_to_num(basis.fractions, nan=0.0)
    E0, E1 = effective_weights(basis), effective_weights(basis, w)
    dE = E1 - E0  # bonus rows: 0 (bonus is never re-weighted)
    contrib = dE * f
    relative = dE * (f - 1.0) * basis.applicable  # + = 相对多得, − = 相对少得
    mask = weighted_mask(basis)
    max0, max1 = (E0 * mask).sum(axis=1), (E1 * mask).sum(axis=1)
    table = _table(result, base, ev, E0, E1, f, relative, max0, max1)
    reasons = _reasons(result, table, E0, E1, contrib, relative)
    weights_table = _weights_table(result, scenario, w)
    return WhatIf(scenario, result.year, w, base, ev, table, weights_table, reasons, list(result.warnings),
                  _applied(basis, scenario, weights_table),
                  frozenset(c for c, bonus in zip(basis.categories, basis.bonus) if bonus))


def _applied(basis: Basis, sc: Scenario, wt: pd.DataFrame) -> Applied:
    weighted = weighted_mask(basis)
    rows = wt.set_index("code")
    return Applied(names=rows["name"].to_dict(), baseline=rows["baseline_points"].to_dict(),
                   final=rows["points"].to_dict(), set_total=float(set_weights(basis, sc)[weighted].sum()),
                   nominal_total=float(basis.points[weighted].sum()))


def _table(result: Result, base: Evaluation, ev: Evaluation, E0: np.ndarray, E1: np.ndarray, f: np.ndarray,
           relative: np.ndarray, max0: np.ndarray, max1: np.ndarray) -> pd.DataFrame:
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
    df["vetoes"] = [tuple(np.array(b.veto_codes)[r].tolist()) for r in ev.vetoed]  # joined when written
    df["caps"] = [tuple(np.array(b.cap_codes)[r].tolist()) for r in ev.capped]
    moved = (base.rank != ev.rank) | (base.grade != ev.grade)
    df["moved"] = moved.astype(int)
    df["why"] = [_why(b, i, base, ev, E0[i], E1[i], f[i], relative[i], max0[i], max1[i]) if moved[i] else ""
                 for i in range(n)]
    return df.sort_values("baseline_rank", kind="stable").reset_index(drop=True)


def term_text(code: str, e0: float, e1: float, f: float) -> str:
    """One indicator's part in plain words, e.g. "C2权重提高（5.00→5.26分），该市C2得分率88.0%，
    本项得分+0.23分，相对少得0.03分": the weight's direction and values (the city's effective points),
    the city's fraction, the indicator's own change ΔE·f and, against full marks, ΔE·(f − 1)."""
    d = e1 - e0
    rel = d * (f - 1.0)
    way = "提高" if d > 0 else "降低"
    head = f"{code}权重{way}（{e0:.2f}→{e1:.2f}分），该市{code}得分率{f:.1%}，本项得分{_signed(d * f)}分，"
    if abs(rel) < SHOWN:
        return head + "与满分相比不变"
    return head + f"相对{'多' if rel > 0 else '少'}得{abs(rel):.2f}分"


def _signed(v: float) -> str:
    s = f"{v:+.2f}"
    return "+0.00" if s == "-0.00" else s


def _why(b: Basis, i: int, base: Evaluation, ev: Evaluation, e0: np.ndarray, e1: np.ndarray, f: np.ndarray,
         relative: np.ndarray, max0: float, max1: float) -> str:
    """The Chinese reasons for one mover, largest effects first (SIGN_NOTE tells how to read them)."""
    g = b.grade_names
    zh = []
    r0, r1 = int(base.rank[i]), int(ev.rank[i])
    if r0 != r1:
        zh.append(f"排名由第{r0}名{'升' if r1 < r0 else '降'}至第{r1}名")
    g0, g1 = int(base.grade[i]), int(ev.grade[i])
    if g0 != g1:
        zh.append(f"等级由“{g[g0]}”{'升' if g1 < g0 else '降'}为“{g[g1]}”")
    d = ev.total[i] - base.total[i]
    zh.append(f"总分{base.total[i]:.2f}→{ev.total[i]:.2f}分（{_signed(d)}分）")
    zh += [f"取消一票否决{c}" for c, was, now in zip(b.veto_codes, base.vetoed[i], ev.vetoed[i]) if was and not now]
    zh += [f"取消等级封顶{c}" for c, was, now in zip(b.cap_codes, base.capped[i], ev.capped[i]) if was and not now]
    if abs(max1 - max0) >= SHOWN:
        zh.append(f"A+B+C满分{max0:.2f}→{max1:.2f}分（未折算，{_signed(max1 - max0)}分）")
    order = np.lexsort((np.arange(len(relative)), -np.round(np.abs(relative), 9)))  # |effect| desc, scheme order
    zh += [term_text(b.codes[j], e0[j], e1[j], f[j]) for j in order[:TOP] if abs(relative[j]) >= SHOWN]
    passed = [j for j in np.argsort(base.rank) if base.rank[j] < base.rank[i] and ev.rank[j] > ev.rank[i]]
    by = [j for j in np.argsort(base.rank) if base.rank[j] > base.rank[i] and ev.rank[j] < ev.rank[i]]
    if passed:
        zh.append("超过" + "、".join(b.entities[j] for j in passed))
    if by:
        zh.append("被" + "、".join(b.entities[j] for j in by) + "超过")
    return "；".join(zh)


def _reasons(result: Result, table: pd.DataFrame, E0: np.ndarray, E1: np.ndarray, contrib: np.ndarray,
             relative: np.ndarray) -> pd.DataFrame:
    b = result.basis
    f = b.fractions
    rows = []
    movers = table.loc[table["moved"] == 1, "city"].tolist()
    for city in movers:
        i = b.entities.index(city)
        for j, code in enumerate(b.codes):
            if abs(relative[i, j]) < SHOWN and abs(contrib[i, j]) < SHOWN:
                continue
            fj = 0.0 if np.isnan(f[i, j]) else float(f[i, j])
            rows.append({"city": city, "indicator": code, "fraction": f[i, j],
                         "baseline_weight": round(float(E0[i, j]), 6) + 0.0,
                         "weight": round(float(E1[i, j]), 6) + 0.0,
                         "weight_change": round(float(E1[i, j] - E0[i, j]), 6) + 0.0,
                         "contribution_change": round(float(contrib[i, j]), 6) + 0.0,
                         "relative_change": round(float(relative[i, j]), 6) + 0.0,
                         "why": term_text(code, float(E0[i, j]), float(E1[i, j]), fj)})
    cols = ["city", "indicator", "fraction", "baseline_weight", "weight", "weight_change", "contribution_change",
            "relative_change", "why"]
    df = pd.DataFrame(rows, columns=cols)
    if df.empty:
        return df
    df["_e"] = df["city"].map(table.set_index("city")["baseline_rank"])
    df["_a"] = -df["relative_change"].abs()
    df["_j"] = df["indicator"].map({c: j for j, c in enumerate(b.codes)})
    return df.sort_values(["_e", "_a", "_j"], kind="stable").drop(columns=["_e", "_a", "_j"]).reset_index(drop=True)


BONUS_NOTE = "加分项，不调整"


def _weights_table(result: Result, sc: Scenario, w: np.ndarray) -> pd.DataFrame:
    b = result.basis
    names = {i.code: i.name for i in result.criteria.indicators}
    cat_names = {k.code: k.name for k in result.criteria.categories}
    rows = []
    for ci, cat in enumerate(b.categories):
        idx = b.category_of == ci
        bonus = bool(b.bonus[ci])
        note = BONUS_NOTE if bonus else ("设定" if cat in sc.points else "")
        rows.append({"level": "category", "code": cat, "category": cat, "name": cat_names.get(cat, ""),
                     "baseline_points": float(b.category_points[ci] if bonus else b.points[idx].sum()),
                     "set_points": sc.points.get(cat, np.nan),
                     "points": float(b.category_points[ci] if bonus else w[idx].sum()), "note": note})
        for j in np.flatnonzero(idx):
            code = b.codes[j]
            note = BONUS_NOTE if bonus else (
                "设定" if code in sc.points else ("按类别设定分摊" if cat in sc.points else ""))
            rows.append({"level": "indicator", "code": code, "category": cat, "name": names.get(code, ""),
                         "baseline_points": float(b.points[j]), "set_points": sc.points.get(code, np.nan),
                         "points": float(w[j]), "note": note})
    df = pd.DataFrame(rows)
    df["points"] = df["points"].round(9)
    df["change"] = (df["points"] - df["baseline_points"]).round(9) + 0.0
    return df[["level", "code", "category", "name", "baseline_points", "set_points", "points", "change", "note"]]


def settings(w: WhatIf) -> list[dict]:
    """Every point setting with its value set, the rulebook points and the points used (after rescaling)."""
    a = w.applied
    levels = w.weights_table.set_index("code")["level"]
    return [{"code": code, "name": a.names.get(code, ""), "level": str(levels[code]), "set_points": float(v),
             "baseline_points": float(a.baseline[code]), "points": round(float(a.final[code]), 6) + 0.0,
             "text": setting_text(code, v, w.scenario.rescale, a)}
            for code, v in w.scenario.points.items()]


def scenario_record(w: WhatIf) -> dict:
    """The scenario as run, for whatif.json (file names only: output bytes do not depend on paths)."""
    sc = w.scenario
    return {"year": w.year, "name": sc.name, "source": Path(sc.source).name if sc.source != "--set" else "--set",
            "points": dict(sc.points), "settings": settings(w), "vetoes_off": sorted(sc.vetoes_off),
            "caps_off": sorted(sc.caps_off), "rescale": sc.rescale,
            "set_total": round(w.applied.set_total, 6) + 0.0, "description": w.describe(), "sign_note": SIGN_NOTE,
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
