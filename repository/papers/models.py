"""Tables of test papers: saved exam matrices, drawn papers (a frozen snapshot of their versions and keys)
and students' practice attempts. The tables come from migration 0007.

A paper stores the questions it drew as JSON, not as references: editing or withdrawing a question later
must not change a paper that was already printed, published or taken.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from repository.db import Base
from repository.models import Timestamp, User, utcnow


class ExamMatrix(Base):
    """A saved matrix (ma trận đề): cells of topic × cognitive level × part with a count, and points per part."""

    __tablename__ = "exam_matrices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    cells: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    points: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    owner: Mapped[User] = relationship()


class TestPaper(Base):
    """A drawn paper. ``status`` is ``draft`` (its author only) or ``published`` (students may practise)."""

    __tablename__ = "test_papers"
    __test__ = False  # not a pytest test class, despite its name
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    header: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # school, subject, duration, exam
    seed: Mapped[str] = mapped_column(String(100))
    bank_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    matrix: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    points: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    versions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    shortfall: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(Timestamp())
    owner: Mapped[User] = relationship()


class PracticeAttempt(Base):
    """One graded attempt of a student at one version of a published paper."""

    __tablename__ = "practice_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("test_papers.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    version_code: Mapped[str] = mapped_column(String(10))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    max_score: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
