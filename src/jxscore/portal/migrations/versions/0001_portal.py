"""The portal's first schema: users, settings, stored files, rounds, submissions, publications, audit log.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("city", sa.String(16)),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
        _ts("locked_until", True),
        _ts("created_at"),
        sa.CheckConstraint("role IN ('office', 'city')", name="ck_users_role"),
        sa.CheckConstraint("(role = 'city') = (city IS NOT NULL)", name="ck_users_city"),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "stored_files",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False, index=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        _ts("created_at"),
    )
    op.create_table(
        "rounds",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("year", sa.Integer, nullable=False, unique=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("criteria_file_id", sa.String(32), sa.ForeignKey("stored_files.id"), nullable=False),
        sa.Column("office_file_id", sa.String(32), sa.ForeignKey("stored_files.id")),
        sa.Column("opened_by", sa.Integer, sa.ForeignKey("users.id")),
        _ts("opened_at"),
        sa.Column("locked_by", sa.Integer, sa.ForeignKey("users.id")),
        _ts("locked_at", True),
        sa.CheckConstraint("state IN ('open', 'locked')", name="ck_rounds_state"),
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.id"), nullable=False, index=True),
        sa.Column("city", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("file_id", sa.String(32), sa.ForeignKey("stored_files.id")),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("problems", sa.Text, nullable=False),
        sa.Column("submitted_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        _ts("submitted_at"),
    )
    op.create_table(
        "publications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.id"), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("total", sa.Integer, nullable=False, server_default="0"),
        sa.Column("message", sa.Text, nullable=False, server_default=""),
        sa.Column("input_hash", sa.String(64), nullable=False, server_default=""),
        sa.Column("signed", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id")),
        _ts("created_at"),
        _ts("finished_at", True),
        sa.UniqueConstraint("round_id", "version", name="uq_publications_round_version"),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("publication_id", sa.Integer, sa.ForeignKey("publications.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("city", sa.String(16), nullable=False, server_default=""),
        sa.Column("file_id", sa.String(32), sa.ForeignKey("stored_files.id"), nullable=False),
        sa.UniqueConstraint("publication_id", "kind", "city", name="uq_documents_kind_city"),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer, primary_key=True),
        _ts("at"),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(200), nullable=False, server_default=""),
        sa.Column("sha256", sa.String(64), nullable=False, server_default=""),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.Column("ip", sa.String(64), nullable=False, server_default=""),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    _append_only("audit_events")


def _append_only(table: str) -> None:
    """The database itself refuses to change or remove a row, whatever the application does."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '{table} is append-only'; END $$;""")
        op.execute(f"""CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table}
                       FOR EACH ROW EXECUTE FUNCTION {table}_append_only();""")
    else:
        for what in ("UPDATE", "DELETE"):
            op.execute(f"""CREATE TRIGGER {table}_no_{what.lower()} BEFORE {what} ON {table}
                           BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;""")


def downgrade() -> None:
    for t in ("audit_events", "documents", "publications", "submissions", "rounds", "stored_files", "settings",
              "users"):
        op.drop_table(t)
