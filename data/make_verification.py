#!/usr/bin/env python3
"""Write the jxscore verification sample: projects.csv (RULEBOOK §8) and reviews.csv (§9), year 2024.

Standard library only, deterministic (no random module: every "random" choice is a SHA-256 of a
fixed text), does not import jxscore.  It reads data/indicators.csv and data/targets.csv (written by
make_sample.py) and writes next to them:

    python3 data/make_verification.py

projects.csv — the key emission-reduction project list behind A4–A7 (one row per project and pollutant).
  * For every city and pollutant whose indicator applies (a target in targets.csv), 4–9 projects whose
    reductions (one decimal each, the last part taking the remainder) add up EXACTLY to the city's claim
    in indicators.csv — so scoring with the list changes nothing — except:
      - 抚州 NOx: the projects add up to only 816.0 t (85 % of its A4 target 960 t) against a claim of
        1010 t → R-OVER, A4 scored with 816 → f 0.85 → G1 caps 抚州 at 基本完成;
      - 九江 VOCs: one more valid project (48.6 t) that the city left out of its claim → R-UNDER (a warning).
  * Planted problems, each one EXTRA row (so the sums above are unaffected):
      - P-DUP, another city: 萍乡's steel-plant NOx project claimed again by 宜春, counted 2024;
      - P-DUP, another year: a 南昌 sewage plant's COD counted in 2021 and again in 2024;
      - P-USCC: a 上饶 COD project whose credit code has one digit mistyped;
      - P-LATE: a 抚州 NOx project counted in 2024 but completed in 2025;
      - P-EVID: a 吉安 NH3N project (a pig farm) without any supporting documents.
reviews.csv — 3–7 experts per city and item C1–C6 whose §9 value (n ≥ 5: drop one highest and one
  lowest, mean of the rest; n = 3, 4: plain mean) equals the city's C value in indicators.csv; one panel
  disagrees (吉安 C2, max − min 2.5 > 0.4 × 5 → C-SPREAD) while its trimmed mean is still 3.5.

All names, credit codes, facility codes, dates, document numbers and experts are ILLUSTRATIVE (invented;
any likeness to a real enterprise is accidental).  Credit codes are valid GB 32100-2015 codes (the
organisation-code part carries a valid GB 11714 check character too), with the city's administrative code
in positions 3–8.
"""
from __future__ import annotations

import csv
import hashlib
import io
from decimal import Decimal
from pathlib import Path

OUT = Path(__file__).resolve().parent
Y = 2024
CITIES = ["南昌", "景德镇", "萍乡", "九江", "新余", "鹰潭", "赣州", "吉安", "宜春", "抚州", "上饶"]
CODES = dict(zip(CITIES, ["360100", "360200", "360300", "360400", "360500", "360600",
                          "360700", "360800", "360900", "361000", "361100"]))
# short forms used in document numbers (洪 = 南昌, 饶 = 上饶, ...)
ABBR = dict(zip(CITIES, ["洪", "景", "萍", "浔", "余", "鹰", "虔", "吉", "宜", "抚", "饶"]))
POLLUTANTS = {"NOx": "A4", "VOCs": "A5", "COD": "A6", "NH3N": "A7"}
REVIEW_POINTS = {"C1": 3, "C2": 5, "C3": 4, "C4": 3, "C5": 3, "C6": 2}
EXPERTS = [f"专家{x}" for x in "ABCDEFG"]
D1 = Decimal("0.1")

# The one over-claiming city: its NOx projects add up to 85 % of its A4 target (960 t → 816.0 t).
OVER_CITY, OVER_POLLUTANT, OVER_SHARE = "抚州", "NOx", Decimal("0.85")
# The R-UNDER case: a valid project on top of a list that matches the claim exactly.
UNDER_CITY, UNDER_POLLUTANT, UNDER_EXTRA = "九江", "VOCs", Decimal("48.6")
# The disagreeing expert panel: (city, item) → the experts' points (trimmed mean 3.5 = 吉安's C2).
SPREAD_PANEL = ("吉安", "C2", ["3.4", "3.5", "3.6", "4.0", "1.5"])


def h(*parts) -> int:
    """A deterministic pseudo-random integer for a text key."""
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:8], "big")


def u(*parts) -> float:
    """A deterministic pseudo-random number in [0, 1)."""
    return h(*parts) / 2 ** 64


# ---------------------------------------------------------------------------------------------
# 统一社会信用代码 (GB 32100-2015) with a GB 11714 organisation code in positions 9–17
# ---------------------------------------------------------------------------------------------
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ORG_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # letters restricted to what a USCC may hold


def uscc_check(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def org_check(first8: str) -> str:
    value = lambda ch: int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10  # noqa: E731
    c = 11 - sum(value(ch) * w for ch, w in zip(first8, ORG_WEIGHTS)) % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def make_uscc(city: str, key: str) -> str:
    """'91' (企业) + the city's code + an organisation code + the check character."""
    if h("org-kind", key) % 2:  # registered after 2015: MA3… codes
        body = "MA3" + "".join(ORG_CHARS[h("org", key, i) % len(ORG_CHARS)] for i in range(5))
    else:  # an older enterprise: an 8-digit organisation code
        body = "".join(str(h("org", key, i) % 10) for i in range(8))
    first17 = "91" + CODES[city] + body + org_check(body)
    return first17 + uscc_check(first17)


def valid_uscc(code: str) -> bool:
    return (len(code) == 18 and all(ch in USCC_ALPHABET for ch in code)
            and uscc_check(code[:17]) == code[17])


# ---------------------------------------------------------------------------------------------
# Project kinds per pollutant: (enterprise name ending, project name ending, facility code prefix)
# ---------------------------------------------------------------------------------------------
NOX = [("钢铁有限公司", "烧结机烟气脱硝改造工程", "TA"),
       ("水泥有限公司", "水泥熟料生产线SCR脱硝改造工程", "TA"),
       ("热电有限公司", "燃煤机组超低排放改造工程", "DA"),
       ("玻璃有限公司", "玻璃熔窑烟气脱硝工程", "TA"),
       ("建材有限公司", "燃气锅炉低氮燃烧改造工程", "TA"),
       ("化工有限公司", "工业炉窑烟气脱硝改造工程", "TA"),
       ("新材料有限公司", "回转窑烟气SNCR脱硝工程", "TA"),
       ("发电有限公司", "燃煤锅炉超低排放改造工程", "DA"),
       ("焦化有限公司", "焦炉烟气脱硫脱硝工程", "TA")]
VOC = [("汽车有限公司", "涂装线VOCs深度治理工程", "TA"),
       ("印刷包装有限公司", "印刷废气收集与催化燃烧工程", "TA"),
       ("制药有限公司", "有机溶剂废气RTO治理工程", "TA"),
       ("化工有限公司", "有机废气蓄热焚烧改造工程", "TA"),
       ("电子科技有限公司", "有机废气沸石转轮浓缩治理工程", "TA"),
       ("家具有限公司", "喷涂废气治理工程", "TA"),
       ("涂料有限公司", "生产线VOCs收集治理工程", "TA"),
       ("工程机械有限公司", "喷漆房废气治理工程", "TA"),
       ("石化有限公司", "储罐及装卸油气回收改造工程", "TA")]
COD_IND = [("造纸有限公司", "制浆造纸废水深度处理工程", "TW"),
           ("食品有限公司", "废水处理站提标改造工程", "TW"),
           ("纺织印染有限公司", "印染废水提标改造工程", "TW"),
           ("制药有限公司", "制药废水预处理改造工程", "TW"),
           ("酒业有限公司", "酿造废水厌氧处理工程", "TW")]
NH3_IND = [("化肥有限公司", "氨氮废水吹脱回收工程", "TW"),
           ("化工有限公司", "含氨废水汽提处理工程", "TW"),
           ("冶金有限公司", "氨氮废水治理工程", "TW")]
FARM = ("牧业有限公司", "规模化养猪场粪污资源化利用工程", "")  # a farm has no permit facility code
# What each city is known for comes first on its lists (illustrative).
LOCAL = {
    "南昌": {
        "NOx": [("特钢有限公司", "烧结机烟气脱硝改造工程", "TA")],
        "VOCs": [("汽车有限公司", "涂装线VOCs深度治理工程", "TA")],
    },
    "景德镇": {
        "NOx": [("陶瓷有限公司", "陶瓷窑炉低氮燃烧改造工程", "TA")],
        "VOCs": [("航空部件有限公司", "喷漆废气治理工程", "TA")],
    },
    "萍乡": {
        "NOx": [("钢铁有限公司", "烧结机烟气脱硝改造工程", "TA"), ("工业陶瓷有限公司", "窑炉烟气脱硝工程", "TA")],
    },
    "九江": {
        "VOCs": [("石化有限公司", "储罐及装卸油气回收改造工程", "TA")],
        "NOx": [("石化有限公司", "催化裂化烟气脱硝工程", "TA")],
    },
    "新余": {
        "NOx": [("钢铁有限公司", "焦炉烟气脱硫脱硝工程", "TA")],
        "VOCs": [("光伏科技有限公司", "有机废气沸石转轮浓缩治理工程", "TA")],
    },
    "鹰潭": {
        "NOx": [("铜业有限公司", "冶炼炉窑烟气脱硝工程", "TA")],
    },
    "赣州": {
        "NH3N": [("稀土有限公司", "冶炼分离氨氮废水治理工程", "TW")],
        "NOx": [("钨业有限公司", "回转窑烟气脱硝工程", "TA")],
    },
    "吉安": {
        "VOCs": [("电子科技有限公司", "线路板有机废气治理工程", "TA")],
    },
    "宜春": {
        "NH3N": [("锂业有限公司", "含氨废水MVR蒸发回收工程", "TW")],
        "NOx": [("锂业有限公司", "焙烧窑烟气脱硝工程", "TA")],
    },
    "抚州": {
        "VOCs": [("生物医药有限公司", "发酵废气治理工程", "TA")],
    },
    "上饶": {
        "VOCs": [("光伏材料有限公司", "有机废气RTO治理工程", "TA")],
        "NOx": [("铜业有限公司", "冶炼烟气脱硝工程", "TA")],
    },
}
BRANDS = ["恒泰", "华兴", "宏远", "鑫达", "瑞丰", "金桥", "天祥", "永安", "昌盛", "正和", "联创", "远航",
          "华源", "新峰", "鼎力", "润达", "绿源", "博创", "明辉", "通达", "安泰", "凯盛", "金源", "长青",
          "中瑞", "东升", "海诚", "荣达", "同创", "福祥", "嘉和", "伟业", "恒丰", "启明", "众合", "兴旺"]
AREAS = ["城北", "城南", "城东", "城西", "高新区", "经开区", "工业园区", "临港", "滨江", "新区"]


STEEL_CITIES = ("南昌", "萍乡", "九江", "新余")  # the cities with a B1 (steel) target


def allowed(city: str, kind: tuple[str, str, str]) -> bool:
    """Steel works only in the steel cities, a refinery only in 九江 (on its LOCAL list)."""
    return not (("钢铁" in kind[0] and city not in STEEL_CITIES) or "石化" in kind[0])


def split(total: Decimal, n: int, key: str) -> list[Decimal]:
    """n parts with one decimal each, proportional to pseudo-random weights; the last takes the rest."""
    w = [Decimal(str(round(0.5 + u("w", key, i), 3))) for i in range(n)]
    parts = [(total * wi / sum(w)).quantize(D1) for wi in w[:-1]]
    parts.append(total - sum(parts))
    assert all(p >= Decimal("1.0") for p in parts), (key, parts)
    return parts


class Builder:
    def __init__(self):
        self.rows: list[dict[str, str]] = []
        self.seq = {c: 0 for c in CITIES}
        self.brand_used: dict[str, set] = {c: set() for c in CITIES}

    def next_id(self, city: str) -> str:
        self.seq[city] += 1
        return f"XM{CODES[city][:4]}{self.seq[city]:03d}"

    def brand(self, city: str, key: str) -> str:
        assert len(self.brand_used[city]) < len(BRANDS), city
        i = h("brand", city, key) % len(BRANDS)
        while BRANDS[i] in self.brand_used[city]:
            i = (i + 1) % len(BRANDS)
        self.brand_used[city].add(BRANDS[i])
        return BRANDS[i]

    def enterprise(self, city: str, kind: tuple[str, str, str], key: str) -> dict[str, str]:
        """A project (enterprise + works): name, credit code, facility, count year, dates, evidence."""
        ent_end, works, prefix = kind
        brand = self.brand(city, key)
        year = 2021 + h("year", city, key) % 4  # count_year 2021–2024
        month, day = 1 + h("month", city, key) % 12, 1 + h("day", city, key) % 28
        done_year = year - 1 if year > 2021 and month >= 10 and h("prev", city, key) % 3 == 0 else year
        facility = f"{prefix}{1 + h('fac', city, key) % 3:03d}" if prefix else ""
        uscc = make_uscc(city, f"{city}|{key}")
        approval = f"{ABBR[city]}环审〔{done_year - 1}〕{3 + h('doc', city, key) % 58}号"
        if done_year == year:  # accepted a month or two after completion, within the count year
            check = f"{year}-{min(12, month + 1 + h('acc', city, key) % 2):02d}"
        else:  # completed in the last quarter of the year before, accepted early in the count year
            check = f"{year}-{1 + h('acc', city, key) % 3:02d}"
        if prefix == "":
            evidence = f"{ABBR[city]}农字〔{done_year}〕{5 + h('doc', city, key) % 40}号；项目验收意见{check}"
        elif h("evkind", city, key) % 3 == 0:
            evidence = f"排污许可证{uscc}001P；验收监测报告{check}"
        else:
            evidence = f"{approval}；验收报告{check}"
        if ent_end.endswith("污水处理厂"):
            name = f"{city}{ent_end}{works}"
        else:
            name = f"{city}{brand}{ent_end}{works}"
        return dict(name=name, uscc=uscc, facility=facility, count_year=str(year),
                    completion_date=f"{done_year}-{month:02d}-{day:02d}", evidence=evidence)

    def add(self, city: str, project: dict[str, str], pollutant: str, reduction: Decimal) -> dict[str, str]:
        row = dict(project_id=self.next_id(city), city=city, name=project["name"], uscc=project["uscc"],
                   facility=project["facility"], pollutant=pollutant, reduction=f"{reduction:.1f}",
                   count_year=project["count_year"], completion_date=project["completion_date"],
                   evidence=project["evidence"])
        self.rows.append(row)
        return row


def read_csv(name: str) -> dict[str, dict[str, str]]:
    with open(OUT / name, encoding="utf-8", newline="") as fh:
        return {r["city"]: r for r in csv.DictReader(fh)}


def build_projects(indicators, targets) -> tuple[list[str], list[dict[str, str]], dict]:
    b = Builder()
    planted: dict[str, str] = {}
    lists: dict[tuple[str, str], list[dict[str, str]]] = {}
    for city in CITIES:
        local = LOCAL.get(city, {})
        # sewage plants: one project, a COD row and an NH3N row (same credit code and facility)
        plants = []
        for i in range(3 + h("plants", city) % 2):
            area = AREAS[(h("area", city) + i) % len(AREAS)]
            plants.append(b.enterprise(city, (f"{area}污水处理厂", "提标改造工程", "TW"), f"plant{i}"))
        farm = b.enterprise(city, FARM, "farm") if h("farm", city) % 2 else None
        for pol, code in POLLUTANTS.items():
            if targets[city][code] == "":
                continue  # the indicator does not apply: no list
            n = 4 + h("n", city, pol) % 6  # 4–9 projects
            if pol in ("NOx", "VOCs"):
                kinds = local.get(pol, []) + [k for k in (NOX if pol == "NOx" else VOC)
                                              if k not in local.get(pol, []) and allowed(city, k)]
                off = h("kinds", city, pol) % len(kinds) if not local.get(pol) else 0
                kinds = kinds[off:] + kinds[:off]
                projects = [b.enterprise(city, kinds[i % len(kinds)], f"{pol}{i}") for i in range(n)]
            else:
                ind = local.get(pol, []) + (COD_IND if pol == "COD" else NH3_IND)
                projects = list(plants) + ([farm] if farm else [])
                projects += [b.enterprise(city, ind[i % len(ind)], f"{pol}{i}") for i in range(n - len(projects))]
                projects = projects[:n]
            claim = Decimal(indicators[city][code])
            total = (Decimal(targets[city][code]) * OVER_SHARE).quantize(D1) \
                if (city, pol) == (OVER_CITY, OVER_POLLUTANT) else claim
            projects.sort(key=lambda p: (p["count_year"], p["completion_date"], p["name"]))
            parts = split(total, len(projects), f"{city}|{pol}")
            lists[city, pol] = [b.add(city, p, pol, x) for p, x in zip(projects, parts)]

    def extra(city, project, pol, amount, code):
        row = b.add(city, project, pol, Decimal(amount))
        planted[row["project_id"]] = code
        return row

    # --- planted problems: each one extra row -------------------------------------------------
    # P-DUP another city: 萍乡's steel-plant NOx works claimed again by 宜春 in 2024.
    src = next(r for r in lists["萍乡", "NOx"] if "钢铁" in r["name"] and r["count_year"] < "2024")
    extra("宜春", dict(src, count_year="2024"), "NOx", src["reduction"], "P-DUP")
    # P-DUP another year: a 南昌 sewage plant's COD (its first one counted before 2024) counted again in 2024.
    src = next(r for r in lists["南昌", "COD"] if "污水处理厂" in r["name"] and r["count_year"] < "2024")
    extra("南昌", dict(src, count_year="2024"), "COD", src["reduction"], "P-DUP")
    # P-USCC: a 上饶 COD project whose credit code was typed with one digit wrong.
    p = b.enterprise("上饶", ("食品有限公司", "废水处理站提标改造工程", "TW"), "typo")
    good = p["uscc"]
    pos = next(i for i in range(10, 17) if good[i].isdigit())
    bad = good[:pos] + str((int(good[pos]) + 5) % 10) + good[pos + 1:]
    assert valid_uscc(good) and not valid_uscc(bad)
    extra("上饶", dict(p, uscc=bad), "COD", "126.4", "P-USCC")
    # P-LATE: a 抚州 NOx project counted in 2024, completed in March 2025.
    p = b.enterprise("抚州", ("建材有限公司", "燃气锅炉低氮燃烧改造工程", "TA"), "late")
    p.update(count_year="2024", completion_date="2025-03-18",
             evidence=f"{ABBR['抚州']}环审〔2023〕41号；施工合同2024-05")
    extra("抚州", p, "NOx", "96.5", "P-LATE")
    # P-EVID: a 吉安 pig farm's NH3N without any supporting documents (待补充佐证材料).
    p = b.enterprise("吉安", FARM, "noevid")
    extra("吉安", dict(p, evidence=""), "NH3N", "18.7", "P-EVID")
    # R-UNDER: a valid 九江 VOCs project (completed late 2024) the city left out of its claim.
    p = b.enterprise("九江", ("涂料有限公司", "生产线VOCs收集治理工程", "TA"), "under")
    p.update(count_year="2024", completion_date="2024-11-26",
             evidence=f"{ABBR['九江']}环审〔2023〕52号；验收报告2024-12")
    extra("九江", p, UNDER_POLLUTANT, str(UNDER_EXTRA), "R-UNDER (kept)")

    header = ["project_id", "city", "name", "uscc", "facility", "pollutant", "reduction", "count_year",
              "completion_date", "evidence"]
    rows = sorted(b.rows, key=lambda r: r["project_id"])
    return header, rows, dict(planted=planted, lists=lists)


def panel(city: str, item: str, value: Decimal, points: int) -> list[tuple[str, Decimal]]:
    """n experts (3–7) whose §9 value is exactly `value`; max − min ≤ 0.2 × points (no C-SPREAD)."""
    if (city, item) == SPREAD_PANEL[:2]:
        scores = [Decimal(x) for x in SPREAD_PANEL[2]]
    else:
        n = 3 + h("experts", city, item) % 5
        m = n - 2 if n >= 5 else n  # the scores that are averaged
        room = min(value, points - value, Decimal("0.1") if points <= 2 else Decimal("0.2"))
        d = min(room, D1 * (1 + h("d", city, item) % 2))
        mid = [value + d, value - d] * (m // 2) + [value] * (m % 2)
        scores = list(mid)
        if n >= 5:  # one highest and one lowest, dropped by the trimmed mean
            up = min(points - max(mid), D1 * (h("up", city, item) % 2))
            down = min(min(mid), D1 * (h("down", city, item) % 2))
            scores += [max(mid) + up, min(mid) - down]
        # the order the score sheets come in
        scores = [x for _, x in sorted(enumerate(scores), key=lambda ix: h("order", city, item, ix[0]))]
    start = h("who", city, item) % len(EXPERTS)
    names = sorted((EXPERTS * 2)[start:start + len(scores)])
    return list(zip(names, scores))


def panel_value(scores: list[Decimal]) -> Decimal:
    s = sorted(scores)
    used = s[1:-1] if len(s) >= 5 else s
    return sum(used) / len(used)


def build_reviews(indicators) -> tuple[list[str], list[list[str]]]:
    rows = []
    for city in CITIES:
        for item, points in REVIEW_POINTS.items():
            value = Decimal(indicators[city][item])
            experts = panel(city, item, value, points)
            scores = [x for _, x in experts]
            assert 3 <= len(scores) <= 7 and all(0 <= x <= points for x in scores), (city, item, scores)
            assert panel_value(scores) == value, (city, item, scores)
            floats = sorted(float(f"{x:.1f}") for x in scores)
            used = floats[1:-1] if len(floats) >= 5 else floats
            assert abs(sum(used) / len(used) - float(value)) < 1e-9  # and as the engine reads the text
            spread = max(scores) - min(scores) > Decimal("0.4") * points
            assert spread == ((city, item) == SPREAD_PANEL[:2]), (city, item, scores)
            rows += [[city, item, name, f"{x:.1f}"] for name, x in experts]
    return ["city", "item", "expert", "points"], rows


def check_projects(header, rows, info, indicators, targets):
    """The list does what the docstring says (an independent re-check lives in make_sample.py)."""
    ids = [r["project_id"] for r in rows]
    assert len(ids) == len(set(ids))
    keys = {}
    for r in rows:
        assert r["pollutant"] in POLLUTANTS and 2021 <= int(r["count_year"]) <= Y
        if r["project_id"] not in info["planted"]:
            assert valid_uscc(r["uscc"]) and r["evidence"] and int(r["completion_date"][:4]) <= int(r["count_year"])
            assert r["uscc"][2:8] == CODES[r["city"]], r
            key = (r["uscc"], r["facility"], r["pollutant"])
            assert key not in keys, (r, keys.get(key))  # no accidental duplicate
            keys[key] = r["project_id"]
    for city in CITIES:
        for pol, code in POLLUTANTS.items():
            if targets[city][code] == "":
                continue
            texts = [r["reduction"] for r in info["lists"][city, pol]]
            assert 4 <= len(texts) <= 9
            claim = float(indicators[city][code])
            s = 0.0
            for t in texts:
                s += float(t)
            if (city, pol) == (OVER_CITY, OVER_POLLUTANT):
                assert round(s, 9) == round(float(targets[city][code]) * float(OVER_SHARE), 9) == 816.0
            else:
                assert round(s, 9) == round(claim, 9), (city, pol, s, claim)
    assert sorted(info["planted"].values()) == ["P-DUP", "P-DUP", "P-EVID", "P-LATE", "P-USCC", "R-UNDER (kept)"]


def write_csv(name, header, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    (OUT / name).write_text(buf.getvalue(), encoding="utf-8", newline="")


def build():
    indicators, targets = read_csv("indicators.csv"), read_csv("targets.csv")
    header, rows, info = build_projects(indicators, targets)
    check_projects(header, rows, info, indicators, targets)
    projects = (header, [[r[c] for c in header] for r in rows])
    return projects, build_reviews(indicators), info


def main():
    projects, reviews, info = build()
    write_csv("projects.csv", *projects)
    write_csv("reviews.csv", *reviews)
    print(f"wrote projects.csv ({len(projects[1])} rows), reviews.csv ({len(reviews[1])} rows) to {OUT}")
    for pid, code in sorted(info["planted"].items()):
        print(f"  planted {code:<15} {pid}")


if __name__ == "__main__":
    main()
