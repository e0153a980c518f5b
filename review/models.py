"""Tables of the review workflow: rubric decisions, reviewers' expertise, assignments, the mail outbox, the
scope a review round aims at, metadata snapshots of submitted versions, anchored comments, notifications.

Imported by review.registration, so the models are known to SQLAlchemy wherever the app exists; the tables
themselves come from migrations 0002 and 0003.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

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
    scope: Mapped[str] = mapped_column(String(20), default="")   # the scope the round aimed at
    round: Mapped[int] = mapped_column(Integer, default=0)       # ScopeRequest.round when decided
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
    reminded_at: Mapped[datetime | None] = mapped_column(Timestamp())
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


class ScopeRequest(Base):
    """The scope the material's current (or last) review round aims at. ``round`` grows with every submission,
    so approvals of an earlier round never count towards the next one."""

    __tablename__ = "review_scope_requests"
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id", ondelete="CASCADE"), primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))
    round: Mapped[int] = mapped_column(Integer, default=1)
    requested_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)


class VersionSnapshot(Base):
    """The material's metadata as it was when a version was submitted, so a reviewer of the next version sees
    what changed (metadata lives on the material and would otherwise be overwritten)."""

    __tablename__ = "review_version_snapshots"
    version_id: Mapped[int] = mapped_column(ForeignKey("material_versions.id", ondelete="CASCADE"),
                                            primary_key=True)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    taken_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)


class ReviewComment(Base):
    """A reviewer's comment anchored where it applies: a PDF page, a video time (seconds), a slide, a question,
    or the material as a whole. Append-only, recorded in the audit trail too."""

    __tablename__ = "review_comments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int | None] = mapped_column(Integer)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    anchor_kind: Mapped[str] = mapped_column(String(20))   # general | page | time | slide | question
    anchor: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    audit_id: Mapped[int | None] = mapped_column(ForeignKey("audit_records.id"))
    author: Mapped[User] = relationship()
    audit: Mapped[AuditRecord | None] = relationship()


class Notification(Base):
    """An in-app notification (the bell): a decision for the author, an assignment for a reviewer."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    material_id: Mapped[int | None] = mapped_column(ForeignKey("materials.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(Timestamp(), index=True)
