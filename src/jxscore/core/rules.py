"""The rule types: small, pure functions over a column of entities (numpy arrays, one value per city).

Each rule returns the fraction f in [0, 1] of the indicator's points and, when asked, one short
Chinese explanation per entity. Adding a rule type means adding one function here and one entry in
RULES. Thresholds compare both sides rounded to `ctx.dec` decimals (RULEBOOK §2 "Comparisons").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

Array = np.ndarray


@dataclass
class Context:
    """What rules may look at besides their own column."""

    year: int
    k: int  # year - base_year
    plan_years: int
    base_year: int
    dec: int  # compare decimals
    energy: dict[str, dict[int, Array]]  # column -> year -> per-entity array
    params: dict[str, Array]  # targets-table parameters (T5, gdp_growth, ...)
    fields: dict[str, Array]  # extra fields of the indicators table
    checks: dict[str, Array] = field(default_factory=dict)  # "A1.incentive" -> bool per entity
    field_labels: dict[str, str] = field(default_factory=dict)
    explain: bool = True


@dataclass
class Outcome:
    fraction: Array
    shown_actual: Array  # what the ledger shows as actual / target (may be derived, e.g. c in %)
    shown_target: Array
    notes: list[str] | None = None
    raw_fraction: Array | None = None  # before an exemption
    exempt: Array | None = None
    metrics: dict[str, Array] = field(default_factory=dict)
    checks: dict[str, Array] = field(default_factory=dict)


def rnd(x: Array | float, dec: int) -> Array:
    return np.round(np.asarray(x, dtype=float), dec)


def fmt(x: float, nd: int = 2) -> str:
    """Numbers in notes: at most `nd` decimals, no trailing zeros."""
    if x is None or not np.isfinite(x):
        return "—"
    s = f"{x:,.{nd}f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _u(unit: str) -> str:
    return "%" if unit == "%" else unit


def ratio(actual: Array, target: Array, ind, ctx: Context) -> Outcome:
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.clip(actual / target, 0.0, 1.0)
    f = np.where(actual < 0, 0.0, f)
    notes = None
    if ctx.explain:
        u = _u(ind.unit)
        verb = "实际" if u == "%" else "完成"
        notes = [
            (f"{verb}{fmt(a)}{u}，达到目标{fmt(t)}{u}" if fi >= 1 else
             f"{verb}{fmt(a)}{u}，目标{fmt(t)}{u}，完成率{fmt(100 * fi, 1)}%")
            for a, t, fi in zip(actual, target, f)
        ]
    return Outcome(f, actual, target, notes)


def threshold(actual: Array, target: Array, ind, ctx: Context) -> Outcome:
    met = rnd(actual, ctx.dec) >= rnd(target, ctx.dec)
    f = met.astype(float)
    notes = None
    if ctx.explain:
        u = _u(ind.unit)
        notes = [f"实际{fmt(a)}{u}，目标{fmt(t)}{u}，{'达标' if m else '未达标，不得分'}"
                 for a, t, m in zip(actual, target, met)]
    return Outcome(f, actual, target, notes)


def lower_step(actual: Array, target: Array, ind, ctx: Context) -> Outcome:
    step = float(ind.params.get("step", 0.5))
    loss = float(ind.params.get("loss_per_step", 0.25))
    ok = rnd(actual, ctx.dec) <= rnd(target, ctx.dec)
    n = np.ceil(rnd((actual - target) / step, ctx.dec))
    n = np.where(ok, 0.0, n)
    f = np.maximum(0.0, 1.0 - loss * n)
    notes = None
    if ctx.explain:
        u = "个百分点" if ind.unit == "%" else ind.unit
        notes = [
            (f"实际{fmt(a)}{_u(ind.unit)}，不高于目标{fmt(t)}{_u(ind.unit)}" if k == 0 else
             f"实际{fmt(a)}{_u(ind.unit)}，超目标{fmt(a - t, 3)}{u}，扣{int(k)}档（每{fmt(step)}{u}一档）")
            for a, t, k in zip(actual, target, n)
        ]
    return Outcome(f, actual, target, notes)


def review(actual: Array, target: Array, ind, ctx: Context) -> Outcome:
    f = np.clip(actual / ind.points, 0.0, 1.0)
    shown_t = np.full_like(actual, ind.points)
    notes = [f"评审得分{fmt(a)}/{fmt(ind.points)}分" for a in actual] if ctx.explain else None
    return Outcome(f, actual, shown_t, notes)


def review_deduct(actual: Array, target: Array, ind, ctx: Context) -> Outcome:
    deds: dict[str, float] = ind.params.get("deductions", {})
    f = actual / ind.points
    for name, per in deds.items():
        f = f - float(per) * ctx.fields[name]
    f = np.maximum(0.0, f)
    notes = None
    if ctx.explain:
        notes = []
        for i, a in enumerate(actual):
            parts = [f"评审{fmt(a)}分"]
            for name, per in deds.items():
                cnt = ctx.fields[name][i]
                if cnt > 0:
                    parts.append(f"{ctx.field_labels.get(name, name)}{int(cnt)}项扣{fmt(per * cnt * ind.points)}分")
            notes.append("；".join(parts) + (f"，得{fmt(f[i] * ind.points)}分" if len(parts) > 1 else ""))
    return Outcome(f, actual, np.full_like(actual, ind.points), notes)


def bonus(actual: Array, target: Array, ind, ctx: Context) -> Outcome:
    per = float(ind.params.get("per_item", 1.0))
    pts = np.minimum(ind.points, per * actual)
    f = pts / ind.points
    notes = None
    if ctx.explain:
        notes = [
            (f"{int(a)}个×{fmt(per)}分" + (f"，封顶{fmt(ind.points)}分" if per * a > ind.points else "")) if a > 0
            else "无" for a in actual
        ]
    return Outcome(f, actual, np.full_like(actual, np.nan), notes)


def intensity(ctx: Context, year: int) -> Array:
    """Energy intensity without 原料用能: (energy_total − energy_raw) / gdp."""
    e = ctx.energy
    return (e["energy_total"][year] - e["energy_raw"][year]) / e["gdp"][year]


def intensity_matrix(actual: Array, target: Array, ind, ctx: Context) -> Outcome:
    p_ = ind.params
    i0, ip, iy = intensity(ctx, ctx.base_year), intensity(ctx, ctx.year - 1), intensity(ctx, ctx.year)
    c = 1.0 - iy / i0
    r = 1.0 - iy / ip
    t5, t5i = ctx.params["T5"], ctx.params["T5_inc"]
    need = ctx.k / ctx.plan_years
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.log(1.0 - c) / np.log(1.0 - t5 / 100.0)
        p_inc = np.log(1.0 - c) / np.log(1.0 - t5i / 100.0)
    cum = (c > 0) & (rnd(p, ctx.dec) >= rnd(need, ctx.dec))
    ann = rnd(100.0 * r, ctx.dec) >= rnd(ctx.params["A1_annual"], ctx.dec)
    inc = (c > 0) & (rnd(p_inc, ctx.dec) >= rnd(need, ctx.dec))
    f = np.select([cum & ann, cum, ann], [p_["both"], p_["cumulative_only"], p_["annual_only"]], p_["neither"])
    required = 100.0 * (1.0 - (1.0 - t5 / 100.0) ** need)  # 序时进度: cumulative reduction due by year k
    notes = None
    if ctx.explain:
        notes = []
        for i in range(len(c)):
            a = (f"累计降低{fmt(100 * c[i])}%（序时要求{fmt(required[i])}%，进度{fmt(p[i], 3)}"
                 f"{'≥' if cum[i] else '<'}{fmt(need, 3)}，{'达到' if cum[i] else '未达到'}）")
            b = (f"年度降低{fmt(100 * r[i])}%（目标{fmt(ctx.params['A1_annual'][i])}%，"
                 f"{'完成' if ann[i] else '未完成'}）")
            tail = "；达到激励目标" if inc[i] else ""
            notes.append(f"{a}；{b}{tail}；系数{fmt(f[i], 2)}")
    return Outcome(
        f, 100.0 * c, required, notes,
        metrics={"I_base": i0, "I_prev": ip, "I": iy, "c": c, "r": r, "p": p, "p_inc": p_inc, "required": required},
        checks={"cumulative": cum, "annual": ann, "incentive": inc},
    )


def adjusted_consumption(ctx: Context, year: int) -> Array:
    """Consumption counted against the cap: without 原料用能 and without new renewable power since the base year."""
    e = ctx.energy
    new_ren = np.maximum(0.0, e["renewable_power"][year] - e["renewable_power"][ctx.base_year])
    return e["energy_total"][year] - e["energy_raw"][year] - new_ren


def total_cap_tiers(actual: Array, target: Array, ind, ctx: Context) -> Outcome:
    p_ = ind.params
    e0, ey = adjusted_consumption(ctx, ctx.base_year), adjusted_consumption(ctx, ctx.year)
    adjust = ctx.params.get("A2_adjust", np.zeros_like(e0))
    adjust = np.nan_to_num(adjust, nan=0.0)
    allowance = (e0 * (1.0 + ctx.params["gdp_growth"] / 100.0) ** ctx.k
                 * (1.0 - ctx.params["T5"] / 100.0) ** (ctx.k / ctx.plan_years) + adjust)
    with np.errstate(divide="ignore", invalid="ignore"):
        over = np.where(allowance > 0, ey / allowance - 1.0, np.inf)
    o = rnd(over, ctx.dec)
    tiers = sorted((float(a), float(b)) for a, b in p_["tiers"])
    conds = [o <= rnd(lim, ctx.dec) for lim, _ in tiers]
    raw = np.select(conds, [fr for _, fr in tiers], float(p_.get("beyond", 0.0)))
    exempt = np.zeros(len(raw), dtype=bool)
    if "exempt_when" in p_:
        exempt = ctx.checks[p_["exempt_when"]].astype(bool)
    f = np.where(exempt, 1.0, raw)
    notes = None
    if ctx.explain:
        notes = []
        for i in range(len(f)):
            s = (f"调整后消费量{fmt(ey[i], 1)}，控制目标{fmt(allowance[i], 1)}，"
                 + ("未超出" if o[i] <= 0 else f"超出{fmt(100 * over[i])}%") + f"，系数{fmt(raw[i], 2)}")
            if exempt[i]:
                s += "；能耗强度降低达到激励目标，免予考核"
            notes.append(s)
    return Outcome(f, ey, allowance, notes, raw_fraction=raw, exempt=exempt,
                   metrics={"E_adj_base": e0, "E_adj": ey, "allowance": allowance, "over": over})


RuleFn = Callable[[Array, Array, Any, Context], Outcome]

RULES: dict[str, RuleFn] = {
    "ratio": ratio,
    "threshold": threshold,
    "lower_step": lower_step,
    "review": review,
    "review_deduct": review_deduct,
    "bonus": bonus,
    "intensity_matrix": intensity_matrix,
    "total_cap_tiers": total_cap_tiers,
}

# Parameter shapes each rule needs: name -> python type(s). Checked when the criteria file loads.
_PARAMS: dict[str, dict[str, tuple[type, ...]]] = {
    "ratio": {},
    "threshold": {},
    "lower_step": {"step": (int, float), "loss_per_step": (int, float)},
    "review": {},
    "review_deduct": {"deductions": (dict,)},
    "bonus": {"per_item": (int, float)},
    "intensity_matrix": {"both": (int, float), "cumulative_only": (int, float), "annual_only": (int, float),
                         "neither": (int, float)},
    "total_cap_tiers": {"tiers": (list,), "beyond": (int, float)},
}
_OPTIONAL = {"total_cap_tiers": {"exempt_when": (str,)}}


def check_params(rule: str, params: dict[str, Any]) -> None:
    need = _PARAMS[rule]
    opt = _OPTIONAL.get(rule, {})
    errs = []
    for k, types in need.items():
        if k not in params:
            errs.append(f"params.{k} is required by rule {rule!r}")
        elif not isinstance(params[k], types) or isinstance(params[k], bool):
            errs.append(f"params.{k} must be {'/'.join(t.__name__ for t in types)}")
    for k in params:
        if k not in need and k not in opt:
            errs.append(f"params.{k} is not a parameter of rule {rule!r}")
    if rule == "intensity_matrix":
        for k in need:
            v = params.get(k)
            if isinstance(v, (int, float)) and not 0 <= v <= 1:
                errs.append(f"params.{k} must be a fraction between 0 and 1")
    if rule == "total_cap_tiers" and isinstance(params.get("tiers"), list):
        for j, t in enumerate(params["tiers"]):
            if not (isinstance(t, list) and len(t) == 2 and all(isinstance(x, (int, float)) for x in t)
                    and 0 <= t[1] <= 1):
                errs.append(f"params.tiers[{j}] must be [over_at_most, fraction 0..1]")
    if rule == "lower_step" and isinstance(params.get("step"), (int, float)) and params["step"] <= 0:
        errs.append("params.step must be > 0")
    if rule == "review_deduct" and isinstance(params.get("deductions"), dict):
        for k, v in params["deductions"].items():
            if not isinstance(v, (int, float)) or v < 0:
                errs.append(f"params.deductions.{k} must be a number ≥ 0")
    if errs:
        raise ValueError("; ".join(errs))
