"""Tables of the review workflow: rubric decisions, reviewers' expertise, assignments, the mail outbox.

Imported by review.registration, so the models are known to SQLAlchemy wherever the app exists; the tables
themselves come from migration 0002.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from repository.db import Base
from repository.models import AuditRecord, Timestamp, User, utcnow


class ReviewDecision(Base):
    """One reviewer's rubric and decision on one version of a material. Append-only."""

    __tablename__ = "review_decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int | None] = mapped_column(Integer)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[str] = mapped_column(String(30))
    summary: Mapped[str] = mapped_column(Text, default="")
    scores: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    comments: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    audit_id: Mapped[int | None] = mapped_column(ForeignKey("audit_records.id"), index=True)
    reviewer: Mapped[User] = relationship()
    audit: Mapped[AuditRecord | None] = relationship()


class ReviewerExpertise(Base):
    """A (subject, level) pair a reviewer is qualified to review."""

    __tablename__ = "reviewer_expertise"
    __table_args__ = (UniqueConstraint("user_id", "subject", "level"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(60))
    level: Mapped[str] = mapped_column(String(40))


class ReviewAssignment(Base):
    """Who reviews a submission, until when. ``open_slot`` is 1 while open and NULL once closed: the unique
    constraint on (material_id, open_slot) lets the database refuse a second open assignment."""

    __tablename__ = "review_assignments"
    __table_args__ = (UniqueConstraint("material_id", "open_slot"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    how: Mapped[str] = mapped_column(String(20))  # routed | claimed | reassigned
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | done | overdue | released
    open_slot: Mapped[int | None] = mapped_column(Integer, default=1)
    assigned_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    due_at: Mapped[datetime] = mapped_column(Timestamp())
    closed_at: Mapped[datetime | None] = mapped_column(Timestamp())
    reviewer: Mapped[User] = relationship()


class MailOutbox(Base):
    """An e-mail to send, written in the transaction that caused it; a worker sends it (SMTP) and marks it."""

    __tablename__ = "mail_outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(Timestamp(), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(Timestamp())
    last_error: Mapped[str] = mapped_column(Text, default="")
