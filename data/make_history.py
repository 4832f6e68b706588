#!/usr/bin/env python3
"""Write the plan-period sample: data/history/2021 … data/history/2024, one input folder per year.

Standard library only, deterministic, does not import jxscore.  Run from anywhere:

    python3 data/make_history.py            # writes data/history/<year>/*.csv
    python3 data/make_history.py --check    # also prints each year's hand-computed table

It reuses make_sample.py's figures and its independent scorer (RULEBOOK §2, §5 re-implemented
there); nothing here changes make_sample.py.

* energy.csv of year t: the rows of data/energy.csv with year ≤ t — the same rows, so A1's
  cumulative path is one path across the years.
* 2024: the files of data/ itself (energy, indicators, targets, projects, reviews), byte for byte,
  so data/history/2024 scores exactly as the data/ sample.
* 2021–2023 (k = t − 2020), from the 2024 figures (k = 4):
    - T5, T5_inc, gdp_growth, A1_annual, A2_adjust: as in 2024 (one five-year target);
    - A4–A7 targets: five-year figure × k/5 (make_sample's own formula with K = k);
    - cumulative amounts A3, A9, B1–B4 (targets and actuals) and A4–A7 actuals: 2024 value × k/4;
    - shares A8, A10, B6–B18 (targets and actuals): 2024 value − 0.5·(4 − k) percentage points;
      B5 (leakage, lower is better): 2024 value + 0.25·(4 − k);
    - C1–C6, C2 deduction counts, D1, D2: as in 2024; fraud: 0 (赣州's 统计造假 is a 2024 finding);
    - no projects/reviews tables (the §8/§9 verification is a 2024 exercise).
  So every ratio is (up to rounding) the 2024 one, and the years differ by A1 (each year's own
  intensity), A2 (its allowance for year k) and 赣州's V2.
Grades that change over the years (asserted below, CHANGES): 景德镇 and 九江 完成 → 未完成 in
2022–2023 (their cuts of 2.9 and 3.0 % leave p at 0.397 < 0.4 and 0.599 < 0.6: V1) → 完成 in 2024;
萍乡 超额完成 → 完成 in 2024 (annual check missed, A1 f 0.7); 赣州 完成 → 未完成 in 2024 (V2);
抚州 超额完成 → 基本完成 in 2024 (G1 after §8).
"""
from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "history"
YEARS = [2021, 2022, 2023, 2024]
LAST = 2024  # the year of data/ (make_sample.Y)


def _sample():
    spec = importlib.util.spec_from_file_location("make_sample", HERE / "make_sample.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


ms = _sample()
assert ms.Y == LAST
CUMULATIVE = ["A3", "A9", "B1", "B2", "B3", "B4"]
PROJECTS = ["A4", "A5", "A6", "A7"]
SHARES = ["A8", "A10"] + [f"B{i}" for i in range(6, 19)]


def scaled(code: str, city: str, v, k: int, actual: bool):
    """A 2024 target or actual (k = 4) carried back to year k (module docstring)."""
    if v is None:
        return None
    if code in CUMULATIVE or (actual and code in PROJECTS):
        return round(v * k / 4, 1)
    if code in PROJECTS:  # targets: five-year figure × k/5
        return round(ms.FIVE_YEAR[code][city] * k / 5, 1)
    if code in SHARES:
        return round(v - 0.5 * (4 - k), 1)
    if code == "B5":
        return round(v + 0.25 * (4 - k), 2)
    raise KeyError(code)


def tables(year: int):
    """(energy, targets, indicators) as (header, rows) for `year` < 2024."""
    k = year - 2020
    header, rows = ms.build_energy()
    energy = (header, [r for r in rows if int(r[1]) <= year])
    t_header = ["city", "T5", "T5_inc", "gdp_growth", "A1_annual", "A2_adjust"] + ms.IND_CODES
    i_header = ["city"] + ms.IND_CODES + list(ms.REVIEW) + ["C2_unapproved", "C2_lianggao", "D1", "D2", "fraud"]
    t_rows, i_rows = [], []
    for city in ms.CITIES:
        t = [city, ms.f2(ms.T5[city]), ms.f2(ms.T5_INC[city]), ms.f2(ms.GDP_EXPECTED[city]),
             ms.f2(ms.A1_ANNUAL[city]), ms.f2(ms.A2_ADJUST[city])]
        i = [city]
        for code in ms.IND_CODES:
            tv = scaled(code, city, ms.TARGETS[code][city], k, actual=False)
            av = scaled(code, city, ms.ACTUALS[code][city], k, actual=True)
            t.append("" if tv is None else ms.f2(tv))
            i.append("" if av is None else ms.f2(av))
        i += [ms.f2(ms.REVIEW[c][city]) for c in ms.REVIEW]
        counts = dict(ms.COUNTS, fraud={c: 0 for c in ms.CITIES})
        i += [str(counts[c][city]) for c in ["C2_unapproved", "C2_lianggao", "D1", "D2", "fraud"]]
        t_rows.append(t)
        i_rows.append(i)
    return energy, (t_header, t_rows), (i_header, i_rows)


def score_year(year: int, energy, indicators, targets, projects=None, reviews=None):
    """make_sample's scorer for `year` (its Y and K are module globals, read at call time)."""
    ms.Y, ms.K = year, year - 2020
    try:
        return ms.score(energy[1], indicators, targets, projects, reviews)
    finally:
        ms.Y, ms.K = LAST, LAST - 2020


def check_year(year: int, res) -> None:
    """Keep every city away from every boundary of its year (as make_sample.check does for 2024; the
    progress margin is 0.0005 here: the energy rows are data/'s — 景德镇's 2021 p is 0.2020, 九江's
    2023 p 0.59902 misses 0.6 by 0.00098, far above any floating-point noise)."""
    k = year - 2020
    for city in ms.CITIES:
        x = res[city]
        ctx = (year, city, {key: x[key] for key in ("c", "r", "p", "p_inc", "over", "total")})
        assert abs(x["p"] - k / 5) >= 0.0005 and abs(x["p_inc"] - k / 5) >= 0.0005, ctx
        assert abs(100 * x["r"] - x["a1_annual"]) >= 0.05, ctx
        assert all(abs(x["over"] - e) >= 0.005 for e in (0, 0.05, 0.10)), ctx
        assert all(abs(x["total"] - e) >= 0.01 for _, e in ms.GRADES[:3]), ctx


def write(folder: Path, name: str, header, rows) -> None:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    (folder / name).write_text(buf.getvalue(), encoding="utf-8", newline="")


def main(argv) -> None:
    grades = {}
    for year in YEARS:
        folder = OUT / str(year)
        folder.mkdir(parents=True, exist_ok=True)
        if year == LAST:
            for name in ("energy.csv", "indicators.csv", "targets.csv", "projects.csv", "reviews.csv"):
                shutil.copyfile(HERE / name, folder / name)
            read = lambda n: ms.read_csv(n)  # noqa: E731 - data/'s own files
            energy, indicators, targets = read("energy.csv"), read("indicators.csv"), read("targets.csv")
            res = score_year(year, energy, indicators, targets, read("projects.csv"), read("reviews.csv"))
            ms.check(res)  # the 2024 sample as make_sample.py asserts it (with §8/§9)
        else:
            energy, targets, indicators = tables(year)
            for name, table in (("energy.csv", energy), ("targets.csv", targets), ("indicators.csv", indicators)):
                write(folder, name, *table)
            res = score_year(year, energy, indicators, targets)
            check_year(year, res)
        grades[year] = {c: (res[c]["grade"], res[c]["rank"], res[c]["total"]) for c in ms.CITIES}
        if "--check" in argv:
            print(f"{year}:")
            ms.report(res)
    for city, changes in CHANGES.items():
        seen = [grades[y][city][0] for y in YEARS]
        assert seen == changes, (city, seen)
    print(f"wrote {', '.join(str(y) for y in YEARS)} to {OUT}")


CHANGES = {  # the cities whose grade changes over the years (module docstring)
    "景德镇": ["完成", "未完成", "未完成", "完成"],
    "九江": ["完成", "未完成", "未完成", "完成"],
    "萍乡": ["超额完成", "超额完成", "超额完成", "完成"],
    "赣州": ["完成", "完成", "完成", "未完成"],
    "抚州": ["超额完成", "超额完成", "超额完成", "基本完成"],
}


if __name__ == "__main__":
    main(sys.argv[1:])
