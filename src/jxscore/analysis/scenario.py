"""What-if scenarios (RULEBOOK §6): a typed model, its parsing from `--set CODE=POINTS` and from a
TOML/YAML file, and the weights it implies. A scenario only changes points (weights) and may
switch vetoes or caps off; fractions are never touched, so no input is re-read."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from jxscore.core.aggregate import Basis
from jxscore.core.problems import Code, Problem, ScenarioError
from jxscore.core.weights import rescale_to_nominal, weighted_mask

_FILE_KEYS = {"points", "vetoes_off", "caps_off", "rescale", "name", "description"}


def _problem(code: Code, source: str, key: str, value: object, **kw: str) -> Problem:
    return Problem.make(code, file=source, path=key, value=value if isinstance(value, str) else repr(value), **kw)


@dataclass(frozen=True)
class Scenario:
    """Points to set (indicator or category code → points), vetoes/caps to switch off, rescaling."""

    points: Mapping[str, float] = field(default_factory=dict)  # insertion order kept for display
    vetoes_off: frozenset[str] = frozenset()
    caps_off: frozenset[str] = frozenset()
    rescale: bool = True
    name: str = ""
    source: str = "--set"

    def describe(self, applied: Applied | None = None) -> str:
        """The scenario in plain Chinese, e.g. "A1（单位GDP能耗降低）设为25分，折算后23.81分（原20分）；
        A+B+C合计按比例折算为100分". With `applied` (what the settings came to on a scheme: names,
        rulebook points, final points, totals) every setting also names its points after rescaling."""
        parts = [setting_text(code, v, self.rescale, applied) for code, v in self.points.items()]
        parts += [f"取消一票否决{c}" for c in sorted(self.vetoes_off)]
        parts += [f"取消等级封顶{c}" for c in sorted(self.caps_off)]
        if applied is None:
            parts.append("A+B+C合计按比例折算回规定总分" if self.rescale else "A+B+C不折算")
        elif self.rescale:
            parts.append(f"设定后A+B+C合计{num(applied.set_total)}分，各项分值按比例折算为合计"
                         f"{num(applied.nominal_total)}分")
        else:
            parts.append(f"A+B+C不折算，合计{num(applied.set_total)}分")
        return (f"情景“{self.name}”：" if self.name else "") + "；".join(parts)


@dataclass(frozen=True)
class Applied:
    """What a scenario's settings came to on one scheme, for its description."""

    names: Mapping[str, str]  # code → indicator or category name
    baseline: Mapping[str, float]  # code → rulebook points
    final: Mapping[str, float]  # code → points used (after rescaling, if any)
    set_total: float  # A+B+C as set, before rescaling
    nominal_total: float  # A+B+C of the rulebook


def setting_text(code: str, v: float, rescale: bool, applied: Applied | None) -> str:
    """One point setting in words; with `applied`, also the points it came to and the rulebook's."""
    if applied is None:
        return f"{code}设为{num(v)}分"
    name = applied.names.get(code, "")
    head = f"{code}（{name}）" if name else code
    final, base = applied.final[code], applied.baseline[code]
    if rescale:
        return f"{head}设为{num(v)}分，折算后{final:.2f}分（原{num(base)}分）"
    if round(final, 9) != round(v, 9):  # a category whose indicators are also set
        return f"{head}设为{num(v)}分，计入指标设置后{final:.2f}分（原{num(base)}分）"
    return f"{head}设为{num(v)}分（原{num(base)}分）"


def num(v: float) -> str:
    """Points as given: 25 → "25", 0.5 → "0.5", 23.8095 → "23.81" (at most 2 decimals)."""
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return s if s not in ("", "-0") else "0"


def _points_value(source: str, key: str, raw: Any, problems: list[Problem]) -> float | None:
    v = None
    if not isinstance(raw, bool) and isinstance(raw, (int, float, str)):
        try:
            v = float(raw)
        except ValueError:
            v = None
    if v is None or not math.isfinite(v) or v < 0:
        problems.append(_problem(Code.SCENARIO_VALUE, source, key, raw, expected="@expected.points"))
        return None
    return v


def parse_sets(items: list[str] | None, problems: list[Problem] | None = None) -> dict[str, float]:
    """`["A1=25", "B=20"]` → `{"A1": 25.0, "B": 20.0}`; later settings of a code win."""
    own = problems is None
    problems = [] if problems is None else problems
    out: dict[str, float] = {}
    for item in items or []:
        code, eq, raw = item.partition("=")
        code = code.strip()
        if not eq or not code:
            problems.append(_problem(Code.SCENARIO_VALUE, "--set", item, item, expected="@expected.set"))
            continue
        v = _points_value("--set", code, raw.strip(), problems)
        if v is not None:
            out[code] = v
    if own and problems:
        raise ScenarioError(problems)
    return out


def _read_mapping(path: Path, problems: list[Problem]) -> dict:
    suffix = path.suffix.lower()
    if not path.is_file() or suffix not in (".toml", ".yaml", ".yml"):
        problems.append(_problem(Code.SCENARIO_FILE, str(path), "", str(path)))
        return {}
    text = path.read_text(encoding="utf-8-sig")
    try:
        if suffix == ".toml":
            import tomllib

            data = tomllib.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text) or {}
    except Exception as e:  # tomllib.TOMLDecodeError, yaml.YAMLError: say where
        problems.append(_problem(Code.SCENARIO_SYNTAX, str(path), "", type(e).__name__, reason=str(e)))
        return {}
    if not isinstance(data, dict):
        problems.append(_problem(Code.SCENARIO_VALUE, str(path), "(top level)", type(data).__name__,
                                 expected="@expected.mapping"))
        return {}
    return data


def load_scenario(path: Path | None, sets: list[str] | None = None, *, no_rescale: bool = False) -> Scenario:
    """Build the scenario from an optional file and `--set` items (which override the file);
    every unusable setting is reported, not only the first."""
    problems: list[Problem] = []
    points: dict[str, float] = {}
    vetoes: set[str] = set()
    caps: set[str] = set()
    rescale, name, source = True, "", "--set"
    if path is not None:
        path = Path(path)
        source = str(path)
        data = _read_mapping(path, problems)
        for key in data:
            if key not in _FILE_KEYS:
                problems.append(_problem(Code.SCENARIO_KEY, source, key, key, known=", ".join(sorted(_FILE_KEYS))))
        pts = data.get("points", {})
        if not isinstance(pts, dict):
            problems.append(_problem(Code.SCENARIO_VALUE, source, "points", pts, expected="@expected.table"))
            pts = {}
        for k, v in pts.items():
            val = _points_value(source, f"points.{k}", v, problems)
            if val is not None:
                points[str(k)] = val
        for key, bucket in (("vetoes_off", vetoes), ("caps_off", caps)):
            val = data.get(key, [])
            if not isinstance(val, list) or not all(isinstance(x, str) for x in val):
                problems.append(_problem(Code.SCENARIO_VALUE, source, key, val, expected="@expected.codes"))
            else:
                bucket.update(val)
        rescale = data.get("rescale", True)
        if not isinstance(rescale, bool):
            problems.append(_problem(Code.SCENARIO_VALUE, source, "rescale", rescale, expected="@expected.bool"))
            rescale = True
        name = str(data.get("name", ""))
    points.update(parse_sets(sets, problems))
    if not points and not vetoes and not caps and path is None and not problems:
        problems.append(Problem.make(Code.SCENARIO_EMPTY))
    if problems:
        raise ScenarioError(problems)
    return Scenario(points=points, vetoes_off=frozenset(vetoes), caps_off=frozenset(caps),
                    rescale=rescale and not no_rescale, name=name, source=source)


def check_scenario(basis: Basis, sc: Scenario) -> None:
    """Every code must exist and be a weight (bonus items are not weights: §5); switches must exist."""
    problems: list[Problem] = []
    bonus_cats = {c for c, b in zip(basis.categories, basis.bonus) if b}
    weighted = weighted_mask(basis)
    weight_codes = [c for c, wt in zip(basis.codes, weighted) if wt]
    cats = [c for c in basis.categories if c not in bonus_cats]
    bonus_inds = {c for c, wt in zip(basis.codes, weighted) if not wt}
    known = f"{weight_codes[0]}…{weight_codes[-1]}, " + ", ".join(cats)
    for code in sc.points:
        key = code if sc.source == "--set" else f"points.{code}"
        if code in bonus_cats or code in bonus_inds:
            problems.append(_problem(Code.SCENARIO_CODE, sc.source, key, code, known="@why.bonus_code"))
        elif code not in weight_codes and code not in cats:
            problems.append(_problem(Code.SCENARIO_CODE, sc.source, key, code, known=known))
    for key, given, known_codes in (("vetoes_off", sc.vetoes_off, basis.veto_codes),
                                    ("caps_off", sc.caps_off, basis.cap_codes)):
        for code in sorted(given):
            if code not in known_codes:
                problems.append(_problem(Code.SCENARIO_CODE, sc.source, key, code, known=", ".join(known_codes)))
    if problems:
        raise ScenarioError(problems)


def scenario_weights(basis: Basis, sc: Scenario) -> np.ndarray:
    """The (m,) weights of §6: category settings spread in proportion to rulebook points, then indicator
    settings, then A+B+C rescaled to the nominal total (100) unless `rescale` is off. Bonus items keep
    their points."""
    w = set_weights(basis, sc)
    if sc.rescale:  # an unchanged scheme stays bit-for-bit unchanged (its factor is exactly 1)
        rescale_to_nominal(basis, w)
    return w


def set_weights(basis: Basis, sc: Scenario) -> np.ndarray:
    """The (m,) weights as set, before rescaling (checked: known codes, not all zero)."""
    check_scenario(basis, sc)
    nominal = basis.points.astype(float)
    w = nominal.copy()
    for code, pts in sc.points.items():
        if code in basis.categories:
            idx = basis.category_of == basis.categories.index(code)
            w[idx] = pts * nominal[idx] / nominal[idx].sum()
    for code, pts in sc.points.items():
        if code in basis.codes:
            w[basis.codes.index(code)] = pts
    if w[weighted_mask(basis)].sum() <= 0:
        raise ScenarioError(_problem(Code.SCENARIO_VALUE, sc.source, "points", "0", expected="@expected.nonzero"))
    return w
