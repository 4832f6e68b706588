"""Migrations: from nothing to head, and 0001 → head with data in it, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from jxscore.portal.db import DatabaseError, _alembic_config, check_schema, current_revision, head_revision, make_engine


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    if request.param == "sqlite":
        url = "sqlite:///" + str(tmp_path / "m.db")
    else:
        url = request.getfixturevalue("pg_cluster").new_database(f"mig_{tmp_path.name[-12:].lower()}".replace("-", "_"))
    eng = make_engine(url)
    yield eng
    eng.dispose()


def test_head_is_0002_and_an_old_schema_is_refused(engine):
    assert head_revision() == "0002"
    command.upgrade(_alembic_config(engine), "0001")
    assert current_revision(engine) == "0001"
    with pytest.raises(DatabaseError) as e:
        check_schema(engine)
    assert e.value.problems[0].params["expected"] == "0002" and e.value.problems[0].value == "0001"


def test_upgrade_from_0001_keeps_the_rows(engine):
    cfg = _alembic_config(engine)
    command.upgrade(cfg, "0001")
    with engine.begin() as c:
        c.execute(text("INSERT INTO stored_files (id, sha256, size, media_type, data, created_at) "
                       "VALUES ('f1', 'ab', 1, 'application/pdf', :d, '2025-01-01 00:00:00')"), {"d": b"\x00"})
        c.execute(text("INSERT INTO rounds (id, year, state, criteria_file_id, opened_at) "
                       "VALUES (1, 2024, 'locked', 'f1', '2025-01-01 00:00:00')"))
        c.execute(text("INSERT INTO publications (id, round_id, version, status, created_at) "
                       "VALUES (1, 1, 1, 'done', '2025-01-02 00:00:00')"))
        c.execute(text("INSERT INTO documents (publication_id, kind, city, file_id) VALUES (1, 'summary', '', 'f1')"))
    command.upgrade(cfg, "head")
    check_schema(engine)
    with engine.begin() as c:
        assert c.execute(text("SELECT id, version, revision FROM publications")).all() == [(1, 1, 1)]
        assert c.execute(text("SELECT kind, file_id FROM documents")).all() == [("summary", "f1")]
        # a second revision of version 1 is now allowed; a second (version 1, revision 1) is not
        c.execute(text("INSERT INTO publications (id, round_id, version, revision, status, created_at) "
                       "VALUES (2, 1, 1, 2, 'done', '2025-01-03 00:00:00')"))
    with pytest.raises(IntegrityError):
        with engine.begin() as c:
            c.execute(text("INSERT INTO publications (id, round_id, version, revision, status, created_at) "
                           "VALUES (3, 1, 1, 2, 'done', '2025-01-03 00:00:00')"))
    names = set(inspect(engine).get_table_names())
    assert {"stage_events", "objections", "objection_files"} <= names


def test_stage_events_are_append_only(engine):
    command.upgrade(_alembic_config(engine), "head")
    with engine.begin() as c:
        c.execute(text("INSERT INTO stored_files (id, sha256, size, media_type, data, created_at) "
                       "VALUES ('f1', 'ab', 1, 'text/plain', :d, '2025-01-01 00:00:00')"), {"d": b"x"})
        c.execute(text("INSERT INTO rounds (id, year, state, criteria_file_id, opened_at) "
                       "VALUES (1, 2024, 'locked', 'f1', '2025-01-01 00:00:00')"))
        c.execute(text("INSERT INTO stage_events (round_id, version, stage, at) "
                       "VALUES (1, 1, '公示', '2025-01-01 00:00:00')"))
    for sql in ("UPDATE stage_events SET stage = '公告'", "DELETE FROM stage_events"):
        with pytest.raises(Exception, match="append-only"):
            with engine.begin() as c:
                c.execute(text(sql))
