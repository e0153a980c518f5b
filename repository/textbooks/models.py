"""The link from a chapter of a textbook to a lesson material of the collection (issue 5).

Imported by repository.textbooks.registration, so the model is known wherever the app exists; the table
itself comes from migration 0004. The chapter's number, title and page range are copied at link time: a
new version of the book with another outline does not silently move what a lesson page says.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from repository.db import Base
from repository.models import Material, Timestamp, utcnow


class ChapterLink(Base):
    """Chapter ``chapter_number`` (1-based, in page order) of ``textbook`` covers ``lesson``."""

    __tablename__ = "textbook_chapter_links"
    __table_args__ = (UniqueConstraint("textbook_id", "chapter_number", "lesson_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    textbook_id: Mapped[int] = mapped_column(ForeignKey("materials.id", ondelete="CASCADE"), index=True)
    chapter_number: Mapped[int] = mapped_column(Integer)
    chapter_title: Mapped[str] = mapped_column(String(300))
    first_page: Mapped[int] = mapped_column(Integer)
    last_page: Mapped[int] = mapped_column(Integer)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("materials.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow)
    textbook: Mapped[Material] = relationship(foreign_keys=[textbook_id])
    lesson: Mapped[Material] = relationship(foreign_keys=[lesson_id])
