"""Validate the tables against their specs (jxscore.core.tables), collecting every problem in one pass.

One generic routine checks any table from its spec — header, cities, every numeric cell (read by
jxscore.core.numbers), ranges, keys; then the cross-table rules of RULEBOOK §1 and §4 (required
years, applicability from the targets, a category with no applicable indicator). Problems are
located by file, sheet, row, column, cell and city; nothing stops at the first.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from jxscore.core.criteria import Criteria
from jxscore.core.numbers import Parsed, city_name, clean_text, parse_number, parse_year
from jxscore.core.problems import Code, InputError, Problem, UsageError
from jxscore.core.rules import barometer_names
from jxscore.core.tables import CORE_TABLES, PERIODS, WITHIN_YEAR, ColumnSpec, Kind, RawTable, TableSpec, table_specs


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
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)  # optional tables given (projects, reviews)
    sources: dict[tuple[str, str], str] = field(default_factory=dict)  # (city, indicator) → "file › sheet › cell"


def column_letter(j: int) -> str:
    """0 → A, 25 → Z, 26 → AA (spreadsheet column names)."""
    s = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return s


@dataclass
class Checked:
    """A table after the generic checks: per row its city (None if unknown) and per column its numbers."""

    raw: RawTable
    spec: TableSpec
    col_index: dict[str, int]  # spec column -> position in the header
    city: list[str | None]
    values: dict[str, np.ndarray]  # NaN where empty or refused
    empty: dict[str, np.ndarray]
    texts: dict[str, list[str | None]]  # TEXT and DATE columns (dates as YYYY-MM-DD); None where refused
    usable: np.ndarray  # bool per row: city known and key not repeated

    def has(self, name: str) -> bool:
        return name in self.col_index


class Checker:
    """The problem lists and the location of every cell."""

    def __init__(self, criteria: Criteria):
        self.c = criteria
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.names = {e.name: e.name for e in criteria.entities} | {e.code: e.name for e in criteria.entities}

    def at(self, t: RawTable, i: int | None, column: str = "", j: int | None = None, city: str | None = "") -> dict:
        """Location of row index i (None: the header) and column position j of table t."""
        row = 1 if i is None else t.rows[i]
        cell = f"{column_letter(j)}{row}" if (t.is_sheet and j is not None) else ""
        return {"file": t.file, "sheet": t.sheet or t.name, "row": row, "column": column, "cell": cell,
                "city": city or ""}

    def add(self, code: Code, **kw) -> None:
        p = Problem.make(code, **kw)
        (self.warnings if p.severity == "warning" else self.problems).append(p)

    # ------------------------------------------------------------------ the generic checks
    def check(self, t: RawTable, spec: TableSpec, *, relax: bool = False) -> Checked:
        """Generic checks of one table. `relax`: an empty required cell is left to the caller (--allow-missing)."""
        col_index: dict[str, int] = {}
        canon = {c.name.casefold(): c.name for c in spec.columns}
        for j, h in enumerate(t.header):
            name = canon.get(clean_text(h).casefold())
            if name is None:
                self.add(Code.UNKNOWN_COLUMN, **self.at(t, None, h or f"({column_letter(j)})", j), value=h,
                         known=", ".join(spec.names))
            elif name in col_index:
                self.add(Code.DUPLICATE_COLUMN, **self.at(t, None, name, j), value=h)
            else:
                col_index[name] = j
        for col in spec.columns:
            if col.header_required and col.name not in col_index:
                self.add(Code.MISSING_COLUMN, file=t.file, sheet=t.sheet or t.name, row=1, column=col.name,
                         label=col.what())
        n = len(t.cells)
        city: list[str | None] = [None] * n
        if "city" in col_index:
            j = col_index["city"]
            for i, r in enumerate(t.cells):
                city[i] = city_name(r[j], self.names)
                if city[i] is None:
                    self.add(Code.UNKNOWN_CITY, **self.at(t, i, "city", j, r[j]), value=r[j],
                             known=" ".join(self.c.entity_names))
        values: dict[str, np.ndarray] = {}
        empty: dict[str, np.ndarray] = {}
        texts: dict[str, list[str | None]] = {}
        for col in spec.columns:
            if col.kind == Kind.CITY or col.name not in col_index:
                continue
            if col.kind in (Kind.TEXT, Kind.DATE):
                texts[col.name], empty[col.name] = self._text_column(t, col, col_index[col.name], city, relax)
            else:
                values[col.name], empty[col.name] = self._column(t, col, col_index[col.name], city, relax)
        for col in spec.columns:  # a value that must exceed another column of its row
            if col.above and col.name in values and col.above in values:
                other = spec.column(col.above)
                with np.errstate(invalid="ignore"):
                    bad = values[col.name] <= values[col.above]
                for i in np.flatnonzero(bad):
                    self.add(Code.NOT_ABOVE, **self.at(t, i, col.name, col_index[col.name], city[i]),
                             value=_show(values[col.name][i]), label=col.what(), other_label=other.what(),
                             other=_show(values[col.above][i]))
        usable = np.array([c is not None for c in city], dtype=bool)
        if all(k in col_index for k in spec.key):
            first: dict[tuple, int] = {}
            for i in range(n):
                key = tuple(city[i] if k == "city" else (texts[k][i] if k in texts else values[k][i]) for k in spec.key)
                if any(k is None or (isinstance(k, float) and np.isnan(k)) for k in key):
                    continue
                if key in first:
                    usable[i] = False
                    self.add(Code.DUPLICATE_KEY, **self.at(t, i, spec.key[-1], col_index[spec.key[-1]], city[i]),
                             value=" ".join(_show(k) for k in key), key="+".join(spec.key), first=t.rows[first[key]])
                else:
                    first[key] = i
        return Checked(t, spec, col_index, city, values, empty, texts, usable)

    def _text_column(self, t: RawTable, col: ColumnSpec, j: int, city: list[str | None],
                     relax: bool) -> tuple[list[str | None], np.ndarray]:
        import datetime as dt

        out: list[str | None] = []
        empty = np.zeros(len(t.cells), dtype=bool)
        for i, r in enumerate(t.cells):
            s = clean_text(r[j])
            where = self.at(t, i, col.name, j, city[i])
            if s == "":
                empty[i] = True
                out.append("")
                if col.need == "always" and not relax:
                    self.add(Code.MISSING_VALUE, **where, why=f"@{col.why}", label=col.what())
                continue
            if s.startswith(("=", "@")) or t.special.get((i, j)) == "error":
                self.add(Code.FORMULA, **where, value=r[j])
                out.append(None)
                continue
            if col.kind == Kind.DATE:
                day = s[:10] if t.special.get((i, j)) == "date" else s
                try:
                    s = dt.date.fromisoformat(day).isoformat() if len(day) == 10 else ""
                except ValueError:
                    s = ""
                if not s:
                    self.add(Code.BAD_DATE, **where, value=r[j])
                    out.append(None)
                    continue
            if col.choices and s not in col.choices:
                hit = next((ch for ch in col.choices if ch.casefold() == s.casefold()), None)
                if hit is None:
                    self.add(Code.NOT_A_CHOICE, **where, value=r[j], choices="、".join(col.choices))
                    out.append(None)
                    continue
                s = hit
            out.append(s)
        return out, empty

    def _column(self, t: RawTable, col: ColumnSpec, j: int, city: list[str | None],
                relax: bool) -> tuple[np.ndarray, np.ndarray]:
        n = len(t.cells)
        vals = np.full(n, np.nan)
        empty = np.zeros(n, dtype=bool)
        for i, r in enumerate(t.cells):
            raw = r[j]
            where = self.at(t, i, col.name, j, city[i])
            special = t.special.get((i, j))
            if special == "date":
                self.add(Code.DATE_CELL, **where, value=raw, what=col.what())
                continue
            if special == "error":
                self.add(Code.FORMULA, **where, value=raw)
                continue
            p: Parsed = parse_year(raw) if col.kind == Kind.YEAR else parse_number(raw, percent=col.percent)
            if special == "bool":
                p = Parsed(refused=Code.NOT_A_NUMBER)
            if p.refused:
                self.add(p.refused, **where, value=raw, what=col.what(), unit=col.unit or "—")
                continue
            if p.empty:
                empty[i] = True
                if (col.need == "always" and not relax) or col.kind == Kind.YEAR:
                    self.add(Code.MISSING_VALUE, **where, why=f"@{col.why}", label=col.what())
                continue
            v = p.value
            if col.bounds.violated(v):
                self.add(Code.OUT_OF_RANGE, **where, value=raw, label=col.what(), **col.bounds.message_args())
            elif col.kind == Kind.COUNT and (v != round(v) or v < 0):
                self.add(Code.NOT_WHOLE, **where, value=raw, label=col.what())
            elif col.kind == Kind.FLAG and v not in (0.0, 1.0):
                self.add(Code.NOT_A_FLAG, **where, value=raw, label=col.what())
            else:
                vals[i] = v
        return vals, empty

    def every_city(self, t: RawTable, present: set[str]) -> None:
        for e in self.c.entity_names:
            if e not in present:
                self.add(Code.MISSING_ROW, file=t.file, sheet=t.sheet or t.name, column="city", city=e,
                         what="@what.city")


def _show(v: object) -> str:
    if isinstance(v, float):
        return f"{v:g}" if np.isfinite(v) else ""
    return str(v)


def check_year(year: int, criteria: Criteria) -> None:
    yrs = criteria.valid_years()
    if year not in yrs:
        raise UsageError(Problem.make(Code.YEAR_OUT_OF_SCHEME, value=year, first=yrs.start, last=yrs.stop - 1))


def validate_tables(tables: dict[str, RawTable], year: int, criteria: Criteria, *, allow_missing: bool = False,
                    source: Path = Path("."), problems: list[Problem] | None = None) -> Inputs:
    """Check tables already read (from files, a workbook or a web form) and build the Inputs."""
    c = criteria
    check_year(year, c)
    ck = Checker(c)
    ck.problems.extend(p for p in (problems or []) if p.severity == "error")
    ck.warnings.extend(p for p in (problems or []) if p.severity == "warning")
    specs = table_specs(c, year)
    ents = c.entity_names
    base, prev = c.scheme.base_year, year - 1

    # ------------------------------------------------------------ optional tables (RULEBOOK §8, §9)
    extra: dict[str, pd.DataFrame] = {}
    for name, spec in specs.items():  # the generic checks; their findings are the verifier's (core.verify)
        if name in CORE_TABLES or name in WITHIN_YEAR or (t := tables.get(name)) is None:
            continue
        ch = ck.check(t, spec)
        cols = {"row": t.rows} | {k: (ch.city if k == "city" else ch.texts.get(k, ch.values.get(k)))
                                  for k in spec.names if ch.has(k)}
        extra[name] = pd.DataFrame(cols)[ch.usable].reset_index(drop=True)
        if name == "reviews" and all(ch.has(k) for k in ("city", "item", "points")):
            _check_panels(ck, t, ch, c)
    panel = "reviews" in extra

    # ------------------------------------------------------------ energy
    energy_cols = [e.name for e in c.energy]
    energy = pd.DataFrame(columns=energy_cols, index=pd.MultiIndex.from_arrays([[], []], names=["city", "year"]))
    if (t := tables.get("energy")) is not None:
        ch = ck.check(t, specs["energy"])
        if ch.has("year") and ch.has("city"):
            yr = ch.values["year"]
            have = {(ch.city[i], int(yr[i])) for i in range(len(yr)) if ch.usable[i] and np.isfinite(yr[i])}
            roles = {base: "@role.base", prev: "@role.prev", year: "@role.year"}
            for e in ents:
                for y in (base, prev, year):
                    if (e, y) not in have:
                        ck.add(Code.MISSING_ROW, file=t.file, sheet=t.sheet or t.name, column="year", city=e,
                               what="@what.city_year", year=y, role=roles[y])
            future = np.isfinite(yr) & (yr > year)
            for i in np.flatnonzero(future & ch.usable):
                ck.add(Code.ROW_IGNORED_FUTURE, **ck.at(t, i, "year", ch.col_index["year"], ch.city[i]),
                       value=_show(yr[i]), year=year)
            keep = ch.usable & np.isfinite(yr) & ~future
            if all(ch.has(k) for k in energy_cols):
                energy = pd.DataFrame(
                    {k: ch.values[k][keep] for k in energy_cols},
                    index=pd.MultiIndex.from_arrays([np.array(ch.city, dtype=object)[keep], yr[keep].astype(int)],
                                                    names=["city", "year"])).sort_index()

    # ------------------------------------------------------------ targets
    target_codes = [i.code for i in c.indicators if i.target]
    targets = pd.DataFrame(np.nan, index=ents, columns=[p.name for p in c.parameters] + target_codes)
    target_rows: dict[str, int] = {}
    if (t := tables.get("targets")) is not None:
        ch = ck.check(t, specs["targets"])
        rows = {ch.city[i]: i for i in np.flatnonzero(ch.usable)}
        target_rows = {e: t.rows[i] for e, i in rows.items()}
        ck.every_city(t, set(rows))
        idx = list(rows.values())
        names = list(rows)
        for p in c.parameters:
            if p.name in ch.values:
                v = ch.values[p.name]
                if not p.required:
                    v = np.where(ch.empty[p.name], np.nan if p.default is None else p.default, v)
                targets.loc[names, p.name] = v[idx]
            else:
                targets[p.name] = p.default
        for code in target_codes:
            if code in ch.values:
                targets.loc[names, code] = ch.values[code][idx]
        for cat in c.scored_categories:  # a category with no applicable indicator cannot be scored
            inds = [i for i in c.indicators if i.category == cat.code]
            if any(not i.target for i in inds) or not all(ch.has(i.code) for i in inds):
                continue
            for e, i in rows.items():
                if all(ch.empty[ind.code][i] for ind in inds):
                    ck.add(Code.NO_APPLICABLE, **ck.at(t, i, f"{inds[0].code}…{inds[-1].code}", None, e),
                           category=cat.code)

    # ------------------------------------------------------------ indicators
    value_codes = [i.code for i in c.indicators if i.value != "computed"]
    field_names = [f.name for f in c.fields]
    values = pd.DataFrame(np.nan, index=ents, columns=value_codes + field_names)
    missing = pd.DataFrame(False, index=ents, columns=c.indicator_codes)
    if (t := tables.get("indicators")) is not None:
        spec = specs["indicators"]
        if panel:  # the experts' points replace C1–C6 of the indicators table, which may then be empty
            items = set(c.verification.review_items)
            spec = replace(spec, columns=tuple(replace(col, need="optional") if col.name in items else col
                                               for col in spec.columns))
        ch = ck.check(t, spec, relax=allow_missing)
        rows = {ch.city[i]: i for i in np.flatnonzero(ch.usable)}
        ck.every_city(t, set(rows))
        known_targets = bool(target_rows)
        for ind in c.indicators:
            if ind.value == "computed" or ind.code not in ch.values:
                continue
            v, empty = ch.values[ind.code], ch.empty[ind.code]
            j = ch.col_index[ind.code]
            for e, i in rows.items():
                applies = (not ind.target) or (known_targets and not np.isnan(targets.loc[e, ind.code]))
                if ind.target and not known_targets:
                    continue  # targets unreadable: applicability unknown (the targets problems say why)
                where = ck.at(t, i, ind.code, j, e)
                if panel and ind.code in c.verification.review_items:
                    values.loc[e, ind.code] = v[i]  # compared with the panel's (_panel_warnings), then replaced
                    continue
                if applies and empty[i] and (ind.target or allow_missing):
                    if allow_missing:
                        missing.loc[e, ind.code] = True
                        ck.add(Code.MISSING_SCORED_ZERO, **where)
                    else:
                        ck.add(Code.MISSING_VALUE, **where, why="@why.applicable", label=ind.name)
                elif not applies and not empty[i]:
                    ck.add(Code.VALUE_IGNORED_NA, **where, value=t.cells[i][j])
                if applies:
                    values.loc[e, ind.code] = v[i]
        for f in c.fields:
            if f.name not in ch.values:
                continue
            v, empty = ch.values[f.name], ch.empty[f.name]
            for e, i in rows.items():
                if empty[i]:  # only reachable with --allow-missing: an empty count is taken as 0, and said so
                    ck.add(Code.MISSING_TAKEN_ZERO, **ck.at(t, i, f.name, ch.col_index[f.name], e))
                values.loc[e, f.name] = 0.0 if empty[i] else v[i]
    if panel and not ck.problems:
        _panel_warnings(ck, tables["indicators"], extra["reviews"], values, c)
    if ck.problems:
        raise InputError(ck.problems)
    files = sorted({t.path for t in tables.values() if t.path is not None})
    return Inputs(year, source, files, values, targets, energy, missing, sorted(set(ck.warnings), key=Problem.sort_key),
                  extra)


def _check_panels(ck: Checker, t: RawTable, ch: Checked, c: Criteria) -> None:
    """§9 structure: every city × item has at least `min_experts` experts; points within the item's."""
    items = {code: c.indicator(code).points for code in c.verification.review_items}
    count: dict[tuple[str, str], int] = {}
    jp = ch.col_index["points"]
    for i in np.flatnonzero(ch.usable):
        city, item, pts = ch.city[i], ch.texts["item"][i], ch.values["points"][i]
        if not item or item not in items:
            continue
        count[(city, item)] = count.get((city, item), 0) + 1
        if np.isfinite(pts) and round(pts, c.scheme.compare_decimals) > items[item]:
            ck.add(Code.OUT_OF_RANGE, **ck.at(t, i, "points", jp, city), value=t.cells[i][jp],
                   label=f"{item}得分", bound="@bound.between", lo="0", hi=f"{items[item]:g}")
    for e in c.entity_names:
        for item in items:
            n = count.get((e, item), 0)
            if n < c.verification.min_experts:
                ck.add(Code.TOO_FEW_EXPERTS, file=t.file, sheet=t.sheet or t.name, column="expert", city=e,
                       value=n, item=item, min=c.verification.min_experts)


def _panel_warnings(ck: Checker, t: RawTable, reviews: pd.DataFrame, values: pd.DataFrame, c: Criteria) -> None:
    """A C1–C6 value given in the indicators table that differs from the panel's by > 0.005 is ignored, said so."""
    from jxscore.core.verify import panel_values

    v = c.verification
    items = {code: c.indicator(code).points for code in v.review_items}
    panels = panel_values(reviews, items, c.entity_names, trim_from=v.trim_from, spread=v.spread,
                          dec=c.scheme.compare_decimals)
    for e in c.entity_names:
        for item in items:
            given, experts = values.loc[e, item], panels.values.loc[e, item]
            if np.isfinite(given) and np.isfinite(experts) and round(abs(given - experts), 9) > 0.005:
                ck.add(Code.VALUE_IGNORED_PANEL, file=t.file, sheet=t.sheet or t.name, column=item, city=e,
                       value=f"{given:g}", experts=f"{experts:.4f}".rstrip("0").rstrip("."))


# ------------------------------------------------------------------ the barometer (RULEBOOK §10)


@dataclass
class Progress:
    """Validated barometer inputs: per city the targets' parameters and its two year-to-date rows."""

    year: int
    period: str  # Q1, H1 or Q3
    source: Path
    files: list[Path]  # every file read (hashed into the footer)
    targets: pd.DataFrame  # entity × the parameters the barometer reads (rules.barometer_names)
    current: pd.DataFrame  # entity × energy columns: (Y, P)
    previous: pd.DataFrame  # entity × energy columns: (Y − 1, P)
    warnings: list[Problem] = field(default_factory=list)


def check_period(period: str) -> str:
    """The period as the progress table writes it (h1 → H1), or a UsageError naming the choices."""
    p = clean_text(period).upper()
    if p not in PERIODS:
        raise UsageError(Problem.make(Code.BAD_OPTION, option="--period", value=period, expected="@expected.period"))
    return p


def validate_progress(tables: dict[str, RawTable], year: int, period: str, criteria: Criteria, *,
                      source: Path = Path("."), problems: list[Problem] | None = None) -> Progress:
    """Check the targets and progress tables (every problem in one pass) and pick each city's (Y, P) and
    (Y − 1, P) rows. The targets table is the office's for year Y, as in the annual run; its indicator
    target columns may be left out here (the barometer reads only rules.barometer_names' parameters)."""
    c = criteria
    check_year(year, c)
    period = check_period(period)
    ck = Checker(c)
    ck.problems.extend(p for p in (problems or []) if p.severity == "error")
    ck.warnings.extend(p for p in (problems or []) if p.severity == "warning")
    specs = table_specs(c, year)
    ents = c.entity_names
    wanted = barometer_names(c).parameters
    targets = pd.DataFrame(np.nan, index=ents, columns=list(wanted))
    if (t := tables.get("targets")) is not None:
        params = {p.name for p in c.parameters}
        spec = replace(specs["targets"], columns=tuple(
            col if col.name == "city" or col.name in params else replace(col, header_required=False)
            for col in specs["targets"].columns))
        ch = ck.check(t, spec)
        rows = {ch.city[i]: i for i in np.flatnonzero(ch.usable)}
        ck.every_city(t, set(rows))
        for name in wanted:
            if name in ch.values:
                targets.loc[list(rows), name] = ch.values[name][list(rows.values())]
    cols = [e.name for e in c.energy]
    current = pd.DataFrame(np.nan, index=ents, columns=cols)
    previous = pd.DataFrame(np.nan, index=ents, columns=cols)
    if (t := tables.get("progress")) is not None:
        ch = ck.check(t, specs["progress"])
        if all(ch.has(k) for k in ("city", "year", "period")):
            yr, per = ch.values["year"], ch.texts["period"]
            at = {(ch.city[i], int(yr[i]), per[i]): i for i in np.flatnonzero(ch.usable)
                  if np.isfinite(yr[i]) and per[i]}
            for e in ents:
                for y, role, frame in ((year, "@role.period", current), (year - 1, "@role.period_prev", previous)):
                    i = at.get((e, y, period))
                    if i is None:
                        ck.add(Code.MISSING_ROW, file=t.file, sheet=t.sheet or t.name, column="period", city=e,
                               what="@what.city_year_period", year=y, period=f"@period.{period.lower()}", role=role)
                    elif all(ch.has(k) for k in cols):
                        frame.loc[e] = [ch.values[k][i] for k in cols]
    if ck.problems:
        raise InputError(ck.problems)
    files = sorted({t.path for t in tables.values() if t.path is not None})
    return Progress(year, period, source, files, targets, current, previous,
                    sorted(set(ck.warnings), key=Problem.sort_key))
