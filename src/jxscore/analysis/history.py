"""The plan period side by side (RULEBOOK §11): every year scored on its own, then read together.

A history folder holds one input folder (or workbook) per year, named by the year: `DIR/2021`,
`DIR/2022.xlsx`, … Each year is scored by the same engine (`jxscore.service.run_score`); this module
only finds the years, names each year's problems with its folder, and turns the per-year results
into one typed table — `year, city, total, grade, rank, c, p, vetoes, caps` (`c` and `p` are the
intensity rule's metrics, e.g. A1.c and A1.p) — and the plan-period verdict of the final year.

Input hash of a history: SHA-256 of the JSON object {year: that year's manifest input_hash}
(keys sorted), i.e. a hash over the per-year hashes; each of those is the `input_hash` that
`jxscore score --year Y --data DIR/Y` writes into its manifest.json. Same year inputs → same hash,
wherever DIR lives.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

COLUMNS = ["year", "city", "total", "grade", "rank", "c", "p", "vetoes", "caps"]
_YEAR = re.compile(r"^(\d{4})(\.xlsx|\.xlsm)?$", re.IGNORECASE)
DONE, NOT_DONE = "完成", "未完成"


@dataclass(frozen=True)
class YearRun:
    """One scored year of the history: where it came from, its result and its manifest input hash."""

    year: int
    source: str  # the folder or workbook name inside the history folder: "2022", "2023.xlsx"
    result: object  # jxscore.core.engine.Result
    input_hash: str


@dataclass(frozen=True)
class Verdict:
    """The plan-period verdict of one city in the final year (k = plan_years): §11."""

    city: str
    c: float  # cumulative reduction 1 − I_Y/I_base (fraction)
    p: float  # progress against the basic target
    p_inc: float  # progress against the incentive target
    basic: str  # 完成 when p ≥ 1 (the cumulative check of the final year), else 未完成
    incentive: str  # 完成 when the incentive check holds


@dataclass
class History:
    """Every year's results side by side; `table` is history.csv (year ascending, then rank)."""

    runs: list[YearRun]
    table: pd.DataFrame
    input_hash: str
    final_year: int
    intensity_code: str  # the intensity_matrix indicator (A1)
    warnings: list = field(default_factory=list)
    table_full: pd.DataFrame = field(default_factory=pd.DataFrame)  # `table` plus k, required, p_inc, checks

    @property
    def years(self) -> list[int]:
        return [r.year for r in self.runs]

    @property
    def criteria(self):
        return self.runs[-1].result.criteria

    def city(self, name: str) -> pd.DataFrame:
        """The city's rows, year ascending (with the extra columns: k, required, p_inc, checks)."""
        return self.table_full[self.table_full["city"] == name].sort_values("year", kind="stable")

    def verdicts(self) -> list[Verdict]:
        """The final year's verdict per city (criteria order), or [] when the final year is not in the history."""
        run = next((r for r in self.runs if r.year == self.final_year), None)
        return [] if run is None else verdicts(run.result, self.intensity_code)


def intensity_code(criteria) -> str:
    return next(i.code for i in criteria.indicators if i.rule == "intensity_matrix")


def final_year(criteria) -> int:
    s = criteria.scheme
    return s.base_year + s.plan_years


def verdicts(result, code: str | None = None) -> list[Verdict]:
    """§11 read off a final-year result: 十四五能耗强度降低目标 完成 when p ≥ 1 — which is the engine's
    cumulative check at k = plan_years (p ≥ k/5, compared at 9 decimals; c ≤ 0 fails) — and the
    incentive target 完成 when the incentive check holds."""
    code = code or intensity_code(result.criteria)
    s = result.scores.set_index("city")
    out = []
    for e in result.criteria.entities:
        r = s.loc[e.name]
        out.append(Verdict(e.name, float(r[f"{code}.c"]), float(r[f"{code}.p"]), float(r[f"{code}.p_inc"]),
                           DONE if int(r[f"{code}.cumulative"]) else NOT_DONE,
                           DONE if int(r[f"{code}.incentive"]) else NOT_DONE))
    return out


def year_sources(folder: Path) -> list[tuple[int, Path]]:
    """The entries of `folder` named by a year (a folder `2022`, or a workbook `2022.xlsx`), year ascending.
    Anything else (README, progress files) is not a year and is left alone."""
    found = []
    for p in sorted(folder.iterdir(), key=lambda q: q.name):
        m = _YEAR.match(p.name)
        if m and (p.is_dir() if m.group(2) is None else p.is_file()):
            found.append((int(m.group(1)), p))
    return sorted(found, key=lambda t: t[0])


def located(problems: list, source: str) -> list:
    """A year's problems with the year's folder (or workbook) in front of each file name: a problem in
    DIR/2022/energy.csv names `2022/energy.csv`; a workbook's problems name the workbook `2022.xlsx`."""
    out = []
    for p in problems:
        if source.lower().endswith((".xlsx", ".xlsm")):
            f = p.file if p.file else source
        else:
            f = f"{source}/{p.file}" if p.file and not p.file.startswith(source + "/") else (p.file or source)
        out.append(replace(p, file=f))
    return out


def history_hash(hashes: dict[int, str]) -> str:
    """SHA-256 over {year: the year's manifest input_hash} (JSON, keys sorted): the history's input hash."""
    blob = json.dumps({str(y): h for y, h in sorted(hashes.items())}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _rows(run: YearRun, code: str) -> pd.DataFrame:
    s = run.result.scores
    k = run.result.criteria.k(run.year)
    df = pd.DataFrame({
        "year": run.year, "city": s["city"], "city_code": s["city_code"], "total": s["total"].astype(float),
        "grade": s["grade"], "rank": s["rank"].astype(int),
        "c": s[f"{code}.c"].astype(float), "p": s[f"{code}.p"].astype(float),
        "vetoes": [tuple(v) for v in s["vetoes"]], "caps": [tuple(v) for v in s["caps"]],  # joined when written
        "k": k, "required": s[f"{code}.required"].astype(float), "p_inc": s[f"{code}.p_inc"].astype(float),
        "cumulative": s[f"{code}.cumulative"].astype(int), "incentive": s[f"{code}.incentive"].astype(int),
        "source": run.source,
    })
    return df


def build_history(runs: list[YearRun], warnings: list | None = None) -> History:
    """The per-year results (any order) as one History; runs must be of one scheme."""
    runs = sorted(runs, key=lambda r: r.year)
    crit = runs[-1].result.criteria
    code = intensity_code(crit)
    full = pd.concat([_rows(r, code) for r in runs], ignore_index=True)
    full = full.sort_values(["year", "rank"], kind="stable").reset_index(drop=True)
    table = full[COLUMNS].copy()
    table["c"] = np.round(table["c"], 9)
    table["p"] = np.round(table["p"], 9)
    return History(runs=runs, table=table, input_hash=history_hash({r.year: r.input_hash for r in runs}),
                   final_year=final_year(crit), intensity_code=code, warnings=list(warnings or []),
                   table_full=full)
