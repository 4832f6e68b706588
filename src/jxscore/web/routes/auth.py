"""Login, logout and the home page that sends each user to their own door."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from jxscore.portal import audit
from jxscore.portal.accounts import Login, authenticate
from jxscore.portal.models import User
from jxscore.web.deps import DB, client_ip, current_user, now, password_tag, signed_in
from jxscore.web.forms import posted
from jxscore.web.pages import render
from jxscore.web.security import csrf_token

router = APIRouter()


@router.get("/login")
def login_page(request: Request, user: User | None = Depends(current_user)) -> Response:
    if user is not None:
        return RedirectResponse("/", status_code=303)
    return render(request, "login.html", error="", username="")


@router.post("/login")
def login(request: Request, s: Session = DB, t: datetime = Depends(now),
          form: FormData = Depends(posted)) -> Response:
    name = str(form.get("username") or "").strip()[:64]
    # a plain function: FastAPI runs it in its thread pool, so argon2 and the audit write never stall the loop
    res = authenticate(s, t, name, str(form.get("password") or ""), ip=client_ip(request))
    if res.outcome is Login.OK:
        request.session.clear()  # a new session (and CSRF token) for the signed-in user
        request.session.update(uid=res.user.id, pw=password_tag(res.user))
        csrf_token(request.session)
        return RedirectResponse("/", status_code=303)
    if res.outcome is Login.LOCKED:
        from jxscore.portal.clock import cst

        error = f"登录失败次数过多，账号已锁定至 {cst(res.locked_until)}（北京时间），请稍后再试。"
    else:
        error = "用户名或密码错误。"
    return render(request, "login.html", status=401, error=error, username=name)


@router.post("/logout")
def logout(request: Request, user: User = Depends(signed_in), s: Session = DB,
           t: datetime = Depends(now), _form: FormData = Depends(posted)) -> Response:
    audit.record(s, t, audit.Action.LOGOUT, user=user, ip=client_ip(request))
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/")
def home(request: Request, user: User = Depends(signed_in)) -> Response:
    if user.role == "office":
        return RedirectResponse("/office", status_code=303)
    return RedirectResponse("/city", status_code=303)
