"""The scheme as typed models, loaded from a plain-text TOML criteria file and checked once."""

from __future__ import annotations

import tomllib
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jxscore.core.problems import Code, CriteriaError, Problem
from jxscore.resources import default_criteria_path

ValueKind = Literal["computed", "amount", "share", "cumulative", "review", "count"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Scheme(_Model):
    name: str
    region: str
    base_year: int
    plan_years: int = Field(gt=0)
    total_decimals: int = Field(2, ge=0, le=6)
    compare_decimals: int = Field(9, ge=0, le=12)
    tie_break: list[str]


class Entity(_Model):
    name: str = Field(min_length=1)
    code: str = Field(pattern=r"^[0-9]{6}$")
    slug: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")


class Grade(_Model):
    name: str
    min: float


class Category(_Model):
    code: str = Field(pattern=r"^[A-Z][A-Za-z0-9]*$")
    name: str
    points: float = Field(gt=0)
    bonus: bool = False


class Bounds(_Model):
    """A value's range: any of >, ≥, <, ≤ (absent = unbounded on that side)."""

    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None

    def violated(self, v):
        """Boolean mask (numpy) of values outside the range; NaN is never outside."""
        import numpy as np

        v = np.asarray(v, dtype=float)
        bad = np.zeros(v.shape, dtype=bool)
        with np.errstate(invalid="ignore"):
            if self.gt is not None:
                bad |= v <= self.gt
            if self.ge is not None:
                bad |= v < self.ge
            if self.lt is not None:
                bad |= v >= self.lt
            if self.le is not None:
                bad |= v > self.le
        return bad

    def message_args(self) -> dict[str, str]:
        """The message id of this range (bound.*) and its numbers, for the problem catalogue."""
        lo = "gt" if self.gt is not None else ("ge" if self.ge is not None else "")
        hi = "lt" if self.lt is not None else ("le" if self.le is not None else "")
        lov = self.gt if self.gt is not None else self.ge
        hiv = self.lt if self.lt is not None else self.le
        if lo == "ge" and hi == "le":
            key = "between"
        elif lo and hi:
            key = f"{lo}_{hi}"
        else:
            key = lo or hi or "between"
        return {"bound": f"@bound.{key}",
                "lo": "" if lov is None else f"{lov:g}",
                "hi": "" if hiv is None else f"{hiv:g}"}


class Parameter(_Model):
    """A per-city parameter of the targets table (T5, gdp_growth, ...) and its range."""

    name: str
    label: str
    unit: str = ""
    required: bool = True
    default: float | None = None
    bounds: Bounds = Bounds()
    above: str | None = None  # must be greater than this parameter (T5_inc above T5)


class EnergyColumn(_Model):
    """A measured column of the energy table."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    unit: str = ""
    bounds: Bounds = Bounds()
    above: str | None = None


class ExtraField(_Model):
    name: str
    label: str
    kind: Literal["count", "flag"]


class Indicator(_Model):
    code: str = Field(pattern=r"^[A-Z][A-Za-z0-9]*$")
    name: str
    category: str
    unit: str
    points: float = Field(gt=0)
    value: ValueKind
    rule: str  # a name in jxscore.core.rules.RULES (checked, located, when the file loads)
    target: bool = False
    params: dict[str, Any] = Field(default_factory=dict)

    @cached_property
    def rule_params(self) -> BaseModel:
        """The parameters as the rule's typed model (checked with their paths when the file loads)."""
        from jxscore.core.rules import RULES

        return RULES[self.rule].params.model_validate(self.params)


class Veto(_Model):
    code: str
    when: Literal["check_failed", "field_set"]
    check: str | None = None
    field: str | None = None
    reason: str


class Cap(_Model):
    code: str
    grade: str
    when: Literal["fraction_below"]
    indicators: list[str] = Field(min_length=1)
    below: float = 1.0
    before_exemption: bool = False
    unless_exempt: bool = False
    reason: str


class Verification(_Model):
    """RULEBOOK §8/§9: which indicator each key-project pollutant feeds, and the expert-panel items."""

    pollutants: dict[str, str] = Field(default_factory=dict)  # NOx -> A4
    tolerance_abs: float = Field(0.5, ge=0)  # reconciliation: tol = max(abs, rel × S), in the indicator's unit
    tolerance_rel: float = Field(0.001, ge=0)
    review_items: list[str] = Field(default_factory=list)  # C1..C6
    min_experts: int = Field(3, ge=1)
    trim_from: int = Field(5, ge=3)  # from this many experts on, one highest and one lowest are dropped
    spread: float = Field(0.4, gt=0)  # C-SPREAD when max − min > spread × the item's points


class Criteria(_Model):
    """A complete scheme. Everything Jiangxi-specific lives in the file, not in the engine."""

    scheme: Scheme
    entities: list[Entity] = Field(min_length=1)
    grades: list[Grade] = Field(min_length=1)
    categories: list[Category] = Field(min_length=1)
    parameters: list[Parameter] = Field(default_factory=list)
    energy: list[EnergyColumn] = Field(default_factory=list)
    verification: Verification = Verification()
    fields: list[ExtraField] = Field(default_factory=list)
    indicators: list[Indicator] = Field(min_length=1)
    vetoes: list[Veto] = Field(default_factory=list)
    caps: list[Cap] = Field(default_factory=list)

    # ---- convenient views (computed once; models are frozen)
    @cached_property
    def entity_names(self) -> list[str]:
        return [e.name for e in self.entities]

    @cached_property
    def indicator_codes(self) -> list[str]:
        return [i.code for i in self.indicators]

    def indicator(self, code: str) -> Indicator:
        for ind in self.indicators:
            if ind.code == code:
                return ind
        raise KeyError(code)

    def category(self, code: str) -> Category:
        for cat in self.categories:
            if cat.code == code:
                return cat
        raise KeyError(code)

    @cached_property
    def scored_categories(self) -> list[Category]:
        return [c for c in self.categories if not c.bonus]

    @cached_property
    def grade_names(self) -> list[str]:
        return [g.name for g in self.grades]

    def k(self, year: int) -> int:
        return year - self.scheme.base_year

    def valid_years(self) -> range:
        b = self.scheme.base_year
        return range(b + 1, b + self.scheme.plan_years + 1)


def _loc(err: dict[str, Any], prefix: str = "") -> str:
    out = prefix
    for part in err["loc"]:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "model-after"):  # pydantic's validator frames
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


# pydantic's error types that the catalogue words itself (`pyd.<type>`, with the error's limits as
# parameters); pydantic's own English text never reaches a message. Any other type: `pyd.other`.
PYDANTIC_REASONS = frozenset({
    "missing", "extra_forbidden", "greater_than", "greater_than_equal", "less_than", "less_than_equal",
    "int_type", "int_parsing", "int_from_float", "float_type", "float_parsing", "finite_number", "string_type",
    "bool_type", "bool_parsing", "literal_error", "enum", "dict_type", "model_type", "model_attributes_type",
    "list_type", "tuple_type", "too_short", "too_long", "string_too_short",
    "fraction_range", "deduction_negative",  # raised by the rule parameter models (PydanticCustomError)
})
_LOCATION = frozenset({"file", "sheet", "row", "column", "cell", "city", "path", "value"})


def _pydantic_problems(e: ValidationError, file: str, prefix: str = "", code: Code = Code.CRITERIA_FIELD,
                       **extra: str) -> list[Problem]:
    out = []
    for err in e.errors(include_url=False):
        bad = err.get("input")
        value = "" if isinstance(bad, (dict, list)) or err["type"] == "missing" else repr(bad)
        kind = err["type"]
        limits = {k: str(v).replace(" or ", " | ") for k, v in (err.get("ctx") or {}).items()
                  if k not in _LOCATION and k != "error"}
        reason = f"@pyd.{kind}" if kind in PYDANTIC_REASONS else "@pyd.other"
        out.append(Problem.make(code, file=file, path=_loc(err, prefix), value=value, reason=reason,
                                pyd_type=kind, **limits, **extra))
    return out


def check_criteria(c: Criteria, file: str) -> list[Problem]:
    """Cross-field rules of a scheme, each problem at its own path inside the file."""
    from jxscore.core.rules import RULES

    probs: list[Problem] = []

    def add(code: Code, path: str, value: object = "", **kw: str) -> None:
        probs.append(Problem.make(code, file=file, path=path, value=value, **kw))

    def dupes(kind: str, attr: str, items: list) -> None:
        seen: set[str] = set()
        for n, it in enumerate(items):
            v = getattr(it, attr)
            if v in seen:
                add(Code.CRITERIA_DUPLICATE, f"{kind}[{n}].{attr}", v)
            seen.add(v)

    for attr in ("name", "code", "slug"):
        dupes("entities", attr, c.entities)
    dupes("categories", "code", c.categories)
    dupes("indicators", "code", c.indicators)
    dupes("parameters", "name", c.parameters)
    dupes("energy", "name", c.energy)
    mins = [g.min for g in c.grades]
    if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
        add(Code.CRITERIA_INCONSISTENT, "grades", why="@why.grades_order")
    cats = {k.code: k for k in c.categories}
    codes = {i.code for i in c.indicators}
    field_names = {f.name for f in c.fields}
    param_names = {p.name for p in c.parameters}
    for n, ind in enumerate(c.indicators):
        if ind.rule not in RULES:
            add(Code.CRITERIA_REFERENCE, f"indicators[{n}].rule", ind.rule, what="@ref.rule", known=", ".join(RULES))
            continue
        if ind.category not in cats:
            add(Code.CRITERIA_REFERENCE, f"indicators[{n}].category", ind.category, what="@ref.category")
        elif cats[ind.category].bonus != RULES[ind.rule].bonus:
            add(Code.CRITERIA_INCONSISTENT, f"indicators[{n}].rule", ind.rule, why="@why.bonus_rule")
        if ind.value == "computed" and ind.target:
            add(Code.CRITERIA_INCONSISTENT, f"indicators[{n}].target", "true", why="@why.computed_target")
        try:
            params = RULES[ind.rule].params.model_validate(ind.params)
        except ValidationError as e:
            probs.extend(_pydantic_problems(e, file, f"indicators[{n}].params", Code.RULE_PARAMETER, rule=ind.rule))
            continue
        refs = RULES[ind.rule].references(params)
        for key, name in refs.get("fields", {}).items():
            if name not in field_names:
                add(Code.CRITERIA_REFERENCE, f"indicators[{n}].params.{key}", name, what="@ref.field")
        for key, name in refs.get("parameters", {}).items():
            if name not in param_names:
                add(Code.CRITERIA_REFERENCE, f"indicators[{n}].params.{key}", name, what="@ref.parameter")
        for key, name in refs.get("checks", {}).items():
            if name.split(".")[0] not in codes:
                add(Code.CRITERIA_REFERENCE, f"indicators[{n}].params.{key}", name, what="@ref.check")
    for n, k in enumerate(c.categories):
        members = [i.points for i in c.indicators if i.category == k.code]
        if not members:
            add(Code.CRITERIA_INCONSISTENT, f"categories[{n}]", k.code, why="@why.empty_category")
        elif not k.bonus and abs(sum(members) - k.points) > 1e-9:
            add(Code.CRITERIA_INCONSISTENT, f"categories[{n}].points", f"{k.points:g}", why="@why.category_points",
                sum=f"{sum(members):g}")
    for n, p in enumerate(c.parameters):
        if p.above is not None and p.above not in param_names:
            add(Code.CRITERIA_REFERENCE, f"parameters[{n}].above", p.above, what="@ref.parameter")
    energy_names = {e.name for e in c.energy}
    for n, e in enumerate(c.energy):
        if e.above is not None and e.above not in energy_names:
            add(Code.CRITERIA_REFERENCE, f"energy[{n}].above", e.above, what="@ref.energy")
    for pol, code in c.verification.pollutants.items():
        if code not in codes:
            add(Code.CRITERIA_REFERENCE, f"verification.pollutants.{pol}", code, what="@ref.indicator")
    for n, code in enumerate(c.verification.review_items):
        if code not in codes:
            add(Code.CRITERIA_REFERENCE, f"verification.review_items[{n}]", code, what="@ref.indicator")
    grade_names = {g.name for g in c.grades}
    for n, cap in enumerate(c.caps):
        if cap.grade not in grade_names:
            add(Code.CRITERIA_REFERENCE, f"caps[{n}].grade", cap.grade, what="@ref.grade")
        for j, code in enumerate(cap.indicators):
            if code not in codes:
                add(Code.CRITERIA_REFERENCE, f"caps[{n}].indicators[{j}]", code, what="@ref.indicator")
    for n, v in enumerate(c.vetoes):
        if v.when == "check_failed" and (not v.check or v.check.split(".")[0] not in codes):
            add(Code.CRITERIA_REFERENCE, f"vetoes[{n}].check", v.check or "", what="@ref.check")
        if v.when == "field_set" and v.field not in field_names:
            add(Code.CRITERIA_REFERENCE, f"vetoes[{n}].field", v.field or "", what="@ref.field")
    for n, key in enumerate(c.scheme.tie_break):
        kind, _, arg = key.partition(":")
        ok = key in ("grade", "total", "entity_code") or (kind == "category" and arg in cats) or (
            kind == "metric" and arg.split(".")[0] in codes)
        if not ok:
            add(Code.CRITERIA_REFERENCE, f"scheme.tie_break[{n}]", key, what="@ref.tie_break")
    return probs


def load_criteria(path: str | Path | None = None) -> Criteria:
    """Load and check a criteria file; every problem is reported with its path inside the file."""
    p = Path(path) if path is not None else default_criteria_path()
    name = p.name
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CriteriaError(Problem.make(Code.CRITERIA_FILE, file=str(p), reason="not found")) from None
    except (UnicodeDecodeError, OSError) as e:
        raise CriteriaError(Problem.make(Code.CRITERIA_FILE, file=str(p), reason=type(e).__name__)) from None
    except tomllib.TOMLDecodeError as e:
        raise CriteriaError(Problem.make(Code.CRITERIA_SYNTAX, file=name, reason=str(e))) from None
    try:
        crit = Criteria.model_validate(raw)
    except ValidationError as e:
        raise CriteriaError(_pydantic_problems(e, name)) from None
    probs = check_criteria(crit, name)
    if probs:
        raise CriteriaError(probs)
    return crit
