"""Database models of the core: units, users, reference data, materials and their versions, jobs,
the audit trail and the search outbox. The schema itself is created by the Alembic migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, String, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from repository.db import Base


def utcnow() -> datetime:
    return datetime.now(UTC)


class Timestamp(TypeDecorator):
    """Timezone-aware UTC timestamps on every database (SQLite drops the zone: put it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class ReferenceItem(Base):
    """One row of a reference list (levels, subjects, kinds, series, provinces, licences, ...),
    loaded from the CSVs in repository/reference by ``hoclieu db upgrade``."""

    __tablename__ = "reference_items"
    domain: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(80), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Unit(Base):
    """An organisational unit: the ministry, a provincial department, a school."""

    __tablename__ = "units"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # ministry | province | school
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    province_code: Mapped[str | None] = mapped_column(String(20))
    parent: Mapped[Unit | None] = relationship(remote_side=[id])


class User(UserMixin, Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))  # teacher | reviewer | student | admin
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on password change or "log out everywhere": sessions and remember cookies carry it.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(Timestamp())
    unit: Mapped[Unit | None] = relationship()

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active


class ApiToken(Base):
    """A personal access token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(Timestamp())
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp())
    user: Mapped[User] = relationship()


class Material(Base):
    """A learning material. ``status`` is a state of review.states; students see it only through
    ``published_version_id``."""

    __tablename__ = "materials"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(40), index=True)
    level: Mapped[str] = mapped_column(String(40))
    grade: Mapped[int | None] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(60), index=True)
    series: Mapped[str] = mapped_column(String(40), default="")
    chapter: Mapped[str] = mapped_column(String(300), default="")
    lesson: Mapped[str] = mapped_column(String(300), default="")
    licence: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(30), index=True)
    current_version_id: Mapped[int | None] = mapped_column(Integer)
    published_version_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # Optimistic lock: every state change bumps it, so two concurrent decisions cannot both win.
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(Timestamp())
    owner: Mapped[User] = relationship()
    unit: Mapped[Unit | None] = relationship()
    versions: Mapped[list[MaterialVersion]] = relationship(
        back_populates="material", order_by="MaterialVersion.number")

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def is_published(self) -> bool:
        return self.published_version_id is not None


class MaterialVersion(Base):
    """One uploaded revision of a material, with what ingest extracted from it."""

    __tablename__ = "material_versions"
    __table_args__ = (UniqueConstraint("material_id", "number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id", ondelete="CASCADE"),
                                             index=True)
    number: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    ingest_status: Mapped[str] = mapped_column(String(20), default="pending")
    ingest_error: Mapped[str] = mapped_column(Text, default="")
    file_type: Mapped[str] = mapped_column(String(40), default="")
    page_count: Mapped[int | None] = mapped_column(Integer)
    doc_metadata: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    material: Mapped[Material] = relationship(back_populates="versions")
    files: Mapped[list[MaterialFile]] = relationship(back_populates="version",
                                                     order_by="MaterialFile.id")


class MaterialFile(Base):
    """A stored file of a version: the original upload or a derivative. Records which backend and
    key hold it, so files survive a change of the default backend."""

    __tablename__ = "material_files"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("material_versions.id", ondelete="CASCADE"),
                                            index=True)
    role: Mapped[str] = mapped_column(String(20))  # original | thumbnail | preview
    filename: Mapped[str] = mapped_column(String(255))  # display only, never a storage key
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(100))
    storage_backend: Mapped[str] = mapped_column(String(20))
    storage_key: Mapped[str] = mapped_column(String(300))
    version: Mapped[MaterialVersion] = relationship(back_populates="files")


#: PageText.source of a slide deck's pages: page N is slide N (ingest.deck_ingest), and search hits say "slide".
SLIDE_SOURCE = "slide"


class PageText(Base):
    __tablename__ = "page_texts"
    __table_args__ = (UniqueConstraint("version_id", "number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("material_versions.id", ondelete="CASCADE"),
                                            index=True)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20), default="text-layer")


class Job(Base):
    """The durable record of a background job; the queue only carries its id."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("material_versions.id", ondelete="CASCADE"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(String(300), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    worker: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    enqueued_at: Mapped[datetime | None] = mapped_column(Timestamp())
    run_after: Mapped[datetime | None] = mapped_column(Timestamp())
    started_at: Mapped[datetime | None] = mapped_column(Timestamp())
    heartbeat_at: Mapped[datetime | None] = mapped_column(Timestamp())
    finished_at: Mapped[datetime | None] = mapped_column(Timestamp())


class AuditRecord(Base):
    """Who did what to a material, when, from which state to which, and why. Append-only."""

    __tablename__ = "audit_records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id", ondelete="CASCADE"),
                                             index=True)
    version_id: Mapped[int | None] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str] = mapped_column(String(30), default="")
    to_state: Mapped[str] = mapped_column(String(30), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[User | None] = relationship()


class SearchOutbox(Base):
    """A change the search index has yet to see, written in the same transaction as the change."""

    __tablename__ = "search_outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    material_id: Mapped[int] = mapped_column(Integer, index=True)
    operation: Mapped[str] = mapped_column(String(10))  # upsert | delete
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(Timestamp(), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
