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


def _fmt(x: float) -> str:
    s = f"{x:,.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


@dataclass
class ProjectCheck:
    """The project list after §8: per-row decisions, verified sums S[city, indicator] and findings."""

    rows: pd.DataFrame  # the projects table with `excluded` (bool) and `reasons` (tuple of codes)
    sums: pd.DataFrame  # city × indicator (A4–A7), verified sum S over kept rows
    findings: list[Finding] = field(default_factory=list)


def check_projects(projects: pd.DataFrame, pollutants: dict[str, str], cities: list[str]) -> ProjectCheck:
    """P-USCC, P-LATE, P-EVID per row; P-DUP among the rest; S per city and indicator."""
    df = projects.copy()
    for col in ("facility", "evidence"):
        if col not in df:
            df[col] = ""
    df["facility"] = df["facility"].fillna("").astype(str)
    df["evidence"] = df["evidence"].fillna("").astype(str)
    findings: list[Finding] = []
    reasons: list[list[str]] = [[] for _ in range(len(df))]
    for i, r in enumerate(df.itertuples(index=False)):
        where = dict(city=r.city, key=r.project_id, table="projects", row=int(r.row))
        if not uscc_valid(str(r.uscc)):
            reasons[i].append("P-USCC")
            findings.append(Finding("P-USCC", **where, args=_args(uscc=r.uscc), excluded=True))
        done = int(str(r.completion_date)[:4])
        if done > int(r.count_year):
            reasons[i].append("P-LATE")
            findings.append(Finding("P-LATE", **where, args=_args(date=r.completion_date, year=int(r.count_year)),
                                    excluded=True))
        if not str(r.evidence).strip():
            reasons[i].append("P-EVID")
            findings.append(Finding("P-EVID", **where, excluded=True))
    df["_first"] = [not rs for rs in reasons]
    order = df[df["_first"]].sort_values(["count_year", "completion_date", "project_id"], kind="stable")
    kept_of: dict[tuple, int] = {}
    for idx, r in order.iterrows():
        key = (r["uscc"], r["facility"], r["pollutant"])
        if key not in kept_of:
            kept_of[key] = idx
            continue
        k = df.loc[kept_of[key]]
        variant = "city" if k["city"] != r["city"] else ("year" if int(k["count_year"]) != int(r["count_year"])
                                                          else "same")
        reasons[idx].append("P-DUP")
        findings.append(Finding("P-DUP", r["city"], r["project_id"], "projects", int(r["row"]),
                                args=_args(kept=k["project_id"], kept_city=k["city"], kept_year=int(k["count_year"]),
                                           facility=r["facility"] or "—"),
                                excluded=True, variant=variant))
    df["reasons"] = [tuple(rs) for rs in reasons]
    df["excluded"] = [bool(rs) for rs in reasons]
    df = df.drop(columns=["_first"])
    codes = list(dict.fromkeys(pollutants.values()))
    sums = pd.DataFrame(0.0, index=cities, columns=codes)
    kept = df[~df["excluded"]]
    for (city, pol), s in kept.groupby(["city", "pollutant"])["reduction"].sum().items():
        if city in sums.index and pol in pollutants:
            sums.loc[city, pollutants[pol]] += float(s)
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
    values = pd.DataFrame(np.nan, index=cities, columns=list(items))
    counts = pd.DataFrame(0, index=cities, columns=list(items))
    findings = []
    for (city, item), g in reviews.groupby(["city", "item"], sort=True):
        if city not in values.index or item not in items:
            continue
        pts = np.sort(g["points"].to_numpy(dtype=float))
        n = len(pts)
        counts.loc[city, item] = n
        used = pts[1:-1] if n >= trim_from else pts
        values.loc[city, item] = float(used.mean())
        rng = float(pts[-1] - pts[0])
        if round(rng, dec) > round(spread * items[item], dec):
            findings.append(Finding("C-SPREAD", city, item, "reviews", int(g["row"].min()),
                                    args=_args(n=n, low=_fmt(pts[0]), high=_fmt(pts[-1]), spread=_fmt(rng),
                                               limit=_fmt(spread * items[item]))))
    return Panels(values, counts, findings)
