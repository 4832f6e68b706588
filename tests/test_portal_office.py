"""The office's side of the portal over HTTP: open a round, cities upload (clean, with a bad cell, again),
lock, preview, publish twice (versions never change), audited downloads, upload limits, CSRF.

Hand-worked figure: 萍乡 2024 scores 90.38 (data/README.md's table, worked by data/make_sample.py's own
copy of the RULEBOOK; also tests/test_sample_independent.py): A 43.8571 + B 29.5235 + C 17.00 + D 0.
data/returns/ holds the same sample as returned workbooks, so publishing it must give 萍乡 90.38.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from jxscore.portal.accounts import add_user
from jxscore.portal.clock import FakeClock
from jxscore.portal.db import make_engine, sessions, transaction, upgrade
from jxscore.portal.models import AuditEvent, Document, Publication, User
from jxscore.portal.review import enter_stage
from jxscore.portal.rounds import get_round
from jxscore.web.app import create_app
from portal_util import RETURNS, SLUGS, bad_pingxiang

PW = "pw-office-test"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _portal(tmp: Path, cities=tuple(SLUGS)):
    eng = make_engine("sqlite:///" + str(tmp / "t.db"))
    upgrade(eng)
    clock = FakeClock(datetime(2025, 3, 1, 1, 0, tzinfo=UTC))
    with transaction(sessions(eng)) as s:
        add_user(s, clock(), "kb", "office", PW, None, list(SLUGS))
        for c in cities:
            add_user(s, clock(), SLUGS[c], "city", PW, c, list(SLUGS))
    return create_app(engine=eng, clock=clock), eng


def _client(app, name: str) -> TestClient:
    c = TestClient(app, base_url="http://127.0.0.1")
    tok = CSRF.search(c.get("/login").text).group(1)
    r = c.post("/login", data={"username": name, "password": PW, "csrf_token": tok}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return c


def _tok(c: TestClient, path: str) -> str:
    return CSRF.search(c.get(path).text).group(1)


def _open(c: TestClient, year: int = 2024):
    return c.post("/office/rounds", data={"year": str(year), "csrf_token": _tok(c, "/office")},
                  files={"office": ("office.xlsx", (RETURNS / "office.xlsx").read_bytes(), XLSX)},
                  follow_redirects=False)


def _upload(c: TestClient, slug: str, data: bytes, name: str | None = None, year: int = 2024):
    page = f"/{year}/{slug}/submission"
    return c.post(page, data={"csrf_token": _tok(c, page)}, files={"file": (name or f"{slug}.xlsx", data, XLSX)})



def _problem_rows(html: str) -> list[tuple[str, ...]]:
    """(severity, file, sheet, cell, column, message) of every problem row on a page."""
    rows = re.findall(r'<tr class="sev-\w+">\s*(.*?)</tr>', html, re.S)
    return [tuple(re.sub(r"<[^>]+>", "", x).strip() for x in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S))
            for r in rows]


def _badge(html: str, slug: str) -> str:
    row = re.search(rf'<tr id="city-{slug}">(.*?)</tr>\s*(?=<tr id|</tbody>)', html, re.S).group(1)
    return re.search(r'class="badge s-\w+">([^<]+)<', row).group(1)


def _wait(app) -> None:
    for fut in list(app.state.portal.extra.get("publish_futures", {}).values()):
        fut.result(timeout=900)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One round taken from opening to two publications; each step's response kept for the tests."""
    tmp = tmp_path_factory.mktemp("office")
    app, eng = _portal(tmp)
    rec: dict = {"app": app, "eng": eng}
    with _client(app, "kb") as kb:
        rec["open"] = _open(kb)
        rec["open_again"] = _open(kb)
        cities = {c: _client(app, slug) for c, slug in SLUGS.items()}
        px = cities["萍乡"]
        rec["bad"] = _upload(px, "pingxiang", bad_pingxiang(tmp))
        rec["dash_bad"] = kb.get("/office/2024").text
        for c, slug in SLUGS.items():
            rec.setdefault("clean", {})[c] = _upload(cities[c], slug, (RETURNS / f"{slug}.xlsx").read_bytes())
        rec["dash_ok"] = kb.get("/office/2024").text
        rec["publish_open"] = kb.post("/office/2024/publish", data={"csrf_token": _tok(kb, "/office/2024")})
        rec["lock"] = kb.post("/office/2024/lock", data={"csrf_token": _tok(kb, "/office/2024")},
                              follow_redirects=False)
        rec["after_lock"] = _upload(px, "pingxiang", (RETURNS / "pingxiang.xlsx").read_bytes())
        rec["dash_locked"] = kb.get("/office/2024").text
        rec["publish1"] = kb.post("/office/2024/publish", data={"csrf_token": _tok(kb, "/office/2024")},
                                  follow_redirects=False)
        _wait(app)
        rec["status1"] = kb.get("/office/2024/publications/1/status").json()
        rec["dash_v1"] = kb.get("/office/2024").text
        rec["v1"] = _downloads(kb, eng, 1)
        rec["submission_dl"] = kb.get("/office/2024/submissions/pingxiang")
        # while version 1 is in 公示 a new version is refused; after 审定 it is a correction (issue 15)
        rec["publish_in_review"] = kb.post("/office/2024/publish", data={"csrf_token": _tok(kb, "/office/2024")})
        clock = app.state.portal.clock
        clock.advance(days=16)
        with transaction(sessions(eng)) as s:
            rnd, office = get_round(s, 2024), s.scalar(select(User).where(User.name == "kb"))
            enter_stage(s, clock(), rnd, 1, "复查", office)
            enter_stage(s, clock(), rnd, 1, "审定", office)
        kb.post("/office/2024/publish", data={"csrf_token": _tok(kb, "/office/2024")})
        _wait(app)
        rec["v1_again"] = _downloads(kb, eng, 1)
        rec["v2"] = _downloads(kb, eng, 2)
        rec["audit"] = kb.get("/office/audit").text
        more = re.search(r'href="(/office/audit\?before=\d+)"', rec["audit"])
        rec["audit2"] = kb.get(more.group(1)).text if more else ""
        for c in cities.values():
            c.close()
    yield rec


def _downloads(kb: TestClient, eng, version: int) -> dict:
    """Every document of a version fetched over HTTP: (kind, city) → (stored sha256, file id, response)."""
    out = {}
    with transaction(sessions(eng)) as s:
        pub = s.scalar(select(Publication).where(Publication.version == version))
        docs = [(d.kind, d.city, d.file.sha256, d.file_id) for d in
                s.scalars(select(Document).where(Document.publication_id == pub.id))]
    for kind, city, sha, fid in docs:
        if kind == "scorecard":
            url = f"/office/2024/v{version}/scorecard/{SLUGS[city]}"
        elif kind.startswith("input:"):
            url = f"/office/2024/v{version}/input/{kind[6:]}"
        else:
            url = f"/office/2024/v{version}/{kind}"
        out[(kind, city)] = (sha, fid, kb.get(url))
    return out


def test_opening_a_round_once_per_year(world):
    assert world["open"].status_code == 303 and world["open"].headers["location"] == "/office/2024"
    assert world["open_again"].status_code == 400
    assert "2024年度的考核轮次已经开启" in world["open_again"].text


def test_a_bad_cell_is_named_with_its_sheet_and_cell_then_a_resubmission_is_stored(world):
    bad = world["bad"]
    assert bad.status_code == 422
    rows = _problem_rows(bad.text)
    assert [(r[0], r[1], r[2], r[3], r[4]) for r in rows] == [("错误", "pingxiang.xlsx", "指标", "E3", "A4")]
    assert "约1980" in rows[0][5]
    assert _badge(world["dash_bad"], "pingxiang") == "有错误"
    assert "约1980" in world["dash_bad"] and _badge(world["dash_bad"], "nanchang") == "未提交"
    ok = world["clean"]["萍乡"]
    assert ok.status_code == 200
    digest = hashlib.sha256((RETURNS / "pingxiang.xlsx").read_bytes()).hexdigest()
    assert f"SHA-256：<code class=\"hash\">{digest}</code>" in ok.text
    assert all(_badge(world["dash_ok"], slug) == "已提交" for slug in SLUGS.values())


def test_lock_refuses_uploads_and_publishing_needs_a_lock(world):
    assert world["publish_open"].status_code == 409 and "尚未锁定" in world["publish_open"].text
    assert world["lock"].status_code == 303
    after = world["after_lock"]
    assert after.status_code == 409 and "已锁定" in after.text and 'type="file"' not in after.text
    assert all(_badge(world["dash_locked"], slug) == "已锁定" for slug in SLUGS.values())


def test_preview_ranks_the_locked_round(world):
    html = world["dash_locked"]
    row = re.search(r"<tr><td class=\"num\">5</td><td>萍乡</td>(.*?)</tr>", html, re.S)
    assert row, "萍乡 is 5th in the preview"
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row.group(1))
    assert cells[:4] == ["43.86", "29.52", "17.00", "0.00"] and cells[4:6] == ["90.38", "完成"]
    assert "P-DUP" in html  # the verification findings (南昌's duplicate project, data/README.md)


def test_publish_makes_version_1_with_every_document_and_its_hash(world):
    assert world["publish1"].status_code == 303
    assert world["status1"] == {"version": 1, "status": "done", "done": 12, "total": 12, "message": "",
                                "input_hash": world["status1"]["input_hash"]}
    v1 = world["v1"]
    cards = sorted(city for kind, city in v1 if kind == "scorecard")
    assert cards == sorted(SLUGS) and ("summary", "") in v1
    for (kind, city), (sha, _, r) in v1.items():
        assert r.status_code == 200, (kind, city)
        assert hashlib.sha256(r.content).hexdigest() == sha, (kind, city)
    r = v1[("scorecard", "萍乡")][2]
    assert r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF")
    assert r.headers["content-disposition"] == 'attachment; filename="pingxiang-2024-v1.pdf"'
    scores = {row["city"]: row for row in csv.DictReader(io.StringIO(v1[("scores", "")][2].text))}
    assert scores["萍乡"]["total"] == "90.38" and scores["萍乡"]["grade"] == "完成"
    manifest = v1[("manifest", "")][2].json()
    assert manifest["input_hash"] == world["status1"]["input_hash"]
    assert "第1版" in world["dash_v1"] and world["status1"]["input_hash"] in world["dash_v1"]
    # version 1 is in 公示: no publish form, the page says how corrections go now
    assert 'action="/office/2024/publish"' not in world["dash_v1"]
    assert "第 1 版正处于“公示”阶段" in world["dash_v1"] and "审定后方可发布新版本" in world["dash_v1"]


def test_publishing_again_is_version_2_and_version_1_never_changes(world):
    refused = world["publish_in_review"]
    assert refused.status_code == 409 and "正处于“公示”阶段" in refused.text
    v1, again, v2 = world["v1"], world["v1_again"], world["v2"]
    assert again.keys() == v1.keys() == v2.keys()
    for key in v1:
        assert again[key][2].content == v1[key][2].content, key
        assert again[key][1] == v1[key][1]  # the same stored file
        assert v2[key][1] != v1[key][1]  # version 2 has its own
    with transaction(sessions(world["eng"])) as s:
        assert [(p.version, p.status) for p in s.scalars(select(Publication).order_by(Publication.version))] == [
            (1, "done"), (2, "done")]


def test_every_action_is_in_the_audit_log(world):
    with transaction(sessions(world["eng"])) as s:
        evs = list(s.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    acts = [e.action for e in evs]
    for a in ("round-opened", "upload", "upload-refused", "lock", "publish", "published", "download"):
        assert a in acts, a
    px = hashlib.sha256((RETURNS / "pingxiang.xlsx").read_bytes()).hexdigest()
    ups = [(e.user_name, e.target, e.detail) for e in evs if e.action == "upload" and e.sha256 == px]
    assert ups == [("pingxiang", "2024 萍乡", "ok")]
    refused = [e for e in evs if e.action == "upload-refused"]
    assert [(e.user_name, e.detail, e.sha256) for e in refused] == [("pingxiang", "round-locked", px)]
    card = world["v1"][("scorecard", "萍乡")][0]
    assert any(e.action == "download" and e.sha256 == card and e.user_name == "kb" for e in evs)
    assert any(e.action == "download" and e.sha256 == px and e.target == "2024 submission 萍乡" for e in evs)
    assert [e.action for e in evs if e.action.startswith("publish")] == ["publish", "published"] * 2
    assert world["submission_dl"].content == (RETURNS / "pingxiang.xlsx").read_bytes()
    # the log page: newest first, 100 a page, the older ones one link away
    ids = [int(x) for x in re.findall(r'<tr><td class="num">(\d+)</td>', world["audit"])]
    assert ids == sorted(ids, reverse=True) and len(ids) == 100 and ids[0] == evs[-1].id
    ids2 = [int(x) for x in re.findall(r'<tr><td class="num">(\d+)</td>', world["audit2"])]
    assert ids2[0] == ids[-1] - 1 and "round-opened" in world["audit2"]


@pytest.fixture
def open_round(tmp_path):
    app, _ = _portal(tmp_path, cities=("萍乡", "南昌"))
    kb = _client(app, "kb")
    assert _open(kb).status_code == 303
    return app, kb, _client(app, "pingxiang")


def test_upload_limits(open_round, tmp_path):
    from jxscore.portal.rounds import MAX_UPLOAD
    from jxscore.web.security import MAX_UPLOAD as WEB_MAX

    assert MAX_UPLOAD == WEB_MAX == 10 * 2**20
    app, kb, px = open_round
    big = _upload(px, "pingxiang", b"PK\x03\x04" + bytes(11 * 2**20))
    assert big.status_code == 413 and "过大" in big.text and "10 MB" in big.text
    txt = _upload(px, "pingxiang", "这不是工作簿\n".encode() * 50, name="notes.xlsx")
    assert txt.status_code == 400 and "不是 .xlsx 工作簿" in txt.text
    named = _upload(px, "pingxiang", (RETURNS / "pingxiang.xlsx").read_bytes(), name="pingxiang.txt")
    assert named.status_code == 400 and "不是 .xlsx 工作簿" in named.text
    # a zip bomb: 萍乡's book plus one member of 120 MB of zeros (~120 KB packed): the intake's guard
    buf = io.BytesIO()
    with zipfile.ZipFile(RETURNS / "pingxiang.xlsx") as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for i in src.infolist():
            z.writestr(i, src.read(i))
        z.writestr("xl/media/pad.bin", bytes(120 * 2**20))
    bomb = _upload(px, "pingxiang", buf.getvalue())
    assert bomb.status_code == 422
    rows = _problem_rows(bomb.text)
    assert len(rows) == 1 and rows[0][1] == "pingxiang.xlsx" and "超出读取上限，未打开" in rows[0][5]
    assert "100 MB" in rows[0][5]
    assert _badge(kb.get("/office/2024").text, "pingxiang") == "有错误"


def test_wrong_city_csrf_and_who_may_submit(open_round):
    app, kb, px = open_round
    wrong = _upload(px, "pingxiang", (RETURNS / "nanchang.xlsx").read_bytes())
    assert wrong.status_code == 422 and "这是南昌的报送工作簿，不是萍乡的" in wrong.text
    no_csrf = px.post("/2024/pingxiang/submission",
                      files={"file": ("pingxiang.xlsx", (RETURNS / "pingxiang.xlsx").read_bytes(), XLSX)})
    assert no_csrf.status_code == 403
    assert px.get("/2024/nanchang/submission").status_code == 404  # another city: as a page that does not exist
    assert kb.get("/2024/pingxiang/submission").status_code == 404  # the office never submits for a city
    tok = _tok(kb, "/office")
    r = kb.post("/2024/pingxiang/submission", data={"csrf_token": tok},
                files={"file": ("pingxiang.xlsx", (RETURNS / "pingxiang.xlsx").read_bytes(), XLSX)})
    assert r.status_code == 404
    assert px.get("/office/2024").status_code == 404 and px.get("/office/audit").status_code == 404
    assert px.get("/2025/pingxiang/submission").status_code == 404  # no round that year
    anon = TestClient(app, base_url="http://127.0.0.1")
    assert anon.get("/office/2024", follow_redirects=False).headers["location"] == "/login"


def test_cli_publish_refuses_a_missing_folder_with_exit_2_and_stores_nothing(tmp_path):
    from typer.testing import CliRunner

    from jxscore.cli import app

    url = "sqlite:///" + str(tmp_path / "cli.db")
    upgrade(make_engine(url))
    r = CliRunner().invoke(app, ["publish", "--year", "2024", "--data", str(tmp_path / "nope"), "--db", url])
    assert r.exit_code == 2 and "data-path" in r.output and "Traceback" not in r.output
    with transaction(sessions(make_engine(url))) as s:
        assert s.scalars(select(Publication)).all() == [] and s.scalars(select(Document)).all() == []
