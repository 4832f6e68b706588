"""Validate the three tables against the scheme, collecting every problem in one pass."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from jxscore.core.criteria import Criteria
from jxscore.core.errors import InputError, Problem, UsageError
from jxscore.io.readers import RawTable, read_tables

ENERGY_COLUMNS = ["energy_total", "energy_raw", "renewable_power", "gdp"]
_NA = {"", "na", "n/a", "不适用"}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


@dataclass
class Inputs:
    """Validated inputs, indexed by entity name in the scheme's order."""

    year: int
    source: Path
    files: list[Path]  # every file read (hashed into the manifest)
    values: pd.DataFrame  # indicator values and extra fields (float; NaN = not reported / N/A)
    targets: pd.DataFrame  # parameters and indicator targets (float; NaN target = not applicable)
    energy: pd.DataFrame  # index (entity, year)
    missing: pd.DataFrame  # bool, entity x indicator: applicable but not reported (only with allow_missing)
    warnings: list[Problem] = field(default_factory=list)


class _Checker:
    """Holds the problem list and the helpers that add to it, vectorised per column."""

    def __init__(self, criteria: Criteria):
        self.c = criteria
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def add(self, t: RawTable, mask: np.ndarray, col: str, text: pd.Series, expected: str) -> None:
        for i in np.flatnonzero(mask):
            self.problems.append(Problem(t.label, t.rows[i], col, str(text.iloc[i]), expected))

    def columns(self, t: RawTable, required: list[str], optional: list[str] = ()) -> bool:
        ok = True
        seen: set[str] = set()
        for h in t.header:
            if h in seen:
                self.problems.append(Problem(t.label, 1, h, h, "each column once"))
                ok = False
            seen.add(h)
            if h not in required and h not in optional:
                self.problems.append(Problem(t.label, 1, h or "(blank)", h,
                                             "a known column: " + ", ".join(required + list(optional))))
                ok = False
        for r in required:
            if r not in seen:
                self.problems.append(Problem(t.label, 1, r, "(missing)", f"a column named {r!r}"))
                ok = False
        return ok

    def text(self, t: RawTable, col: str) -> pd.Series:
        return t.frame[t.header.index(col)].astype(str)

    def numbers(self, t: RawTable, col: str) -> tuple[np.ndarray, np.ndarray]:
        """Parse a column: returns (values with NaN for empty/NA, empty-mask). Bad cells are problems."""
        s = self.text(t, col)
        empty = s.str.lower().isin(_NA).to_numpy()
        ok_shape = s.str.match(_NUMBER).to_numpy()
        formula = s.str.match(r"^[=@]").to_numpy() | (s.str.match(r"^[+-]").to_numpy() & ~ok_shape)
        vals = pd.to_numeric(s.where(ok_shape & ~empty), errors="coerce").to_numpy(dtype=float, copy=True)
        bad_num = ~empty & ~formula & (~ok_shape | ~np.isfinite(np.nan_to_num(vals, nan=0.0)))
        self.add(t, formula & ~empty, col, s, "a plain number, not a formula")
        self.add(t, bad_num, col, s, "a number")
        vals[~np.isfinite(vals)] = np.nan
        return vals, empty

    def entity_rows(self, t: RawTable) -> pd.Series:
        """City of each row; unknown names are problems (returned as None)."""
        s = self.text(t, "city")
        known = s.isin(self.c.entity_names).to_numpy()
        self.add(t, ~known, "city", s, "one of " + " ".join(self.c.entity_names))
        return s.where(known, None)

    def need_all_entities(self, t: RawTable, present: set[str], what: str) -> None:
        for e in self.c.entity_names:
            if e not in present:
                self.problems.append(Problem(t.label, None, "city", "(missing)", f"a row for {e}{what}"))


def load_inputs(data: str | Path, year: int, criteria: Criteria, *, allow_missing: bool = False) -> Inputs:
    """Read and check everything; raise InputError listing every problem, or return clean Inputs."""
    if year not in criteria.valid_years():
        yrs = criteria.valid_years()
        raise UsageError(f"--year {year}: the scheme covers {yrs.start}–{yrs.stop - 1}")
    data = Path(data)
    ck = _Checker(criteria)
    tables = read_tables(data, ck.problems)
    c = criteria
    ents = c.entity_names
    base, prev = c.scheme.base_year, year - 1

    # ------------------------------------------------------------ energy
    energy = pd.DataFrame(columns=ENERGY_COLUMNS, index=pd.MultiIndex.from_arrays([[], []], names=["city", "year"]))
    t = tables.get("energy")
    if t is not None and ck.columns(t, ["city", "year", *ENERGY_COLUMNS]):
        city = ck.entity_rows(t)
        yr, _ = ck.numbers(t, "year")
        ys = ck.text(t, "year")
        bad_year = ~np.isnan(yr) & ((yr != np.round(yr)) | (yr < 1900) | (yr > 2100))
        ck.add(t, bad_year | np.isnan(yr) & (ys == "").to_numpy(), "year", ys, "a year such as 2024")
        cols = {}
        for col in ENERGY_COLUMNS:
            v, empty = ck.numbers(t, col)
            ck.add(t, empty, col, ck.text(t, col), "a value (energy rows are always required)")
            cols[col] = v
        tot, raw, ren, gdp = (cols[k] for k in ENERGY_COLUMNS)
        with np.errstate(invalid="ignore"):
            ck.add(t, gdp <= 0, "gdp", ck.text(t, "gdp"), "gdp > 0")
            ck.add(t, raw < 0, "energy_raw", ck.text(t, "energy_raw"), "energy_raw ≥ 0")
            ck.add(t, ren < 0, "renewable_power", ck.text(t, "renewable_power"), "renewable_power ≥ 0")
            ck.add(t, tot <= raw, "energy_total", ck.text(t, "energy_total"),
                   "energy_total > energy_raw (原料用能 is part of the total)")
        keys = pd.DataFrame({"city": city, "year": yr})
        dup = keys.duplicated(keep="first").to_numpy() & city.notna().to_numpy() & ~np.isnan(yr)
        ck.add(t, dup, "city", ck.text(t, "city") + " " + ys, "each (city, year) once")
        have = set(zip(city.dropna(), yr[city.notna().to_numpy()]))
        for e in ents:
            for y, why in ((base, "base year"), (prev, "previous year"), (year, "assessment year")):
                if (e, float(y)) not in have:
                    ck.problems.append(Problem(t.label, None, "year", "(missing)", f"a row for {e} {y} ({why})"))
        future = ~np.isnan(yr) & (yr > year)
        for i in np.flatnonzero(future):
            ck.warnings.append(Problem(t.label, t.rows[i], "year", ys.iloc[i], f"a year ≤ {year}; row ignored"))
        keep = city.notna().to_numpy() & ~np.isnan(yr) & ~dup & ~future
        energy = pd.DataFrame({k: cols[k][keep] for k in ENERGY_COLUMNS},
                              index=pd.MultiIndex.from_arrays([city[keep].to_numpy(), yr[keep].astype(int)],
                                                              names=["city", "year"])).sort_index()

    # ------------------------------------------------------------ targets
    target_codes = [i.code for i in c.indicators if i.target]
    req_params = [p.name for p in c.parameters if p.required]
    opt_params = [p.name for p in c.parameters if not p.required]
    targets = pd.DataFrame(np.nan, index=ents, columns=[p.name for p in c.parameters] + target_codes)
    target_rows: dict[str, int] = {}
    t = tables.get("targets")
    if t is not None and ck.columns(t, ["city", *req_params, *target_codes], opt_params):
        city = ck.entity_rows(t)
        first = _first_rows(ck, t, city)
        target_rows = {city.iloc[i]: t.rows[i] for i in first}
        for p in c.parameters:
            if p.name not in t.header:
                targets[p.name] = p.default
                continue
            v, empty = ck.numbers(t, p.name)
            if p.required:
                ck.add(t, empty, p.name, ck.text(t, p.name), f"{p.name} ({p.label}) is required")
            else:
                v = np.where(empty, p.default if p.default is not None else np.nan, v)
            targets.loc[city.iloc[first].to_list(), p.name] = v[first]
        for code in target_codes:
            v, empty = ck.numbers(t, code)
            with np.errstate(invalid="ignore"):
                ck.add(t, v <= 0, code, ck.text(t, code), "a target > 0, or empty/NA when not applicable")
            v = np.where(v > 0, v, np.nan)
            targets.loc[city.iloc[first].to_list(), code] = v[first]
        _check_parameters(ck, t, targets, target_rows)
        ck.need_all_entities(t, set(target_rows), "")
        # a category with no applicable indicator cannot be scored
        for cat in c.scored_categories:
            inds = [i for i in c.indicators if i.category == cat.code]
            if any(not i.target for i in inds):
                continue
            none = targets[[i.code for i in inds]].isna().all(axis=1)
            for e in none[none].index:
                if e in target_rows:
                    ck.problems.append(Problem(t.label, target_rows[e], f"{inds[0].code}…{inds[-1].code}", "",
                                               f"at least one applicable indicator in category {cat.code}"))

    # ------------------------------------------------------------ indicators
    value_codes = [i.code for i in c.indicators if i.value != "computed"]
    field_names = [f.name for f in c.fields]
    values = pd.DataFrame(np.nan, index=ents, columns=value_codes + field_names)
    missing = pd.DataFrame(False, index=ents, columns=c.indicator_codes)
    t = tables.get("indicators")
    if t is not None and ck.columns(t, ["city", *value_codes, *field_names]):
        city = ck.entity_rows(t)
        first = _first_rows(ck, t, city)
        names = city.iloc[first].to_list()
        ck.need_all_entities(t, set(names), "")
        have_targets = bool(target_rows)
        for ind in (i for i in c.indicators if i.value != "computed"):
            v, empty = ck.numbers(t, ind.code)
            s = ck.text(t, ind.code)
            _check_range(ck, t, ind.code, v, s, ind.value, ind.points)
            if ind.target:
                applies = targets.loc[city.fillna(ents[0]), ind.code].notna().to_numpy() & city.notna().to_numpy()
                if not have_targets:
                    applies[:] = False  # targets unreadable: applicability unknown, already reported
            else:
                applies = np.ones(len(v), dtype=bool)
            gap = applies & empty
            if allow_missing:
                for i in np.flatnonzero(gap[first]):
                    missing.loc[names[i], ind.code] = True
                    ck.warnings.append(Problem(t.label, t.rows[first[i]], ind.code, "",
                                               "a value; scored as 0 (--allow-missing)"))
            else:
                ck.add(t, gap, ind.code, s, "a value (the indicator applies to this city)")
            if have_targets:
                ignored = ~applies & ~empty & city.notna().to_numpy()
                for i in np.flatnonzero(ignored):
                    ck.warnings.append(Problem(t.label, t.rows[i], ind.code, s.iloc[i],
                                               "no value: not applicable (no target); ignored"))
                v = np.where(applies, v, np.nan)
            values.loc[names, ind.code] = v[first]
        for f in c.fields:
            v, empty = ck.numbers(t, f.name)
            s = ck.text(t, f.name)
            _check_range(ck, t, f.name, v, s, f.kind, 1.0)
            if allow_missing:
                for i in np.flatnonzero(empty[first]):
                    ck.warnings.append(Problem(t.label, t.rows[first[i]], f.name, "", "a value; taken as 0"))
                v = np.where(empty, 0.0, v)
            else:
                ck.add(t, empty, f.name, s, "a value (0 when none)")
            values.loc[names, f.name] = v[first]

    if ck.problems:
        order = {n: i for i, n in enumerate(("energy", "indicators", "targets"))}
        ck.problems.sort(key=lambda p: (order.get(p.file.split(".")[0].split("[")[-1].rstrip("]"), 9), p.file,
                                        p.row or 0))
        raise InputError(ck.problems)
    files = sorted({t.path for t in tables.values()})
    return Inputs(year, data, files, values, targets, energy, missing, ck.warnings)


def _first_rows(ck: _Checker, t: RawTable, city: pd.Series) -> np.ndarray:
    """Index of each known city's first row; repeated cities are problems."""
    dup = city.duplicated(keep="first").to_numpy() & city.notna().to_numpy()
    ck.add(t, dup, "city", ck.text(t, "city"), "each city once")
    return np.flatnonzero(city.notna().to_numpy() & ~dup)


def _check_range(ck: _Checker, t: RawTable, col: str, v: np.ndarray, s: pd.Series, kind: str, points: float) -> None:
    with np.errstate(invalid="ignore"):
        if kind == "amount":
            ck.add(t, v < 0, col, s, "an amount ≥ 0")
        elif kind == "share":
            ck.add(t, (v < 0) | (v > 100), col, s, "a share in % between 0 and 100")
        elif kind == "cumulative":
            ck.add(t, v > 100, col, s, "a cumulative reduction in % of at most 100")
        elif kind == "review":
            ck.add(t, (v < 0) | (v > points), col, s, f"reviewers' points between 0 and {points:g}")
        elif kind == "count":
            ck.add(t, (v < 0) | (v != np.round(v)), col, s, "a whole number ≥ 0")
        elif kind == "flag":
            ck.add(t, (v != 0) & (v != 1), col, s, "0 or 1")


def _check_parameters(ck: _Checker, t: RawTable, targets: pd.DataFrame, rows: dict[str, int]) -> None:
    """The scheme's intensity parameters must make sense together (0 < T5 < T5_inc < 100)."""
    cols = set(targets.columns)
    for e, row in rows.items():
        r = targets.loc[e]
        if {"T5", "T5_inc"} <= cols and not (np.isnan(r["T5"]) or np.isnan(r["T5_inc"])):
            if not 0 < r["T5"] < 100:
                ck.problems.append(Problem(t.label, row, "T5", f"{r['T5']:g}", "0 < T5 < 100"))
            if not r["T5"] < r["T5_inc"] < 100:
                ck.problems.append(Problem(t.label, row, "T5_inc", f"{r['T5_inc']:g}", "T5 < T5_inc < 100"))
        if "gdp_growth" in cols and not np.isnan(r["gdp_growth"]) and r["gdp_growth"] <= -100:
            ck.problems.append(Problem(t.label, row, "gdp_growth", f"{r['gdp_growth']:g}", "a growth rate > -100 (%)"))
