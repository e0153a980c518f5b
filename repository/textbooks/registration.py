"""Plugs textbooks into the app: the chapter-link table, the routes, and the helpers the material page and
the search results use (chapters, page thumbnails, where a lesson is in the textbooks)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_login import current_user
from sqlalchemy import select

from repository.db import get_session
from repository.models import Material, MaterialVersion, PageText
from repository.textbooks import models  # noqa: F401  (registers the chapter-link table on Base.metadata)
from repository.textbooks.services import (
    chapter_of_page,
    hit_thumbnail_url,
    links_of_book,
    links_of_lesson,
    may_link_chapters,
    page_chapter,
    page_thumbnail_url,
    version_chapters,
)
from repository.textbooks.views import bp

#: Sections of a DOCX shown as text on the material page when there is no PDF of it.
MAX_SECTIONS_SHOWN = 300


def document_sections(version: MaterialVersion | None) -> list[PageText]:
    if version is None:
        return []
    return list(get_session().scalars(select(PageText).where(PageText.version_id == version.id)
                                      .order_by(PageText.number).limit(MAX_SECTIONS_SHOWN)))


def register(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def textbook_helpers() -> dict[str, Any]:
        return {"book_chapters": version_chapters, "page_thumbnail_url": page_thumbnail_url,
                "page_chapter": page_chapter, "hit_thumbnail_url": hit_thumbnail_url,
                "document_sections": document_sections,
                "chapter_of_page": chapter_of_page,
                "chapter_links_of_book": lambda book: links_of_book(get_session(), book),
                "textbook_links_of_lesson": lambda lesson: links_of_lesson(get_session(), lesson),
                "may_link_chapters": lambda book: isinstance(book, Material)
                and may_link_chapters(current_user, book)}
