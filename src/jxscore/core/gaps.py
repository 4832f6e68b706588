"""What a city would have to change: per indicator it lost points on, the quantities a rule names
(`rules.Need`) that fall short and by how much, in the indicator's own unit; and, per veto or cap
that hit it, what triggered it with the same figures. Typed data only: the card words it.

The points an indicator would bring are its loss, effective weight − points (RULEBOOK §4, after
the N/A renormalisation), the indicator being worth its whole weight once every need is met.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from jxscore.core.engine import Result, cap_hits, effective_weights

SHOWN = 0.005  # a loss that rounds to 0.00 points is no loss on a two-decimal card


@dataclass(frozen=True)
class Step:
    """One quantity short of what full marks need: `actual` must reach `need` (direction +1: rise
    to at least, −1: fall to at most), in `unit`."""

    quantity: str  # the rule's name for it: "value", "cumulative", "annual", "consumption", "review"
    actual: float
    need: float
    direction: int
    unit: str

    @property
    def amount(self) -> float:
        """How far to move, always ≥ 0, in `unit`."""
        return max(0.0, (self.need - self.actual) * self.direction)


@dataclass(frozen=True)
class Shortfall:
    """An indicator a city did not get full marks on."""

    indicator: str
    name: str
    unit: str
    rule: str
    points: float
    weight: float
    steps: tuple[Step, ...]
    missing: bool = False  # not reported, scored 0 (--allow-missing): nothing to compare

    @property
    def lost(self) -> float:
        return self.weight - self.points


@dataclass(frozen=True)
class Trigger:
    """A veto or cap that hit a city, and what set it off."""

    kind: Literal["veto", "cap"]
    code: str
    reason: str
    grade: str  # the grade it sets (veto: the lowest) or caps at
    shortfalls: tuple[Shortfall, ...] = ()  # the indicators (and quantities) behind it
    field: str | None = None  # a field_set veto: the field of the indicators table and its label
    field_label: str = ""


def _steps(result: Result, code: str, i: int, only: str | None = None,
           before_exemption: bool = False) -> tuple[Step, ...]:
    o = result.outcomes[code]
    out = []
    for q, nd in o.needs.items():
        if only is not None and q != only:
            continue
        if bool(nd.met[i]) or not np.isfinite(nd.need[i]) or not np.isfinite(nd.actual[i]):
            continue
        if not before_exemption and o.exempt is not None and o.exempt[i]:
            continue
        out.append(Step(q, float(nd.actual[i]), float(nd.need[i]), nd.direction, nd.unit))
    return tuple(out)


def _missing(result: Result, i: int) -> set[str]:
    return set(result.scores.set_index("city").loc[result.basis.entities[i], "missing"])


def _shortfall(result: Result, j: int, i: int, W: np.ndarray, steps: tuple[Step, ...],
               missing: set[str]) -> Shortfall:
    b = result.basis
    ind = result.criteria.indicators[j]
    f = b.fractions[i, j]
    pts = 0.0 if np.isnan(f) else float(f * W[i, j])
    miss = ind.code in missing
    return Shortfall(ind.code, ind.name, ind.unit, ind.rule, pts, float(W[i, j]), () if miss else steps, miss)


def shortfalls(result: Result, city: str) -> list[Shortfall]:
    """The city's losses on weighted (non-bonus) indicators that apply and were reported, largest
    first (ties in the scheme's order)."""
    b = result.basis
    i = b.entities.index(city)
    W = effective_weights(b)
    missing = _missing(result, i)
    out = []
    for j, code in enumerate(b.codes):
        if b.bonus[b.category_of[j]] or not b.applicable[i, j] or code in missing:
            continue
        s = _shortfall(result, j, i, W, _steps(result, code, i), missing)
        if s.lost >= SHOWN:
            out.append(s)
    order = sorted(range(len(out)), key=lambda k: (-round(out[k].lost, 6), k))
    return [out[k] for k in order]


def triggers(result: Result, city: str) -> list[Trigger]:
    """The vetoes and caps that hit the city, each with the indicators and quantities behind it."""
    c, b, ev = result.criteria, result.basis, result.evaluation
    i = b.entities.index(city)
    W = effective_weights(b)
    col = {code: j for j, code in enumerate(b.codes)}
    missing = _missing(result, i)
    out: list[Trigger] = []
    for k, v in enumerate(c.vetoes):
        if not ev.vetoed[i, k]:
            continue
        if v.when == "check_failed":
            code, check = v.check.split(".", 1)
            sf = _shortfall(result, col[code], i, W, _steps(result, code, i, only=check), missing)
            out.append(Trigger("veto", v.code, v.reason, c.grade_names[-1], (sf,)))
        else:
            lab = next((f.label for f in c.fields if f.name == v.field), v.field)
            out.append(Trigger("veto", v.code, v.reason, c.grade_names[-1], field=v.field, field_label=lab))
    hits = cap_hits(c, result.outcomes, b.fractions, b.applicable) if ev.capped[i].any() else {}
    for k, cap in enumerate(c.caps):
        if not ev.capped[i, k]:
            continue
        sfs = tuple(_shortfall(result, col[code], i, W,
                               _steps(result, code, i, before_exemption=cap.before_exemption), missing)
                    for code, hit in zip(cap.indicators, hits[cap.code][i]) if hit)
        out.append(Trigger("cap", cap.code, cap.reason, cap.grade, sfs))
    return out
