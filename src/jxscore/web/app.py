"""The portal application: `create_app(db_url)` builds it; `jxscore serve` runs it with uvicorn."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import RedirectResponse, Response

from jxscore.portal.clock import Clock, system_clock
from jxscore.web.deps import LoginRequired, viewer
from jxscore.web.pages import STATIC, render
from jxscore.web.security import BodyLimit, SecurityHeaders

log = logging.getLogger("jxscore.web")

ERRORS = {
    400: ("请求无效", "请求的格式不正确。"),
    403: ("表单已失效", "表单已过期或来源不明（CSRF 校验未通过）：请返回、刷新页面后重试。"),
    404: ("页面不存在", "您访问的页面不存在，或您无权查看。"),
    405: ("请求无效", "不支持该请求方式。"),
    413: ("文件过大", "上传的内容超过了大小上限（单个文件 10 MB）。"),
    500: ("服务器内部错误", "处理请求时出错，已记录。请稍后重试；如仍有问题，请联系考核办。"),
}


@dataclass
class Portal:
    """What every request needs: the database, the clock and the cities of the scheme."""

    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    city_by_slug: dict[str, str]
    slug_by_city: dict[str, str]
    cities: list[str]
    extra: dict = field(default_factory=dict)  # per-app caches (scored rounds for the what-if)


def _cities() -> tuple[dict[str, str], list[str]]:
    from jxscore.core.criteria import load_criteria

    c = load_criteria()
    return {e.slug: e.name for e in c.entities}, [e.name for e in c.entities]


def _key(factory: sessionmaker[Session]) -> str:
    from jxscore.portal.accounts import session_key

    for _ in range(3):  # two servers starting at once: one inserts, the other reads it
        try:
            with factory() as s, s.begin():
                return session_key(s)
        except IntegrityError:
            continue
    raise RuntimeError("session key")


def create_app(db_url: str | None = None, *, clock: Clock = system_clock, secure_cookies: bool = False,
               engine: Engine | None = None, sign=None) -> FastAPI:
    """The portal on `db_url` (default the SQLite file); refuses an out-of-date schema (DatabaseError).
    `sign`: a report.sign.SignOptions that every publication's PDFs are signed with."""
    from jxscore.portal.db import check_schema, make_engine, sessions

    engine = engine or make_engine(db_url)
    check_schema(engine)
    factory = sessions(engine)
    by_slug, cities = _cities()
    from jxscore.portal.db import transaction
    from jxscore.portal.publish import abandon_stale

    with transaction(factory) as s:  # a render a stopped server left behind: failed, so the pages stop waiting
        abandon_stale(s, clock())
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)  # no API browser on a government portal
    app.state.portal = Portal(engine, factory, clock, by_slug, {v: k for k, v in by_slug.items()}, cities)
    app.state.portal.extra["sign"] = sign

    app.add_middleware(SessionMiddleware, secret_key=_key(factory), session_cookie="jxscore_session",
                       max_age=8 * 3600, same_site="strict", https_only=secure_cookies)
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders)  # outermost: error pages get the headers too
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 404 and viewer(request) is None and not request.url.path.startswith("/public/"):
            return RedirectResponse("/login", status_code=303)  # anonymous: nothing to learn about what exists
        code = exc.status_code if exc.status_code in ERRORS else 400
        title, text = ERRORS[code]
        return render(request, "error.html", status=exc.status_code, title=title, text=text)

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> Response:
        # an id or version past SQLite's 64-bit integers (/2024/nanchang/objections/999…9): no row has it
        return await _http(request, HTTPException(404))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        title, text = ERRORS[404] if _path_error(exc) else ERRORS[400]
        return render(request, "error.html", status=404 if _path_error(exc) else 400, title=title, text=text)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)  # the log keeps it, not the page
        try:
            viewer(request)
        except Exception:  # noqa: BLE001 - the database itself may be what failed
            request.state.user = None
        title, text = ERRORS[500]
        return render(request, "error.html", status=500, title=title, text=text)

    from jxscore.web.routes import auth, city, office, review, whatif

    # review first: its /office/{year}/v{version}/r{revision}/diff would otherwise match office's
    # /office/{year}/v{version}/{kind}/{slug}
    for mod in (auth, review, office, city, whatif):
        app.include_router(mod.router)
    return app


def _path_error(exc: RequestValidationError) -> bool:
    """A malformed path parameter (/abc/nanchang) is a page that does not exist, not a bad form."""
    return any(e.get("loc", ("",))[0] == "path" for e in exc.errors())
