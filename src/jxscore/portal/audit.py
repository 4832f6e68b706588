"""The audit log: one append-only row per login, upload, lock, publish and office download."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from jxscore.portal.models import AuditEvent, User


class Action:
    """The actions recorded (stable strings: the log is read a year later)."""

    LOGIN = "login"
    LOGIN_FAILED = "login-failed"
    LOGIN_LOCKED = "login-locked"
    LOGOUT = "logout"
    USER_ADDED = "user-added"
    USER_DISABLED = "user-disabled"
    ROUND_OPENED = "round-opened"
    UPLOAD = "upload"
    UPLOAD_REFUSED = "upload-refused"
    LOCK = "lock"
    PUBLISH = "publish"
    PUBLISHED = "published"
    PUBLISH_FAILED = "publish-failed"
    DOWNLOAD = "download"
    STAGE = "stage"
    OBJECTION = "objection"
    EVIDENCE = "evidence"
    ANSWER = "answer"
    RESCORE = "rescore"
    CORRECTION = "correction"
    ANNOUNCE_FAILED = "announce-failed"


def record(s: Session, now: datetime, action: str, *, user: User | None = None, user_name: str = "",
           target: str = "", sha256: str = "", detail: str = "", ip: str = "") -> AuditEvent:
    ev = AuditEvent(at=now, user_id=user.id if user else None, user_name=(user.name if user else user_name)[:64],
                    action=action, target=target[:200], sha256=sha256, detail=detail, ip=ip[:64])
    s.add(ev)
    return ev


def events(s: Session, limit: int = 500, before_id: int | None = None) -> list[AuditEvent]:
    """Newest first, `limit` at a time (`before_id` pages back)."""
    q = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if before_id is not None:
        q = q.where(AuditEvent.id < before_id)
    return list(s.scalars(q))
