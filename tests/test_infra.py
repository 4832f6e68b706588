"""The portal tests' infrastructure works: the throwaway PostgreSQL, Debian's headless Chromium, live_server."""

from __future__ import annotations

import os
import socket
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from browser import VIEWPORT, BrowserUnavailable, chromium_path, collect_errors, png_size
from pgcluster import PgCluster, PgUnavailable, find_pg_bin

# -- PostgreSQL ------------------------------------------------------------------------------


def test_pg_round_trip(pg_url):
    assert pg_url.startswith("postgresql+psycopg://postgres@127.0.0.1:")
    assert pg_url.endswith("/jxscore_test")
    engine = sa.create_engine(pg_url)
    meta = sa.MetaData()
    t = sa.Table(
        "infra_city",
        meta,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(20), nullable=False),
        sa.Column("score", sa.Numeric(6, 2), nullable=False),
    )
    try:
        meta.create_all(engine)
        with engine.begin() as c:
            c.execute(t.insert(), [{"id": 1, "name": "南昌", "score": Decimal("91.25")},
                                   {"id": 2, "name": "赣州", "score": Decimal("88.50")}])
        with engine.connect() as c:
            rows = c.execute(sa.select(t.c.id, t.c.name, t.c.score).order_by(t.c.id)).all()
            assert [tuple(r) for r in rows] == [(1, "南昌", Decimal("91.25")), (2, "赣州", Decimal("88.50"))]
            # 91.25 + 88.50 = 179.75, summed by the server
            assert c.execute(sa.select(sa.func.sum(t.c.score))).scalar_one() == Decimal("179.75")
            assert "PostgreSQL" in c.execute(sa.text("SELECT version()")).scalar_one()
            assert c.execute(sa.text("SHOW listen_addresses")).scalar_one() == "127.0.0.1"
            assert c.execute(sa.text("SHOW server_encoding")).scalar_one() == "UTF8"
            assert str(c.execute(sa.text("SELECT inet_server_addr()")).scalar_one()) == "127.0.0.1"
    finally:
        meta.drop_all(engine)
        engine.dispose()


def test_pg_new_database_is_empty(pg_cluster):
    url = pg_cluster.new_database("infra_empty")
    assert url == pg_cluster.url("infra_empty")
    engine = sa.create_engine(url)
    try:
        with engine.connect() as c:
            assert c.execute(sa.text("SELECT current_database()")).scalar_one() == "infra_empty"
            assert sa.inspect(c).get_table_names() == []
    finally:
        engine.dispose()


def test_pg_cluster_stops_and_is_removed():
    with PgCluster(dbname="infra_own") as pg:
        root, port = pg.root, pg.port
        assert (root / "data" / "PG_VERSION").exists()
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
    assert not root.exists()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=5):
        pass


def test_pg_missing_is_a_clear_error(tmp_path):
    with pytest.raises(PgUnavailable, match=r"pg_ctl/initdb not found.*scripts/setup-system\.sh"):
        find_pg_bin(path=str(tmp_path), roots=(str(tmp_path / "no-such" / "*" / "bin"),))


def test_pg_newest_version_wins(tmp_path):
    for ver in ("9.6", "15", "13"):
        d = tmp_path / ver / "bin"
        d.mkdir(parents=True)
        for prog in ("pg_ctl", "initdb"):
            (d / prog).touch()
    assert find_pg_bin(path=str(tmp_path / "empty"), roots=(str(tmp_path / "*" / "bin"),)) == tmp_path / "15" / "bin"


# -- browser ---------------------------------------------------------------------------------

PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>基础设施</title>
<script src="/static/app.js" defer></script></head>
<body><h1>测试页</h1>
<form id="f"><label>城市 <input name="city" value="南昌"></label>
<button type="button" id="go">确定</button></form>
<p id="out">未点击</p></body></html>"""

APP_JS = """document.getElementById("go").addEventListener("click", function () {
  var city = document.querySelector("#f input[name=city]").value;
  document.getElementById("out").textContent = "已点击：" + city;
});"""


def tiny_app(static_dir: Path):
    """A page whose button only works through the external /static/app.js (CSP forbids inline script)."""
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    (static_dir / "app.js").write_text(APP_JS, encoding="utf-8")

    async def index(request):
        return HTMLResponse(PAGE, headers={"Content-Security-Policy": "default-src 'self'"})

    async def inline(request):
        body = PAGE.replace('<script src="/static/app.js" defer></script>', "<script>document.title='内联';</script>")
        return HTMLResponse(body, headers={"Content-Security-Policy": "default-src 'self'"})

    return Starlette(routes=[Route("/", index), Route("/inline", inline),
                             Mount("/static", StaticFiles(directory=static_dir))])


def test_live_server_serves_and_stops(tmp_path):
    import httpx

    from browser import live_server

    static = tmp_path / "static"
    static.mkdir()
    with live_server(tiny_app(static)) as base:
        assert base.startswith("http://127.0.0.1:")
        r = httpx.get(base + "/static/app.js")
        assert r.status_code == 200 and r.text == APP_JS
        assert httpx.get(base + "/nope").status_code == 404
    with pytest.raises(httpx.ConnectError):
        httpx.get(base + "/", timeout=5)


def test_browser_clicks_and_screenshots(tmp_path, live_server, browser_page):
    static = tmp_path / "static"
    static.mkdir()
    base = live_server(tiny_app(static))
    page = browser_page
    errors = collect_errors(page)
    page.goto(base + "/")
    assert page.title() == "基础设施"
    assert page.locator("#out").text_content() == "未点击"
    page.fill("input[name=city]", "赣州")
    page.click("#go")
    from playwright.sync_api import expect

    expect(page.locator("#out")).to_have_text("已点击：赣州")
    shot = tmp_path / "page.png"
    page.screenshot(path=str(shot))
    assert png_size(shot) == (VIEWPORT["width"], VIEWPORT["height"]) == (1280, 800)
    assert errors == []


def test_browser_reports_csp_refusal(tmp_path, live_server, browser_page):
    """collect_errors sees an inline script the CSP refuses (the portal's pages must have none)."""
    static = tmp_path / "static"
    static.mkdir()
    base = live_server(tiny_app(static))
    errors = collect_errors(browser_page)
    browser_page.goto(base + "/inline")
    assert browser_page.title() == "基础设施"  # the inline script did not run
    assert len(errors) == 1 and "Content Security Policy" in errors[0]


def _browser_processes() -> dict[int, list[str]]:
    """pid → argv of every running headless-shell browser process (not its renderers/helpers)."""
    found = {}
    for d in Path("/proc").iterdir():
        try:
            argv = (d / "cmdline").read_bytes().decode(errors="replace").split("\0")[:-1]
        except OSError:
            continue
        if argv and argv[0].endswith("chromium-headless-shell") and not any(a.startswith("--type=") for a in argv):
            found[int(d.name)] = argv
    return found


def test_browser_is_debians_headless_shell(chromium):
    """The launched binary is Debian's, with a fresh Playwright profile dir that goes away on close."""
    from browser import launch_chromium

    assert chromium_path() == "/usr/lib/chromium/chromium-headless-shell"
    ctx = chromium.new_context()
    try:
        assert "HeadlessChrome" in ctx.new_page().evaluate("navigator.userAgent")
    finally:
        ctx.close()
    before = _browser_processes()
    b = launch_chromium(chromium.browser_type)
    try:
        (argv,) = [a for pid, a in _browser_processes().items() if pid not in before]
        assert argv[0] == "/usr/lib/chromium/chromium-headless-shell"
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync"):
            assert flag in argv
        (profile,) = [a.split("=", 1)[1] for a in argv if a.startswith("--user-data-dir=")]
        assert Path(profile).parent == Path(tempfile.gettempdir())
        assert Path(profile).name.startswith("playwright_chromiumdev_profile-")
        assert os.path.isdir(profile)
    finally:
        b.close()
    assert not os.path.exists(profile)


def test_browser_missing_is_a_clear_error(tmp_path):
    with pytest.raises(BrowserUnavailable, match=r"chromium-headless-shell not found.*setup-system\.sh"):
        chromium_path((str(tmp_path / "chromium-headless-shell"),))
