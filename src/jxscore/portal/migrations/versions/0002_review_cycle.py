"""The review cycle (公示 → 复查 → 审定 → 公告): stage events, objections with evidence, re-scored revisions.

Revision ID: 0002
Revises: 0001
"""

import importlib

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_first = importlib.import_module("jxscore.portal.migrations.versions.0001_portal")


def upgrade() -> None:
    # a version of a round is re-scored during 复查 as revision 2, 3, … of the same version
    with op.batch_alter_table("publications") as b:
        b.add_column(sa.Column("revision", sa.Integer, nullable=False, server_default="1"))
        b.drop_constraint("uq_publications_round_version", type_="unique")
        b.create_unique_constraint("uq_publications_version_revision", ["round_id", "version", "revision"])
    op.create_table(
        "stage_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.id"), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("stage", sa.String(8), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("window_end", sa.DateTime()),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.CheckConstraint("stage IN ('公示', '复查', '审定', '公告')", name="ck_stage_events_stage"),
        sa.UniqueConstraint("round_id", "version", "stage", name="uq_stage_events_once"),
    )
    _first._append_only("stage_events")
    op.create_table(
        "objections",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.id"), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("publication_id", sa.Integer, sa.ForeignKey("publications.id"), nullable=False),
        sa.Column("city", sa.String(16), nullable=False, index=True),
        sa.Column("target", sa.String(120), nullable=False),
        sa.Column("target_label", sa.String(400), nullable=False, server_default=""),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="open"),
        sa.Column("filed_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("filed_at", sa.DateTime(), nullable=False),
        sa.Column("answer", sa.Text, nullable=False, server_default=""),
        sa.Column("answered_by", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("answered_at", sa.DateTime()),
        sa.Column("correction_file_id", sa.String(32), sa.ForeignKey("stored_files.id")),
        sa.Column("result_publication_id", sa.Integer, sa.ForeignKey("publications.id")),
        sa.CheckConstraint("status IN ('open', 'accepted', 'rejected')", name="ck_objections_status"),
        sa.CheckConstraint("status != 'rejected' OR answer != ''", name="ck_objections_reason"),
    )
    op.create_table(
        "objection_files",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("objection_id", sa.Integer, sa.ForeignKey("objections.id"), nullable=False, index=True),
        sa.Column("file_id", sa.String(32), sa.ForeignKey("stored_files.id"), nullable=False),
        sa.Column("label", sa.String(100), nullable=False, server_default=""),
    )


def downgrade() -> None:
    for t in ("objection_files", "objections", "stage_events"):
        op.drop_table(t)
    with op.batch_alter_table("publications") as b:
        b.drop_constraint("uq_publications_version_revision", type_="unique")
        b.create_unique_constraint("uq_publications_round_version", ["round_id", "version"])
        b.drop_column("revision")
