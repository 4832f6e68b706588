"""Form posts: parsed with limits, refused (403) without the session's CSRF token."""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from jxscore.web.security import BodyTooLarge, csrf_ok

MAX_FILES = 5  # evidence files on one objection; a submission has one


async def checked_form(request: Request, max_files: int = MAX_FILES) -> FormData:
    """`max_files` one past a form's own limit lets its handler say the count in Chinese."""
    try:
        form = await request.form(max_files=max_files, max_fields=100, max_part_size=64 * 1024)
    except BodyTooLarge:
        raise
    except Exception:  # noqa: BLE001 - malformed multipart, too many parts: a bad request, not a crash
        raise HTTPException(400)
    if not csrf_ok(request.session, form.get("csrf_token")):
        raise HTTPException(403)
    return form


async def posted(request: Request) -> FormData:
    """A POST's form, CSRF-checked, as a dependency: the handler can then be a plain function, which FastAPI
    runs in its thread pool, so database work (a write waiting for SQLite's lock, argon2) never blocks the
    event loop that the request holding the lock needs to finish."""
    return await checked_form(request)


async def posted_evidence(request: Request) -> FormData:
    """As `posted`, allowing one file past an objection's limit so its handler can say the count in Chinese."""
    return await checked_form(request, max_files=2 * MAX_FILES)
