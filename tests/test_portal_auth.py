"""Accounts, login, lock-out, sessions, CSRF and security headers, on SQLite and on PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from jxscore.portal.clock import FakeClock
from jxscore.portal.db import DatabaseError, check_schema, make_engine, sessions, transaction
from jxscore.portal.models import AuditEvent, User
from jxscore.web.app import create_app
from portal_util import START, add, client, csrf, login, new_engine


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    return request.param


@pytest.fixture
def engine(backend, tmp_path, request):
    pg = request.getfixturevalue("pg_cluster") if backend == "postgresql" else None
    eng = new_engine(backend, tmp_path, pg)
    yield eng
    eng.dispose()


@pytest.fixture
def clock():
    return FakeClock(START)


@pytest.fixture
def app(engine, clock):
    add(engine, "office", "office", password="office-pass-1")
    add(engine, "nc", "city", "南昌", password="nanchang-pass")
    return create_app(engine=engine, clock=clock)


def events(engine) -> list[tuple[str, str, str]]:
    with transaction(sessions(engine)) as s:
        return [(e.action, e.user_name, e.detail) for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_login_form_has_the_three_fields(app):
    c = client(app)
    r = c.get("/login")
    assert r.status_code == 200
    for field in ('name="username"', 'name="password"', 'name="csrf_token"'):
        assert field in r.text


def test_login_then_home_sends_each_role_to_its_door(app, engine):
    c = client(app)
    r = login(c, "office", "office-pass-1")
    assert (r.status_code, r.headers["location"]) == (303, "/")
    assert c.get("/", follow_redirects=False).headers["location"] == "/office"
    c2 = client(app)
    login(c2, "nc", "nanchang-pass")
    assert c2.get("/", follow_redirects=False).headers["location"] == "/city"
    assert [a for a, *_ in events(engine)][-2:] == ["login", "login"]


def test_session_cookie_is_signed_httponly_strict(app, engine, clock):
    c = client(app)
    r = login(c, "office", "office-pass-1")
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
    secure = client(create_app(engine=engine, clock=clock, secure_cookies=True))
    assert "secure" in login(secure, "office", "office-pass-1").headers["set-cookie"].lower()
    # a tampered cookie is not a session
    forged = client(app)
    forged.cookies.set("jxscore_session", r.cookies["jxscore_session"][:-4] + "AAAA")
    assert forged.get("/", follow_redirects=False).headers["location"] == "/login"


def test_session_key_is_generated_once_and_kept_in_the_database(app, engine, clock):
    with transaction(sessions(engine)) as s:
        key = s.execute(text("SELECT value FROM settings WHERE key = 'session_key'")).scalar_one()
    assert len(key) >= 60
    create_app(engine=engine, clock=clock)  # a second start reuses it: sessions survive a restart
    with transaction(sessions(engine)) as s:
        assert s.execute(text("SELECT value FROM settings WHERE key = 'session_key'")).scalar_one() == key


def test_wrong_password_and_unknown_user_answer_alike(app, engine):
    c = client(app)
    bad = login(c, "office", "wrong")
    unknown = login(c, "nobody", "wrong")
    assert bad.status_code == unknown.status_code == 401
    assert "用户名或密码错误" in bad.text and "用户名或密码错误" in unknown.text
    assert events(engine)[-2:] == [("login-failed", "office", "1/5"), ("login-failed", "nobody", "unknown")]


def test_five_failures_lock_the_account_for_fifteen_minutes(app, engine, clock):
    c = client(app)
    for _ in range(4):
        assert login(c, "nc", "wrong").status_code == 401
    r = login(c, "nc", "wrong")  # the 5th
    assert "账号已锁定至 2025-03-01 09:15" in r.text
    clock.advance(minutes=14, seconds=59)
    r = login(c, "nc", "nanchang-pass")  # the right password while locked: still refused
    assert r.status_code == 401 and "已锁定" in r.text
    clock.advance(seconds=1)  # 15 minutes after the 5th failure
    assert login(c, "nc", "nanchang-pass").status_code == 303
    acts = [a for a, *_ in events(engine)]
    assert acts[-7:] == ["login-failed"] * 5 + ["login-locked", "login"]


def test_success_resets_the_failure_count(app, engine):
    c = client(app)
    for _ in range(4):
        login(c, "nc", "wrong")
    assert login(c, "nc", "nanchang-pass").status_code == 303
    for _ in range(4):  # four more failures after a success: 4 of 5, not 8, so not locked
        assert login(client(app), "nc", "wrong").status_code == 401
    assert events(engine)[-1] == ("login-failed", "nc", "4/5")
    assert login(client(app), "nc", "nanchang-pass").status_code == 303


def test_post_without_or_with_a_wrong_csrf_token_is_refused(app):
    c = client(app)
    csrf(c)
    r = c.post("/login", data={"username": "office", "password": "office-pass-1"})
    assert r.status_code == 403 and "CSRF" in r.text
    r = c.post("/login", data={"username": "office", "password": "office-pass-1", "csrf_token": "x" * 43})
    assert r.status_code == 403
    other = client(app)  # a token from another session does not fit this one
    r = c.post("/login", data={"username": "office", "password": "office-pass-1", "csrf_token": csrf(other)})
    assert r.status_code == 403


def test_logout_needs_the_token_and_ends_the_session(app, engine):
    c = client(app)
    login(c, "office", "office-pass-1")
    assert c.post("/logout", data={}).status_code == 403
    tok = csrf(c, "/error-page-with-a-form")  # any page carries the logout form
    assert c.post("/logout", data={"csrf_token": tok}, follow_redirects=False).headers["location"] == "/login"
    assert c.get("/", follow_redirects=False).headers["location"] == "/login"
    assert events(engine)[-1][0] == "logout"


def test_disabled_user_is_signed_out_and_cannot_log_in(app, engine):
    c = client(app)
    login(c, "nc", "nanchang-pass")
    assert c.get("/", follow_redirects=False).headers["location"] == "/city"
    with transaction(sessions(engine)) as s:
        s.scalar(select(User).where(User.name == "nc")).disabled = True
    assert c.get("/", follow_redirects=False).headers["location"] == "/login"
    r = login(client(app), "nc", "nanchang-pass")
    assert r.status_code == 401 and "用户名或密码错误" in r.text


def test_security_headers_on_pages_errors_and_static(app):
    c = client(app)
    login(c, "office", "office-pass-1")
    for path in ("/login", "/no/such/page", "/static/portal.css"):
        r = c.get(path)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-content-type-options"] == "nosniff"
    assert c.get("/no/such/page").headers["cache-control"] == "no-store"


def test_unknown_page_is_404_signed_in_and_login_for_anonymous(app):
    anon = client(app)
    assert anon.get("/office", follow_redirects=False).headers["location"] == "/login"
    assert anon.get("/no/such/page", follow_redirects=False).headers["location"] == "/login"
    c = client(app)
    login(c, "nc", "nanchang-pass")
    r = c.get("/no/such/page")
    assert r.status_code == 404 and "页面不存在" in r.text


def test_no_stack_trace_reaches_a_page(app):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret detail /etc/passwd")

    c = client(app, raise_server_exceptions=False)
    login(c, "office", "office-pass-1")
    r = c.get("/boom")
    assert r.status_code == 500
    assert "服务器内部错误" in r.text and "Traceback" not in r.text and "secret detail" not in r.text


def test_body_past_the_limit_is_refused_before_it_is_read(app):
    c = client(app)
    r = c.post("/login", content=b"x" * 10, headers={"content-length": str(61 * 1024 * 1024),
                                                     "content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and "文件过大" in r.text


def test_audit_log_refuses_update_and_delete(app, engine):
    login(client(app), "office", "office-pass-1")
    with pytest.raises(Exception, match="append-only"):
        with transaction(sessions(engine)) as s:
            s.execute(text("UPDATE audit_events SET action = 'x'"))
    with pytest.raises(Exception, match="append-only"):
        with transaction(sessions(engine)) as s:
            s.execute(text("DELETE FROM audit_events"))
    assert events(engine)[-1][0] == "login"


def test_out_of_date_schema_is_refused(tmp_path):
    eng = make_engine("sqlite:///" + str(tmp_path / "empty.db"))
    with pytest.raises(DatabaseError) as e:
        check_schema(eng)
    assert e.value.problems[0].code.value == "db-outdated"


def test_cli_users_and_serve_refusal(tmp_path):
    db = "sqlite:///" + str(tmp_path / "cli.db")
    jx = [str(Path(sys.executable).parent / "jxscore")]

    def run(*args, stdin=""):
        return subprocess.run([*jx, *args, "--db", db], input=stdin, capture_output=True, text=True, timeout=120)

    r = run("serve", "--port", "1")
    assert r.returncode == 2 and "jxscore db upgrade" in r.stderr and "Traceback" not in r.stderr
    assert run("db", "upgrade").returncode == 0
    assert run("users", "add", "kb", "--role", "office", "--password-stdin", stdin="s3cret-pw\n").returncode == 0
    r = run("users", "add", "gz", "--role", "city", "--city", "赣州")
    assert r.returncode == 0 and "初始密码（只显示这一次）" in r.stdout
    r = run("users", "add", "x", "--role", "city", "--city", "北京")
    assert r.returncode == 2 and "北京" in r.stderr
    r = run("users", "add", "kb", "--role", "office", "--password-stdin", stdin="other\n")
    assert r.returncode == 2 and "用户kb已存在" in r.stderr
    assert run("users", "disable", "gz").returncode == 0
    out = run("users", "list").stdout
    assert "kb" in out and "已停用" in out and "赣州" in out
    with transaction(sessions(make_engine(db))) as s:
        stored = s.scalar(select(User.password_hash).where(User.name == "kb"))
    assert stored.startswith("$argon2id$") and "s3cret-pw" not in stored


def test_unknown_names_cost_one_argon2_verification_too(app, monkeypatch):
    """No fast path that tells an unknown name from a wrong password by timing."""
    from jxscore.portal import accounts

    calls = []

    class Counting:
        def verify(self, h, p):
            calls.append(h)
            return accounts.PasswordHasher().verify(h, p)

    monkeypatch.setattr(accounts, "_hasher", Counting())
    login(client(app), "nobody", "pw")
    assert calls == [accounts._DUMMY]


def test_lock_expiry_is_measured_on_the_given_clock(app, engine, clock):
    c = client(app)
    for _ in range(5):
        login(c, "nc", "wrong")
    with transaction(sessions(engine)) as s:
        u = s.scalar(select(User).where(User.name == "nc"))
        assert u.locked_until == START + timedelta(minutes=15)


def test_the_session_keeps_a_digest_of_the_password_hash_not_a_piece_of_it(app, engine):
    import base64
    import json

    c = client(app)
    login(c, "nc", "nanchang-pass")
    payload = c.cookies["jxscore_session"].split(".")[0]
    data = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    with transaction(sessions(engine)) as s:
        h = s.scalar(select(User.password_hash).where(User.name == "nc"))
    import hashlib

    assert data["pw"] == hashlib.sha256(h.encode()).hexdigest()[:16]
    assert data["pw"] not in h


def test_a_render_left_behind_by_a_stopped_server_is_failed_at_the_next_start(engine, clock):
    from jxscore.portal import files
    from jxscore.portal.models import Publication, Round

    with transaction(sessions(engine)) as s:
        f = files.put(s, b"criteria", "text/plain", clock())
        r = Round(year=2024, state="locked", criteria_file_id=f.id, opened_at=clock())
        s.add(r)
        s.flush()
        s.add(Publication(round_id=r.id, version=1, revision=1, status="rendering", created_at=clock()))
    create_app(engine=engine, clock=clock)
    with transaction(sessions(engine)) as s:
        pub = s.scalar(select(Publication))
        assert (pub.status, pub.message) == ("failed", "服务重启，渲染中断：请重新发布。")
