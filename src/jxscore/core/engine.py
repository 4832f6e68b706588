"""Score validated inputs with a scheme: rules per indicator, then aggregation, grades, ranks and the ledger."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from jxscore.core.aggregate import Basis, Evaluation, evaluate
from jxscore.core.criteria import Criteria
from jxscore.core.inputs import Inputs
from jxscore.core.rules import RULES, Context, Outcome, fmt


class Flag(StrEnum):
    """What the ledger marks on a city × indicator row; words are the writers' (catalogue `flag.*`)."""

    NA = "not-applicable"
    EXEMPT = "exempt"
    MISSING = "missing-scored-zero"
    DEDUCTION = "deduction"
    VERIFIED = "scored-as-verified"  # R-OVER: scored with the verified project sum (RULEBOOK §8)
    PANEL = "expert-panel"  # from the expert panel (RULEBOOK §9)


@dataclass
class Verification:
    """What §8 and §9 found and changed; None parts where the table was not given."""

    projects: object | None = None  # core.verify.ProjectCheck
    reconciled: object | None = None  # core.verify.Reconciled
    panels: object | None = None  # core.verify.Panels

    @property
    def findings(self) -> list:
        out = []
        for part in (self.projects, self.reconciled, self.panels):
            if part is not None:
                out += part.findings
        return sorted(out, key=lambda f: f.sort_key())


def verify(inputs: Inputs, c: Criteria) -> tuple[pd.DataFrame, Verification | None]:
    """The values to score after §8 (A4–A7 lowered to the verified sum) and §9 (C1–C6 from the panels)."""
    from jxscore.core import verify as V

    if not ({"projects", "reviews"} & set(inputs.extra)):
        return inputs.values, None
    values = inputs.values.copy()
    ver = Verification()
    v, dec, ents = c.verification, c.scheme.compare_decimals, c.entity_names
    if "projects" in inputs.extra:
        ver.projects = V.check_projects(inputs.extra["projects"], v.pollutants, ents)
        codes = list(ver.projects.sums.columns)
        applicable = inputs.targets[codes].notna() & ~inputs.missing[codes]
        ver.reconciled = V.reconcile(values[codes], applicable, ver.projects.sums, tol_abs=v.tolerance_abs,
                                     tol_rel=v.tolerance_rel, dec=dec, units={k: c.indicator(k).unit for k in codes})
        values[codes] = ver.reconciled.scored
    if "reviews" in inputs.extra:
        items = {code: c.indicator(code).points for code in v.review_items}
        ver.panels = V.panel_values(inputs.extra["reviews"], items, ents, trim_from=v.trim_from, spread=v.spread,
                                    dec=dec)
        values[list(items)] = ver.panels.values
    return values, ver


@dataclass
class Result:
    criteria: Criteria
    year: int
    basis: Basis
    evaluation: Evaluation
    outcomes: dict[str, Outcome]
    ledger: pd.DataFrame  # one row per city × indicator; `flags` holds tuples of Flag
    scores: pd.DataFrame  # one row per city, rank order; vetoes, caps, exempt, missing hold tuples of codes
    warnings: list
    notes: dict[str, list[str]] | None = None  # each rule's explanation per city (explain=True)
    verification: Verification | None = None  # when a projects or reviews table was given


def _context(inputs: Inputs, c: Criteria, explain: bool) -> Context:
    ents = c.entity_names
    energy: dict[str, dict[int, np.ndarray]] = {}
    for col in inputs.energy.columns:
        wide = inputs.energy[col].unstack("year").reindex(ents)
        energy[col] = {int(y): wide[y].to_numpy(dtype=float) for y in wide.columns}
    return Context(
        year=inputs.year, k=c.k(inputs.year), plan_years=c.scheme.plan_years, base_year=c.scheme.base_year,
        dec=c.scheme.compare_decimals, energy=energy,
        params={p.name: inputs.targets[p.name].to_numpy(dtype=float) for p in c.parameters},
        fields={f.name: inputs.values[f.name].to_numpy(dtype=float) for f in c.fields},
        field_labels={f.name: f.label for f in c.fields},
    )


def _order(c: Criteria) -> list:
    """Indicators whose rule depends on another's check (an exemption) come after it."""
    later = {i.code for i in c.indicators if RULES[i.rule].depends_on_checks(i.rule_params)}
    return [i for i in c.indicators if i.code not in later] + [i for i in c.indicators if i.code in later]


def score(inputs: Inputs, criteria: Criteria, *, explain: bool = True) -> Result:
    c = criteria
    n, m = len(c.entities), len(c.indicators)
    ctx = _context(inputs, c, explain)
    notes: dict[str, list[str]] = {}
    F = np.full((n, m), np.nan)
    A = np.ones((n, m), dtype=bool)
    outcomes: dict[str, Outcome] = {}
    col = {code: j for j, code in enumerate(c.indicator_codes)}
    values, ver = verify(inputs, c)
    for ind in _order(c):
        j = col[ind.code]
        actual = (values[ind.code].to_numpy(dtype=float) if ind.value != "computed"
                  else np.full(n, np.nan))
        target = inputs.targets[ind.code].to_numpy(dtype=float) if ind.target else np.full(n, np.nan)
        applies = ~np.isnan(target) if ind.target else np.ones(n, dtype=bool)
        miss = inputs.missing[ind.code].to_numpy(dtype=bool)
        rt = RULES[ind.rule]
        with np.errstate(invalid="ignore", divide="ignore"):
            out = rt.score(np.nan_to_num(actual, nan=0.0), target, ind, ind.rule_params, ctx)
            if explain:
                notes[ind.code] = rt.explain(out, ind, ind.rule_params, ctx)
        f = np.round(out.fraction, c.scheme.compare_decimals)
        f = np.where(miss, 0.0, f)
        F[:, j] = np.where(applies, f, np.nan)
        A[:, j] = applies
        out.shown_actual = np.where(miss | ~applies, np.nan, out.shown_actual) if ind.value != "computed" \
            else out.shown_actual
        outcomes[ind.code] = out
        for name, arr in out.checks.items():
            ctx.checks[f"{ind.code}.{name}"] = arr

    basis = _basis(c, F, A, outcomes, inputs)
    ev = evaluate(basis)
    if explain and ver is not None:
        _verification_notes(c, inputs, ver, notes)
    ledger = _ledger(c, inputs, basis, outcomes, notes, ver) if explain else pd.DataFrame()
    scores = _scores(c, basis, ev, outcomes, inputs)
    return Result(c, inputs.year, basis, ev, outcomes, ledger, scores, list(inputs.warnings),
                  notes if explain else None, ver)


def _verification_notes(c: Criteria, inputs: Inputs, ver: Verification, notes: dict[str, list[str]]) -> None:
    """The ledger says in words when a value was not the one reported (§8) or came from experts (§9)."""
    ents = c.entity_names
    if ver.reconciled is not None:
        for f in ver.reconciled.findings:
            i, unit = ents.index(f.city), c.indicator(f.key).unit
            p = f.params
            if f.code == "R-OVER":
                notes[f.key][i] = (f"申报{p['claimed']}{unit}，核定{p['verified']}{unit}，按核定量计分；"
                                   + notes[f.key][i])
            else:
                notes[f.key][i] += f"（申报少于核定项目合计{p['verified']}{unit}）"
    if ver.panels is not None:
        trim = c.verification.trim_from
        for item in ver.panels.values.columns:
            for i, e in enumerate(ents):
                n = int(ver.panels.counts.loc[e, item])
                how = "，去掉最高、最低分" if n >= trim else ""
                notes[item][i] = f"专家{n}人{how}；" + notes[item][i]


def cap_hits(c: Criteria, outcomes: dict[str, Outcome], F: np.ndarray, A: np.ndarray) -> dict[str, np.ndarray]:
    """Per cap, (cities, its indicators) bool: which of the cap's indicators pull each city under it
    (a cap applies when any does). Kept per indicator so a card can say which ones, and by how much."""
    n = F.shape[0]
    col = {code: j for j, code in enumerate(c.indicator_codes)}
    out = {}
    for cap in c.caps:
        hit = np.zeros((n, len(cap.indicators)), dtype=bool)
        for k, code in enumerate(cap.indicators):
            o = outcomes[code]
            fr = o.raw_fraction if (cap.before_exemption and o.raw_fraction is not None) else F[:, col[code]]
            fr = np.where(A[:, col[code]], np.round(fr, c.scheme.compare_decimals), np.inf)
            below = fr < cap.below
            if cap.unless_exempt and o.exempt is not None:
                below &= ~o.exempt
            hit[:, k] = below
        out[cap.code] = hit
    return out


def _basis(c: Criteria, F, A, outcomes: dict[str, Outcome], inputs: Inputs) -> Basis:
    n = len(c.entities)
    cats = [k.code for k in c.categories]
    veto_flags = np.zeros((n, len(c.vetoes)), dtype=bool)
    checks = {f"{code}.{k}": v for code, o in outcomes.items() for k, v in o.checks.items()}
    for j, v in enumerate(c.vetoes):
        if v.when == "check_failed":
            veto_flags[:, j] = ~checks[v.check].astype(bool)
        else:
            veto_flags[:, j] = inputs.values[v.field].to_numpy(dtype=float) > 0
    hits = cap_hits(c, outcomes, F, A)
    cap_flags = np.zeros((n, len(c.caps)), dtype=bool)
    for j, cap in enumerate(c.caps):
        cap_flags[:, j] = hits[cap.code].any(axis=1)
    metrics = {f"{code}.{k}": v for code, o in outcomes.items() for k, v in o.metrics.items()}
    return Basis(
        entities=c.entity_names, entity_codes=[e.code for e in c.entities], codes=c.indicator_codes,
        fractions=F, applicable=A, points=np.array([i.points for i in c.indicators]),
        category_of=np.array([cats.index(i.category) for i in c.indicators]), categories=cats,
        category_points=np.array([k.points for k in c.categories]), bonus=np.array([k.bonus for k in c.categories]),
        grade_names=c.grade_names, grade_mins=np.array([g.min for g in c.grades]),
        veto_codes=[v.code for v in c.vetoes], veto_flags=veto_flags,
        cap_codes=[k.code for k in c.caps], cap_flags=cap_flags,
        cap_grade=np.array([c.grade_names.index(k.grade) for k in c.caps], dtype=int),
        tie_break=c.scheme.tie_break, metrics=metrics,
        total_decimals=c.scheme.total_decimals, compare_decimals=c.scheme.compare_decimals,
    )


def effective_weights(basis: Basis, weights: np.ndarray | None = None) -> np.ndarray:
    """(n, m) points each applicable indicator is worth for each entity after §4 renormalisation
    and the bonus cap: `weights.effective_weights`, the one definition."""
    from jxscore.core import weights as _weights

    return _weights.effective_weights(basis, weights)


NOTE_NA = "未下达目标，不适用；权重按比例分配给同类其他指标"
NOTE_MISSING = "应报未报，按0分计"


def _ledger(c: Criteria, inputs: Inputs, basis: Basis, outcomes: dict[str, Outcome],
            notes: dict[str, list[str]], ver: Verification | None = None) -> pd.DataFrame:
    W = effective_weights(basis)
    P = np.nan_to_num(basis.fractions) * W
    rows = []
    miss = inputs.missing.to_numpy(dtype=bool)
    mcol = {code: j for j, code in enumerate(inputs.missing.columns)}
    for j, ind in enumerate(c.indicators):
        o = outcomes[ind.code]
        for i, e in enumerate(c.entities):
            applies = bool(basis.applicable[i, j])
            flags: tuple[Flag, ...] = ()
            note = notes[ind.code][i]
            if not applies:
                flags, note = (Flag.NA,), NOTE_NA
            elif miss[i, mcol[ind.code]]:
                flags, note = (Flag.MISSING,), NOTE_MISSING
            else:
                if o.exempt is not None and o.exempt[i]:
                    flags += (Flag.EXEMPT,)
                if o.deducted is not None and o.deducted[i]:
                    flags += (Flag.DEDUCTION,)
                if ver is not None and ver.reconciled is not None and ind.code in ver.reconciled.over.columns \
                        and ver.reconciled.over.loc[e.name, ind.code]:
                    flags += (Flag.VERIFIED,)
                if ver is not None and ver.panels is not None and ind.code in ver.panels.values.columns:
                    flags += (Flag.PANEL,)
            rows.append({
                "city": e.name, "city_code": e.code, "category": ind.category, "indicator": ind.code,
                "name": ind.name, "unit": ind.unit, "rule": ind.rule,
                "actual": o.shown_actual[i] if applies else np.nan,
                "target": o.shown_target[i] if applies else np.nan,
                "fraction": basis.fractions[i, j], "points_nominal": ind.points,
                "weight": W[i, j], "points": P[i, j], "flags": flags, "note": note,
            } | ({"source": inputs.sources.get((e.name, ind.code), "")} if inputs.sources else {}))
    df = pd.DataFrame(rows)
    order = {e.name: k for k, e in enumerate(c.entities)}
    df["_e"] = df["city"].map(order)
    df["_j"] = df["indicator"].map({code: j for j, code in enumerate(c.indicator_codes)})
    return df.sort_values(["_e", "_j"], kind="stable").drop(columns=["_e", "_j"]).reset_index(drop=True)


def _scores(c: Criteria, basis: Basis, ev: Evaluation, outcomes: dict[str, Outcome], inputs: Inputs) -> pd.DataFrame:
    g = np.array(c.grade_names)
    df = pd.DataFrame({
        "rank": ev.rank, "city": c.entity_names, "city_code": basis.entity_codes,
        "grade": g[ev.grade], "base_grade": g[ev.base_grade], "total": ev.total,
    })
    for ci, code in enumerate(basis.categories):
        df[code] = np.round(ev.category_scores[:, ci], 6)
    df["vetoes"] = [tuple(np.array(basis.veto_codes)[r]) for r in ev.vetoed]
    df["caps"] = [tuple(np.array(basis.cap_codes)[r]) for r in ev.capped]
    df["exempt"] = [tuple(code for code in c.indicator_codes
                          if outcomes[code].exempt is not None and outcomes[code].exempt[i]) for i in range(len(df))]
    df["missing"] = [tuple(inputs.missing.columns[inputs.missing.iloc[i].to_numpy()]) for i in range(len(df))]
    for name, arr in basis.metrics.items():
        df[name] = np.round(arr, 9)
    for code, o in outcomes.items():
        for k, v in o.checks.items():
            df[f"{code}.{k}"] = v.astype(int)
    return df.sort_values("rank", kind="stable").reset_index(drop=True)


def explain_total(result: Result, city: str) -> str:
    """One line for a city: total and how it is made up (used by the CLI and scorecards)."""
    r = result.scores.set_index("city").loc[city]
    parts = "，".join(f"{k}{fmt(r[k], 2)}" for k in result.basis.categories)
    return f"{city}：总分{r['total']:.2f}（{parts}），{r['grade']}，第{r['rank']}名"
