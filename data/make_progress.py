"""Write data/progress.csv: the 2025 H1 barometer sample (RULEBOOK §10), from the 2024 annual sample.

2024 H1 is about half of each city's 2024 year in energy.csv (energy 49 %, GDP 48 %, 原料用能 and
renewable power 50 %). 2025 H1 follows from a chosen intensity reduction r and adjusted-consumption
growth G per city (renewable power +8 %, 原料用能 +3 %), GDP then being what makes both hold. The
script reads back the figures it writes (2 decimals), recomputes §10 with its own copy of the
formulas (not the engine's), asserts each city's intended levels and keeps every figure clear of the
boundaries. The targets are data/targets.csv's rows, taken as the 2025 targets (see README.md, "Barometer").
Standard library only; the same output on every run:

    python3 data/make_progress.py
"""

from __future__ import annotations

import csv
from pathlib import Path

HERE = Path(__file__).resolve().parent
Y, P = 2025, "H1"
SHARE = {"energy_total": 0.49, "gdp": 0.48, "energy_raw": 0.50, "renewable_power": 0.50}

# city: (100·r, 100·G, intended intensity level, total level)
PLAN = {
    "南昌": (3.40, 1.20, "绿", "绿"),
    "景德镇": (3.10, 1.00, "绿", "绿"),
    "萍乡": (2.85, 1.50, "黄", "绿"),  # 0.15 pp short of its 3.0 %: within 10 % of the target
    "九江": (3.20, 4.00, "绿", "红"),  # fast growth: consumption far above what its growth allows
    "新余": (-1.50, 3.00, "红", "红"),  # intensity rose (steel): the §10 advice
    "鹰潭": (3.00, 1.50, "绿", "绿"),
    "赣州": (3.00, 2.00, "绿", "绿"),
    "吉安": (1.50, 1.00, "红", "绿"),  # 1.3 pp short of 2.8 %, more than 10 % of the target
    "宜春": (3.60, 2.00, "绿", "绿"),
    "抚州": (3.10, 2.10, "绿", "黄"),  # growth just above g* = 1.9985 %, within 10 % of it
    "上饶": (3.00, 1.80, "绿", "绿"),
}


def read(name: str) -> list[dict]:
    with open(HERE / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def levels(cur: dict, prev: dict, tg: dict) -> tuple[str, str, float, float, float, float]:
    """§10 from the written figures: (intensity level, total level, g, 0.1·A1, G, g*)."""
    def net(x):
        return x["energy_total"] - x["energy_raw"]

    r = 1 - (net(cur) / cur["gdp"]) / (net(prev) / prev["gdp"])
    a1 = tg["A1_annual"]
    g = a1 - 100 * r
    li = "绿" if g <= 0 else ("黄" if g <= 0.1 * a1 and r > 0 else "红")
    e = net(cur) - max(0.0, cur["renewable_power"] - prev["renewable_power"])
    big_g = e / net(prev) - 1
    gs = (1 + tg["gdp_growth"] / 100) * (1 - tg["T5"] / 100) ** 0.2 - 1
    lt = "绿" if big_g <= gs else ("黄" if big_g - gs <= 0.1 * abs(gs) else "红")
    return li, lt, g, 0.1 * a1, big_g, gs


def main() -> None:
    energy = {(r["city"], int(r["year"])): {k: float(v) for k, v in r.items() if k not in ("city", "year")}
              for r in read("energy.csv")}
    targets = {r["city"]: {k: float(r[k]) for k in ("T5", "gdp_growth", "A1_annual")} for r in read("targets.csv")}
    rows = []
    for city, (cut, growth, want_i, want_t) in PLAN.items():
        year = energy[(city, 2024)]
        prev = {k: round(year[k] * s, 2) for k, s in SHARE.items()}
        net_prev = prev["energy_total"] - prev["energy_raw"]
        re = round(prev["renewable_power"] * 1.08, 2)
        raw = round(prev["energy_raw"] * 1.03, 2)
        net = net_prev * (1 + growth / 100) + (re - prev["renewable_power"])  # Ê = net − new renewables
        gdp = net / (net_prev / prev["gdp"] * (1 - cut / 100))
        cur = {"energy_total": round(net + raw, 2), "energy_raw": raw, "renewable_power": re, "gdp": round(gdp, 2)}
        li, lt, g, tenth, big_g, gs = levels(cur, prev, targets[city])
        assert (li, lt) == (want_i, want_t), (city, li, lt)
        assert min(abs(g), abs(g - tenth)) >= 0.05, (city, g)  # clear of the intensity edges (pp)
        assert min(abs(big_g - gs), abs(big_g - gs - 0.1 * abs(gs))) >= 0.0005, (city, big_g, gs)
        for y, x in ((2024, prev), (Y, cur)):
            rows.append([city, y, P] + [f"{x[k]:.2f}" for k in ("energy_total", "energy_raw", "renewable_power",
                                                                  "gdp")])
        print(f"{city}\t100r {100 * (1 - (cur['energy_total'] - raw) / cur['gdp'] / (net_prev / prev['gdp'])):.4f}"
              f"\tg {g:.4f}\tG {100 * big_g:.4f}%\tg* {100 * gs:.4f}%\t{li}{lt}")
    with open(HERE / "progress.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["city", "year", "period", "energy_total", "energy_raw", "renewable_power", "gdp"])
        w.writerows(rows)


if __name__ == "__main__":
    main()
