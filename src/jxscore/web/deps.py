"""Who is asking and what they may see: the one role × city check every route depends on.

A city user asking for another city's page, an office page or anything unpublished gets the same 404 as a
page that does not exist; an anonymous visitor is sent to the login page.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from jxscore.portal.models import User


@dataclass(frozen=True)
class Viewer:
    """Who is signed in, as pages show it: a plain copy that outlives the request's transaction (error pages)."""

    id: int
    name: str
    role: str
    city: str | None


def password_tag(u: User) -> str:
    """What a session remembers of the password it was opened with: a digest of the argon2 hash (the cookie is
    signed, not encrypted), so a changed password ends the sessions opened with the old one."""
    import hashlib

    return hashlib.sha256(u.password_hash.encode()).hexdigest()[:16]


class LoginRequired(Exception):
    """Raised for an anonymous visitor; the app answers 303 → /login."""


def portal(request: Request):
    return request.app.state.portal


def db(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back when it raises."""
    with request.app.state.portal.sessions() as s, s.begin():
        yield s


# Every route takes its session as DB: "function" scope commits when the handler returns, before the response
# is sent, so a failed commit is the 500 page — never a page (or a download) whose audit row was not written.
DB = Depends(db, scope="function")


def now(request: Request) -> datetime:
    return request.app.state.portal.clock()


def current_user(request: Request, s: Session = DB) -> User | None:
    uid = request.session.get("uid")
    if uid is None:
        request.state.user = None
        return None
    u = s.get(User, uid)
    if u is None or u.disabled or request.session.get("pw") != password_tag(u):
        request.session.clear()  # disabled, removed or password changed since: signed out
        request.state.user = None
        return None
    request.state.user = Viewer(u.id, u.name, u.role, u.city)
    return u


def viewer(request: Request) -> Viewer | None:
    """The signed-in user for a page no dependency ran for (an unknown path's 404, an error page)."""
    if hasattr(request.state, "user"):
        return request.state.user
    request.state.user = None
    uid = request.session.get("uid")
    if uid is not None:
        with request.app.state.portal.sessions() as s:
            u = s.get(User, uid)
            if u is not None and not u.disabled and request.session.get("pw") == password_tag(u):
                request.state.user = Viewer(u.id, u.name, u.role, u.city)
    return request.state.user


def signed_in(user: User | None = Depends(current_user)) -> User:
    if user is None:
        raise LoginRequired()
    return user


def office(user: User = Depends(signed_in)) -> User:
    if user.role != "office":
        raise HTTPException(404)
    return user


@dataclass
class CityScope:
    """The city a request is about (from its slug) and the user asking, already checked."""

    user: User
    city: str
    slug: str
    year: int


def city_scope(year: int, slug: str, request: Request, user: User = Depends(signed_in)) -> CityScope:
    names = request.app.state.portal.city_by_slug
    city = names.get(slug)
    if city is None or (user.role == "city" and user.city != city):
        raise HTTPException(404)
    return CityScope(user, city, slug, year)


def own_city(user: User = Depends(signed_in)) -> User:
    """A city user (the office has no 'own' city)."""
    if user.role != "city":
        raise HTTPException(404)
    return user


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def round_or_404(s: Session, year: int):
    """The year's round; 404 when there is none."""
    from jxscore.portal.rounds import get_round

    rnd = get_round(s, year)
    if rnd is None:
        raise HTTPException(404)
    return rnd
