"""Helpers for the portal's HTTP tests: a migrated database on SQLite or PostgreSQL, clients, login."""

from __future__ import annotations

import itertools
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

from jxscore.portal.accounts import add_user
from jxscore.portal.clock import FakeClock
from jxscore.portal.db import make_engine, sessions, transaction, upgrade

START = datetime(2025, 3, 1, 1, 0, tzinfo=UTC)  # 2025-03-01 09:00 北京时间
SLUGS = {"南昌": "nanchang", "景德镇": "jingdezhen", "萍乡": "pingxiang", "九江": "jiujiang", "新余": "xinyu",
         "鹰潭": "yingtan", "赣州": "ganzhou", "吉安": "jian", "宜春": "yichun", "抚州": "fuzhou", "上饶": "shangrao"}
CITIES = list(SLUGS)
RETURNS = Path(__file__).resolve().parents[1] / "data" / "returns"  # the sample's returned workbooks
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


def bad_pingxiang(tmp: Path) -> bytes:
    """萍乡's book with A4's 完成值 (指标 › E3, 1980 t) typed as "约1980"."""
    import openpyxl

    p = tmp / "bad.xlsx"
    shutil.copy(RETURNS / "pingxiang.xlsx", p)
    wb = openpyxl.load_workbook(p)
    assert wb["指标"]["A3"].value == "A4" and wb["指标"]["E3"].value == 1980
    wb["指标"]["E3"] = "约1980"
    wb.save(p)
    return p.read_bytes()
