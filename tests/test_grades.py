"""Grade edges (95/80/60), rounding half up, caps, vetoes and the tie-break order of RULEBOOK §2."""

import pytest

from builders import Dataset
from conftest import row


def lose(d: Dataset, city: str, codes: list[str]) -> None:
    """Zero out whole indicators (each loses exactly its points)."""
    for code in codes:
        d.set("indicators", city, code, 0.0)


@pytest.mark.parametrize("codes,a3,total,grade", [
    (["A8", "A9"], 100.0, 95.0, "超额完成"),                   # 100 − 3 − 2
    (["A8", "A9"], 99.75, 94.99, "完成"),                       # A3 4 × 0.0025 = 0.01 more
    (["A8", "A9"], 99.875, 95.0, "超额完成"),                   # 94.995 rounds half up to 95.00
    (["C1", "C2", "C3", "C4", "C5", "C6"], 100.0, 80.0, "完成"),
    (["C1", "C2", "C3", "C4", "C5", "C6"], 99.75, 79.99, "基本完成"),
    (["C1", "C2", "C3", "C4", "C5", "C6", "B1", "B2", "B3", "B4", "B6", "B7", "B8", "B9", "B12"], 100.0, 60.0,
     "基本完成"),
    (["C1", "C2", "C3", "C4", "C5", "C6", "B1", "B2", "B3", "B4", "B6", "B7", "B8", "B9", "B12"], 99.75, 59.99,
     "未完成"),
])
def test_grade_edges(score_ds, codes, a3, total, grade):
    ds = Dataset()
    lose(ds, "萍乡", codes)
    ds.set("indicators", "萍乡", "A3", a3)
    r = row(score_ds(ds), "萍乡")
    assert r["total"] == total
    assert r["grade"] == grade


def test_cap_g1_lowers_only_to_jiben(score_ds):
    ds = Dataset()
    ds.set("indicators", "萍乡", "A6", 99.0)   # 4 × 0.01 = 0.04 lost → 99.96
    ds.set("targets", "九江", "A6", "")        # N/A never triggers the cap
    ds.set("indicators", "九江", "A6", "")
    res = score_ds(ds)
    r = row(res, "萍乡")
    assert (r["total"], r["base_grade"], r["grade"], r["caps"]) == (99.96, "超额完成", "基本完成", "G1")
    assert row(res, "九江")["caps"] == ""


def test_cap_does_not_raise_a_lower_grade(score_ds):
    ds = Dataset()
    lose(ds, "萍乡", ["C1", "C2", "C3", "C4", "C5", "C6", "B1", "B2", "B3", "B4", "B6", "B7", "B8", "B9", "B12"])
    ds.set("indicators", "萍乡", "A4", 50.0)   # −2 → 58, 未完成 by score; G1 says "at most 基本完成"
    r = row(score_ds(ds), "萍乡")
    assert (r["total"], r["grade"], r["caps"]) == (58.0, "未完成", "G1")


def test_fraud_veto(score_ds):
    ds = Dataset()
    ds.set("indicators", "萍乡", "fraud", 1)
    ds.set("indicators", "萍乡", "D1", 2)
    res = score_ds(ds)
    r = row(res, "萍乡")
    assert (r["total"], r["base_grade"], r["grade"], r["vetoes"]) == (102.0, "超额完成", "未完成", "V2")
    assert r["rank"] == 11  # grade first: below every 超额完成 city despite the highest total


def test_default_ties_are_broken_by_administrative_code(score_ds):
    res = score_ds(Dataset())
    assert res.scores["city"].tolist() == ["南昌", "景德镇", "萍乡", "九江", "新余", "鹰潭", "赣州", "吉安", "宜春",
                                           "抚州", "上饶"]
    assert res.scores["rank"].tolist() == list(range(1, 12))


def test_tie_break_order(score_ds):
    ds = Dataset()
    # 南昌 and 景德镇: 99 each; 南昌 loses in A (A3 75% of 4 = −1), 景德镇 in B (B4 half of 2 = −1):
    # the higher A subtotal (景德镇) ranks first although its code is larger.
    ds.set("indicators", "南昌", "A3", 75.0)
    ds.set("indicators", "景德镇", "B4", 50.0)
    # 萍乡 and 九江 and 新余: 98 each with A 48 (A10 fails, 2 points); 新余 has a faster intensity fall
    # (larger p) and comes first; 萍乡 before 九江 by code.
    for c in ("萍乡", "九江", "新余"):
        ds.set("indicators", c, "A10", 0.0)
    ds.set_energy("新余", 2023, energy_total=100 + 1000 * 0.96 ** 2 * 0.95)  # r = 5%, c larger
    res = score_ds(ds)
    order = res.scores["city"].tolist()
    assert order[:6] == ["鹰潭", "赣州", "吉安", "宜春", "抚州", "上饶"]  # the untouched 100s, by code
    assert order[6:11] == ["景德镇", "南昌", "新余", "萍乡", "九江"]
    assert row(res, "新余")["A1.p"] > row(res, "萍乡")["A1.p"]
