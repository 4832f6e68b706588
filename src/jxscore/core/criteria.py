"""The scheme as typed models, loaded from a plain-text TOML criteria file and checked once."""

from __future__ import annotations

import tomllib
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from jxscore.core.errors import CriteriaError
from jxscore.resources import default_criteria_path

RuleName = Literal[
    "intensity_matrix", "total_cap_tiers", "ratio", "threshold", "lower_step", "review", "review_deduct", "bonus"
]
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


class Parameter(_Model):
    name: str
    label: str
    unit: str = ""
    required: bool = True
    default: float | None = None


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
    rule: RuleName
    target: bool = False
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _params_fit_rule(self) -> "Indicator":
        from jxscore.core.rules import check_params  # rules own their parameter shapes

        check_params(self.rule, self.params)
        return self


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


class Criteria(_Model):
    """A complete scheme. Everything Jiangxi-specific lives in the file, not in the engine."""

    scheme: Scheme
    entities: list[Entity] = Field(min_length=1)
    grades: list[Grade] = Field(min_length=1)
    categories: list[Category] = Field(min_length=1)
    parameters: list[Parameter] = Field(default_factory=list)
    fields: list[ExtraField] = Field(default_factory=list)
    indicators: list[Indicator] = Field(min_length=1)
    vetoes: list[Veto] = Field(default_factory=list)
    caps: list[Cap] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> "Criteria":
        errs: list[str] = []

        def dupes(kind: str, names: list[str]) -> None:
            seen: set[str] = set()
            for n in names:
                if n in seen:
                    errs.append(f"{kind}: duplicate {n!r}")
                seen.add(n)

        dupes("entities", [e.name for e in self.entities])
        dupes("entities", [e.code for e in self.entities])
        dupes("entities", [e.slug for e in self.entities])
        dupes("categories", [c.code for c in self.categories])
        dupes("indicators", [i.code for i in self.indicators])
        mins = [g.min for g in self.grades]
        if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
            errs.append("grades: list best first with strictly decreasing `min`")
        cats = {c.code: c for c in self.categories}
        codes = {i.code for i in self.indicators}
        for n, ind in enumerate(self.indicators):
            if ind.category not in cats:
                errs.append(f"indicators[{n}].category: unknown category {ind.category!r}")
            elif cats[ind.category].bonus != (ind.rule == "bonus"):
                errs.append(f"indicators[{n}].rule: bonus rules belong in bonus categories and only there")
            if ind.value == "computed" and ind.target:
                errs.append(f"indicators[{n}].target: computed indicators take their targets from parameters")
            for fld in (ind.params.get("deductions") or {}) if ind.rule == "review_deduct" else ():
                if fld not in {f.name for f in self.fields}:
                    errs.append(f"indicators[{n}].params.deductions.{fld}: not a field of the indicators table")
            ex = ind.params.get("exempt_when")
            if ex is not None and str(ex).split(".")[0] not in codes:
                errs.append(f"indicators[{n}].params.exempt_when: unknown indicator in {ex!r}")
        for n, c in enumerate(self.categories):
            members = [i.points for i in self.indicators if i.category == c.code]
            if not members:
                errs.append(f"categories[{n}]: {c.code!r} has no indicator")
            elif not c.bonus and abs(sum(members) - c.points) > 1e-9:
                errs.append(f"categories[{n}].points: {c.points:g} but its indicators' points add up to "
                            f"{sum(members):g}")
        grade_names = {g.name for g in self.grades}
        for n, cap in enumerate(self.caps):
            if cap.grade not in grade_names:
                errs.append(f"caps[{n}].grade: unknown grade {cap.grade!r}")
            for code in cap.indicators:
                if code not in codes:
                    errs.append(f"caps[{n}].indicators: unknown indicator {code!r}")
        field_names = {f.name for f in self.fields}
        for n, v in enumerate(self.vetoes):
            if v.when == "check_failed" and (not v.check or v.check.split(".")[0] not in codes):
                errs.append(f"vetoes[{n}].check: name a check as CODE.check, e.g. 'A1.cumulative'")
            if v.when == "field_set" and v.field not in field_names:
                errs.append(f"vetoes[{n}].field: unknown field {v.field!r}")
        known_keys = {"grade", "total", "entity_code"}
        for n, key in enumerate(self.scheme.tie_break):
            kind, _, arg = key.partition(":")
            ok = key in known_keys or (kind == "category" and arg in cats) or (
                kind == "metric" and arg.split(".")[0] in codes
            )
            if not ok:
                errs.append(f"scheme.tie_break[{n}]: unknown key {key!r}")
        if errs:
            raise ValueError("; ".join(errs))
        return self

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


def _loc(err: dict[str, Any]) -> str:
    out = ""
    for part in err["loc"]:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "model-after"):  # pydantic's validator frames
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "(file)"


def load_criteria(path: str | Path | None = None) -> Criteria:
    """Load and check a criteria file; every problem is reported with its path inside the file."""
    p = Path(path) if path is not None else default_criteria_path()
    name = str(p)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CriteriaError(name, [("(file)", "criteria file not found")]) from None
    except (UnicodeDecodeError, OSError) as e:
        raise CriteriaError(name, [("(file)", f"cannot read: {e}")]) from None
    except tomllib.TOMLDecodeError as e:
        raise CriteriaError(name, [("(file)", f"not valid TOML: {e}")]) from None
    try:
        return Criteria.model_validate(raw)
    except ValidationError as e:
        problems = []
        for err in e.errors(include_url=False):
            msg = err["msg"].removeprefix("Value error, ")
            bad = err.get("input")
            if not isinstance(bad, (dict, list)) and err["type"] != "value_error":
                msg += f" (got {bad!r})"
            problems.append((_loc(err), msg))
        raise CriteriaError(name, problems) from None
