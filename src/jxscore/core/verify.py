"""Verification before scoring (RULEBOOK §8, §9): the key-project list behind A4–A7 and the expert
panels behind C1–C6. Pure functions over the validated tables; findings are data (a code, the city,
a key, where, and the parameters of their Chinese detail), never text.

§8 reading (tested): exclusions P-USCC, P-LATE, P-EVID are decided per row first; P-DUP looks only at
rows that survived them. Among duplicates the first by (count_year, completion_date, project_id as
text) is kept. A duplicate is "another city" when the kept row's city differs (whatever the year),
else "another year" when the count year differs, else "the same year and city".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from jxscore.core.rules import fmt as _fmt  # the ledger notes' number format

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015: no I, O, S, V, Z
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_valid(code: str) -> bool:
    """18 characters of the alphabet and the GB 32100-2015 check character."""
    if len(code) != 18 or any(ch not in USCC_ALPHABET for ch in code):
        return False
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(code[:17], USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31] == code[17]


@dataclass(frozen=True)
class Finding:
    """One verification result; `excluded` rows are 不予认定 and left out of the verified sum."""

    code: str  # P-USCC, P-LATE, P-EVID, P-DUP, R-OVER, R-UNDER, C-SPREAD
    city: str
    key: str  # project_id (P-*), indicator (R-*), item (C-SPREAD)
    table: str  # projects, indicators, reviews
    row: int | None
    args: tuple[tuple[str, str], ...] = ()  # parameters of the detail message (catalogue "finding.<code>…")
    excluded: bool = False
    variant: str = ""  # which wording: P-DUP "city" | "year" | "same"

    @property
    def params(self) -> dict[str, str]:
        return dict(self.args)

    def sort_key(self) -> tuple:
        return (self.city, self.table, self.key, self.code, self.row or 0)


def _args(**kw) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, str(v)) for k, v in kw.items()))


@dataclass
class ProjectCheck:
    """The project list after §8: per-row decisions, verified sums S[city, indicator] and findings."""

    rows: pd.DataFrame  # the projects table with `excluded` (bool) and `reasons` (tuple of codes)
    sums: pd.DataFrame  # city × indicator (A4–A7), verified sum S over kept rows
    findings: list[Finding] = field(default_factory=list)


def check_projects(projects: pd.DataFrame, pollutants: dict[str, str], cities: list[str]) -> ProjectCheck:
    """P-USCC, P-LATE, P-EVID per row; P-DUP among the rest; S per city and indicator.

    A few hundred rows: plain records, one pass each, no per-cell pandas indexing."""
    df = projects.copy()
    for col in ("facility", "evidence"):
        if col not in df:
            df[col] = ""
        df[col] = df[col].fillna("").astype(str)
    recs = df.to_dict("records")
    findings: list[Finding] = []
    reasons: list[list[str]] = [[] for _ in recs]
    valid = {u: uscc_valid(str(u)) for u in set(df["uscc"])}
    for i, r in enumerate(recs):
        where = dict(city=r["city"], key=r["project_id"], table="projects", row=int(r["row"]))
        if not valid[r["uscc"]]:
            reasons[i].append("P-USCC")
            findings.append(Finding("P-USCC", **where, args=_args(uscc=r["uscc"]), excluded=True))
        if int(str(r["completion_date"])[:4]) > int(r["count_year"]):
            reasons[i].append("P-LATE")
            findings.append(Finding("P-LATE", **where, args=_args(date=r["completion_date"], year=int(r["count_year"])),
                                    excluded=True))
        if not r["evidence"].strip():
            reasons[i].append("P-EVID")
            findings.append(Finding("P-EVID", **where, excluded=True))
    order = sorted((i for i in range(len(recs)) if not reasons[i]),
                   key=lambda i: (int(recs[i]["count_year"]), recs[i]["completion_date"], recs[i]["project_id"]))
    kept_of: dict[tuple, int] = {}
    for i in order:
        r = recs[i]
        key = (r["uscc"], r["facility"], r["pollutant"])
        if key not in kept_of:
            kept_of[key] = i
            continue
        k = recs[kept_of[key]]
        variant = "city" if k["city"] != r["city"] else ("year" if int(k["count_year"]) != int(r["count_year"])
                                                          else "same")
        reasons[i].append("P-DUP")
        findings.append(Finding("P-DUP", r["city"], r["project_id"], "projects", int(r["row"]),
                                args=_args(kept=k["project_id"], kept_city=k["city"], kept_year=int(k["count_year"]),
                                           facility=r["facility"] or "—"),
                                excluded=True, variant=variant))
    df["reasons"] = [tuple(rs) for rs in reasons]
    df["excluded"] = [bool(rs) for rs in reasons]
    codes = list(dict.fromkeys(pollutants.values()))
    kept = df[~df["excluded"] & df["pollutant"].isin(list(pollutants))]
    by = kept.assign(code=kept["pollutant"].map(pollutants)).groupby(["city", "code"])["reduction"].sum()
    sums = by.unstack("code").reindex(index=cities, columns=codes).fillna(0.0).astype(float)
    return ProjectCheck(df, sums, findings)


@dataclass
class Reconciled:
    """The value each A4–A7 is scored with, and which were lowered to the verified sum (R-OVER)."""

    scored: pd.DataFrame  # city × indicator
    over: pd.DataFrame  # bool, city × indicator
    findings: list[Finding]


def reconcile(claims: pd.DataFrame, applicable: pd.DataFrame, sums: pd.DataFrame, *, tol_abs: float,
              tol_rel: float, dec: int, units: dict[str, str] | None = None) -> Reconciled:
    """§8: A > S + tol → R-OVER, scored with S; A < S − tol → R-UNDER (a warning); tol = max(abs, rel·S)."""
    scored = claims[sums.columns].copy()
    over = pd.DataFrame(False, index=claims.index, columns=sums.columns)
    findings = []
    for city in sums.index:
        for code in sums.columns:
            a = claims.loc[city, code]
            if not applicable.loc[city, code] or not np.isfinite(a):
                continue
            s = float(sums.loc[city, code])
            tol = max(tol_abs, tol_rel * s)
            if round(a, dec) > round(s + tol, dec):
                scored.loc[city, code] = s
                over.loc[city, code] = True
                findings.append(Finding("R-OVER", city, code, "indicators", None,
                                        args=_args(claimed=_fmt(a), verified=_fmt(s), tol=_fmt(tol),
                                                   unit=(units or {}).get(code, ""))))
            elif round(a, dec) < round(s - tol, dec):
                findings.append(Finding("R-UNDER", city, code, "indicators", None,
                                        args=_args(claimed=_fmt(a), verified=_fmt(s), tol=_fmt(tol),
                                                   unit=(units or {}).get(code, ""))))
    return Reconciled(scored, over, findings)


@dataclass
class Panels:
    """§9: each city × item's value from its experts, and the panels that disagree."""

    values: pd.DataFrame  # city × item
    counts: pd.DataFrame  # city × item, number of experts
    findings: list[Finding]


def panel_values(reviews: pd.DataFrame, items: dict[str, float], cities: list[str], *, trim_from: int,
                 spread: float, dec: int) -> Panels:
    """With n ≥ trim_from experts drop one highest and one lowest and take the mean; else the plain mean.
    C-SPREAD when max − min > spread × the item's points (compared at `dec` decimals)."""
    r = reviews[reviews["item"].isin(list(items)) & reviews["city"].isin(cities)]
    g = r.groupby(["city", "item"])["points"].agg(["count", "sum", "min", "max"])
    g["row"] = r.groupby(["city", "item"])["row"].min()
    n = g["count"].to_numpy()
    trim = n >= trim_from
    mean = np.where(trim, (g["sum"] - g["min"] - g["max"]) / np.where(trim, n - 2, 1), g["sum"] / n)
    # the trimmed mean from the sorted middle, as the rulebook states it (sum − min − max is the same sum)
    g["value"] = mean
    values = g["value"].unstack("item").reindex(index=cities, columns=list(items))
    counts = g["count"].unstack("item").reindex(index=cities, columns=list(items)).fillna(0).astype(int)
    findings = []
    for (city, item), x in g.iterrows():
        rng = float(x["max"] - x["min"])
        if round(rng, dec) > round(spread * items[item], dec):
            findings.append(Finding("C-SPREAD", city, item, "reviews", int(x["row"]),
                                    args=_args(n=int(x["count"]), low=_fmt(x["min"]), high=_fmt(x["max"]),
                                               spread=_fmt(rng), limit=_fmt(spread * items[item]))))
    return Panels(values, counts, findings)
