"""The portal probed as a hostile user and as an auditor would (second review of issues 14 and 15).

One round on SQLite, published once (version 1, in 公示) with an objection from 南昌 and one from 吉安; the
probes guess ids, send malformed numbers and strings, and check what the audit log kept.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from jxscore.portal import publish, review, rounds
from jxscore.portal.clock import FakeClock
from jxscore.portal.db import sessions, transaction
from jxscore.portal.models import AuditEvent, Publication, User
from jxscore.web.app import create_app
from portal_util import CSRF, RETURNS, SLUGS, START, add, client, login, new_engine

PW = "hostile-pass-1"
PDF = b"%PDF-1.4\n% evidence\n"
HUGE = "9" * 30  # past every database integer


def _locked_round(eng, clock) -> int:
    """2024's round opened, every city's sample workbook submitted, locked; returns the round's id."""
    f = sessions(eng)
    with transaction(f) as s:
        kb = s.scalar(select(User).where(User.name == "kb"))
        rnd = rounds.open_round(s, clock(), 2024, None, (RETURNS / "office.xlsx").read_bytes(), kb)
        for city, slug in SLUGS.items():
            u = s.scalar(select(User).where(User.name == slug))
            assert rounds.submit(s, clock(), rnd, city, f"{slug}.xlsx", (RETURNS / f"{slug}.xlsx").read_bytes(),
                                 u).status == "ok"
        rounds.lock(s, clock(), rnd, kb)
        return rnd.id


def _users(eng, clock) -> None:
    add(eng, "kb", "office", password=PW, clock=clock)
    for city, slug in SLUGS.items():
        add(eng, slug, "city", city, password=PW, clock=clock)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    eng = new_engine("sqlite", tmp)
    clock = FakeClock(START)
    _users(eng, clock)
    _locked_round(eng, clock)
    f = sessions(eng)
    with transaction(f) as s:
        kb = s.scalar(select(User).where(User.name == "kb"))
        pid = publish.start_publication(s, clock(), rounds.get_round(s, 2024), kb).id
    assert publish.run_publication(f, pid, clock).status == "done"
    ids = {}
    with transaction(f) as s:
        rnd = rounds.get_round(s, 2024)
        for city, slug, target in (("南昌", "nanchang", "ledger:C5"), ("吉安", "jian", "ledger:A1")):
            u = s.scalar(select(User).where(User.name == slug))
            o = review.file_objection(s, clock(), rnd, 1, city, target, [review.Target(target, target)],
                                      "理由", [("证明.pdf", PDF)], u)
            ids[city] = o.id
    app = create_app(engine=eng, clock=clock)
    cs = {"office": client(app, raise_server_exceptions=False), "nc": client(app, raise_server_exceptions=False),
          "ja": client(app, raise_server_exceptions=False), "anon": client(app, raise_server_exceptions=False)}
    for who, name in (("office", "kb"), ("nc", "nanchang"), ("ja", "jian")):
        assert login(cs[who], name, PW).status_code == 303
    yield {"app": app, "c": cs, "ids": ids, "eng": eng, "clock": clock}
    for c in cs.values():
        c.close()
    eng.dispose()


def _token(c) -> str:
    return CSRF.search(c.get("/no-such-page").text).group(1)


def _events(eng, action: str) -> list[AuditEvent]:
    with transaction(sessions(eng)) as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


# ------------------------------------------------------------------ malformed numbers and strings

@pytest.mark.parametrize("who,path", [
    ("nc", f"/2024/nanchang/changes?v={HUGE}"),
    ("nc", f"/{HUGE}/nanchang/"),
    ("nc", f"/{HUGE}/nanchang/objections"),
    ("nc", f"/2024/nanchang/objections/{HUGE}"),
    ("nc", f"/2024/nanchang/objections/1/evidence/{HUGE}"),
    ("nc", f"/{HUGE}/ranking"),
    ("office", f"/office/{HUGE}"),
    ("office", f"/office/audit?before={HUGE}"),
    ("office", f"/office/2024/v{HUGE}/scores"),
    ("office", f"/office/2024/v{HUGE}/scorecard/nanchang"),
    ("office", f"/office/2024/publications/{HUGE}/status"),
    ("office", f"/office/2024/v1/r{HUGE}/diff"),
    ("office", f"/office/2024/whatif.json?v={HUGE}"),
    ("office", f"/office/{HUGE}/review"),
    ("anon", f"/public/{HUGE}"),
])
def test_a_number_past_the_database_is_a_missing_page_not_a_crash(world, who, path):
    r = world["c"][who].get(path, follow_redirects=False)
    assert r.status_code in (400, 404), (path, r.status_code)
    assert "Traceback" not in r.text and "Error" not in r.text


@pytest.mark.parametrize("path", ["/2024/南昌/", "/2024/nanchang%00/", "/2024/nanchang/?v=abc",
                                  "/2024/nanchang/?v=0", "/2024/nanchang/?v=-1", "/2024/nanchang/changes?v=0",
                                  "/2024/nanchang/changes?v=-5", "/2024/nanchang/changes?v=abc",
                                  "/2024/nanchang/objections/abc", "/2024/nanchang/objections/-1",
                                  "/2024/nanchang/?v=" + "1" * 5000])
def test_malformed_paths_and_queries_answer_in_chinese(world, path):
    r = world["c"]["nc"].get(path, follow_redirects=False)
    assert r.status_code in (400, 404), (path, r.status_code)
    assert "页面不存在" in r.text or "请求无效" in r.text


# ------------------------------------------------------------------ concurrency: two clicks

def test_publishing_twice_while_the_first_renders_is_refused(tmp_path):
    """A double click on 发布: the second finds version 1 still rendering and makes no version 2 (which would
    otherwise render after it and enter 公示 as well)."""
    from jxscore.core.problems import Code
    from jxscore.portal.rounds import PortalError

    eng = new_engine("sqlite", tmp_path)
    clock = FakeClock(START)
    _users(eng, clock)
    _locked_round(eng, clock)
    f = sessions(eng)
    with transaction(f) as s:
        kb = s.scalar(select(User).where(User.name == "kb"))
        assert publish.start_publication(s, clock(), rounds.get_round(s, 2024), kb).version == 1
    with pytest.raises(PortalError) as e, transaction(f) as s:
        kb = s.scalar(select(User).where(User.name == "kb"))
        publish.start_publication(s, clock(), rounds.get_round(s, 2024), kb)
    assert [p.code for p in e.value.problems] == [Code.STAGE_NOT_READY]
    with transaction(f) as s:
        assert [(p.version, p.status) for p in s.scalars(select(Publication))] == [(1, "rendering")]
        assert len([a for a in s.scalars(select(AuditEvent)) if a.action == "publish"]) == 1
    eng.dispose()


# ------------------------------------------------------------------ the audit log: no download without its row

def test_a_download_whose_audit_row_cannot_be_written_is_not_delivered(world, monkeypatch):
    """The request's transaction commits before the response is sent: when the office's download event cannot
    be stored, the office gets the error page, not the city's PDF with no trace in the log."""
    from jxscore.portal import audit

    real = audit.record

    def unstorable(s, now, action, **kw):
        ev = real(s, now, action, **kw)
        ev.action = None  # NOT NULL: refused by the database when the transaction commits
        return ev

    before = len(_events(world["eng"], "download"))
    monkeypatch.setattr(audit, "record", unstorable)
    r = world["c"]["office"].get("/2024/nanchang/scorecard.pdf")
    monkeypatch.setattr(audit, "record", real)
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("text/html") and "服务器内部错误" in r.text
    assert not r.content.startswith(b"%PDF")
    assert len(_events(world["eng"], "download")) == before
    ok = world["c"]["office"].get("/2024/nanchang/scorecard.pdf")
    assert ok.status_code == 200 and ok.content.startswith(b"%PDF")
    assert len(_events(world["eng"], "download")) == before + 1


# ------------------------------------------------------------------ CSRF and GETs

def _routes(app):
    """Every endpoint, the included routers' too (FastAPI keeps them behind `original_router`)."""
    def walk(routes):
        for r in routes:
            if hasattr(r, "dependant"):
                yield r
            elif hasattr(r, "router") or hasattr(r, "original_router"):
                yield from walk((getattr(r, "router", None) or r.original_router).routes)

    return list(walk(app.routes))


def _calls(dependant) -> set:
    out = {dependant.call}
    for d in dependant.dependencies:
        out |= _calls(d)
    return out


def test_every_post_checks_the_csrf_token_and_no_get_reads_a_form(world):
    from jxscore.web.forms import posted, posted_evidence

    posts = {r.path: _calls(r.dependant) for r in _routes(world["app"]) if "POST" in r.methods}
    assert len(posts) == 11
    assert [p for p, calls in posts.items() if not calls & {posted, posted_evidence}] == []
    gets = {r.path: _calls(r.dependant) for r in _routes(world["app"]) if "GET" in r.methods}
    assert [p for p, calls in gets.items() if calls & {posted, posted_evidence}] == []
    assert not [r.path for r in _routes(world["app"]) if r.methods & {"PUT", "PATCH", "DELETE"}]


def test_a_post_without_the_token_changes_nothing(world):
    nc = world["c"]["nc"]
    before = len(_events(world["eng"], "objection"))
    r = nc.post("/2024/nanchang/objections", data={"target": "ledger:C5", "text": "无令牌"},
                files={"evidence": ("a.pdf", PDF, "application/pdf")})
    assert r.status_code == 403 and "CSRF" in r.text
    r = nc.post("/2024/nanchang/objections", data={"target": "ledger:C5", "text": "别人的令牌",
                                                   "csrf_token": _token(world["c"]["ja"])})
    assert r.status_code == 403
    assert len(_events(world["eng"], "objection")) == before


# ------------------------------------------------------------------ the 公示 window, on the server's clock

def test_the_window_closes_at_24_00_beijing_time_of_its_15th_day(world):
    """Published 2025-03-01 09:00 北京时间: the 15th day is 03-16, so 03-16 23:59:59 CST (15:59:59 UTC) is in
    time and 03-17 00:00 CST (16:00:00 UTC) is not — whatever the client's clock says."""
    from datetime import UTC, datetime

    clock, nc = world["clock"], world["c"]["nc"]
    form = {"target": "ledger:C5", "text": "最后一秒"}
    try:
        clock.now = datetime(2025, 3, 16, 15, 59, 59, tzinfo=UTC)
        r = nc.post("/2024/nanchang/objections", data={**form, "csrf_token": _token(nc)}, follow_redirects=False,
                    headers={"Date": "Mon, 01 Jan 2024 00:00:00 GMT"})
        assert r.status_code == 303 and r.headers["location"].startswith("/2024/nanchang/objections/")
        filed = len(_events(world["eng"], "objection"))
        clock.now = datetime(2025, 3, 16, 16, 0, 0, tzinfo=UTC)
        r = nc.post("/2024/nanchang/objections", data={**form, "text": "晚了一秒", "csrf_token": _token(nc)},
                    follow_redirects=False)
        assert r.status_code == 409 and "2025-03-16 24:00" in r.text
        assert len(_events(world["eng"], "objection")) == filed
    finally:
        clock.now = START


# ------------------------------------------------------------------ the what-if JSON: hostile numbers

@pytest.mark.parametrize("query", ["A1=nan", "A1=inf", "A1=-inf", "A1=1e400", "A1=-5", "A1=" + "9" * 400,
                                   "ZZ9=1", "A1=1&A1=x", "rescale=maybe", "vetoes_off=NOPE", "%FF=1"])
def test_the_what_if_json_refuses_bad_settings_in_words(world, query):
    r = world["c"]["office"].get(f"/office/2024/whatif.json?{query}")
    assert r.status_code == 400, (query, r.status_code)
    probs = r.json()["problems"]
    assert probs and all(p["message"] and not p["message"].isascii() for p in probs)


# ------------------------------------------------------------------ 复查: an answer arriving while a re-score renders
# (last in the module: it moves the round on to 复查 and renders revision 2)

def test_an_objection_accepted_while_the_re_score_renders_stays_pending(world, monkeypatch):
    """南昌's objection is accepted and the re-score starts; while it collects the data, 吉安's is accepted with
    its correction. Revision 2 was scored without that correction, so only 南昌's objection is linked to it:
    吉安's stays pending and 审定 waits for another re-score."""
    from datetime import UTC, datetime

    from jxscore.core.problems import Code
    from jxscore.portal.models import Objection

    f, clock = sessions(world["eng"]), world["clock"]
    nc_id, ja_id = world["ids"]["南昌"], world["ids"]["吉安"]
    real = publish.collected_data

    def accept(oid: int, city: str, slug: str) -> None:
        with transaction(f) as s:
            rnd, kb = rounds.get_round(s, 2024), s.scalar(select(User).where(User.name == "kb"))
            fix = review.store_correction(s, clock(), rnd, f"{slug}.xlsx", (RETURNS / f"{slug}.xlsx").read_bytes(),
                                          kb, city=city)
            review.answer_objection(s, clock(), rnd, s.get(Objection, oid), True, "", fix.file_id, kb)

    def collected_then_answered(factory, round_id, folder):
        out = real(factory, round_id, folder)
        accept(ja_id, "吉安", "jian")  # the office answers 吉安 while revision 2 renders
        return out

    try:
        clock.now = datetime(2025, 3, 16, 16, 0, tzinfo=UTC)  # 2025-03-17 00:00 北京时间: the window has closed
        with transaction(f) as s:
            review.enter_stage(s, clock(), rounds.get_round(s, 2024), 1, "复查",
                               s.scalar(select(User).where(User.name == "kb")))
        accept(nc_id, "南昌", "nanchang")
        with transaction(f) as s:
            pid = review.start_rescore(s, clock(), rounds.get_round(s, 2024), 1,
                                       s.scalar(select(User).where(User.name == "kb"))).id
        monkeypatch.setattr(publish, "collected_data", collected_then_answered)
        assert review.run_rescore(f, pid, clock).status == "done"
        with transaction(f) as s:
            assert s.get(Objection, nc_id).result_publication_id == pid
            assert s.get(Objection, ja_id).result_publication_id is None
            rnd = rounds.get_round(s, 2024)
            assert [o.id for o in review.pending(s, rnd, 1)] == [ja_id]
        with pytest.raises(review.ReviewError) as e, transaction(f) as s:
            for o in review.objections(s, rounds.get_round(s, 2024), 1):
                if o.status == "open":
                    review.answer_objection(s, clock(), rounds.get_round(s, 2024), o, False, "不予采纳", None,
                                            s.scalar(select(User).where(User.name == "kb")))
            review.enter_stage(s, clock(), rounds.get_round(s, 2024), 1, "审定",
                               s.scalar(select(User).where(User.name == "kb")))
        assert [p.code for p in e.value.problems] == [Code.RESCORE_PENDING]
    finally:
        clock.now = START
