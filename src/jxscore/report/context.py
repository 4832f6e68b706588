"""Plain dicts for the templates, built from a Result: numbers already formatted as text, lists
already sorted, so the templates only loop and print (no pandas, no per-city logic there)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jxscore.core.engine import Flag, Result
from jxscore.core.inputs import Inputs
from jxscore.core.rules import RULES
from jxscore.io.writers import cell_text
from jxscore.report.formats import INTENSITY, finite, num, short


def meta(result: Result, manifest: dict) -> dict:
    s = result.criteria.scheme
    return {
        "scheme": s.name, "region": s.region, "year": result.year, "input_hash": manifest["input_hash"],
        "hash12": manifest["input_hash"][:12], "version": manifest.get("version", ""),
        "n": len(result.scores), "criteria": next(iter(manifest.get("criteria", {})), ""),
    }


def _categories(result: Result) -> list[dict]:
    c = result.criteria
    s = result.scores
    out = []
    for cat in c.categories:
        col = s[cat.code].astype(float)
        best_i = int(np.argmax(col.to_numpy()))
        out.append({"code": cat.code, "name": cat.name, "max": cat.points, "max_s": num(cat.points),
                    "bonus": cat.bonus, "avg": float(col.mean()), "best": float(col.max()),
                    "best_city": s["city"].iloc[best_i]})
    return out


def _indicator_row(r: dict) -> dict:
    """One ledger row as printed. The note is kept where it adds something (a flag, a rule with its
    own arithmetic, points lost); "达到目标" beside full points is noise on a printed card."""
    na = Flag.NA in r["flags"]
    flags = [cell_text(f) for f in r["flags"] if f != Flag.PANEL]  # the 核查 section says C1–C6 are the experts'

    frac = finite(r["fraction"])
    explain = bool(flags) or RULES[r["rule"]].explained or (frac is not None and frac < 1)
    return {
        "code": r["indicator"], "name": r["name"], "unit": r["unit"],
        "target": short(r["target"]), "actual": short(r["actual"]),
        "points": "—" if na else num(r["points"]), "weight": "—" if na else num(r["weight"]),
        "fraction": frac, "flags": flags, "note": (r["note"] or "") if explain else "", "na": na,
        "source": r.get("source", "") or "",  # file › sheet › cell when the data came through collect
    }


def _ranking(result: Result) -> list[dict]:
    return [{"rank": int(r["rank"]), "city": r["city"], "code": r["city_code"], "total": num(r["total"]),
             "total_v": float(r["total"]),
             "grade": r["grade"], "vetoes": cell_text(r["vetoes"]), "caps": cell_text(r["caps"]),
             "cats": [num(r[k.code]) for k in result.criteria.categories]}
            for _, r in result.scores.iterrows()]


def intensity_path(result: Result, inputs: Inputs, city: str) -> dict:
    """Actual cumulative reduction of I_t = (energy_total − energy_raw)/gdp for every year present,
    and the required 序时进度 path 1 − (1 − T5/100)^((t − base)/plan_years) to the plan's end."""
    from jxscore.core.rules import energy_intensity, required_reduction

    s = result.criteria.scheme
    p = next(i for i in result.criteria.indicators if i.rule == "intensity_matrix").rule_params
    t5 = float(inputs.targets.loc[city, p.target])
    e = inputs.energy.xs(city, level=0).sort_index()
    inten = energy_intensity(e[p.energy.total], e[p.energy.raw], e[p.energy.gdp])
    base = float(inten.get(s.base_year, np.nan))
    actual = [{"year": int(y), "intensity": num(v, INTENSITY), "cum": 100.0 * (1.0 - v / base),
               "cum_s": num(100.0 * (1.0 - v / base))} for y, v in inten.items()]
    years = list(range(s.base_year, s.base_year + s.plan_years + 1))
    required = [{"year": t, "req": float(required_reduction(t5, t - s.base_year, s.plan_years))} for t in years]
    by_year = {a["year"]: a for a in actual}
    rows = [{"year": r["year"], "req_s": num(r["req"]),
             "cum_s": by_year[r["year"]]["cum_s"] if r["year"] in by_year else "—",
             "intensity": by_year[r["year"]]["intensity"] if r["year"] in by_year else "—",
             "current": r["year"] == result.year} for r in required]
    return {"t5": short(t5), "actual": actual, "required": required, "rows": rows, "year": result.year,
            "base_year": s.base_year, "end_year": years[-1]}


@dataclass(frozen=True)
class Shared:
    """What every card of one result shares, worked out once: rebuilding it from the frames for each
    of 11 cards was most of the cards' 0.2 s of context building."""

    categories: list[dict]
    ranking: list[dict]
    rows: dict[str, dict]  # city → its scores row
    ledger: dict[tuple[str, str], list[dict]]  # (city, category) → its ledger rows, in the ledger's order
    avg: float
    best: float
    best_city: str

    @classmethod
    def of(cls, result: Result) -> Shared:
        s = result.scores
        ledger: dict[tuple[str, str], list[dict]] = {}
        for r in result.ledger.to_dict("records"):
            ledger.setdefault((r["city"], r["category"]), []).append(r)
        totals = s["total"].astype(float)
        return cls(_categories(result), _ranking(result), {r["city"]: r for r in s.to_dict("records")}, ledger,
                   float(totals.mean()), float(totals.max()), str(s["city"].iloc[int(np.argmax(totals.to_numpy()))]))


def scorecard(result: Result, inputs: Inputs, manifest: dict, city: str, history=None,
              shared: Shared | None = None) -> dict:
    """The card's plain data; `history` (jxscore.analysis.history.History) adds its 历年考核结果 section;
    `shared` is Shared.of(result), when the caller builds several cards."""
    c = result.criteria
    sh = shared or Shared.of(result)
    row = sh.rows[city]
    ent = next(e for e in c.entities if e.name == city)
    cats = []
    for cat in sh.categories:
        v = float(row[cat["code"]])
        rows = [_indicator_row(r) for r in sh.ledger.get((city, cat["code"]), [])]
        cats.append({**cat, "score": v, "score_s": num(v), "avg_s": num(cat["avg"]), "best_s": num(cat["best"]),
                     "indicators": rows})
    from jxscore.core.gaps import shortfalls, triggers
    from jxscore.report.advice import improvements, trigger_text

    hit = [{"code": t.code, "reason": t.reason, "grade": t.grade, "detail": trigger_text(t)}
           for t in triggers(result, city)]
    vetoes = [h for h in hit if h["code"] in row["vetoes"]]
    caps = [h for h in hit if h["code"] in row["caps"]]
    falls = shortfalls(result, city)
    total_lost = sum(f.lost for f in falls)
    lost = [{"code": f.indicator, "name": f.name, "lost": f.lost, "lost_s": num(f.lost), "weight": num(f.weight),
             "share": round(100.0 * f.lost / total_lost, 1) if total_lost else 0.0} for f in falls]
    return {
        "kind": "scorecard", "meta": meta(result, manifest),
        "city": {"name": city, "code": ent.code, "slug": ent.slug, "total": num(row["total"]),
                 "grade": row["grade"], "base_grade": row["base_grade"], "rank": int(row["rank"]),
                 "grade_changed": row["grade"] != row["base_grade"]},
        "categories": cats, "vetoes": vetoes, "caps": caps,
        "compare": {"total": num(row["total"]), "avg": num(sh.avg), "best": num(sh.best),
                    "best_city": sh.best_city, "total_v": float(row["total"]), "avg_v": sh.avg, "best_v": sh.best},
        "intensity": intensity_path(result, inputs, city),
        "lost": lost, "lost_total": num(total_lost), "improve": improvements(falls),
        "ranking": [{**r, "me": r["city"] == city} for r in sh.ranking],
        "missing": list(row["missing"]),
        "verification": _verification(result, inputs, city),
        "history": _history(history, result, city),
    }


def _history(history, result: Result, city: str) -> dict | None:
    """The card's 历年考核结果 (RULEBOOK §11), or None without a history (the card is then unchanged)."""
    if history is None:
        return None
    from jxscore.report.history_pdf import card_section

    return card_section(history, result, city)


def _verification(result: Result, inputs: Inputs, city: str) -> dict | None:
    """The card's 核查 section: the city's own findings and its claims against the verified sums (§8, §9)."""
    from jxscore.report.audit import city_section

    sec = city_section(result.criteria, inputs, result.verification, city)
    if sec is None:
        return None
    sec["spread"] = [p for p in sec["panels"] if p["spread"]]
    sec["claims_differ"] = any(x["result"] not in ("相符", "—") for x in sec["claims"])
    sec["n_projects"] = sum(x["n"] for x in sec["claims"])
    sec["n_kept"] = sum(x["kept"] for x in sec["claims"])
    return sec


def summary(result: Result, manifest: dict) -> dict:
    c = result.criteria
    s = result.scores
    counts = s["grade"].value_counts()
    grades = [{"name": g, "count": int(counts.get(g, 0)),
               "cities": "、".join(s.loc[s["grade"] == g, "city"])} for g in c.grade_names]
    led = result.ledger
    codes = [i.code for i in c.indicators if not c.category(i.category).bonus]
    order = list(s["city"])
    frac = led[led["indicator"].isin(codes)].pivot(index="city", columns="indicator", values="fraction")
    frac = frac.reindex(index=order, columns=codes)
    heat = {"cities": order, "codes": codes, "values": [[finite(v) for v in frac.loc[city]] for city in order]}
    from jxscore.core.gaps import triggers
    from jxscore.report.advice import trigger_text

    hits = {(city, t.code): t for city in s["city"] for t in triggers(result, city)}

    def listed(col: str) -> list[dict]:
        return [{"city": r["city"], "code": code, "reason": hits[r["city"], code].reason,
                 "grade": hits[r["city"], code].grade, "detail": trigger_text(hits[r["city"], code])}
                for _, r in s.iterrows() for code in r[col]]

    flagged = led[led["flags"].map(lambda fl: Flag.EXEMPT in fl or Flag.MISSING in fl)]
    groups: dict[tuple, dict] = {}  # one row per (flag, indicator, reason): the cities listed, not one row each
    for _, r in flagged.iterrows():
        why = (r["note"] or "").rpartition("；")[2]  # the exemption clause ends the rule's note
        g = groups.setdefault((cell_text(r["flags"]), r["indicator"], why),
                              {"code": r["indicator"], "name": r["name"], "flags": cell_text(r["flags"]),
                               "note": why, "cities": []})
        g["cities"].append(r["city"])
    exemptions = [{**g, "city": "、".join(g["cities"])} for g in groups.values()]
    return {
        "kind": "summary", "meta": meta(result, manifest), "grade_names": list(c.grade_names),
        "categories": [{"code": k.code, "name": k.name, "max_s": num(k.points)} for k in c.categories],
        "ranking": _ranking(result), "grades": grades, "heat": heat,
        "indicator_names": [{"code": i.code, "name": i.name} for i in c.indicators if i.code in codes],
        "vetoes": listed("vetoes"), "caps": listed("caps"), "exemptions": exemptions,
        "hashes": [], "signed": False,  # each card's SHA-256, filled in once the cards are written (render.with_hashes)
    }
