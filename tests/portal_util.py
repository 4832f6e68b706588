"""Helpers for the portal's HTTP tests: a migrated database on SQLite or PostgreSQL, clients, login."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime

from jxscore.portal.accounts import add_user
from jxscore.portal.clock import FakeClock
from jxscore.portal.db import make_engine, sessions, transaction, upgrade

START = datetime(2025, 3, 1, 1, 0, tzinfo=UTC)  # 2025-03-01 09:00 北京时间
CITIES = ["南昌", "景德镇", "萍乡", "九江", "新余", "鹰潭", "赣州", "吉安", "宜春", "抚州", "上饶"]
_n = itertools.count()


def new_engine(backend: str, tmp_path, pg_cluster=None):
    """A freshly migrated, empty database: a SQLite file in tmp_path, or a new database in the test cluster."""
    if backend == "sqlite":
        url = "sqlite:///" + str(tmp_path / f"portal{next(_n)}.db")
    else:
        url = pg_cluster.new_database(f"portal_{next(_n)}_{tmp_path.name[-20:].lower()}".replace("-", "_"))
    eng = make_engine(url)
    upgrade(eng)
    return eng


def add(engine, name: str, role: str, city: str | None = None, password: str = "pw-" + "x" * 8, clock=None):
    with transaction(sessions(engine)) as s:
        add_user(s, (clock or FakeClock(START))(), name, role, password, city, CITIES)
    return password


def client(app, raise_server_exceptions: bool = True):
    from starlette.testclient import TestClient

    return TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=raise_server_exceptions)


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(c, path: str = "/login") -> str:
    r = c.get(path)
    m = CSRF.search(r.text)
    assert m, f"no csrf_token on {path}"
    return m.group(1)


def login(c, name: str, password: str):
    return c.post("/login", data={"username": name, "password": password, "csrf_token": csrf(c)},
                  follow_redirects=False)
