"""What a city reads and the office's what-if (issue 14 items 5 and 6): the role × route matrix on published
rounds made here (2024 by `service.report`, 2021–2023 by `service.score`), figures worked by hand."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from jxscore import service
from jxscore.portal import files, publish, views
from jxscore.portal.accounts import disable_user
from jxscore.portal.clock import FakeClock
from jxscore.portal.db import sessions, transaction
from jxscore.portal.models import STAGES, AuditEvent, Publication, Round, StageEvent, StoredFile, Submission, User
from jxscore.resources import default_criteria_path
from jxscore.service import ReportOptions, RunOptions
from jxscore.web.app import create_app
from portal_util import START, add, client, login, new_engine

ROOT = Path(__file__).parent.parent
DATA = ROOT / "data"
PW = "pw-" + "x" * 8


def _publish(s, now, year: int, out: Path, data: Path | None, slug_to_city: dict[str, str], version: int = 1,
             stages: tuple[str, ...] = ("公示", "复查", "审定", "公告")):
    rnd = s.scalars(select(Round).where(Round.year == year)).first()
    if rnd is None:
        crit = files.put(s, default_criteria_path().read_bytes(), "text/plain; charset=utf-8", now)
        rnd = Round(year=year, state="locked", criteria_file_id=crit.id, opened_at=now, locked_at=now)
        s.add(rnd)
        s.flush()
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    pub = Publication(round_id=rnd.id, version=version, status="done", input_hash=man["input_hash"],
                      created_at=now, finished_at=now)
    s.add(pub)
    s.flush()
    publish.store_outputs(s, pub, out, data, slug_to_city, now)
    for st in stages:  # the review cycle's stages, as the office would have entered them (issue 15)
        s.add(StageEvent(round_id=rnd.id, version=version, stage=st, at=now,
                         window_end=now + timedelta(days=16) if st == "公示" else None))
    return pub


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A portal with 2021–2024 published (2024 with scorecards, twice: v1 and v2; 2022 only in 公示; 2023 also
    with a v2 done but not yet put up for 公示), 2025 locked unpublished."""
    tmp = tmp_path_factory.mktemp("portal_city")
    out = tmp / "report2024"
    service.report(RunOptions(year=2024, data=DATA), ReportOptions(), out)
    clock = FakeClock(START)
    eng = new_engine("sqlite", tmp)
    app = create_app(engine=eng, clock=clock)
    p = app.state.portal
    with transaction(sessions(eng)) as s:
        for y in (2021, 2022, 2023):
            o = tmp / f"score{y}"
            service.save(service.score(RunOptions(year=y, data=DATA / "history" / str(y))), o)
            _publish(s, clock(), y, o, None, p.city_by_slug, stages=("公示",) if y == 2022 else STAGES)
        _publish(s, clock(), 2024, out, DATA, p.city_by_slug, version=1)
        clock.advance(hours=1)
        _publish(s, clock(), 2024, out, DATA, p.city_by_slug, version=2)
        _publish(s, clock(), 2023, tmp / "score2023", None, p.city_by_slug, version=2, stages=())  # not put up
        crit = files.put(s, default_criteria_path().read_bytes(), "text/plain; charset=utf-8", clock())
        s.add(Round(year=2025, state="locked", criteria_file_id=crit.id, opened_at=clock(), locked_at=clock()))
    add(eng, "office", "office", password=PW)
    add(eng, "nc", "city", "南昌", password=PW)
    add(eng, "ja", "city", "吉安", password=PW)
    add(eng, "gone", "city", "宜春", password=PW)
    yield {"app": app, "engine": eng, "clock": clock, "out": out}
    eng.dispose()


def signed_in(site, name: str):
    c = client(site["app"])
    r = login(c, name, PW)
    assert r.status_code == 303, r.text
    return c


def anon(site):
    return client(site["app"])


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def _stored(site, year: int, version: int, kind: str, city: str = "") -> StoredFile:
    with transaction(sessions(site["engine"])) as s:
        pub = views.published(s, year, version)
        f = views.document(s, pub, kind, city)
        s.expunge(f)
        return f


ROUTES = ["/city", "/2024/nanchang/", "/2024/nanchang/scorecard.pdf", "/2024/nanchang/ledger.csv", "/2024/ranking",
          "/office/2024/whatif", "/office/2024/whatif.json?A1=25"]


@pytest.mark.parametrize("path", ROUTES)
def test_anonymous_is_sent_to_login(site, path):
    r = anon(site).get(path, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/login")


def test_city_reads_its_own_pages(site):
    c = signed_in(site, "nc")
    home = c.get("/city")
    assert home.status_code == 200
    for link in ("/2024/nanchang/", "/2024/nanchang/scorecard.pdf", "/2024/ranking", "/2023/nanchang/"):
        assert f'href="{link}"' in home.text, link
    assert "/2025/nanchang/" not in home.text and "尚未发布" in home.text  # 2025: locked, not published
    page = c.get("/2024/nanchang/")
    assert page.status_code == 200
    text = re.sub(r"<[^>]+>", " ", page.text)
    # the sample's first city (tests/test_sample_independent.py): 南昌 103.34 超额完成, 1st of 11
    assert "103.34" in text and "超额完成" in text and "/ 11" in text
    # losses, largest first: C5 review 2.5 of 3 (−0.50), B7 10.5 % of 11 % (2·(1 − 10.5/11) = 0.09),
    # A9 14 % of 14.5 % (2·(1 − 14/14.5) = 0.07): 0.66 in all
    losses = page.text.split('class="losses"')[1].split("</table>")[0]
    assert [m for m in re.findall(r"<td>([A-D][0-9]+) ", losses)] == ["C5", "B7", "A9"]
    assert "本市共失分 0.66 分" in text
    assert "P-DUP" in page.text and "XM3601026" in page.text  # its finding in verification.csv
    assert "吉安" not in text  # nothing of another city on a city's page


def test_pdf_is_the_stored_document(site):
    c = signed_in(site, "nc")
    r = c.get("/2024/nanchang/scorecard.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content == (site["out"] / "scorecards" / "nanchang.pdf").read_bytes()
    assert _sha(r.content) == _stored(site, 2024, 2, "scorecard", "南昌").sha256
    assert r.headers["content-disposition"] == ("attachment; filename=\"nanchang-2024-v2.pdf\"; "
                                                "filename*=UTF-8''%E5%8D%97%E6%98%8C-2024-v2.pdf")
    old = c.get("/2024/nanchang/scorecard.pdf?v=1")
    assert old.status_code == 200 and 'filename="nanchang-2024-v1.pdf"' in old.headers["content-disposition"]
    assert c.get("/2024/nanchang/scorecard.pdf?v=3").status_code == 404


def test_ledger_csv_is_the_citys_rows_only(site):
    c = signed_in(site, "nc")
    r = c.get("/2024/nanchang/ledger.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="nanchang-2024-v2.csv"' in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert {x["city"] for x in rows} == {"南昌"} and len(rows) == 36  # the scheme's 36 indicators
    a1 = next(x for x in rows if x["indicator"] == "A1")
    assert (a1["points"], a1["weight"]) == ("20", "20")
    # the stored file's 南昌 rows, byte for byte apart from the other cities
    stored = _stored(site, 2024, 2, "ledger").data.decode("utf-8-sig").splitlines()
    assert r.content.decode("utf-8-sig").splitlines() == [stored[0]] + [x for x in stored[1:]
                                                                        if x.startswith("南昌,")]


def test_ledger_csv_guard():
    """Text a spreadsheet would run is quoted; stored numbers (negative too) stay numbers."""
    data = views.ledger_csv(["city", "note", "actual"], [{"city": "南昌", "note": "=HYPERLINK(1)", "actual": "-0.08"},
                                                         {"city": "南昌", "note": "@SUM(A1)", "actual": "-1e-05"},
                                                         {"city": "南昌", "note": "-x", "actual": "12"}])
    assert data.decode("utf-8") == ("\ufeffcity,note,actual\n南昌,'=HYPERLINK(1),-0.08\n南昌,'@SUM(A1),-1e-05\n"
                                    "南昌,'-x,12\n")


@pytest.mark.parametrize("path", ["/2024/jian/", "/2024/jian/scorecard.pdf", "/2024/jian/ledger.csv",
                                  "/2024/jian/?v=1", "/2024/jian/?v=abc", "/2025/nanchang/",
                                  "/2025/nanchang/scorecard.pdf", "/2025/ranking", "/2030/nanchang/",
                                  "/abc/nanchang/", "/office/2024/whatif", "/office/2024/whatif.json?A1=25"])
def test_city_gets_the_same_404_as_a_page_that_does_not_exist(site, path):
    c = signed_in(site, "nc")
    nothing = c.get("/2024/nosuch/")
    r = c.get(path)
    assert (r.status_code, r.text) == (404, nothing.text), path
    assert nothing.status_code == 404 and "页面不存在" in nothing.text


def test_ranking_as_published(site):
    c = signed_in(site, "ja")
    r = c.get("/2024/ranking")
    assert r.status_code == 200
    body = r.text.split("<tbody>")[1].split("</tbody>")[0]
    rows = [re.sub(r"<[^>]+>", " ", x).split() for x in body.split("</tr>") if "<td" in x]
    # tests/test_sample_independent.py: 南昌 103.34 超额完成 first, 吉安 60.71 未完成 (V1; G1 G2) last
    assert rows[0][:4] == ["1", "南昌", "103.34", "超额完成"]
    assert rows[-1][:4] == ["11", "吉安", "60.71", "未完成"] and rows[-1][-3:] == ["V1", "G1", "G2"]
    assert [x[1] for x in rows] == ["南昌", "宜春", "九江", "景德镇", "萍乡", "抚州", "鹰潭", "上饶", "赣州", "新余",
                                    "吉安"]
    assert 'href="/2024/jian/"' in body and 'href="/2024/nanchang/"' not in body  # only its own city is a link
    with transaction(sessions(site["engine"])) as s:
        table = views.ranking(s, views.published(s, 2024))
    assert (table[0].city, table[0].total, table[-1].city, table[-1].total) == ("南昌", 103.34, "吉安", 60.71)
    assert table[-1].vetoes == ("V1",) and table[-1].caps == ("G1", "G2")


def test_history_over_the_published_rounds(site):
    """data/history: 景德镇 完成 in 2021, 未完成 in 2022 and 2023, 完成 in 2024 (tests/test_history.py)."""
    with transaction(sessions(site["engine"])) as s:
        h = views.city_history(s, "景德镇")
    assert [(x.year, x.grade) for x in h] == [(2021, "完成"), (2022, "未完成"), (2023, "未完成"), (2024, "完成")]
    assert (h[-1].version, h[-1].rank, h[-1].total, h[-1].n_cities) == (2, 4, 91.76, 11)
    page = signed_in(site, "office").get("/2024/jingdezhen/")
    hist = page.text.split('class="city-history"')[1].split("</table>")[0]
    grades = re.findall(r"<td>(完成|未完成|基本完成|超额完成)</td>", hist)
    assert grades == ["完成", "未完成", "未完成", "完成"]


def test_office_sees_every_city_and_its_downloads_are_audited(site):
    c = signed_in(site, "office")
    for slug in ("jian", "nanchang", "shangrao"):
        assert c.get(f"/{2024}/{slug}/").status_code == 200
    assert c.get("/city").status_code == 404  # the office has no city of its own
    for path in ("/2025/nanchang/", "/2025/ranking"):  # locked, not published: the round's office page
        r = c.get(path, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/office/2025"), path
    assert c.get("/2025/nanchang/scorecard.pdf").status_code == 404  # no file before publication
    assert c.get("/2030/nanchang/").status_code == 404  # no round at all
    r = c.get("/2024/jian/scorecard.pdf")
    assert r.status_code == 200
    led = c.get("/2024/jian/ledger.csv?v=1")
    assert led.status_code == 200
    signed_in(site, "ja").get("/2024/jian/scorecard.pdf")  # a city's own download is not an office download
    with transaction(sessions(site["engine"])) as s:
        ev = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "download").order_by(AuditEvent.id)))
    assert [(e.user_name, e.target, e.detail) for e in ev[-2:]] == [
        ("office", "2024/jian/scorecard.pdf", "v2"), ("office", "2024/jian/ledger.csv", "v1")]
    assert ev[-2].sha256 == _stored(site, 2024, 2, "scorecard", "吉安").sha256 == _sha(r.content)
    assert ev[-1].sha256 == _sha(led.content)
    assert all(e.user_name == "office" for e in ev)


def test_older_version_is_marked(site):
    c = signed_in(site, "nc")
    r = c.get("/2024/nanchang/?v=1")
    assert r.status_code == 200 and "这是第 1 版（已被第 2 版取代）" in r.text
    assert 'href="/2024/nanchang/scorecard.pdf?v=1"' in r.text
    assert "已被" not in c.get("/2024/nanchang/").text


def test_disabled_user_is_signed_out(site):
    c = signed_in(site, "gone")
    assert c.get("/2024/yichun/").status_code == 200
    with transaction(sessions(site["engine"])) as s:
        disable_user(s, site["clock"](), "gone")
    for path in ("/2024/yichun/", "/2024/yichun/scorecard.pdf", "/city"):
        r = c.get(path, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/login"), path


def test_pages_have_no_inline_script_or_style(site):
    c = signed_in(site, "office")
    for path in ("/2024/nanchang/", "/2024/ranking", "/office/2024/whatif"):
        html = c.get(path).text
        assert " style=" not in html and "<style" not in html and " on" + "click=" not in html, path
        assert re.findall(r"<script[^>]*>[^<]", html) == [], path
    assert '<script src="/static/whatif.js" defer></script>' in c.get("/office/2024/whatif").text
    js = c.get("/static/whatif.js")
    assert js.status_code == 200 and "innerHTML" not in js.text


# ------------------------------------------------------------------ what-if

def test_whatif_page_sliders(site):
    c = signed_in(site, "office")
    r = c.get("/office/2024/whatif")
    assert r.status_code == 200
    for code, points in (("A", "50.0"), ("B", "30.0"), ("C", "20.0"), ("A1", "20.0"), ("C6", None)):
        assert f'id="wi-{code}" data-code="{code}"' in r.text, code
        if points:
            assert f'id="wi-{code}" data-code="{code}" data-default="{points}"' in r.text
    assert 'id="wi-D"' not in r.text and "加分项（上限 5 分），不调整" in r.text  # bonus: shown, not a weight
    assert "敏感性分析" in r.text and "保持规定排名的概率" in r.text
    # Sobol' indices as the sensitivity PDF prints them: each with its 95 % interval, a negative estimate ≈0
    sobol = re.search(r"Sobol 指数）：(.*?)。</p>", r.text).group(1)
    assert re.fullmatch(r"A 目标完成 一阶 [\d.≈]+（[−\d.]+～[\d.]+）、总效应 [\d.]+（[−\d.]+～[\d.]+）；B .*", sobol)
    assert "一阶 ≈0（" in sobol and "-0." not in sobol


def _cities(data):
    return {c["city"]: c for c in data["cities"]}


def test_whatif_a1_25_rescaled(site):
    """A1 20 → 25: A+B+C = 105, every weight × 100/105 (README): A1 23.81, A2 4.76. A city's new total is
    (A + B + C + 5·f_A1)·100/105 + D with its A1 fraction f (A has no renormalised indicator in 2024):
    南昌 f 1: (49.931034 + 29.909091 + 19.5 + 5)/1.05 + 4 = 103.37; 萍乡 f 0.7: (43.857143 + 29.523511 + 17
    + 3.5)/1.05 = 89.41; 吉安 f 0: (21.678373 + 27.029883 + 12)/1.05 = 57.82. Grades hold (vetoes and caps
    decide them for 九江 … 吉安), and within each grade the order holds: no city moves."""
    c = signed_in(site, "office")
    r = c.get("/office/2024/whatif.json?A1=25")
    assert r.status_code == 200
    d = r.json()
    w = {x["code"]: x for x in d["weights"]}
    assert (w["A1"]["points"], w["A2"]["points"], w["A"]["points"], w["B"]["points"]) == (23.81, 4.76, 52.38, 28.57)
    assert "A1（单位GDP能耗降低）设为25分，折算后23.81分（原20分）" in d["description"]
    t = _cities(d)
    assert (t["南昌"]["total"], t["萍乡"]["total"], t["吉安"]["total"]) == (103.37, 89.41, 57.82)
    assert (t["萍乡"]["base_total"], t["萍乡"]["delta"]) == (90.38, -0.97)
    assert d["movers"] == [] and all(x["rank"] == x["base_rank"] for x in d["cities"])
    assert [x["city"] for x in d["cities"]][:2] == ["南昌", "宜春"]


def test_whatif_a1_25_not_rescaled(site):
    """rescale=0: A1 counts 25, nothing else changes, so a city gains 5·f_A1: 南昌 103.34 + 5 = 108.34, 萍乡
    (f 0.7) 90.38 + 3.5 = 93.88, 吉安 (f 0) stays 60.71. Grades by score move where a threshold is crossed:
    景德镇 96.76 ≥ 95 → 超额完成, 3rd, ahead of 九江 (106.00, capped 完成 by G2) now 4th; 上饶 82.32 ≥ 80 →
    完成, 6th, ahead of 抚州 (104.40) and 鹰潭 (96.62), both capped 基本完成 by G1, now 7th and 8th."""
    d = signed_in(site, "office").get("/office/2024/whatif.json?A1=25&rescale=0").json()
    t = _cities(d)
    assert {x["code"]: x["points"] for x in d["weights"]}["A1"] == 25.0
    assert (t["南昌"]["total"], t["萍乡"]["total"], t["吉安"]["total"], t["吉安"]["delta"]) == (108.34, 93.88, 60.71, 0)
    assert "A+B+C不折算" in d["description"]
    assert sorted(d["movers"]) == sorted(["景德镇", "九江", "上饶", "抚州", "鹰潭"])
    assert [(t[c]["rank"], t[c]["grade"]) for c in ("景德镇", "九江", "上饶", "抚州", "鹰潭")] == [
        (3, "超额完成"), (4, "完成"), (6, "完成"), (7, "基本完成"), (8, "基本完成")]
    assert t["上饶"]["why"].startswith("排名由第8名升至第6名；等级由“基本完成”升为“完成”；总分77.32→82.32分")
    assert t["上饶"]["why"].endswith("超过抚州、鹰潭")


def test_whatif_c_40_moves_pingxiang_past_jingdezhen(site):
    """C 20 → 40: A+B+C = 120, × 100/120. 景德镇 (49.280106 + 27.980124 + 2·14.5)/1.2 = 88.55,
    萍乡 (43.857143 + 29.523511 + 2·17)/1.2 = 89.48: both still 完成 (≥ 80), 萍乡 4th, 景德镇 5th."""
    d = signed_in(site, "office").get("/office/2024/whatif.json?C=40").json()
    t = _cities(d)
    assert (t["萍乡"]["rank"], t["萍乡"]["total"], t["萍乡"]["grade"]) == (4, 89.48, "完成")
    assert (t["景德镇"]["rank"], t["景德镇"]["total"], t["景德镇"]["grade"]) == (5, 88.55, "完成")
    assert sorted(d["movers"]) == ["景德镇", "萍乡"] and t["萍乡"]["rank_change"] == 1
    assert t["萍乡"]["why"].startswith("排名由第5名升至第4名；总分90.38→89.48分（-0.90分）")
    assert t["萍乡"]["why"].endswith("超过景德镇") and t["景德镇"]["why"].endswith("被萍乡超过")
    assert [x["city"] for x in d["cities"]][3:5] == ["萍乡", "景德镇"]


def test_whatif_bad_parameters_are_400_in_chinese(site):
    c = signed_in(site, "office")
    r = c.get("/office/2024/whatif.json?A1=abc")
    assert r.status_code == 400
    (p,) = r.json()["problems"]
    assert (p["code"], p["path"], p["value"]) == ("scenario-value", "A1", "abc")
    assert p["message"].startswith("“abc”不可用：应为")
    r = c.get("/office/2024/whatif.json?A1=-1&X9=3&D1=1&rescale=2")
    got = sorted((p["code"], p["value"]) for p in r.json()["problems"])
    assert r.status_code == 400 and got == [("scenario-code", "D1"), ("scenario-code", "X9"),
                                            ("scenario-value", "-1"), ("scenario-value", "2")]
    assert all(re.search(r"[\u4e00-\u9fff]", p["message"]) for p in r.json()["problems"])
    assert c.get("/office/2023/whatif.json?A1=25").status_code == 404  # 2023 published without input tables
    assert c.get("/office/2025/whatif.json").status_code == 404  # locked, not published


def test_whatif_switches(site):
    """vetoes_off=V1 lifts the V1 of 新余 and 吉安 only (赣州 keeps its V2), and the description says so."""
    d = signed_in(site, "office").get("/office/2024/whatif.json?vetoes_off=V1").json()
    t = _cities(d)
    assert t["新余"]["vetoes"] == "" and t["吉安"]["vetoes"] == "" and t["赣州"]["vetoes"] == "V2"
    assert "取消一票否决V1" in d["description"]


def test_whatif_on_a_locked_round_not_yet_published(tmp_path):
    """A locked 2024 round with data/returns' eleven workbooks and office.xlsx (which collect to the sample,
    tests/test_returns.py): the what-if runs on its submissions as publishing would collect them, with the
    same hand-worked C=40 figures; the city pages still answer 404 (nothing published)."""
    clock = FakeClock(START)
    eng = new_engine("sqlite", tmp_path)
    app = create_app(engine=eng, clock=clock)
    add(eng, "office", "office", password=PW)
    add(eng, "nc", "city", "南昌", password=PW)
    returns = DATA / "returns"
    with transaction(sessions(eng)) as s:
        uid = s.scalar(select(User.id).where(User.name == "office"))
        crit = files.put(s, default_criteria_path().read_bytes(), "text/plain; charset=utf-8", clock())
        office_book = files.put(s, (returns / "office.xlsx").read_bytes(), files.media_for("office.xlsx"), clock())
        rnd = Round(year=2024, state="locked", criteria_file_id=crit.id, office_file_id=office_book.id,
                    opened_at=clock(), locked_at=clock())
        s.add(rnd)
        s.flush()
        for slug, city in app.state.portal.city_by_slug.items():
            data = (returns / f"{slug}.xlsx").read_bytes()
            f = files.put(s, data, files.media_for("x.xlsx"), clock())
            s.add(Submission(round_id=rnd.id, city=city, status="ok", file_id=f.id, sha256=f.sha256, size=f.size,
                             submitted_by=uid, submitted_at=clock()))
    c = client(app)
    assert login(c, "office", PW).status_code == 303
    page = c.get("/office/2024/whatif")
    assert page.status_code == 200 and "锁定数据预览（尚未发布）" in page.text and 'data-version=""' in page.text
    d = c.get("/office/2024/whatif.json?C=40").json()
    t = _cities(d)
    assert d["version"] is None and d["source"] == "锁定数据预览（尚未发布）"
    assert (t["萍乡"]["rank"], t["萍乡"]["total"], t["景德镇"]["rank"], t["景德镇"]["total"]) == (4, 89.48, 5, 88.55)
    assert c.get("/office/2024/whatif.json?v=1").status_code == 404  # no published version 1
    city = client(app)
    assert login(city, "nc", PW).status_code == 303
    assert city.get("/2024/nanchang/").status_code == 404 and city.get("/2024/ranking").status_code == 404


def test_whatif_page_in_a_browser(site, browser_page, live_server, tmp_path):
    """The sliders drive whatif.json under the CSP (no console errors): C set to 40 puts 萍乡 4th (moved, with
    its why) and 景德镇 5th; a bad number shows the problem in Chinese. Screenshots in tmp_path."""
    from browser import collect_errors

    base = live_server(site["app"])
    page = browser_page
    errors = collect_errors(page)
    page.goto(base + "/login")
    page.fill("input[name=username]", "office")
    page.fill("input[name=password]", PW)
    page.click("button[type=submit]")
    page.goto(base + "/office/2024/whatif")
    page.wait_for_selector("#wi-table tbody tr")
    assert page.locator("#wi-table tbody tr.moved").count() == 0
    page.fill('input[type="number"][data-code="C"]', "40")
    page.wait_for_selector("#wi-table tbody tr.moved")
    rows = page.locator("#wi-table tbody tr")
    assert rows.nth(3).locator("td").nth(1).inner_text() == "萍乡"
    assert rows.nth(3).locator("td").nth(3).inner_text() == "89.48" and "moved" in rows.nth(3).get_attribute("class")
    assert rows.nth(4).locator("td").nth(1).inner_text() == "景德镇"
    assert page.locator("#wi-table tbody tr.moved").count() == 2
    assert "排名由第5名升至第4名" in page.locator("#wi-why").inner_text()
    assert page.locator('input[type="range"][data-code="C"]').input_value() == "40"
    page.screenshot(path=str(tmp_path / "whatif.png"), full_page=True)
    page.fill('input[type="number"][data-code="B"]', "")
    page.wait_for_selector("#wi-problems:not([hidden])")
    assert "不可用" in page.locator("#wi-problems").inner_text()
    page.goto(base + "/2024/nanchang/")
    page.screenshot(path=str(tmp_path / "card.png"), full_page=True)
    page.goto(base + "/2024/ranking")
    page.screenshot(path=str(tmp_path / "ranking.png"), full_page=True)
    assert [e for e in errors if "status of 400" not in e] == []  # the bad number's 400 is the only one


def test_on_postgresql(pg_cluster, tmp_path):
    """The same reads on PostgreSQL (a score-only 2024 publication with its inputs): a city's page, ledger and
    the ranking, another city's page 404, the what-if's C=40 figures."""
    out = tmp_path / "score2024"
    service.save(service.score(RunOptions(year=2024, data=DATA)), out)
    clock = FakeClock(START)
    eng = new_engine("postgresql", tmp_path, pg_cluster)
    try:
        app = create_app(engine=eng, clock=clock)
        with transaction(sessions(eng)) as s:
            _publish(s, clock(), 2024, out, DATA, app.state.portal.city_by_slug)
            _publish(s, clock(), 2024, out, DATA, app.state.portal.city_by_slug, version=2)
        add(eng, "office", "office", password=PW)
        add(eng, "ja", "city", "吉安", password=PW)
        c = client(app)
        assert login(c, "ja", PW).status_code == 303
        page = c.get("/2024/jian/")
        assert page.status_code == 200 and "60.71" in page.text and "第 2 版" in page.text
        assert "已发布版本" in page.text and 'href="/2024/jian/?v=1"' in page.text
        assert c.get("/2024/jian/scorecard.pdf").status_code == 404  # score-only: no PDF stored
        rows = list(csv.DictReader(io.StringIO(c.get("/2024/jian/ledger.csv").content.decode("utf-8-sig"))))
        assert {x["city"] for x in rows} == {"吉安"} and len(rows) == 36
        assert c.get("/2024/nanchang/").status_code == 404
        assert "103.34" in c.get("/2024/ranking").text
        o = client(app)
        assert login(o, "office", PW).status_code == 303
        t = _cities(o.get("/office/2024/whatif.json?C=40").json())
        assert (t["萍乡"]["rank"], t["萍乡"]["total"], t["景德镇"]["rank"]) == (4, 89.48, 5)
    finally:
        eng.dispose()


def test_a_city_reads_a_version_once_it_is_put_up_and_the_ranking_once_announced(site):
    nc, office = signed_in(site, "nc"), signed_in(site, "office")
    # 2023 v2 is done but not yet in 公示: the office reads it, the city still reads v1
    assert "第 2 版，发布于" in office.get("/2023/nanchang/").text
    page = nc.get("/2023/nanchang/").text
    assert "第 1 版，发布于" in page and "第 2 版，发布于" not in page
    assert nc.get("/2023/nanchang/?v=2").status_code == 404
    # 2022 is in 公示: the city reads its own results, not the provincial ranking, which is the announced one
    r = nc.get("/2022/nanchang/")
    assert r.status_code == 200 and "公示稿" in r.text and "提出异议" in r.text
    assert nc.get("/2022/ranking").status_code == 404
    assert office.get("/2022/ranking").status_code == 200
    assert nc.get("/2021/ranking").status_code == 200
