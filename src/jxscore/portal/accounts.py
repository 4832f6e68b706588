"""Accounts: argon2 password hashes, disabling, and the lock-out after repeated failed logins."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from jxscore.core.problems import Code, JxError, Problem
from jxscore.portal import audit
from jxscore.portal.models import ROLES, User

MAX_FAILS = 5  # failed logins in a row before the account is locked
LOCK_FOR = timedelta(minutes=15)
NAME = re.compile(r"^[\w.\-]{1,64}$")  # \w includes Chinese characters

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters
_DUMMY = _hasher.hash("not a password")  # verified against for unknown names, so timing does not tell


class AccountError(JxError):
    """A user cannot be added or changed as asked."""


def add_user(s: Session, now: datetime, name: str, role: str, password: str, city: str | None,
             cities: list[str], by: User | None = None) -> User:
    problems = []
    if not NAME.match(name or ""):
        problems.append(Problem.make(Code.USER_NAME, value=name))
    if role not in ROLES or (role == "city") != bool(city):
        problems.append(Problem.make(Code.USER_ROLE, value=role if role not in ROLES else f"{role} {city or ''}"))
    if city and city not in cities:
        problems.append(Problem.make(Code.UNKNOWN_CITY, value=city, known=" ".join(cities)))
    if not password:
        problems.append(Problem.make(Code.PASSWORD_EMPTY))
    if name and s.scalar(select(User.id).where(User.name == name)) is not None:
        problems.append(Problem.make(Code.USER_EXISTS, value=name))
    if problems:
        raise AccountError(problems)
    u = User(name=name, role=role, city=city if role == "city" else None, password_hash=_hasher.hash(password),
             disabled=False, failed_logins=0, created_at=now)
    s.add(u)
    s.flush()
    audit.record(s, now, audit.Action.USER_ADDED, user=by, user_name="(cli)", target=name,
                 detail=f"{role} {city or ''}".strip())
    return u


def list_users(s: Session) -> list[User]:
    return list(s.scalars(select(User).order_by(User.role.desc(), User.city, User.name)))


def disable_user(s: Session, now: datetime, name: str, by: User | None = None) -> User:
    u = s.scalar(select(User).where(User.name == name))
    if u is None:
        raise AccountError(Problem.make(Code.USER_UNKNOWN, value=name))
    u.disabled = True
    audit.record(s, now, audit.Action.USER_DISABLED, user=by, user_name="(cli)", target=name)
    return u


class Login(StrEnum):
    OK = "ok"
    BAD = "bad"  # unknown name, wrong password or disabled account: the page says the same for all three
    LOCKED = "locked"


@dataclass
class LoginResult:
    outcome: Login
    user: User | None = None
    locked_until: datetime | None = None


def authenticate(s: Session, now: datetime, name: str, password: str, ip: str = "") -> LoginResult:
    """Check a password; the 5th failure in a row locks the account for 15 minutes. Every attempt is logged."""
    u = s.scalar(select(User).where(User.name == name)) if name else None
    if u is None:
        try:
            _hasher.verify(_DUMMY, password or "-")
        except VerificationError:
            pass
        audit.record(s, now, audit.Action.LOGIN_FAILED, user_name=name, detail="unknown", ip=ip)
        return LoginResult(Login.BAD)
    if u.locked_until is not None and u.locked_until > now:
        audit.record(s, now, audit.Action.LOGIN_LOCKED, user=u, ip=ip)
        return LoginResult(Login.LOCKED, locked_until=u.locked_until)
    try:
        ok = _hasher.verify(u.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        ok = False
    if ok and not u.disabled:
        u.failed_logins, u.locked_until = 0, None
        if _hasher.check_needs_rehash(u.password_hash):
            u.password_hash = _hasher.hash(password)
        audit.record(s, now, audit.Action.LOGIN, user=u, ip=ip)
        return LoginResult(Login.OK, u)
    if u.disabled:
        audit.record(s, now, audit.Action.LOGIN_FAILED, user=u, detail="disabled", ip=ip)
        return LoginResult(Login.BAD)
    # raised in the database (UPDATE … + 1), so failures arriving at once are all counted
    s.execute(update(User).where(User.id == u.id).values(failed_logins=User.failed_logins + 1))
    s.refresh(u, ["failed_logins"])
    if u.failed_logins >= MAX_FAILS:
        u.failed_logins, u.locked_until = 0, now + LOCK_FOR
        audit.record(s, now, audit.Action.LOGIN_FAILED, user=u, detail=f"locked until {u.locked_until.isoformat()}",
                     ip=ip)
        return LoginResult(Login.LOCKED, locked_until=u.locked_until)
    audit.record(s, now, audit.Action.LOGIN_FAILED, user=u, detail=f"{u.failed_logins}/{MAX_FAILS}", ip=ip)
    return LoginResult(Login.BAD)


def session_key(s: Session) -> str:
    """The cookie-signing key: generated on first start, kept in the database (never in the repository)."""
    import secrets

    from jxscore.portal.models import Setting

    row = s.get(Setting, "session_key")
    if row is None:
        row = Setting(key="session_key", value=secrets.token_urlsafe(48))
        s.add(row)
        s.flush()
    return row.value
