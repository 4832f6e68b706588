"""Every portal route × every kind of visitor, on SQLite and on PostgreSQL (issue 14 item 9).

The visitors: anonymous, 南昌's user on 南昌's pages (own city), 吉安's user on 南昌's pages (another city),
the office, and 宜春's user after the office disabled the account. The round is in 公示 with one objection
from 南昌 and one from 吉安. A route missing from the table fails `test_every_route_is_in_the_matrix`, so
no new page escapes the check.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from jxscore.portal import publish, review, rounds
from jxscore.portal.accounts import disable_user
from jxscore.portal.clock import FakeClock
from jxscore.portal.db import sessions, transaction
from jxscore.portal.models import User
from jxscore.web.app import create_app
from portal_util import CSRF, RETURNS, SLUGS, START, add, client, login, new_engine

PW = "matrix-pass-1"
PDF = b"%PDF-1.4\n% evidence\n"
ROLES = ("anon", "own", "other", "office", "disabled")
L = "login"  # 303 to /login
NF = 404


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(f"matrix_{request.param}")
    pg = request.getfixturevalue("pg_cluster") if request.param == "postgresql" else None
    eng = new_engine(request.param, tmp, pg)
    clock = FakeClock(START)
    add(eng, "kb", "office", password=PW)
    for city, slug in SLUGS.items():
        add(eng, slug, "city", city, password=PW)
    f = sessions(eng)
    with transaction(f) as s:
        kb = s.scalar(select(User).where(User.name == "kb"))
        rnd = rounds.open_round(s, clock(), 2024, None, (RETURNS / "office.xlsx").read_bytes(), kb)
        for city, slug in SLUGS.items():
            u = s.scalar(select(User).where(User.name == slug))
            assert rounds.submit(s, clock(), rnd, city, f"{slug}.xlsx", (RETURNS / f"{slug}.xlsx").read_bytes(),
                                 u).status == "ok"
        rounds.lock(s, clock(), rnd, kb)
        pid = publish.start_publication(s, clock(), rnd, kb).id
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
    visitors = {"anon": client(app), "office": client(app), "own": client(app), "other": client(app),
                "disabled": client(app)}
    for role, name in (("office", "kb"), ("own", "nanchang"), ("other", "jian"), ("disabled", "yichun")):
        assert login(visitors[role], name, PW).status_code == 303
    with transaction(f) as s:
        disable_user(s, clock(), "yichun")
    yield {"app": app, "v": visitors, "ids": ids, "eng": eng}
    for c in visitors.values():
        c.close()
    eng.dispose()


# (method, path, {role: expected}); a path's {nc} / {ja} is the id of 南昌's / 吉安's objection.
CITY = {"anon": L, "own": 200, "other": NF, "office": 200, "disabled": L}  # a city's page: its own and the office
CITY_ONLY = {"anon": L, "own": 200, "other": NF, "office": NF, "disabled": L}  # only the city itself
OFFICE = {"anon": L, "own": NF, "other": NF, "office": 200, "disabled": L}
NOBODY = {"anon": NF, "own": NF, "other": NF, "office": NF, "disabled": NF}  # public, not yet announced
MATRIX = [
    ("GET", "/login", {"anon": 200, "own": 303, "other": 303, "office": 303, "disabled": 200}),
    ("GET", "/", {"anon": L, "own": 303, "other": 303, "office": 303, "disabled": L}),
    ("GET", "/city", {"anon": L, "own": 200, "other": 200, "office": NF, "disabled": L}),
    ("GET", "/2024/nanchang/", CITY),
    ("GET", "/2024/nanchang/scorecard.pdf", CITY),
    ("GET", "/2024/nanchang/ledger.csv", CITY),
    ("GET", "/2024/nanchang/submission", CITY_ONLY),
    ("GET", "/2024/nanchang/objections", CITY),
    ("GET", "/2024/nanchang/objections/{nc}", CITY),
    ("GET", "/2024/nanchang/objections/{ja}", {"anon": L, "own": NF, "other": NF, "office": NF, "disabled": L}),
    ("GET", "/2024/nanchang/objections/{nc}/evidence/1", CITY),
    ("GET", "/2024/nanchang/changes", CITY),
    ("GET", "/2024/ranking", {"anon": L, "own": NF, "other": NF, "office": 200, "disabled": L}),  # 公示: not yet
    ("GET", "/office", OFFICE),
    ("GET", "/office/audit", OFFICE),
    ("GET", "/office/2024", OFFICE),
    ("GET", "/office/2024/review", OFFICE),
    ("GET", "/office/2024/whatif", OFFICE),
    ("GET", "/office/2024/whatif.json?A1=25", OFFICE),
    ("GET", "/office/2024/publications/1/status", OFFICE),
    ("GET", "/office/2024/v1/scores", OFFICE),
    ("GET", "/office/2024/v1/scorecard/nanchang", OFFICE),
    ("GET", "/office/2024/submissions/nanchang", OFFICE),
    ("GET", "/office/2024/v1/r1/diff", {**OFFICE, "office": NF}),  # revision 1 has nothing to compare with
    ("GET", "/office/2024/v1/r1/diff.csv", {**OFFICE, "office": NF}),
    ("GET", "/office/2024/announcement", {**OFFICE, "office": NF}),  # before 公告
    ("GET", "/office/2024/announcement.pdf", {**OFFICE, "office": NF}),
    ("GET", "/office/2024/announcement/nanchang.pdf", {**OFFICE, "office": NF}),
    ("GET", "/public/2024", NOBODY),
    ("GET", "/public/2024/announcement.pdf", NOBODY),
    # posts carry the visitor's own CSRF token and a harmless form: who may reach the handler is the question
    ("POST", "/login", dict.fromkeys(ROLES, 401)),  # no name, no password: refused alike for everyone
    ("POST", "/logout", dict.fromkeys(ROLES, L)),  # signed out (or never signed in): back to the login page
    ("POST", "/2024/nanchang/submission", {**CITY_ONLY, "own": 409}),  # the round is locked
    ("POST", "/2024/nanchang/objections", {**CITY_ONLY, "own": 400}),  # no text, no target
    ("POST", "/office/rounds", {**OFFICE, "office": 400}),  # no year
    ("POST", "/office/2024/lock", {**OFFICE, "office": 409}),  # already locked
    ("POST", "/office/2024/publish", {**OFFICE, "office": 409}),  # version 1 is in 公示
    ("POST", "/office/2024/v1/stage", {**OFFICE, "office": 409}),  # stage 复查 before the window ends
    ("POST", "/office/2024/objections/{nc}/answer", {**OFFICE, "office": 409}),  # answers wait for 复查
    ("POST", "/office/2024/v1/rescore", {**OFFICE, "office": 409}),
    ("POST", "/office/2024/correction", {**OFFICE, "office": 409}),  # corrections wait for 审定
]
POST_FORMS = {"/office/2024/v1/stage": {"stage": "复查"}, "/office/2024/objections/{nc}/answer": {"decision": "reject",
                                                                                               "reason": "不予采纳"}}


def _status(r) -> object:
    if r.status_code == 303 and r.headers["location"].startswith("/login"):
        return L
    return r.status_code


@pytest.mark.parametrize("method,path,expected", MATRIX, ids=[f"{m} {p}" for m, p, _ in MATRIX])
def test_route_answers_each_visitor_as_it_should(world, method, path, expected):
    url = path.format(nc=world["ids"]["南昌"], ja=world["ids"]["吉安"])
    got = {}
    for role in ROLES:
        c = world["v"][role]
        if path == "/logout":  # signing out ends the session: on a session of its own, not the shared one
            c = client(world["app"])
            if role != "anon":
                login(c, {"own": "nanchang", "other": "jian", "office": "kb", "disabled": "yichun"}[role], PW)
        if method == "GET":
            r = c.get(url, follow_redirects=False)
        else:
            m = CSRF.search(c.get("/login" if role in ("anon", "disabled") else "/no-such-page").text)
            data = {"csrf_token": m.group(1) if m else "", **POST_FORMS.get(path, {})}
            r = c.post(url, data=data, follow_redirects=False)
        got[role] = _status(r)
        if got[role] == NF:  # another city's page reads exactly like a page that does not exist
            assert "页面不存在" in r.text
    assert got == expected


def test_a_forbidden_page_is_the_same_page_as_a_missing_one(world):
    other = world["v"]["other"]
    missing = other.get("/2024/nosuchcity/")
    forbidden = other.get("/2024/nanchang/")
    assert forbidden.status_code == missing.status_code == 404
    strip = re.compile(r'name="csrf_token" value="[^"]+"')
    assert strip.sub("", forbidden.text) == strip.sub("", missing.text)
    assert forbidden.headers["content-type"] == missing.headers["content-type"]


def test_every_route_is_in_the_matrix(world):
    def walk(routes):
        for r in routes:
            if hasattr(r, "methods") and hasattr(r, "path"):
                for m in r.methods - {"HEAD"}:
                    yield m, r.path
            elif hasattr(r, "router") or hasattr(r, "original_router"):
                yield from walk((getattr(r, "router", None) or r.original_router).routes)

    app_routes = set(walk(world["app"].routes))
    templ = re.compile(r"\{[^}]+\}")
    covered = set()
    for m, p, _ in MATRIX:
        path = p.split("?")[0]
        for am, ap in app_routes:
            if am == m and re.fullmatch(templ.sub(r"[^/]+", ap), path.replace("{nc}", "1").replace("{ja}", "2")):
                covered.add((am, ap))
    assert sorted(app_routes - covered) == []


def test_nothing_changed_for_the_refused_visitors(world):
    """The posts of the visitors who may not make them left no trace but the office's own refused acts."""
    from jxscore.portal.models import AuditEvent, Objection, Publication, Round

    with transaction(sessions(world["eng"])) as s:
        assert s.scalar(select(Round.state)) == "locked"
        assert [p.version for p in s.scalars(select(Publication))] == [1]
        assert {o.status for o in s.scalars(select(Objection))} == {"open"}
        assert not [e for e in s.scalars(select(AuditEvent)) if e.action in ("stage", "answer", "correction",
                                                                               "rescore", "lock")
                    and e.at > datetime(2025, 3, 1, 1, 0, 1, tzinfo=UTC)]
