"""The rule types (RULEBOOK §5), one registry entry each: a typed parameter model (so a bad
parameter is located by the criteria loader), a pure vectorised scoring function over a column of
cities, and the explanation it gives in the ledger. Adding a rule type touches this module only.

Thresholds compare both sides rounded to `ctx.dec` decimals (RULEBOOK §2 "Comparisons").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, conlist, model_validator
from pydantic_core import PydanticCustomError

Array = np.ndarray
Fraction = Field(ge=0, le=1)


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


@dataclass(frozen=True)
class Need:
    """What full marks need on one quantity, for every city, in that quantity's own unit: `actual`
    must reach `need` (direction +1: at least; −1: at most); `met` where it already does. A rule
    names its quantities ("value" for the indicator's own figure; A1 has "cumulative" and "annual",
    the names of its checks), so an improvement, a veto or a cap can say what to move and by how much."""

    actual: Array
    need: Array
    direction: int
    unit: str
    met: Array


@dataclass
class Outcome:
    """What a rule computed for every city; `deducted` marks cities that lost points by a deduction."""

    fraction: Array
    shown_actual: Array  # what the ledger shows as actual / target (may be derived, e.g. c in %)
    shown_target: Array
    raw_fraction: Array | None = None  # before an exemption
    exempt: Array | None = None
    deducted: Array | None = None
    metrics: dict[str, Array] = field(default_factory=dict)
    checks: dict[str, Array] = field(default_factory=dict)
    needs: dict[str, Need] = field(default_factory=dict)


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class NoParams(Params):
    pass


@dataclass(frozen=True)
class RuleType:
    """One rule type: its parameters, its scoring function and the explanation it gives."""

    name: str
    params: type[Params]
    score: Callable[[Array, Array, Any, Params, Context], Outcome]  # (actual, target, indicator, params, ctx)
    explain: Callable[[Outcome, Any, Params, Context], list[str]]  # one note per city
    bonus: bool = False  # belongs in bonus categories (and only there)
    explained: bool = False  # its note carries arithmetic of its own: a scorecard always prints it
    references: Callable[[Params], dict[str, dict[str, str]]] = lambda p: {}  # names of fields/parameters/checks

    def depends_on_checks(self, params: Params) -> bool:
        return bool(self.references(params).get("checks"))


RULES: dict[str, RuleType] = {}


def register(rt: RuleType) -> RuleType:
    RULES[rt.name] = rt
    return rt


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


# ------------------------------------------------------------------ ratio
def ratio(actual: Array, target: Array, ind, p: Params, ctx: Context) -> Outcome:
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.clip(actual / target, 0.0, 1.0)
    f = np.where(actual < 0, 0.0, f)
    return Outcome(f, actual, target, needs={"value": Need(actual, target, 1, ind.unit, f >= 1)})


def _explain_ratio(o: Outcome, ind, p: Params, ctx: Context) -> list[str]:
    u = _u(ind.unit)
    verb = "实际" if u == "%" else "完成"
    return [(f"{verb}{fmt(a)}{u}，达到目标{fmt(t)}{u}" if fi >= 1 else
             f"{verb}{fmt(a)}{u}，目标{fmt(t)}{u}，完成率{fmt(100 * fi, 1)}%")
            for a, t, fi in zip(o.shown_actual, o.shown_target, o.fraction)]


register(RuleType("ratio", NoParams, ratio, _explain_ratio))


# ------------------------------------------------------------------ threshold
def threshold(actual: Array, target: Array, ind, p: Params, ctx: Context) -> Outcome:
    met = rnd(actual, ctx.dec) >= rnd(target, ctx.dec)
    return Outcome(met.astype(float), actual, target, needs={"value": Need(actual, target, 1, ind.unit, met)})


def _explain_threshold(o: Outcome, ind, p: Params, ctx: Context) -> list[str]:
    u = _u(ind.unit)
    return [f"实际{fmt(a)}{u}，目标{fmt(t)}{u}，{'达标' if m >= 1 else '未达标，不得分'}"
            for a, t, m in zip(o.shown_actual, o.shown_target, o.fraction)]


register(RuleType("threshold", NoParams, threshold, _explain_threshold))


# ------------------------------------------------------------------ lower_step
class LowerStepParams(Params):
    step: float = Field(gt=0)  # each `step` (or part of it) above the target ...
    loss_per_step: float = Field(ge=0, le=1)  # ... loses this fraction of the points


def _steps(actual: Array, target: Array, p: LowerStepParams, dec: int) -> Array:
    ok = rnd(actual, dec) <= rnd(target, dec)
    n = np.ceil(rnd((actual - target) / p.step, dec))
    return np.where(ok, 0.0, n)


def lower_step(actual: Array, target: Array, ind, p: LowerStepParams, ctx: Context) -> Outcome:
    n = _steps(actual, target, p, ctx.dec)
    f = np.maximum(0.0, 1.0 - p.loss_per_step * n)
    return Outcome(f, actual, target, deducted=n > 0, needs={"value": Need(actual, target, -1, ind.unit, n == 0)})


def _explain_lower_step(o: Outcome, ind, p: LowerStepParams, ctx: Context) -> list[str]:
    u = "个百分点" if ind.unit == "%" else ind.unit
    n = _steps(o.shown_actual, o.shown_target, p, ctx.dec)
    return [(f"实际{fmt(a)}{_u(ind.unit)}，不高于目标{fmt(t)}{_u(ind.unit)}" if k == 0 else
             f"实际{fmt(a)}{_u(ind.unit)}，超目标{fmt(a - t, 3)}{u}，扣{int(k)}档（每{fmt(p.step)}{u}一档）")
            for a, t, k in zip(o.shown_actual, o.shown_target, n)]


register(RuleType("lower_step", LowerStepParams, lower_step, _explain_lower_step, explained=True))


# ------------------------------------------------------------------ review, review_deduct
def review(actual: Array, target: Array, ind, p: Params, ctx: Context) -> Outcome:
    f = np.clip(actual / ind.points, 0.0, 1.0)
    full = np.full_like(actual, ind.points)
    return Outcome(f, actual, full, needs={"review": Need(f * ind.points, full, 1, "分", f >= 1)})


def _explain_review(o: Outcome, ind, p: Params, ctx: Context) -> list[str]:
    return [f"评审得分{fmt(a)}/{fmt(ind.points)}分" for a in o.shown_actual]


register(RuleType("review", NoParams, review, _explain_review))


class ReviewDeductParams(Params):
    deductions: dict[str, float]  # field of the indicators table -> fraction of the points lost per item

    @model_validator(mode="after")
    def _non_negative(self) -> ReviewDeductParams:
        for k, v in self.deductions.items():
            if v < 0:
                raise PydanticCustomError("deduction_negative", "deductions.{key} must be ≥ 0", {"key": k})
        return self


def review_deduct(actual: Array, target: Array, ind, p: ReviewDeductParams, ctx: Context) -> Outcome:
    f = actual / ind.points
    lost = np.zeros_like(f, dtype=bool)
    for name, per in p.deductions.items():
        f = f - per * ctx.fields[name]
        lost |= (per > 0) & (ctx.fields[name] > 0)
    f = np.maximum(0.0, f)
    full = np.full_like(actual, ind.points)
    return Outcome(f, actual, full, deducted=lost, needs={"review": Need(f * ind.points, full, 1, "分", f >= 1)})


def _explain_review_deduct(o: Outcome, ind, p: ReviewDeductParams, ctx: Context) -> list[str]:
    notes = []
    for i, a in enumerate(o.shown_actual):
        parts = [f"评审{fmt(a)}分"]
        for name, per in p.deductions.items():
            cnt = ctx.fields[name][i]
            if cnt > 0:
                parts.append(f"{ctx.field_labels.get(name, name)}{int(cnt)}项扣{fmt(per * cnt * ind.points)}分")
        notes.append("；".join(parts) + (f"，得{fmt(o.fraction[i] * ind.points)}分" if len(parts) > 1 else ""))
    return notes


register(RuleType("review_deduct", ReviewDeductParams, review_deduct, _explain_review_deduct, explained=True,
                  references=lambda p: {"fields": {f"deductions.{k}": k for k in p.deductions}}))


# ------------------------------------------------------------------ bonus
class BonusParams(Params):
    per_item: float = Field(gt=0)


def bonus(actual: Array, target: Array, ind, p: BonusParams, ctx: Context) -> Outcome:
    pts = np.minimum(ind.points, p.per_item * actual)
    return Outcome(pts / ind.points, actual, np.full_like(actual, np.nan))


def _explain_bonus(o: Outcome, ind, p: BonusParams, ctx: Context) -> list[str]:
    per = p.per_item
    return [(f"{int(a)}个×{fmt(per)}分" + (f"，封顶{fmt(ind.points)}分" if per * a > ind.points else "")) if a > 0
            else "无" for a in o.shown_actual]


register(RuleType("bonus", BonusParams, bonus, _explain_bonus, bonus=True))


# ------------------------------------------------------------------ intensity_matrix (A1)
class EnergyNames(Params):
    """Names of the energy-table columns the energy rules read."""

    total: str = "energy_total"
    raw: str = "energy_raw"
    gdp: str = "gdp"
    renewable: str = "renewable_power"


class IntensityParams(Params):
    both: float = Fraction
    cumulative_only: float = Fraction
    annual_only: float = Fraction
    neither: float = Fraction
    target: str = "T5"  # five-year basic target (parameter of the targets table)
    incentive: str = "T5_inc"
    annual: str = "A1_annual"
    energy: EnergyNames = EnergyNames()


@dataclass(frozen=True)
class BarometerNames:
    """What the barometer (RULEBOOK §10) reads, named as the scheme's own A1 and A2 rules name it: the
    targets-table parameters (annual target, five-year target, GDP growth) and the energy columns."""

    annual: str
    target: str
    growth: str
    energy: EnergyNames

    @property
    def parameters(self) -> tuple[str, str, str]:
        return (self.annual, self.target, self.growth)


def barometer_names(criteria) -> BarometerNames:
    """From the scheme's intensity_matrix and total_cap_tiers indicators (their defaults without them)."""
    by_rule = {i.rule: i.rule_params for i in criteria.indicators}
    a1, a2 = by_rule.get("intensity_matrix"), by_rule.get("total_cap_tiers")

    def name(params, model: type[Params], field: str):
        return getattr(params, field) if params is not None else model.model_fields[field].default

    return BarometerNames(annual=name(a1, IntensityParams, "annual"), target=name(a2, TotalCapParams, "target"),
                          growth=name(a2, TotalCapParams, "growth"), energy=name(a1, IntensityParams, "energy"))


def energy_intensity(total, raw, gdp):
    """Energy intensity without 原料用能: (energy_total − energy_raw) / gdp (arrays or series)."""
    return (total - raw) / gdp


def required_reduction(t5, k: float, plan_years: int):
    """序时进度: the cumulative reduction in % due by year k of the plan, 100·(1 − (1 − T5/100)^(k/plan_years))."""
    return 100.0 * (1.0 - (1.0 - t5 / 100.0) ** (k / plan_years))


def intensity(ctx: Context, year: int, e: EnergyNames = EnergyNames()) -> Array:
    return energy_intensity(ctx.energy[e.total][year], ctx.energy[e.raw][year], ctx.energy[e.gdp][year])


def intensity_matrix(actual: Array, target: Array, ind, p: IntensityParams, ctx: Context) -> Outcome:
    i0, ip, iy = (intensity(ctx, y, p.energy) for y in (ctx.base_year, ctx.year - 1, ctx.year))
    c = 1.0 - iy / i0
    r = 1.0 - iy / ip
    t5, t5i = ctx.params[p.target], ctx.params[p.incentive]
    need = ctx.k / ctx.plan_years
    with np.errstate(divide="ignore", invalid="ignore"):
        prog = np.log(1.0 - c) / np.log(1.0 - t5 / 100.0)
        p_inc = np.log(1.0 - c) / np.log(1.0 - t5i / 100.0)
    cum = (c > 0) & (rnd(prog, ctx.dec) >= rnd(need, ctx.dec))
    ann = rnd(100.0 * r, ctx.dec) >= rnd(ctx.params[p.annual], ctx.dec)
    inc = (c > 0) & (rnd(p_inc, ctx.dec) >= rnd(need, ctx.dec))
    f = np.select([cum & ann, cum, ann], [p.both, p.cumulative_only, p.annual_only], p.neither)
    required = required_reduction(t5, ctx.k, ctx.plan_years)
    return Outcome(
        f, 100.0 * c, required,
        metrics={"I_base": i0, "I_prev": ip, "I": iy, "c": c, "r": r, "p": prog, "p_inc": p_inc, "required": required},
        checks={"cumulative": cum, "annual": ann, "incentive": inc},
        needs={"cumulative": Need(100.0 * c, required, 1, "%", cum),
               "annual": Need(100.0 * r, ctx.params[p.annual] + 0.0 * r, 1, "%", ann)},
    )


def _explain_intensity(o: Outcome, ind, p: IntensityParams, ctx: Context) -> list[str]:
    m, ch = o.metrics, o.checks
    need = ctx.k / ctx.plan_years
    notes = []
    for i in range(len(o.fraction)):
        cum, ann = ch["cumulative"][i], ch["annual"][i]
        a = (f"累计降低{fmt(100 * m['c'][i])}%（序时要求{fmt(m['required'][i])}%，进度{fmt(m['p'][i], 3)}"
             f"{'≥' if cum else '<'}{fmt(need, 3)}，{'达到' if cum else '未达到'}）")
        b = f"年度降低{fmt(100 * m['r'][i])}%（目标{fmt(ctx.params[p.annual][i])}%，{'完成' if ann else '未完成'}）"
        tail = "；达到激励目标" if ch["incentive"][i] else ""
        notes.append(f"{a}；{b}{tail}；系数{fmt(o.fraction[i], 2)}")
    return notes


register(RuleType("intensity_matrix", IntensityParams, intensity_matrix, _explain_intensity, explained=True,
                  references=lambda p: {"parameters": {"target": p.target, "incentive": p.incentive,
                                                       "annual": p.annual}}))


# ------------------------------------------------------------------ total_cap_tiers (A2)
class TotalCapParams(Params):
    tiers: list[conlist(float, min_length=2, max_length=2)]  # [over at most, fraction], any order
    beyond: float = Fraction
    exempt_when: str | None = None  # a check of another indicator, e.g. "A1.incentive"
    growth: str = "gdp_growth"
    target: str = "T5"
    adjust: str = "A2_adjust"  # optional parameter; absent = 0
    energy: EnergyNames = EnergyNames()

    @model_validator(mode="after")
    def _fractions(self) -> TotalCapParams:
        for j, (_, fr) in enumerate(self.tiers):
            if not 0 <= fr <= 1:
                raise PydanticCustomError("fraction_range", "tiers[{j}]: the fraction must be between 0 and 1",
                                          {"j": j})
        return self


def adjusted_consumption(ctx: Context, year: int, e: EnergyNames = EnergyNames()) -> Array:
    """Consumption counted against the cap: without 原料用能 and without new renewable power since the base year."""
    en = ctx.energy
    new_ren = np.maximum(0.0, en[e.renewable][year] - en[e.renewable][ctx.base_year])
    return en[e.total][year] - en[e.raw][year] - new_ren


def total_cap_tiers(actual: Array, target: Array, ind, p: TotalCapParams, ctx: Context) -> Outcome:
    e0, ey = adjusted_consumption(ctx, ctx.base_year, p.energy), adjusted_consumption(ctx, ctx.year, p.energy)
    adjust = np.nan_to_num(ctx.params.get(p.adjust, np.zeros_like(e0)), nan=0.0)
    allowance = (e0 * (1.0 + ctx.params[p.growth] / 100.0) ** ctx.k
                 * (1.0 - ctx.params[p.target] / 100.0) ** (ctx.k / ctx.plan_years) + adjust)
    with np.errstate(divide="ignore", invalid="ignore"):
        over = np.where(allowance > 0, ey / allowance - 1.0, np.inf)
    o = rnd(over, ctx.dec)
    tiers = sorted((lim, fr) for lim, fr in p.tiers)
    raw = np.select([o <= rnd(lim, ctx.dec) for lim, _ in tiers], [fr for _, fr in tiers], p.beyond)
    exempt = ctx.checks[p.exempt_when].astype(bool) if p.exempt_when else np.zeros(len(raw), dtype=bool)
    full = None  # the largest "over" that still earns the whole points: the tiers at fraction 1, from the lowest
    for lim, fr in tiers:
        if fr < 1:
            break
        full = lim
    need = allowance * (1.0 + full) if full is not None else np.full_like(allowance, np.nan)
    return Outcome(np.where(exempt, 1.0, raw), ey, allowance, raw_fraction=raw, exempt=exempt,
                   metrics={"E_adj_base": e0, "E_adj": ey, "allowance": allowance, "over": over},
                   needs={"consumption": Need(ey, need, -1, ind.unit, raw >= 1)})


def _explain_total_cap(o: Outcome, ind, p: TotalCapParams, ctx: Context) -> list[str]:
    ey, allowance, over = o.metrics["E_adj"], o.metrics["allowance"], o.metrics["over"]
    r = rnd(over, ctx.dec)
    notes = []
    for i in range(len(o.fraction)):
        s = (f"调整后消费量{fmt(ey[i], 1)}，控制目标{fmt(allowance[i], 1)}，"
             + ("未超出" if r[i] <= 0 else f"超出{fmt(100 * over[i])}%") + f"，系数{fmt(o.raw_fraction[i], 2)}")
        if o.exempt[i]:
            s += "；能耗强度降低达到激励目标，免予考核"
        notes.append(s)
    return notes


register(RuleType("total_cap_tiers", TotalCapParams, total_cap_tiers, _explain_total_cap, explained=True,
                  references=lambda p: {"parameters": {"growth": p.growth, "target": p.target},
                                        "checks": {"exempt_when": p.exempt_when} if p.exempt_when else {}}))
