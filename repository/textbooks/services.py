"""Textbook chapters: which chapter a page belongs to, and the links from a book's chapters to lessons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import g, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from repository.db import get_session
from repository.materials.queries import chapters_from_outline, visible_version_id
from repository.materials.services import MaterialError
from repository.models import Material, MaterialFile, MaterialVersion, User
from repository.permissions import can_edit_material, can_view_material
from repository.textbooks.models import ChapterLink

#: Kinds of material whose chapters may be linked to lessons.
BOOK_KINDS = frozenset({"sach-giao-khoa", "tai-lieu-tham-khao"})


@dataclass(frozen=True)
class Chapter:
    number: int
    title: str
    first_page: int
    last_page: int


def version_chapters(version: MaterialVersion | None) -> list[Chapter]:
    """The chapters of a version in page order, numbered from 1."""
    if version is None:
        return []
    outline = (version.doc_metadata or {}).get("outline") or []
    return [Chapter(number, c["title"], c["first_page"], c["last_page"])
            for number, c in enumerate(chapters_from_outline(outline, version.page_count), start=1)]


def chapter_of_page(chapters: list[Chapter], page: int) -> Chapter | None:
    """The innermost chapter holding ``page``: the last one in page order that starts at or before it."""
    holding = [c for c in chapters if c.first_page <= page <= (c.last_page or page)]
    return holding[-1] if holding else None


@dataclass(frozen=True)
class PublishedPages:
    """What a search hit needs about the pages of a published material."""

    chapters: list[Chapter]
    #: Whether its pages can be rendered (a PDF original, or a PDF made from a DOCX).
    renderable: bool


def published_pages(session: Session, material_id: int) -> PublishedPages:
    version = session.scalar(select(MaterialVersion).join(
        Material, MaterialVersion.id == Material.published_version_id).where(Material.id == material_id))
    if version is None:
        return PublishedPages([], renderable=False)
    pdf = session.scalar(select(MaterialFile.id).where(
        MaterialFile.version_id == version.id, MaterialFile.role.in_(("original", "preview")),
        MaterialFile.content_type == "application/pdf").limit(1))
    return PublishedPages(version_chapters(version), renderable=pdf is not None)


def published_pages_of(session: Session, material_ids: list[int]) -> dict[int, PublishedPages]:
    """``published_pages`` of many materials in two statements (a page of search results)."""
    versions = dict(session.execute(select(Material.id, MaterialVersion).join(
        MaterialVersion, MaterialVersion.id == Material.published_version_id).where(Material.id.in_(material_ids))
    ).all())
    with_pdf = set(session.scalars(select(MaterialFile.version_id).where(
        MaterialFile.version_id.in_([v.id for v in versions.values()]),
        MaterialFile.role.in_(("original", "preview")), MaterialFile.content_type == "application/pdf")))
    return {material_id: PublishedPages(version_chapters(versions.get(material_id)),
                                        renderable=material_id in versions and versions[material_id].id in with_pdf)
            for material_id in material_ids}


def remember_published_pages(material_ids: list[int]) -> None:
    """Read the published pages of all the hits of a results page at once, for ``page_chapter`` and
    ``hit_thumbnail_url`` during this request (instead of two statements per hit)."""
    cache: dict[int, PublishedPages] = g.setdefault("published_pages", {})
    missing = [i for i in material_ids if i not in cache]
    if missing:
        cache.update(published_pages_of(get_session(), missing))


def _published(material_id: int) -> PublishedPages:
    """``published_pages`` cached for the request (one results page asks for each hit several times)."""
    cache: dict[int, PublishedPages] = g.setdefault("published_pages", {})
    if material_id not in cache:
        cache[material_id] = published_pages(get_session(), material_id)
    return cache[material_id]


def page_thumbnail_url(material_id: int, page: int) -> str:
    return url_for("textbooks.thumbnail", material_id=material_id, number=page)


def page_chapter(material_id: int, page: int) -> Chapter | None:
    """The chapter of a page of a published material (a search hit)."""
    return chapter_of_page(_published(material_id).chapters, page)


def hit_thumbnail_url(material_id: int, page: int) -> str | None:
    """The thumbnail of a page of a published material, or None when its pages cannot be rendered."""
    return page_thumbnail_url(material_id, page) if _published(material_id).renderable else None


def may_link_chapters(user: Any, book: Material) -> bool:
    return book.kind in BOOK_KINDS and can_edit_material(user, book)


def link_chapter(session: Session, book: Material, chapter_number: int, lesson_id: int, user: User) -> ChapterLink:
    """Link chapter ``chapter_number`` of the version of ``book`` the user sees to a lesson the user may
    see. Raises MaterialError (nothing is written)."""
    version_id = visible_version_id(book)
    chapters = version_chapters(session.get(MaterialVersion, version_id) if version_id else None)
    chapter = next((c for c in chapters if c.number == chapter_number), None)
    if chapter is None:
        raise MaterialError("chapter", f"Sách không có chương {chapter_number}.", "no_such_chapter")
    lesson = session.get(Material, lesson_id)
    if lesson is None or not can_view_material(user, lesson):
        raise MaterialError("lesson_id", f"Không tìm thấy học liệu số {lesson_id}.", "no_such_lesson", 404)
    if lesson.id == book.id:
        raise MaterialError("lesson_id", "Không thể liên kết sách với chính nó.", "self_link")
    existing = session.scalar(select(ChapterLink).where(
        ChapterLink.textbook_id == book.id, ChapterLink.chapter_number == chapter.number,
        ChapterLink.lesson_id == lesson.id))
    if existing is not None:
        raise MaterialError("lesson_id", "Chương này đã được liên kết với học liệu đó.", "duplicate", 409)
    link = ChapterLink(textbook_id=book.id, chapter_number=chapter.number, chapter_title=chapter.title[:300],
                       first_page=chapter.first_page, last_page=chapter.last_page or chapter.first_page,
                       lesson_id=lesson.id, created_by=user.id)
    session.add(link)
    session.flush()
    return link


def links_of_book(session: Session, book: Material) -> list[ChapterLink]:
    """The book's links whose lesson the current user may see."""
    links = session.scalars(select(ChapterLink).where(ChapterLink.textbook_id == book.id)
                            .order_by(ChapterLink.chapter_number, ChapterLink.id)).all()
    return [link for link in links if can_view_material(current_user, link.lesson)]


def links_of_lesson(session: Session, lesson: Material) -> list[ChapterLink]:
    """Where the lesson is in textbooks, only for books the current user may see (a book's existence
    does not leak through a lesson page)."""
    links = session.scalars(select(ChapterLink).where(ChapterLink.lesson_id == lesson.id)
                            .order_by(ChapterLink.textbook_id, ChapterLink.chapter_number)).all()
    return [link for link in links if can_view_material(current_user, link.textbook)]


def link_as_dict(link: ChapterLink) -> dict[str, Any]:
    return {"id": link.id, "textbook": {"id": link.textbook_id, "title": link.textbook.title},
            "lesson": {"id": link.lesson_id, "title": link.lesson.title},
            "chapter": link.chapter_number, "chapter_title": link.chapter_title,
            "first_page": link.first_page, "last_page": link.last_page}
