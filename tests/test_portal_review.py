"""The review cycle over HTTP (issue 15): 公示 → objections → 复查 → answers → re-score with a diff → 审定 → 公告,
then a correction after 公告 as version 2, on a fake clock, on SQLite and PostgreSQL.

Hand-worked figures (RULEBOOK §3/§5 and data/README.md's 2024 table): 宜春 scores A 50 + B 30 + C 20 + D 3 =
103.00, rank 2 behind 南昌 103.34. Its D = min(3, 1·D1) + min(2, 0.5·D2) with D1 = 1 and D2 = 5, so 1 + 2 = 3.
The objection to D1 (国家级节能减排示范、试点, +1 each, at most 3) is accepted with 指标 › E28 (D1) 1 → 3:
D1 points 1 → 3, D = 3 + 2 = 5, total 105.00 > 南昌 103.34, so 宜春 rank 2 → 1 and 南昌 1 → 2; both stay
超额完成 (≥ 100 points). No other city and no other ledger row moves.
Version 2 (after 公告) takes 萍乡's correction D1 0 → 1: 萍乡 90.38 → 91.38 (A 43.8571 + B 29.5235 + C 17.00 +
D 1), still 5th behind 景德镇 91.76 in 完成.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import shutil
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from jxscore.portal import rounds
from jxscore.portal.clock import CST, FakeClock
from jxscore.portal.db import sessions, transaction
from jxscore.portal.models import AuditEvent, Objection, ObjectionFile, Publication, StoredFile, User
from jxscore.web.app import create_app
from portal_util import RETURNS, SLUGS, START, add, client, login, new_engine

PW = "pw-review-test"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = b"%PDF-1.4\n% evidence: Yichun DRC letter on national pilots\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)
LAST_DAY = "2025-03-16"  # the form's 公示截止日期: the window closes at 2025-03-17 00:00 北京时间
WINDOW_END = datetime(2025, 3, 17, 0, 0, tzinfo=CST)


def _book(tmp: Path, slug: str, code: str, value) -> bytes:
    """A city's returned workbook with 指标's row for `code` (column A) given a new 完成值 (column E)."""
    p = tmp / f"{slug}-{code}-{value}.xlsx"
    shutil.copy(RETURNS / f"{slug}.xlsx", p)
    wb = openpyxl.load_workbook(p)
    ws = wb["指标"]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == code)
    row[4].value = value
    wb.save(p)
    return p.read_bytes()


def _client(app, name: str):
    c = client(app)
    r = login(c, name, PW)
    assert r.status_code == 303, r.text
    return c


def _tok(c, path: str) -> str:
    return CSRF.search(c.get(path).text).group(1)


def _wait(app) -> None:
    for fut in list(app.state.portal.extra.get("publish_futures", {}).values()):
        fut.result(timeout=900)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _object(c, slug: str, target: str, text: str, files: list[tuple[str, bytes, str]], token: str | None = ""):
    page = f"/2024/{slug}/objections"
    data = {"target": target, "text": text}
    if token is not None:
        data["csrf_token"] = token or _tok(c, page)
    return c.post(page, data=data, files=[("evidence", f) for f in files], follow_redirects=False)


def _stage(kb, stage: str, version: int = 1, token: str | None = ""):
    data = {"stage": stage}
    if token is not None:
        data["csrf_token"] = token or _tok(kb, "/office/2024/review")
    return kb.post(f"/office/2024/v{version}/stage", data=data, follow_redirects=False)


def _answer(kb, oid: int, decision: str, reason: str = "", fix: bytes | None = None, token: str | None = ""):
    data = {"decision": decision, "reason": reason}
    if token is not None:
        data["csrf_token"] = token or _tok(kb, "/office/2024/review")
    files = {"correction": ("yichun.xlsx", fix, XLSX)} if fix is not None else None
    return kb.post(f"/office/2024/objections/{oid}/answer", data=data, files=files, follow_redirects=False)


def _publish(kb, last_day: str = LAST_DAY, token: str | None = ""):
    data = {"window_last_day": last_day}
    if token is not None:
        data["csrf_token"] = token or _tok(kb, "/office/2024")
    return kb.post("/office/2024/publish", data=data, follow_redirects=False)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    """One round taken through the whole cycle once per backend; every response kept for the tests."""
    tmp = tmp_path_factory.mktemp(f"review_{request.param}")
    eng = new_engine(request.param, tmp, request.getfixturevalue("pg_cluster") if request.param != "sqlite" else None)
    clock = FakeClock(START)  # 2025-03-01 09:00 北京时间
    for name, role, city in (("kb", "office", None), ("yichun", "city", "宜春"), ("nanchang", "city", "南昌"),
                             ("pingxiang", "city", "萍乡")):
        add(eng, name, role, city, password=PW, clock=clock)
    with transaction(sessions(eng)) as s:  # the data collection (issue 14) is not what is tested here
        kb_user = s.scalar(select(User).where(User.name == "kb"))
        rnd = rounds.open_round(s, clock(), 2024, None, (RETURNS / "office.xlsx").read_bytes(), kb_user)
        for city, slug in SLUGS.items():
            rounds.submit(s, clock(), rnd, city, f"{slug}.xlsx", (RETURNS / f"{slug}.xlsx").read_bytes(), kb_user)
        rounds.lock(s, clock(), rnd, kb_user)
    app = create_app(engine=eng, clock=clock)
    rec: dict = {"app": app, "eng": eng, "clock": clock}
    kb, yc, nc, px = (_client(app, n) for n in ("kb", "yichun", "nanchang", "pingxiang"))
    anon = client(app)
    rec["round_page"] = kb.get("/office/2024").text
    rec["publish_past"] = _publish(kb, "2025-02-28")
    rec["publish"] = _publish(kb)
    _wait(app)
    rec["public_before"] = anon.get("/public/2024", follow_redirects=False)
    rec["public_pdf_before"] = anon.get("/public/2024/announcement.pdf", follow_redirects=False)
    rec["yc_form"] = yc.get("/2024/yichun/objections")
    rec["office_city_page"] = kb.get("/2024/yichun/objections")
    # evidence limits and a row that is not 宜春's: refused, nothing stored
    pdf = ("证明.pdf", PDF, "application/pdf")
    rec["six"] = _object(yc, "yichun", "ledger:D1", "多个材料", [(f"p{i}.pdf", PDF, "application/pdf")
                                                                   for i in range(6)])
    rec["exe"] = _object(yc, "yichun", "ledger:D1", "改名的程序", [("scan.pdf", b"MZ\x90\x00" + bytes(64),
                                                                      "application/pdf")])
    rec["big"] = _object(yc, "yichun", "ledger:D1", "大文件", [("big.pdf", b"%PDF-" + bytes(11 * 2**20),
                                                               "application/pdf")])
    rec["all_wrong"] = _object(yc, "yichun", "finding:P-DUP:XM3601026", " ", [("scan.pdf", b"MZ", "application/pdf")])
    rec["no_csrf"] = _object(yc, "yichun", "ledger:D1", "无令牌", [pdf], token=None)
    rec["office_files"] = _object(kb, "yichun", "ledger:D1", "考核办代提", [pdf])
    with transaction(sessions(eng)) as s:
        rec["objections_after_refusals"] = len(s.scalars(select(Objection)).all())
    # the two objections filed in time
    rec["yc_post"] = _object(yc, "yichun", "ledger:D1", "我市2024年新获批国家级节能减排示范试点2个，累计3个，见附件。",
                             [pdf])
    rec["nc_post"] = _object(nc, "nanchang", "finding:P-DUP:XM3601026", "该项目为2024年新建二期工程，不是重复计算。",
                             [("现场照片.png", PNG, "image/png")])
    yid = rec["yid"] = int(rec["yc_post"].headers["location"].rsplit("/", 1)[1])
    nid = rec["nid"] = int(rec["nc_post"].headers["location"].rsplit("/", 1)[1])
    rec["yc_detail"] = yc.get(f"/2024/yichun/objections/{yid}")
    rec["yc_evidence"] = yc.get(f"/2024/yichun/objections/{yid}/evidence/1")
    rec["kb_evidence"] = kb.get(f"/2024/yichun/objections/{yid}/evidence/1")
    rec["yc_list"] = yc.get("/2024/yichun/objections").text
    # another city: every way in is a 404, exactly like a page that does not exist
    rec["px_404"] = {
        "list": px.get("/2024/yichun/objections"),
        "detail": px.get(f"/2024/yichun/objections/{yid}"),
        "detail_own_slug": px.get(f"/2024/pingxiang/objections/{yid}"),
        "evidence": px.get(f"/2024/yichun/objections/{yid}/evidence/1"),
        "evidence_own_slug": px.get(f"/2024/pingxiang/objections/{yid}/evidence/1"),
        "changes": px.get("/2024/yichun/changes"),
        "answer": px.post(f"/office/2024/objections/{yid}/answer", data={
            "decision": "reject", "reason": "x", "csrf_token": _tok(px, "/2024/pingxiang/objections")}),
        "nowhere": px.get("/2024/pingxiang/objections/99999"),
    }
    rec["px_list"] = px.get("/2024/pingxiang/objections").text
    rec["yc_office"] = {"review": yc.get("/office/2024/review"),
                        "answer": yc.post(f"/office/2024/objections/{yid}/answer", data={
                            "decision": "accept", "csrf_token": _tok(yc, "/2024/yichun/objections")}),
                        "stage": yc.post("/office/2024/v1/stage",
                                         data={"stage": "复查", "csrf_token": _tok(yc, "/2024/yichun/objections")}),
                        "diff": yc.get("/office/2024/v1/r2/diff")}
    rec["early_review"] = _stage(kb, "复查")
    rec["review_in_window"] = kb.get("/office/2024/review").text
    # 24:00 of the window's last day: closed
    clock.now = WINDOW_END
    rec["late"] = _object(yc, "yichun", "ledger:D1", "逾期提出", [pdf], token=_tok(yc, "/2024/yichun/"))
    rec["yc_form_closed"] = yc.get("/2024/yichun/objections").text
    rec["into_review"] = _stage(kb, "复查")
    rec["back"] = _stage(kb, "公示")
    rec["approve_open"] = _stage(kb, "审定")
    fix = _book(tmp, "yichun", "D1", 3)
    rec["accept_no_file"] = _answer(kb, yid, "accept", "")
    rec["reject_no_reason"] = _answer(kb, nid, "reject", "  ")
    rec["accept_wrong_city"] = _answer(kb, yid, "accept", "", (RETURNS / "nanchang.xlsx").read_bytes())
    rec["accept"] = _answer(kb, yid, "accept", "经核实，国家发展改革委2024年批复宜春2个示范试点，累计3个。", fix)
    rec["reject"] = _answer(kb, nid, "reject", "XM3601026 与2021年计入的 XM3601013 为同一工程（同一信用代码）。")
    rec["answer_again"] = _answer(kb, nid, "accept", "", fix)
    rec["approve_pending"] = _stage(kb, "审定")
    rec["review_answered"] = kb.get("/office/2024/review").text
    rec["rescore"] = kb.post("/office/2024/v1/rescore", data={"csrf_token": _tok(kb, "/office/2024/review")},
                             follow_redirects=False)
    _wait(app)
    rec["rescore_again"] = kb.post("/office/2024/v1/rescore", data={"csrf_token": _tok(kb, "/office/2024/review")})
    rec["diff"] = kb.get("/office/2024/v1/r2/diff")
    rec["diff_csv"] = kb.get("/office/2024/v1/r2/diff.csv")
    rec["no_diff_r1"] = kb.get("/office/2024/v1/r1/diff")
    rec["yc_changes"] = yc.get("/2024/yichun/changes").text
    rec["nc_changes"] = nc.get("/2024/nanchang/changes").text
    rec["yc_card"] = yc.get("/2024/yichun/").text
    rec["yc_detail_after"] = yc.get(f"/2024/yichun/objections/{yid}").text
    rec["nc_detail_after"] = nc.get(f"/2024/nanchang/objections/{nid}").text
    rec["review_rescored"] = kb.get("/office/2024/review").text
    rec["approve"] = _stage(kb, "审定")
    rec["public_approved"] = anon.get("/public/2024", follow_redirects=False)
    rec["announce"] = _stage(kb, "公告")
    _wait(app)
    rec["public"] = anon.get("/public/2024", follow_redirects=False)
    rec["public_pdf"] = anon.get("/public/2024/announcement.pdf")
    rec["announcement"] = kb.get("/office/2024/announcement")
    rec["announcement_pdf"] = kb.get("/office/2024/announcement.pdf")
    rec["review_announced"] = kb.get("/office/2024/review").text
    # a correction after 审定 (here after 公告) is version 2; version 1 reads as before
    rec["v1_scores"] = kb.get("/office/2024/v1/scores").content
    rec["v1_card"] = yc.get("/2024/yichun/?v=1").text
    rec["correction"] = kb.post("/office/2024/correction", data={"csrf_token": _tok(kb, "/office/2024/review")},
                                files={"correction": ("pingxiang.xlsx", _book(tmp, "pingxiang", "D1", 1), XLSX)},
                                follow_redirects=False)
    rec["publish2"] = _publish(kb, "2025-04-01")
    _wait(app)
    rec["v1_scores_after"] = kb.get("/office/2024/v1/scores").content
    rec["v2_scores"] = kb.get("/office/2024/v2/scores").content
    rec["v1_card_after"] = yc.get("/2024/yichun/?v=1").text
    rec["px_v1"] = px.get("/2024/pingxiang/?v=1").text
    rec["px_v2"] = px.get("/2024/pingxiang/").text
    rec["review_v2"] = kb.get("/office/2024/review").text
    rec["round_v2"] = kb.get("/office/2024").text
    rec["public_v2"] = anon.get("/public/2024", follow_redirects=False)
    rec["px_ranking_v2"] = px.get("/2024/ranking")  # v2 in 公示: the city's ranking is still v1's, announced
    rec["correction_in_review"] = kb.post("/office/2024/correction",
                                          data={"csrf_token": _tok(kb, "/office/2024/review")},
                                          files={"correction": ("pingxiang.xlsx", _book(tmp, "pingxiang", "D1", 2),
                                                                XLSX)})
    # CSRF: every new form refused without its token, before anything is read
    rec["csrf"] = {
        "objection": _object(yc, "yichun", "ledger:D1", "x", [pdf], token=None),
        "stage": _stage(kb, "复查", version=2, token=None),
        "answer": _answer(kb, yid, "reject", "x", token=None),
        "rescore": kb.post("/office/2024/v2/rescore", data={}),
        "correction": kb.post("/office/2024/correction", data={}),
        "publish": _publish(kb, token=None),
    }
    with transaction(sessions(eng)) as s:
        rec["audit"] = [(e.action, e.user_name, e.target, e.detail) for e in
                        s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
        rec["stored_evidence"] = [(f.label, s.get(StoredFile, f.file_id).sha256)
                                  for f in s.scalars(select(ObjectionFile).order_by(ObjectionFile.id))]
        rec["pubs"] = [(p.version, p.revision, p.status) for p in
                       s.scalars(select(Publication).order_by(Publication.id))]
    for c in (kb, yc, nc, px, anon):
        c.close()
    yield rec
    eng.dispose()


def test_publishing_puts_version_1_up_for_公示_with_the_window_chosen(world):
    page = world["round_page"]
    assert 'name="window_last_day" value="2025-03-16"' in page  # default: 15 days on (1 March + 15)
    past = world["publish_past"]
    assert past.status_code == 400 and "公示截止日期“2025-02-28”无效" in past.text
    assert world["publish"].status_code == 303
    form = _text(world["yc_form"].text)
    assert world["yc_form"].status_code == 200
    assert "公示期至 2025-03-16 24:00（北京时间）截止" in form and "公示" in form
    # the form lists 宜春's own ledger rows and findings only
    html = world["yc_form"].text
    assert '<option value="ledger:D1">D1 国家级节能减排示范、试点：实际 1 个，得分 1.00 / ' in html
    assert 'value="finding:P-DUP:XM3609028"' in html  # 宜春's own finding (萍乡's project claimed)
    assert "XM3601026" not in html  # 南昌's finding
    assert 'name="evidence" multiple' in html and 'enctype="multipart/form-data"' in html
    # the office reads the city's page but files nothing for it
    assert world["office_city_page"].status_code == 200 and "<select" not in world["office_city_page"].text
    assert world["office_files"].status_code == 404


def test_evidence_limits_and_bad_targets_are_refused_in_chinese(world):
    six, exe, big, wrong = world["six"], world["exe"], world["big"], world["all_wrong"]
    assert six.status_code == 400 and "证明材料共6个，最多5个" in six.text
    assert exe.status_code == 400 and "证明材料scan.pdf不是PDF或图片（PNG、JPEG）" in exe.text
    assert big.status_code == 413 and "文件big.pdf过大（11.0 MB）：上限为10 MB" in big.text
    # every problem at once: another city's finding, no text, a program
    assert wrong.status_code == 400
    for msg in ("异议对象finding:P-DUP:XM3601026不是宜春本市的台账行或核查结论", "请填写异议理由",
                "证明材料scan.pdf不是PDF或图片"):
        assert msg in wrong.text, msg
    assert "<select" in wrong.text  # the form shown again
    assert world["no_csrf"].status_code == 403
    assert world["objections_after_refusals"] == 0


def test_objections_in_time_are_stored_with_their_evidence(world):
    assert world["yc_post"].status_code == 303
    assert world["yc_post"].headers["location"] == f"/2024/yichun/objections/{world['yid']}"
    detail = _text(world["yc_detail"].text)
    assert f"异议#{world['yid']}" in detail and "待答复" in detail
    assert "D1 国家级节能减排示范、试点：实际 1 个" in detail and "累计3个" in detail
    assert hashlib.sha256(PDF).hexdigest() in detail
    ev = world["yc_evidence"]
    assert ev.content == PDF and ev.headers["content-type"] == "application/pdf"
    assert ev.headers["content-disposition"] == f'attachment; filename="objection-{world["yid"]}-1.pdf"'
    assert world["stored_evidence"] == [("证明.pdf", hashlib.sha256(PDF).hexdigest()),
                                        ("现场照片.png", hashlib.sha256(PNG).hexdigest())]
    # the office's download is audited, the city's own is not
    downloads = [(u, t) for a, u, t, _ in world["audit"] if a == "download" and t.startswith("objection")]
    assert downloads == [("kb", f"objection {world['yid']} evidence 1")]
    assert world["kb_evidence"].content == PDF
    assert f"异议#{world['yid']}" in world["yc_list"] and "该项目为2024年新建二期工程" not in world["yc_list"]


def test_another_city_gets_404_for_everything_of_宜春(world):
    for what, r in world["px_404"].items():
        assert r.status_code == 404, what
        assert "页面不存在" in r.text, what
    assert "异议#" not in world["px_list"]  # 萍乡 has none, and sees none of the others'
    for what, r in world["yc_office"].items():
        assert r.status_code == 404, what


def test_the_window_holds_to_the_second_on_the_servers_clock(world):
    early = world["early_review"]
    assert early.status_code == 409 and "公示期至2025-03-16 24:00（北京时间）才结束：公示期内不能进入复查" in early.text
    review = _text(world["review_in_window"])
    assert "公示期至 2025-03-16 24:00（北京时间）截止，截止后方可进入复查" in review
    assert re.search(r"<button type=\"submit\" disabled>进入复查</button>", world["review_in_window"])
    late = world["late"]
    assert late.status_code == 409
    assert "不能再提出异议：当前阶段为“公示”，公示期截止于2025-03-16 24:00（北京时间）" in late.text
    closed = _text(world["yc_form_closed"])
    assert "公示期已于 2025-03-16 24:00（北京时间）截止，不能再提出异议" in closed
    assert "<select" not in world["yc_form_closed"]


def test_a_stage_never_goes_back_and_审定_waits_for_answers_and_the_re_score(world):
    assert world["into_review"].status_code == 303
    back = world["back"]
    assert back.status_code == 409
    assert "不能进入“公示”阶段：当前为“复查”，下一阶段只能是“审定”" in back.text
    assert world["approve_open"].status_code == 409 and "尚有2条异议未答复" in world["approve_open"].text
    assert world["approve_pending"].status_code == 409
    assert "尚有1条已采纳的异议未重新计分：重新计分后才能审定" in world["approve_pending"].text
    assert "重新计分（1 条已采纳的异议）" in world["review_answered"]
    assert world["approve"].status_code == 303
    # the timeline: each stage with its time (北京时间) and who
    tl = _text(re.search(r'<ol class="timeline">(.*?)</ol>', world["review_announced"], re.S).group(1))
    assert re.fullmatch(r" ?公示 2025-03-01 09:00（北京时间） · kb（随发布自动进入） · 公示期至 2025-03-16 24:00 "
                        r"复查 2025-03-17 00:00（北京时间） · kb 审定 2025-03-17 00:00（北京时间） · kb "
                        r"公告 2025-03-17 00:00（北京时间） · kb ?", tl), tl


def test_answers_need_a_correction_or_a_reason_and_are_given_once(world):
    assert world["accept_no_file"].status_code == 409
    assert "采纳异议须上传更正后的工作簿" in world["accept_no_file"].text
    assert world["reject_no_reason"].status_code == 409 and "不予采纳须写明理由" in world["reject_no_reason"].text
    wrong = world["accept_wrong_city"]
    assert wrong.status_code == 409 and "属于南昌，而异议来自宜春" in wrong.text
    assert world["accept"].status_code == 303 and world["reject"].status_code == 303
    assert world["answer_again"].status_code == 409
    assert f"第{world['nid']}号异议已答复，不能重复答复" in world["answer_again"].text
    corrections = [t for a, _, t, _ in world["audit"] if a == "correction"]
    assert corrections == ["2024 宜春", "2024 萍乡"]  # the refused ones stored nothing
    nc = _text(world["nc_detail_after"])
    assert "不予采纳" in nc and "与2021年计入的 XM3601013 为同一工程" in nc


def test_the_re_score_moves_宜春_to_first_and_the_diff_shows_exactly_that(world):
    yid = world["yid"]
    assert world["rescore"].status_code == 303
    assert world["rescore_again"].status_code == 409 and "无需重新计分" in world["rescore_again"].text
    rows = list(csv.DictReader(io.StringIO(world["diff_csv"].content.decode("utf-8-sig"))))
    got = [(r["kind"], r["city"], r["code"], r["fields"], r["total_old"], r["total_new"], r["rank_old"],
            r["rank_new"], r["actual_old"], r["actual_new"], r["points_old"], r["points_new"], r["cause"])
           for r in rows]
    # D1's points are fraction × weight (1/3 × 3 = 0.999999999 as the CSV writes 10 digits): compared as numbers
    assert [g[:10] + g[12:] for g in got] == [
        ("city", "南昌", "", "rank", "103.34", "103.34", "1", "2", "", "", ""),
        ("city", "宜春", "", "total;rank", "103", "105", "2", "1", "", "", ""),
        ("ledger", "宜春", "D1", "actual;fraction;points", "", "", "", "", "1", "3", f"异议#{yid}"),
    ]
    assert [float(x) for x in got[2][10:12]] == [pytest.approx(1, abs=1e-6), pytest.approx(3, abs=1e-6)]
    assert (float(rows[2]["fraction_old"]), float(rows[2]["fraction_new"])) == (pytest.approx(1 / 3), 1.0)
    assert world["diff_csv"].headers["content-disposition"] == 'attachment; filename="diff-2024-v1-r2.csv"'
    page = world["diff"]
    assert page.status_code == 200
    cities = re.findall(r"<tr[^>]*>\s*<td>(\S+)</td>\s*<td class=\"num[^\"]*\">([^<]+)</td>\s*<td[^>]*>([^<]+)</td>"
                        r"\s*<td class=\"num[^\"]*\">([^<]+)</td>", page.text)
    assert cities == [("南昌", "103.34 → 103.34", "超额完成 → 超额完成", "1 → 2"),
                      ("宜春", "103.00 → 105.00", "超额完成 → 超额完成", "2 → 1")]
    ledger = _text(re.search(r'<table class="diff-ledger">(.*?)</table>', page.text, re.S).group(1))
    assert "宜春 D1 国家级节能减排示范、试点 1 → 3 1.00 → 3.00 3.00" in ledger and f"异议#{yid}" in ledger
    assert f'href="/2024/yichun/objections/{yid}">异议#{yid}</a>' in page.text
    assert ledger.count(" → ") == 4  # the header's two and one row's actual and points
    assert world["no_diff_r1"].status_code == 404


def test_each_city_sees_the_moved_cities_and_only_its_own_rows(world):
    yc, nc = world["yc_changes"], world["nc_changes"]
    for page in (yc, nc):
        assert "103.00 → 105.00" in page and "1 → 2" in page
    assert "D1 国家级节能减排示范、试点" in yc and f"异议#{world['yid']}" in yc
    # read as text: a random CSRF token in the page's hidden input can hold the letters "D1"
    assert "D1" not in _text(nc) and "本市的计分明细没有变化" in nc
    card = _text(world["yc_card"])
    assert "105.00" in card and re.search(r"全省排名 1 / 11", card)
    after = _text(world["yc_detail_after"])
    assert "采纳" in after and "已计入第 1 版第 2 次计分" in after


def test_公告_opens_the_public_page_and_the_announcement(world):
    for key in ("public_before", "public_pdf_before", "public_approved"):
        r = world[key]
        assert r.status_code == 404 and "页面不存在" in r.text, key  # a real 404, not the login page
    assert world["announce"].status_code == 303
    pub = world["public"]
    assert pub.status_code == 200
    rows = re.findall(r"<tr><td class=\"num\">(\d+)</td><td>([^<]+)</td><td class=\"num\">([^<]+)</td>"
                      r"<td>([^<]+)</td></tr>", pub.text)
    assert rows[:5] == [("1", "宜春", "105.00", "超额完成"), ("2", "南昌", "103.34", "超额完成"),
                        ("3", "九江", "101.00", "完成"), ("4", "景德镇", "91.76", "完成"),
                        ("5", "萍乡", "90.38", "完成")]
    assert len(rows) == 11 and "经省政府审定同意" in pub.text and "2025年3月17日" in pub.text
    text = _text(pub.text)
    assert "九江：等级封顶（G2）" in text and "新余：一票否决（V1）" in text
    assert world["public_pdf"].content.startswith(b"%PDF") and world["public_pdf"].content == \
        world["announcement_pdf"].content
    ann = world["announcement"]
    assert ann.status_code == 200 and 'href="/office/2024/announcement.pdf"' in ann.text
    assert ann.text.count('href="/office/2024/announcement/') == 12  # 11 final cards and the summary
    assert "公告" in world["review_announced"] and "进入复查" not in world["review_announced"]


def test_a_correction_after_审定_is_version_2_and_version_1_reads_as_before(world):
    assert world["correction"].status_code == 303 and world["publish2"].status_code == 303
    assert world["pubs"] == [(1, 1, "done"), (1, 2, "done"), (2, 1, "done")]
    assert world["v1_scores_after"] == world["v1_scores"]
    v1 = {r["city"]: r for r in csv.DictReader(io.StringIO(world["v1_scores"].decode("utf-8-sig")))}
    v2 = {r["city"]: r for r in csv.DictReader(io.StringIO(world["v2_scores"].decode("utf-8-sig")))}
    assert (v1["萍乡"]["total"], v2["萍乡"]["total"], v2["萍乡"]["rank"]) == ("90.38", "91.38", "5")
    assert (v1["宜春"]["rank"], v2["宜春"]["rank"]) == ("1", "1")
    superseded = ('<p class="warn" role="note">这是第 1 版（已被第 2 版取代）。'
                  '<a href="/2024/yichun/">查看最新版</a></p>\n')
    assert superseded in world["v1_card_after"] and superseded not in world["v1_card"]

    def results(page: str) -> str:  # the version's own figures (the history below shows each year's latest)
        return page.replace(superseded, "").split("<h2>历年考核结果</h2>")[0]

    assert results(world["v1_card_after"]) == results(world["v1_card"]) and "105.00" in results(world["v1_card"])
    assert "90.38" in world["px_v1"] and "91.38" in world["px_v2"]
    review = world["review_v2"]
    assert re.search(r'id="v2">\s*<h2>第 2 版 · 当前阶段 <span class="badge stage">公示</span>', review)
    assert re.search(r'id="v1">\s*<h2>第 1 版 · 当前阶段 <span class="badge stage">公告</span>', review)
    assert "阶段 <span class=\"badge stage\">公示</span>" in world["round_v2"]
    assert world["public_v2"].status_code == 200  # version 1's announcement stands while version 2 is in 公示
    refused = world["correction_in_review"]
    assert refused.status_code == 409 and "第2版正处于“公示”阶段" in refused.text


def test_every_new_form_needs_its_csrf_token(world):
    for what, r in world["csrf"].items():
        assert r.status_code == 403, what


def test_the_cycle_is_in_the_audit_log(world):
    acts = [(a, u, t) for a, u, t, _ in world["audit"]]
    yid, nid = world["yid"], world["nid"]
    for ev in (("objection", "yichun", "2024 v1 宜春 ledger:D1"), ("evidence", "yichun", f"objection {yid}"),
               ("objection", "nanchang", "2024 v1 南昌 finding:P-DUP:XM3601026"),
               ("stage", "kb", "2024 v1 公示"), ("stage", "kb", "2024 v1 复查"), ("stage", "kb", "2024 v1 审定"),
               ("stage", "kb", "2024 v1 公告"), ("answer", "kb", f"objection {yid}"),
               ("answer", "kb", f"objection {nid}"),
               ("rescore", "kb", "2024 v1 r2"), ("download", "kb", "2024 v1 r2 diff")):
        assert ev in acts, ev
    answers = [d for a, _, _, d in world["audit"] if a == "answer"]
    assert answers == ["采纳", "不予采纳"]


def test_while_version_2_is_in_review_a_city_reads_the_announced_ranking_of_version_1(world):
    r = world["px_ranking_v2"]
    assert r.status_code == 200
    text = _text(r.text)
    assert "第 1 版" in text or "第1版" in text
    assert "105.00" in text and "91.38" not in text  # v1: 宜春 105 after its objection; v2's 萍乡 91.38 not yet
