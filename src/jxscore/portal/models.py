"""The portal's tables as SQLAlchemy 2 typed models. Alembic migrations (`migrations/`) create them.

Files (workbooks, PDFs, CSVs, evidence) live in `stored_files` under a generated id, with their SHA-256;
no name from a request is ever used to store or find one.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every database (SQLite keeps no zone: stored naive UTC, read back aware)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


ROLES = ("office", "city")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # office | city
    city: Mapped[str | None] = mapped_column(String(16))  # the city's Chinese name, for role city
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Setting(Base):
    """Deployment secrets and settings generated on first start (the session key), never in the repository."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class StoredFile(Base):
    __tablename__ = "stored_files"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # uuid4 hex: the generated name
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Round(Base):
    """One year's assessment: opened with the criteria and office.xlsx, open for submissions until locked."""

    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    state: Mapped[str] = mapped_column(String(16), default="open")  # open | locked
    criteria_file_id: Mapped[str] = mapped_column(ForeignKey("stored_files.id"))
    office_file_id: Mapped[str | None] = mapped_column(ForeignKey("stored_files.id"))
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    criteria_file: Mapped[StoredFile] = relationship(foreign_keys=[criteria_file_id])
    office_file: Mapped[StoredFile | None] = relationship(foreign_keys=[office_file_id])


class Submission(Base):
    """One upload of a city's workbook: the bytes when clean, the problems found when not."""

    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    city: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # ok | errors
    file_id: Mapped[str | None] = mapped_column(ForeignKey("stored_files.id"))  # stored only when clean
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    problems: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of problem records (zh)
    submitted_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Publication(Base):
    """One published version of a round's results; never changed once done (publishing again adds one)."""

    __tablename__ = "publications"
    __table_args__ = (UniqueConstraint("round_id", "version", "revision", name="uq_publications_version_revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)  # the version of the round that goes through 公示
    revision: Mapped[int] = mapped_column(Integer, default=1)  # re-scored during 复查: 2, 3, …
    status: Mapped[str] = mapped_column(String(16))  # rendering | done | failed
    done: Mapped[int] = mapped_column(Integer, default=0)  # documents rendered so far
    total: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")  # why it failed, for the office
    input_hash: Mapped[str] = mapped_column(String(64), default="")
    signed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    round: Mapped[Round] = relationship()
    documents: Mapped[list[Document]] = relationship(back_populates="publication", order_by="Document.id")


class Document(Base):
    """A file of a publication: a city's scorecard (city set) or a provincial file (city empty)."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("publication_id", "kind", "city", name="uq_documents_kind_city"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # scorecard | summary | scores | ledger | verification | ...
    city: Mapped[str] = mapped_column(String(16), default="")
    file_id: Mapped[str] = mapped_column(ForeignKey("stored_files.id"))

    publication: Mapped[Publication] = relationship(back_populates="documents")
    file: Mapped[StoredFile] = relationship()


class AuditEvent(Base):
    """Append-only (database triggers refuse UPDATE and DELETE): who did what, when, to which file."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    user_name: Mapped[str] = mapped_column(String(64))  # as typed, for failed logins of unknown names
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(200), default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    ip: Mapped[str] = mapped_column(String(64), default="")


STAGES = ("公示", "复查", "审定", "公告")  # after 草稿 (the round collecting data), in this order, never back


class StageEvent(Base):
    """A version of a round entering a stage (append-only): the current stage is the last one entered."""

    __tablename__ = "stage_events"
    __table_args__ = (UniqueConstraint("round_id", "version", "stage", name="uq_stage_events_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 公示: objections accepted until then
    note: Mapped[str] = mapped_column(Text, default="")


class Objection(Base):
    """A city's 异议 to one of its ledger rows or findings, and the office's answer (采纳 / 不予采纳)."""

    __tablename__ = "objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id"))  # the results objected to
    city: Mapped[str] = mapped_column(String(16), index=True)
    target: Mapped[str] = mapped_column(String(120))  # ledger:A1 | finding:<code>:<key>
    target_label: Mapped[str] = mapped_column(String(400), default="")  # what the city saw, as it saw it
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | accepted | rejected
    filed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    correction_file_id: Mapped[str | None] = mapped_column(ForeignKey("stored_files.id"))  # corrected workbook
    result_publication_id: Mapped[int | None] = mapped_column(ForeignKey("publications.id"))  # the re-score

    files: Mapped[list[ObjectionFile]] = relationship(order_by="ObjectionFile.id")


class ObjectionFile(Base):
    """Evidence attached to an objection (PDF or image), stored under a generated id."""

    __tablename__ = "objection_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    objection_id: Mapped[int] = mapped_column(ForeignKey("objections.id"), index=True)
    file_id: Mapped[str] = mapped_column(ForeignKey("stored_files.id"))
    label: Mapped[str] = mapped_column(String(100), default="")  # a cleaned display name, never a path

    file: Mapped[StoredFile] = relationship()
