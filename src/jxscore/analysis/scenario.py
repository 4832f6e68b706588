"""What-if scenarios (RULEBOOK §6): a typed model, its parsing from `--set CODE=POINTS` and from a
TOML/YAML file, and the weights it implies. A scenario only changes points (weights) and may
switch vetoes or caps off; fractions are never touched, so no input is re-read."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from jxscore.core.aggregate import Basis
from jxscore.core.errors import UsageError

_FILE_KEYS = {"points", "vetoes_off", "caps_off", "rescale", "name", "description"}


class ScenarioError(UsageError):
    """A scenario setting is unusable; names the source (file or --set), the key and what was expected."""

    def __init__(self, source: str, key: str, value: object, expected: str):
        self.source, self.key, self.value, self.expected = source, key, value, expected
        super().__init__(f"scenario {source}: {key} = {value!r}: expected {expected}")


@dataclass(frozen=True)
class Scenario:
    """Points to set (indicator or category code → points), vetoes/caps to switch off, rescaling."""

    points: Mapping[str, float] = field(default_factory=dict)  # insertion order kept for display
    vetoes_off: frozenset[str] = frozenset()
    caps_off: frozenset[str] = frozenset()
    rescale: bool = True
    name: str = ""
    source: str = "--set"

    def describe(self) -> str:
        parts = [f"{k}={_num(v)}" for k, v in self.points.items()]
        parts += [f"{c} off" for c in sorted(self.vetoes_off | self.caps_off)]
        parts.append("A+B+C rescaled to 100" if self.rescale else "no rescaling")
        return (self.name + ": " if self.name else "") + ", ".join(parts)


def _num(v: float) -> str:
    return f"{v:g}"


def _points_value(source: str, key: str, raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise ScenarioError(source, key, raw, "a number of points ≥ 0")
    try:
        v = float(raw)
    except ValueError:
        raise ScenarioError(source, key, raw, "a number of points ≥ 0") from None
    if not math.isfinite(v):
        raise ScenarioError(source, key, raw, "a finite number of points ≥ 0")
    if v < 0:
        raise ScenarioError(source, key, raw, "points ≥ 0 (a weight cannot be negative)")
    return v


def parse_sets(items: list[str] | None) -> dict[str, float]:
    """`["A1=25", "B=20"]` → `{"A1": 25.0, "B": 20.0}`; later settings of a code win."""
    out: dict[str, float] = {}
    for item in items or []:
        code, eq, raw = item.partition("=")
        code = code.strip()
        if not eq or not code:
            raise ScenarioError("--set", item, item, "CODE=POINTS, e.g. A1=25 or B=20")
        out[code] = _points_value("--set", code, raw.strip())
    return out


def _read_mapping(path: Path) -> dict:
    suffix = path.suffix.lower()
    if not path.is_file():
        raise ScenarioError(str(path), "(file)", str(path), "an existing .toml, .yaml or .yml file")
    text = path.read_text(encoding="utf-8-sig")
    try:
        if suffix == ".toml":
            import tomllib

            data = tomllib.loads(text)
        elif suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text) or {}
        else:
            raise ScenarioError(str(path), "(file)", path.suffix, "a .toml, .yaml or .yml scenario file")
    except ScenarioError:
        raise
    except Exception as e:  # tomllib.TOMLDecodeError, yaml.YAMLError: say where
        raise ScenarioError(str(path), "(syntax)", type(e).__name__, f"valid {suffix[1:].upper()}: {e}") from None
    if not isinstance(data, dict):
        raise ScenarioError(str(path), "(top level)", type(data).__name__, "a table of settings")
    return data


def load_scenario(path: Path | None, sets: list[str] | None = None, *, no_rescale: bool = False) -> Scenario:
    """Build the scenario from an optional file and `--set` items (which override the file)."""
    points: dict[str, float] = {}
    vetoes: set[str] = set()
    caps: set[str] = set()
    rescale, name, source = True, "", "--set"
    if path is not None:
        path = Path(path)
        source = str(path)
        data = _read_mapping(path)
        for key in data:
            if key not in _FILE_KEYS:
                raise ScenarioError(source, key, data[key], f"one of {', '.join(sorted(_FILE_KEYS))}")
        pts = data.get("points", {})
        if not isinstance(pts, dict):
            raise ScenarioError(source, "points", pts, "a table CODE = POINTS, e.g. [points] A1 = 25")
        points = {str(k): _points_value(source, f"points.{k}", v) for k, v in pts.items()}
        for key, bucket in (("vetoes_off", vetoes), ("caps_off", caps)):
            val = data.get(key, [])
            if not isinstance(val, list) or not all(isinstance(x, str) for x in val):
                raise ScenarioError(source, key, val, 'a list of codes, e.g. ["V1"]')
            bucket.update(val)
        rescale = data.get("rescale", True)
        if not isinstance(rescale, bool):
            raise ScenarioError(source, "rescale", rescale, "true or false")
        name = str(data.get("name", ""))
    points.update(parse_sets(sets))
    if not points and not vetoes and not caps and path is None:
        raise UsageError("no scenario: give --set CODE=POINTS (repeatable) or --scenario FILE")
    return Scenario(points=points, vetoes_off=frozenset(vetoes), caps_off=frozenset(caps),
                    rescale=rescale and not no_rescale, name=name, source=source)


def check_scenario(basis: Basis, sc: Scenario) -> None:
    """Every code must exist and be a weight (bonus items are not weights: §5); switches must exist."""
    bonus_cats = {c for c, b in zip(basis.categories, basis.bonus) if b}
    weight_codes = [c for c, k in zip(basis.codes, basis.category_of) if not basis.bonus[k]]
    cats = [c for c in basis.categories if c not in bonus_cats]
    bonus_inds = {c for c, k in zip(basis.codes, basis.category_of) if basis.bonus[k]}
    for code in sc.points:
        key = code if sc.source == "--set" else f"points.{code}"
        if code in bonus_cats or code in bonus_inds:
            raise ScenarioError(sc.source, key, code, "a weighted indicator or category; bonus points (加分) "
                                "are not weights and never change in a what-if")
        if code not in weight_codes and code not in cats:
            raise ScenarioError(sc.source, key, code, f"an indicator code ({weight_codes[0]}…{weight_codes[-1]}) "
                                f"or a category code ({', '.join(cats)})")
    for key, given, known in (("vetoes_off", sc.vetoes_off, basis.veto_codes), ("caps_off", sc.caps_off,
                                                                                  basis.cap_codes)):
        for code in sorted(given):
            if code not in known:
                raise ScenarioError(sc.source, key, code, f"one of {', '.join(known) or '(none defined)'}")


def scenario_weights(basis: Basis, sc: Scenario) -> np.ndarray:
    """The (m,) weights of §6: category settings spread in proportion to rulebook points, then indicator
    settings, then A+B+C rescaled to the nominal total (100) unless `rescale` is off. Bonus items keep
    their points."""
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
    weighted = ~basis.bonus[basis.category_of]
    total = w[weighted].sum()
    if total <= 0:
        raise ScenarioError(sc.source, "points", "all zero", "at least one weighted indicator with points > 0")
    if sc.rescale:
        target = nominal[weighted].sum()
        if total != target:  # leave an unchanged scheme bit-for-bit unchanged
            w[weighted] = w[weighted] * (target / total)
    return w
