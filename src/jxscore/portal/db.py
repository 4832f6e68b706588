"""Database URLs, engines and the schema version (Alembic), for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from jxscore.core.problems import Code, JxError, Problem
from jxscore.resources import migrations_dir

DEFAULT_URL = "sqlite:///jxscore.db"  # in the working folder


def default_url() -> str:
    return os.environ.get("JXSCORE_DB") or DEFAULT_URL


class DatabaseError(JxError):
    """The database cannot be used as asked (unreachable, out-of-date schema, bad URL): exit 2, a clear message."""


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")  # readers never wait for the one writer (11 uploads, 50 readers)
    cur.execute("PRAGMA busy_timeout=10000")  # writers queue for up to 10 s instead of failing at once
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str | None = None) -> Engine:
    url = url or default_url()
    try:
        if url.startswith("sqlite"):
            eng = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
            event.listen(eng, "connect", _sqlite_pragmas)
        else:
            eng = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    except Exception as e:  # noqa: BLE001 - a malformed URL or a missing driver, said plainly
        raise DatabaseError(Problem.make(Code.DB_URL, value=_safe(url), reason=type(e).__name__))
    return eng


def _safe(url: str) -> str:
    """The URL without its password, for messages and logs."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001
        return "(URL)"


def sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back (nothing half-written) when it raises."""
    with factory() as s, s.begin():
        yield s


def _alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    return ScriptDirectory.from_config(cfg).get_current_head() or ""


def current_revision(engine: Engine) -> str:
    from alembic.runtime.migration import MigrationContext

    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision() or ""
    except Exception as e:  # noqa: BLE001 - unreachable server, unreadable file
        raise DatabaseError(Problem.make(Code.DB_UNREACHABLE, value=_safe(str(engine.url)), reason=str(e)[:200]))


def upgrade(engine: Engine) -> tuple[str, str]:
    """Apply every migration not yet applied; returns (revision before, revision after)."""
    from alembic import command

    before = current_revision(engine)
    command.upgrade(_alembic_config(engine), "head")
    return before, current_revision(engine)


def check_schema(engine: Engine) -> None:
    """Refuse to serve a database whose schema is not the code's (run `jxscore db upgrade`)."""
    have, want = current_revision(engine), head_revision()
    if have != want:
        raise DatabaseError(Problem.make(Code.DB_OUTDATED, value=have or "（空）", expected=want,
                                         url=_safe(str(engine.url))))


def open_db(url: str | None = None) -> sessionmaker[Session]:
    """Sessions on a database whose schema is current (DatabaseError otherwise)."""
    engine = make_engine(url)
    check_schema(engine)
    return sessions(engine)
