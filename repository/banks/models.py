"""Tables of question banks: a question's identity, its versions, and the images of each version.

A bank is a Material of kind ``ngan-hang-cau-hoi``. A question keeps every version ever written; the
version students and test papers see is ``published_version_id``, and an edit of a published question
is a new version in ``pending`` that a reviewer must approve (see repository.banks.versions).
Imported by repository.banks.registration, so the models are known wherever the app exists; the tables
come from migration 0006.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from repository.db import Base
from repository.models import Material, Timestamp, utcnow

BANK_KIND = "ngan-hang-cau-hoi"

#: status of a question version -> Vietnamese label.
VERSION_STATES: dict[str, str] = {
    "draft": "Bản nháp",          # imported or edited, never published: published with the bank
    "pending": "Chờ thẩm định",   # an edit of a published question: needs a reviewer's approval
    "published": "Đã xuất bản",
    "superseded": "Đã thay thế",
    "rejected": "Bị từ chối",
}


class BankQuestion(Base):
    """The identity of one question in a bank, across its versions."""

    __tablename__ = "bank_questions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("materials.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    current_version_id: Mapped[int | None] = mapped_column(Integer)
    published_version_id: Mapped[int | None] = mapped_column(Integer, index=True)
    bank: Mapped[Material] = relationship()
    versions: Mapped[list[QuestionVersion]] = relationship(
        back_populates="question", order_by="QuestionVersion.number", cascade="all, delete-orphan")


class QuestionVersion(Base):
    """One version of a question: the searchable fields as columns, the type-specific data as JSON
    (``options`` / ``statements`` / ``answers`` / ``model_answer``, as in ingest.questions.model)."""

    __tablename__ = "question_versions"
    __table_args__ = (UniqueConstraint("question_id", "number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("bank_questions.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    type: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(300), default="")
    stem: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    subject: Mapped[str] = mapped_column(String(60), default="")
    grade: Mapped[int | None] = mapped_column(Integer)
    topic: Mapped[str] = mapped_column(String(300), default="", index=True)
    cognitive_level: Mapped[str] = mapped_column(String(40), default="", index=True)
    difficulty: Mapped[float | None] = mapped_column(Float)
    points: Mapped[float | None] = mapped_column(Float)
    source_ref: Mapped[str] = mapped_column(String(300), default="")
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(Timestamp())
    question: Mapped[BankQuestion] = relationship(back_populates="versions")
    images: Mapped[list[QuestionImage]] = relationship(
        back_populates="version", order_by="QuestionImage.id", cascade="all, delete-orphan")


class QuestionImage(Base):
    """An image of a question version, kept in the blob store (content-addressed key)."""

    __tablename__ = "question_images"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_backend: Mapped[str] = mapped_column(String(20))
    storage_key: Mapped[str] = mapped_column(String(300))
    version: Mapped[QuestionVersion] = relationship(back_populates="images")
