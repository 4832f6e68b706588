"""The portal's commands: `db upgrade`, `users add/list/disable`, `serve` (every one takes --db URL)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from jxscore.cli.common import DEBUG, YEAR, fail_on_errors
from jxscore.cli.report import SIGN_CERT, SIGN_KEY, SIGN_PASS_ENV

DB = Annotated[str | None, typer.Option(
    "--db", help="Database URL (default sqlite:///jxscore.db in the working folder, or $JXSCORE_DB).")]

db_app = typer.Typer(name="db", help="The portal's database.", no_args_is_help=True, add_completion=False,
                     rich_markup_mode=None)
users_app = typer.Typer(name="users", help="Portal accounts.", no_args_is_help=True, add_completion=False,
                        rich_markup_mode=None)


@db_app.command("upgrade")
def db_upgrade(db: DB = None, debug: DEBUG = False) -> None:
    """Create the portal's tables or bring them up to date (Alembic migrations)."""
    from jxscore.portal.db import _safe, default_url, make_engine, upgrade

    with fail_on_errors(debug):
        url = db or default_url()
        before, after = upgrade(make_engine(url))
    typer.echo(f"数据库 {_safe(url)}：结构版本 {before or '（空）'} → {after}" if before != after
               else f"数据库 {_safe(url)}：结构已是最新版本 {after}")


@users_app.command("add")
def users_add(name: Annotated[str, typer.Argument(help="Login name.")],
              role: Annotated[str, typer.Option("--role", help="office (考核办) or city (设区市).")],
              city: Annotated[str | None, typer.Option("--city", help="The city of a city user, e.g. 南昌.")] = None,
              password_stdin: Annotated[bool, typer.Option(
                  "--password-stdin", help="Read the password from standard input (else one is generated and "
                                           "printed once).")] = False,
              db: DB = None, debug: DEBUG = False) -> None:
    """Add an account."""
    import secrets

    from jxscore.portal.accounts import add_user
    from jxscore.portal.clock import system_clock
    from jxscore.portal.db import open_db, transaction

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else secrets.token_urlsafe(12)
    with fail_on_errors(debug):
        from jxscore.web.app import _cities

        cities = _cities()[1]
        with transaction(open_db(db)) as s:
            u = add_user(s, system_clock(), name, role, password, city, cities)
            desc = f"{u.name}（{'考核办' if u.role == 'office' else u.city}）"
    typer.echo(f"已添加用户 {desc}")
    if not password_stdin:
        typer.echo(f"初始密码（只显示这一次）：{password}")


@users_app.command("list")
def users_list(db: DB = None, debug: DEBUG = False) -> None:
    """List the accounts."""
    from jxscore.cli.common import _table
    from jxscore.portal.accounts import list_users
    from jxscore.portal.clock import cst, system_clock
    from jxscore.portal.db import open_db, transaction

    with fail_on_errors(debug):
        now = system_clock()
        with transaction(open_db(db)) as s:
            rows = [[u.name, "考核办" if u.role == "office" else "设区市", u.city or "",
                     "已停用" if u.disabled else ("锁定至" + cst(u.locked_until) if u.locked_until and
                                                  u.locked_until > now else "正常"), cst(u.created_at)]
                    for u in list_users(s)]
    sys.stdout.write(_table(rows, ["用户名", "角色", "设区市", "状态", "创建时间（北京时间）"]))


@users_app.command("disable")
def users_disable(name: Annotated[str, typer.Argument(help="Login name.")], db: DB = None,
                  debug: DEBUG = False) -> None:
    """Disable an account (it can no longer log in; its open sessions end)."""
    from jxscore.portal.accounts import disable_user
    from jxscore.portal.clock import system_clock
    from jxscore.portal.db import open_db, transaction

    with fail_on_errors(debug), transaction(open_db(db)) as s:
        disable_user(s, system_clock(), name)
    typer.echo(f"已停用用户 {name}")


def serve(db: DB = None,
          host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
          port: Annotated[int, typer.Option("--port", help="Port.")] = 8000,
          secure_cookies: Annotated[bool, typer.Option(
              "--secure-cookies", help="Mark the session cookie Secure (behind HTTPS).")] = False,
          sign_key: SIGN_KEY = None, sign_cert: SIGN_CERT = None, sign_pass_env: SIGN_PASS_ENV = None,
          debug: DEBUG = False) -> None:
    """Serve the portal (refuses an out-of-date database schema: run `jxscore db upgrade` first); with
    --sign-key/--sign-cert every publication's PDFs are signed."""
    import uvicorn

    from jxscore.cli.report import sign_options
    from jxscore.web.app import create_app

    with fail_on_errors(debug):
        sign = _checked_sign(sign_options(sign_key, sign_cert, None, False, None, sign_pass_env))
        app = create_app(db, secure_cookies=secure_cookies, sign=sign)
    typer.echo(f"门户已启动：http://{host}:{port}/  （Ctrl+C 停止）")
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False, proxy_headers=False)


def _checked_sign(sign):
    """The signing options with the key, passphrase and certificate checked now (SignError), not at publishing."""
    if sign is not None:
        from jxscore.report.sign import load_signer

        load_signer(sign)
    return sign


def _window_end(text: str | None):
    """--window-end as an aware datetime: a date is its last day (the window closes at 24:00 北京时间)."""
    import datetime as dt

    from jxscore.portal.clock import CST
    from jxscore.report.announce import parse_window_end

    if text is None:
        return None
    v = parse_window_end(text)
    if isinstance(v, dt.datetime):
        return v if v.tzinfo else v.replace(tzinfo=CST)
    return dt.datetime.combine(v + dt.timedelta(days=1), dt.time(0, 0), tzinfo=CST)


def publish(year: YEAR,
            data: Annotated[Path, typer.Option("--data", help="Collected data folder (as `jxscore score` takes).")],
            db: DB = None,
            window_end: Annotated[str | None, typer.Option(
                "--window-end", help="End of the 公示 window, 北京时间: a last day YYYY-MM-DD (open until 24:00) or "
                                     "YYYY-MM-DDTHH:MM (default: 15 days from today).")] = None,
            sign_key: SIGN_KEY = None, sign_cert: SIGN_CERT = None,
            sign_pass_env: SIGN_PASS_ENV = None, debug: DEBUG = False) -> None:
    """Publish a year's results from a data folder for 公示: the next version of the year's round (opened and
    locked when needed), every page marked 公示稿, every document stored in the database with its SHA-256."""
    from jxscore.cli.report import sign_options
    from jxscore.portal.clock import system_clock
    from jxscore.portal.db import open_db, transaction
    from jxscore.portal.publish import documents, publish_data

    with fail_on_errors(debug):
        sign = _checked_sign(sign_options(sign_key, sign_cert, None, False, None, sign_pass_env))
        end = _window_end(window_end)
        factory = open_db(db)
        pub = publish_data(factory, system_clock, year, data, sign=sign, window_end=end)
        with transaction(factory) as s:
            docs = [(d.kind, d.city, d.file.sha256) for d in documents(s, s.get(type(pub), pub.id))]
    signed = "，已签名" if pub.signed else ""
    from jxscore.portal.clock import window_text
    from jxscore.portal.db import transaction as tx
    from jxscore.portal.review import window_end as window_of
    from jxscore.portal.rounds import get_round

    with tx(factory) as s:
        ends = window_text(window_of(s, get_round(s, year), pub.version))
    typer.echo(f"已发布 {year}年度第{pub.version}版供公示，公示期至 {ends}（北京时间）"
               f"（输入数据指纹 {pub.input_hash}{signed}），{len(docs)}个文件：")
    for kind, city, sha in docs:
        typer.echo(f"  {sha}  {kind}{' ' + city if city else ''}")
