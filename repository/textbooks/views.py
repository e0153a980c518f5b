"""Routes of textbooks: page thumbnails, and linking a book's chapters to lessons (form and API v1)."""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from repository.api import api_error
from repository.db import get_session
from repository.materials.queries import get_visible_material, visible_version_id
from repository.materials.services import MaterialError
from repository.models import MaterialVersion
from repository.textbooks.models import ChapterLink
from repository.textbooks.services import (
    link_as_dict,
    link_chapter,
    links_of_book,
    links_of_lesson,
    may_link_chapters,
)
from repository.textbooks.thumbnails import page_thumbnail

bp = Blueprint("textbooks", __name__, template_folder="templates")


@bp.get("/materials/<int:material_id>/pages/<int:number>/thumbnail.png")
def thumbnail(material_id: int, number: int):
    """A page's thumbnail, for whoever may see the version it belongs to (404 for anyone else)."""
    db = get_session()
    material = get_visible_material(db, material_id)
    version_id = visible_version_id(material)
    version = db.get(MaterialVersion, version_id) if version_id else None
    body = page_thumbnail(current_app, db, version, number) if version is not None else None
    if body is None:
        abort(404)
    response = Response(body, mimetype="image/png")
    response.set_etag(hashlib.sha256(body).hexdigest())
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response.make_conditional(request)


def _parse_int(raw: object, field: str, label_vi: str) -> int:
    text = str(raw if raw is not None else "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        raise MaterialError(field, f"{label_vi} phải là số nguyên dương.", "invalid")
    return int(text)


def _editable_book(material_id: int):
    db = get_session()
    book = get_visible_material(db, material_id)
    if not may_link_chapters(current_user, book):
        abort(403)
    return db, book


@bp.post("/materials/<int:material_id>/chapter-links")
@login_required
def add_link(material_id: int):
    db, book = _editable_book(material_id)
    try:
        link_chapter(db, book, _parse_int(request.form.get("chapter"), "chapter", "Số chương"),
                     _parse_int(request.form.get("lesson_id"), "lesson_id", "Số học liệu"), current_user)
        db.commit()
    except MaterialError as exc:
        db.rollback()
        flash(exc.message_vi, "error")
    else:
        flash(_("Đã liên kết chương với bài học."), "success")
    return redirect(url_for("materials.detail", material_id=book.id, _anchor="chapters"))


@bp.post("/materials/<int:material_id>/chapter-links/<int:link_id>/delete")
@login_required
def delete_link(material_id: int, link_id: int):
    db, book = _editable_book(material_id)
    link = db.get(ChapterLink, link_id)
    if link is None or link.textbook_id != book.id:
        abort(404)
    db.delete(link)
    db.commit()
    flash(_("Đã bỏ liên kết."), "success")
    return redirect(url_for("materials.detail", material_id=book.id, _anchor="chapters"))


@bp.get("/api/v1/materials/<int:material_id>/chapter-links")
def api_links(material_id: int):
    db = get_session()
    book = get_visible_material(db, material_id)
    return jsonify({"links": [link_as_dict(link) for link in links_of_book(db, book)],
                    "in_textbooks": [link_as_dict(link) for link in links_of_lesson(db, book)]})


@bp.post("/api/v1/materials/<int:material_id>/chapter-links")
@login_required
def api_add_link(material_id: int):
    db = get_session()
    book = get_visible_material(db, material_id)
    if not may_link_chapters(current_user, book):
        return api_error(403, "forbidden", "Chỉ chủ sở hữu sách hoặc quản trị viên được liên kết chương.")
    body = request.get_json(silent=True) or {}
    link = link_chapter(db, book, _parse_int(body.get("chapter"), "chapter", "Số chương"),
                        _parse_int(body.get("lesson_id"), "lesson_id", "Số học liệu"), current_user)
    db.commit()
    response = jsonify(link_as_dict(link))
    response.status_code = 201
    return response


@bp.delete("/api/v1/materials/<int:material_id>/chapter-links/<int:link_id>")
@login_required
def api_delete_link(material_id: int, link_id: int):
    db = get_session()
    book = get_visible_material(db, material_id)
    if not may_link_chapters(current_user, book):
        return api_error(403, "forbidden", "Chỉ chủ sở hữu sách hoặc quản trị viên được bỏ liên kết chương.")
    link = db.scalar(select(ChapterLink).where(ChapterLink.id == link_id, ChapterLink.textbook_id == book.id))
    if link is None:
        return api_error(404, "not_found", "Không tìm thấy liên kết này.")
    db.delete(link)
    db.commit()
    return Response(status=204)
