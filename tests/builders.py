"""Small, explicit input sets for tests: every number in them is chosen so results can be worked by hand."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

CITIES = ["南昌", "景德镇", "萍乡", "九江", "新余", "鹰潭", "赣州", "吉安", "宜春", "抚州", "上饶"]
A_TARGET = ["A3", "A4", "A5", "A6", "A7", "A8", "A9", "A10"]
B_TARGET = [f"B{i}" for i in range(1, 19)]
REVIEW = {"C1": 3, "C2": 5, "C3": 4, "C4": 3, "C5": 3, "C6": 2}


class Dataset:
    """Defaults: every city meets everything (total exactly 100, 超额完成); tests change single cells.

    Energy: gdp 1000 every year, energy_raw 100, renewable 50 (no new renewables), and net energy
    (total − raw) = 1000 × 0.96^(t − 2020): intensity falls 4% a year.
    """

    def __init__(self, year: int = 2023):
        self.year = year
        rows = []
        for c in CITIES:
            for t in range(2020, year + 1):
                net = 1000 * 0.96 ** (t - 2020)
                rows.append({"city": c, "year": t, "energy_total": net + 100, "energy_raw": 100.0,
                             "renewable_power": 50.0, "gdp": 1000.0})
        self.energy = pd.DataFrame(rows)
        ind = {"city": CITIES}
        for code in A_TARGET + B_TARGET:
            ind[code] = [100.0] * 11
        ind["B5"] = [9.0] * 11  # lower is better: 9 against a target of 10
        for code, pts in REVIEW.items():
            ind[code] = [float(pts)] * 11
        for extra in ("C2_unapproved", "C2_lianggao", "D1", "D2", "fraud"):
            ind[extra] = [0] * 11
        self.indicators = pd.DataFrame(ind)
        tg = {"city": CITIES, "T5": [14.0] * 11, "T5_inc": [14.5] * 11, "gdp_growth": [7.0] * 11,
              "A1_annual": [2.9] * 11, "A2_adjust": [0.0] * 11}
        for code in A_TARGET + B_TARGET:
            tg[code] = [100.0] * 11
        tg["B5"] = [10.0] * 11
        self.targets = pd.DataFrame(tg)

    # ---- edits
    def set(self, table: str, city: str, column: str, value) -> Dataset:
        df = getattr(self, table)
        if df[column].dtype != object:
            df[column] = df[column].astype(object)
        df.loc[df["city"] == city, column] = value
        return self

    def set_energy(self, city: str, year: int, **cols) -> Dataset:
        m = (self.energy["city"] == city) & (self.energy["year"] == year)
        for k, v in cols.items():
            if isinstance(v, str):
                self.energy[k] = self.energy[k].astype(object)
            self.energy.loc[m, k] = v
        return self

    def not_applicable(self, city: str, code: str) -> Dataset:
        self.set("targets", city, code, "")
        self.set("indicators", city, code, "")
        return self

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("energy", "indicators", "targets"):
            getattr(self, name).to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")
        return folder

    def write_xlsx(self, path: Path) -> Path:
        with pd.ExcelWriter(path, engine="openpyxl") as xw:
            for name in ("energy", "indicators", "targets"):
                getattr(self, name).to_excel(xw, sheet_name=name, index=False)
        return path


def worked_example() -> Dataset:
    """RULEBOOK §7: 南昌, Y = 2023, the 2021 row omitted (optional)."""
    d = Dataset(2023)
    d.energy = d.energy[~((d.energy["city"] == "南昌") & (d.energy["year"] == 2021))].reset_index(drop=True)
    d.set_energy("南昌", 2020, energy_total=3600.0, energy_raw=300.0, renewable_power=100.0, gdp=5750.0)
    d.set_energy("南昌", 2022, energy_total=3650.0, energy_raw=310.0, renewable_power=160.0, gdp=6400.0)
    d.set_energy("南昌", 2023, energy_total=3700.0, energy_raw=320.0, renewable_power=200.0, gdp=6800.0)
    return d
