"""Verification before scoring (RULEBOOK §8 key projects, §9 expert panels), worked by hand.

Baseline (builders.Dataset, Y = 2023): every city meets every target, A4–A7 claims are 100 t against
targets of 100 t, C1–C6 are full points, total 100 for everyone.
"""

import csv

import pytest

from builders import CITIES, REVIEW, Dataset
from conftest import ledger, row
from jxscore.core.problems import Code, InputError
from jxscore.core.verify import USCC_ALPHABET, USCC_WEIGHTS, uscc_valid
from jxscore.io.writers import verification_frame
from jxscore.service import RunOptions, run_score

POLLUTANTS = {"NOx": "A4", "VOCs": "A5", "COD": "A6", "NH3N": "A7"}


def uscc(n: int) -> str:
    body = f"91360100{n:09d}"
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(body, USCC_WEIGHTS))
    return body + USCC_ALPHABET[(31 - total % 31) % 31]


def test_credit_code_check_character():
    assert uscc_valid("91130200699229617X")          # RULEBOOK §8's example
    assert not uscc_valid("911302006992296170")      # wrong check character
    assert not uscc_valid("91130200699229617")       # 17 characters
    assert not uscc_valid("9113020069922961IX")      # I is not in the alphabet
    assert uscc_valid(uscc(7)) and not uscc_valid(uscc(7)[:-1] + ("0" if uscc(7)[-1] != "0" else "1"))


def _projects_matching_claims():
    """One kept project per city and pollutant with exactly the claimed 100 t: no finding at all."""
    rows, n = [], 0
    for c in CITIES:
        for pol in POLLUTANTS:
            n += 1
            rows.append({"project_id": f"P{n:03d}", "city": c, "name": f"{c}{pol}工程", "uscc": uscc(n),
                         "facility": f"TA{n:03d}", "pollutant": pol, "reduction": "100", "count_year": "2022",
                         "completion_date": "2022-06-30", "evidence": f"E{n}"})
    return rows


def _write(folder, name, rows):
    with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def _score(tmp_path, ds, projects=None, reviews=None):
    folder = ds.write(tmp_path / "d")
    if projects:
        _write(folder, "projects", projects)
    if reviews:
        _write(folder, "reviews", reviews)
    res, inputs = run_score(RunOptions(ds.year, folder))
    return res, inputs


def test_matching_projects_change_nothing(tmp_path):
    res, _ = _score(tmp_path, Dataset(), _projects_matching_claims())
    assert res.verification.findings == [] and set(res.scores["total"]) == {100.0}


def test_duplicates_exclusions_and_reconciliation(tmp_path):
    p = _projects_matching_claims()
    by = {(r["city"], r["pollutant"]): r for r in p}
    px, jj = by[("萍乡", "NOx")], by[("九江", "NOx")]
    px["reduction"] = "60"                                   # 萍乡 NOx: P009 60 t, kept
    p.append({**px, "project_id": "P901", "reduction": "30", "facility": "TA901", "uscc": uscc(901),
              "count_year": "2021", "completion_date": "2021-05-01"})   # + 30 t, kept: S = 90
    p.append({**px, "project_id": "P902", "count_year": "2023", "completion_date": "2023-01-15"})
    #   the same uscc + facility + NOx as P009, counted again a year later → P-DUP (another year), kept P009
    jj_dup = {**p[-2], "project_id": "P903", "city": "九江", "count_year": "2023", "completion_date": "2023-02-01"}
    p.append(jj_dup)   # P901's facility claimed by 九江 too → P-DUP (another city), kept P901 (2021 first)
    p.append({**px, "project_id": "P904", "uscc": px["uscc"][:-1] + "0" if px["uscc"][-1] != "0" else "1",
              "facility": "TA904"})                           # bad check character → P-USCC
    p.append({**px, "project_id": "P905", "facility": "TA905", "uscc": uscc(905), "count_year": "2022",
              "completion_date": "2023-03-01"})               # completed after its count year → P-LATE
    p.append({**px, "project_id": "P906", "facility": "TA906", "uscc": uscc(906), "evidence": ""})  # P-EVID
    by[("新余", "VOCs")]["reduction"] = "150"                  # 新余 claims 100 < 150 − 0.5 → R-UNDER
    by[("鹰潭", "COD")]["reduction"] = "99.5"                  # 100 ≤ 99.5 + 0.5: within tolerance
    by[("赣州", "COD")]["reduction"] = "99.4"                  # 100 > 99.4 + 0.5 → R-OVER
    jj["reduction"] = "100"
    res, inputs = _score(tmp_path, Dataset(), p)
    got = {(f.code, f.city, f.key, f.variant) for f in res.verification.findings}
    assert got == {
        ("P-DUP", "萍乡", "P902", "year"), ("P-DUP", "九江", "P903", "city"),
        ("P-USCC", "萍乡", "P904", ""), ("P-LATE", "萍乡", "P905", ""), ("P-EVID", "萍乡", "P906", ""),
        ("R-OVER", "萍乡", "A4", ""), ("R-UNDER", "新余", "A5", ""), ("R-OVER", "赣州", "A6", ""),
    }
    s = res.verification.projects.sums
    assert (s.loc["萍乡", "A4"], s.loc["九江", "A4"], s.loc["新余", "A5"]) == (90.0, 100.0, 150.0)
    # 萍乡: A4 scored with 90 of 100 → 4 × 0.9 = 3.6 points: total 99.6, and G1 caps the grade
    r = row(res, "萍乡")
    assert (r["total"], r["base_grade"], r["grade"], r["caps"]) == (99.6, "超额完成", "基本完成", "G1")
    a4 = ledger(res, "萍乡", "A4")
    assert (a4["actual"], a4["fraction"], a4["points"]) == (90.0, 0.9, pytest.approx(3.6))
    assert a4["note"].startswith("申报100吨，核定90吨，按核定量计分") and "按核定量计分" in a4["flags"]
    # 赣州: A6 (4 points) scored with 99.4 → 4 × 0.994 = 3.976: total 99.976 → 99.98, G1
    assert (row(res, "赣州")["total"], row(res, "赣州")["grade"]) == (99.98, "基本完成")
    assert (row(res, "新余")["total"], row(res, "鹰潭")["total"]) == (100.0, 100.0)
    v = verification_frame(res).set_index("key")
    assert v.loc["P902", "detail"] == "与项目P009重复（同一治理设施TA009已在2022年计入），不予认定"
    assert v.loc["P903", "detail"] == "与项目P901重复（同一治理设施TA901已由萍乡在2021年计入），不予认定"
    assert v.loc["P903", "row"] == "48" and v.loc["P903", "excluded"] == 1
    # the card's and the 核查报告's claims table: projects listed / kept / not kept, claimed, verified
    from jxscore.report.audit import city_section

    def claim(city, code):
        sec = city_section(res.criteria, inputs, res.verification, city)
        return next((x["n"], x["kept"], x["excluded"], x["claimed"], x["verified"], x["result"], x["over"])
                    for x in sec["claims"] if x["code"] == code)
    # 萍乡 NOx: P009 and P901 kept; P902 (重复), P904 (信用代码), P905 (完成前计入), P906 (缺佐证) not
    assert claim("萍乡", "A4") == (6, 2, 4, "100", "90", "按核定量计分", True)
    assert claim("九江", "A4") == (2, 1, 1, "100", "100", "相符", False)  # its own project kept, P903 not
    assert claim("新余", "A5") == (1, 1, 0, "100", "150", "申报少于核定", False)


def _panel(points=None, n=3):
    """Every city × item: n experts giving full points, unless `points[(city, item)]` says otherwise."""
    rows = []
    for c in CITIES:
        for item, full in REVIEW.items():
            for k, pts in enumerate((points or {}).get((c, item), [full] * n)):
                rows.append({"city": c, "item": item, "expert": f"专家{k + 1}", "points": str(pts)})
    return rows


def test_expert_panels(tmp_path):
    ds = Dataset()
    ds.set("indicators", "新余", "C2_unapproved", 1)
    reviews = _panel({("萍乡", "C1"): [2.5, 2.8, 2.6, 1.0, 3.0],   # §9: drop 3.0 and 1.0 → 2.633333…
                      ("九江", "C3"): [3, 4, 3.5, 3.5],             # 4 experts: plain mean 3.5
                      ("新余", "C2"): [4, 4, 5]})                   # mean 4.333…, then the deduction
    res, inputs = _score(tmp_path, ds, reviews=reviews)
    c1 = ledger(res, "萍乡", "C1")
    assert round(c1["fraction"], 6) == 0.877778 and c1["points"] == pytest.approx(2.633333, abs=1e-6)
    assert c1["note"].startswith("专家5人，去掉最高、最低分；") and "专家评审" in c1["flags"]
    assert row(res, "萍乡")["total"] == 99.63                       # 100 − 3 × (1 − 0.877778)
    assert row(res, "九江")["total"] == 99.5                        # C3: 4 × 3.5/4 = 3.5
    # 新余 C2: 4.333333/5 − 0.2 × 1 = 0.666667 → 3.333333 of 5 points: 100 − 1.666667 = 98.33
    assert row(res, "新余")["total"] == 98.33
    [spread] = [f for f in res.verification.findings if f.code == "C-SPREAD"]
    assert (spread.city, spread.key, spread.params["spread"], spread.params["limit"]) == ("萍乡", "C1", "2", "1.2")
    warned = {(w.city, w.column) for w in inputs.warnings if w.code == Code.VALUE_IGNORED_PANEL}
    assert warned == {("萍乡", "C1"), ("九江", "C3"), ("新余", "C2")}  # the indicators table's full points differ


def test_structural_problems_are_located(tmp_path):
    p = _projects_matching_claims()
    p[1]["project_id"] = p[0]["project_id"]           # duplicate id (line 3)
    p[2]["pollutant"] = "SO2"                         # unknown pollutant (line 4)
    p[3]["reduction"] = "0"                           # not > 0 (line 5)
    p[4]["completion_date"] = "2022-02-30"            # no such day (line 6)
    p[5]["count_year"] = "2024"                       # after Y = 2023 (line 7)
    p[6]["city"] = "南京"                             # unknown city (line 8)
    reviews = _panel()
    reviews = [r for r in reviews if not (r["city"] == "吉安" and r["item"] == "C4" and r["expert"] == "专家3")]
    reviews[0]["points"] = "3.5"                      # 南昌 C1 above its 3 points (line 2)
    reviews.append(dict(reviews[1]))                  # the same expert twice for 南昌 C1
    ds = Dataset()
    folder = ds.write(tmp_path / "d")
    _write(folder, "projects", p)
    _write(folder, "reviews", reviews)
    with pytest.raises(InputError) as e:
        run_score(RunOptions(2023, folder))
    got = {(x.file, x.row, x.column, x.code) for x in e.value.problems}
    assert got == {
        ("projects.csv", 3, "project_id", Code.DUPLICATE_KEY), ("projects.csv", 4, "pollutant", Code.NOT_A_CHOICE),
        ("projects.csv", 5, "reduction", Code.OUT_OF_RANGE), ("projects.csv", 6, "completion_date", Code.BAD_DATE),
        ("projects.csv", 7, "count_year", Code.OUT_OF_RANGE), ("projects.csv", 8, "city", Code.UNKNOWN_CITY),
        ("reviews.csv", 2, "points", Code.OUT_OF_RANGE),
        ("reviews.csv", len(reviews) + 1, "expert", Code.DUPLICATE_KEY),
        ("reviews.csv", None, "expert", Code.TOO_FEW_EXPERTS),
    }
    few = next(x for x in e.value.problems if x.code == Code.TOO_FEW_EXPERTS)
    assert (few.city, few.params["item"], few.value) == ("吉安", "C4", "2")


def test_audit_writes_the_findings_and_the_report_without_scoring(tmp_path):
    import subprocess

    from jxscore import service

    p = _projects_matching_claims()
    px = next(r for r in p if r["city"] == "萍乡" and r["pollutant"] == "NOx")
    px["reduction"] = "60"
    p.append({**px, "project_id": "P902", "count_year": "2023", "completion_date": "2023-01-15"})
    folder = Dataset().write(tmp_path / "d")
    _write(folder, "projects", p)
    run = service.save(service.audit(RunOptions(2023, folder)), tmp_path / "out")
    assert run.files == ["verification.csv", "verification.pdf"]
    lines = (tmp_path / "out" / "verification.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "code,city,key,table,row,excluded,detail"
    assert lines[1:] == ["R-OVER,萍乡,A4,indicators,,0,申报100吨，核定项目合计60吨，超出容差0.5吨，按核定量计分",
                         "P-DUP,萍乡,P902,projects,46,1,与项目P009重复（同一治理设施TA009已在2022年计入），不予认定"]
    text = subprocess.run(["pdftotext", str(tmp_path / "out" / "verification.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "重点减排工程与措施落实核查报告" in text and "按核定量计分" in text and "P902" in text
    with pytest.raises(Exception) as e:   # a folder with neither table: nothing to audit (a usage problem)
        service.audit(RunOptions(2023, Dataset().write(tmp_path / "plain")))
    assert [x.code for x in e.value.problems] == [Code.NOTHING_TO_AUDIT]


def test_scorecards_carry_the_verification_and_the_source_cells(tmp_path):
    from pathlib import Path

    from jxscore import service
    from jxscore.report import context
    from jxscore.report.render import render_html

    root = Path(__file__).resolve().parents[1]
    stub = {"categories": "data:,", "intensity": "data:,", "ranking": "data:,", "map": "data:,"}
    run = service.score(RunOptions(2024, root / "data"))  # the sample: 抚州's NOx claim is above its projects
    html = render_html("scorecard.html.j2", context.scorecard(run.result, run.inputs, run.manifest, "抚州"),
                       charts=stub)
    assert "五、核查情况" in html and "按核定量计分" in html and "R-OVER" in html
    assert "申报1,010吨，核定项目合计816吨" in html
    # data collected from the returned workbooks: each actual value cites its cell
    service.save(service.collect(service.CollectOptions(2024, root / "data" / "returns")), tmp_path / "d")
    run = service.score(RunOptions(2024, tmp_path / "d"))
    html = render_html("scorecard.html.j2", context.scorecard(run.result, run.inputs, run.manifest, "抚州"),
                       charts=stub)
    assert "来源：fuzhou.xlsx › 指标 › E2" in html  # A3, the first city indicator, typed in 指标!E2
