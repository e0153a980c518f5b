"""Reading materials for views and the API, with authorization applied."""

from __future__ import annotations

from typing import Any

from flask import abort, url_for
from flask_login import current_user
from sqlalchemy.orm import Session

from repository.materials.lectures import scorm_as_dict, slides_as_dict
from repository.materials.services import latest_job, material_files
from repository.models import Material, MaterialFile, MaterialVersion
from repository.permissions import can_see_unpublished, can_view_material


def get_visible_material(session: Session, material_id: int) -> Material:
    """The material if the current user may see it; 404 otherwise (existence does not leak)."""
    material = session.get(Material, material_id)
    if material is None or not can_view_material(current_user, material):
        abort(404)
    return material


def visible_version_id(material: Material) -> int | None:
    """Which version the current user sees: the newest for its owner/reviewers/admins, else the published."""
    if can_see_unpublished(current_user, material):
        return material.current_version_id
    return material.published_version_id


def file_url(material_id: int, file_id: int, action: str = "download") -> str:
    return url_for("materials.file", material_id=material_id, file_id=file_id, action=action)


def media_url(material_id: int, version_number: int, name: str) -> str:
    return url_for("materials.media", material_id=material_id, version_number=version_number, name=name)


def caption_language(stored: MaterialFile) -> str:
    """Captions are stored as ``captions/<lang>.vtt``."""
    return stored.filename.rsplit("/", 1)[-1].removesuffix(".vtt")


def media_as_dict(material: Material, version: MaterialVersion | None,
                  files: list[MaterialFile]) -> dict[str, Any] | None:
    """Where a video or audio lecture streams from; None for anything else or before ingest succeeded."""
    if version is None or version.ingest_status != "succeeded":
        return None
    meta = (version.doc_metadata or {}).get("media")
    if not meta:
        return None

    def url(name: str | None) -> str | None:
        return media_url(material.id, version.number, name) if name else None
    return {"kind": meta["kind"], "duration": meta["duration"], "hls": url(meta["master"]),
            "mp4": url(meta["fallback"]), "poster": url(meta.get("poster")), "thumbnails": url(meta.get("thumbnails")),
            "renditions": [{"name": r["name"], "height": r["height"], "bandwidth": r["bandwidth"]}
                           for r in meta.get("renditions", [])],
            "captions": [{"lang": caption_language(f), "url": url(f.filename)}
                         for f in files if f.role == "captions"]}


def chapters_from_outline(outline: list[list[Any]], page_count: int | None) -> list[dict[str, Any]]:
    """The PDF outline as chapters with page ranges: a chapter ends where the next one begins."""
    # In page order; entries starting on the same page keep the outline's order (a chapter before its first lesson).
    starts = sorted(dict.fromkeys((int(page), str(title)) for title, page in outline
                                  if 1 <= int(page) <= (page_count or 0)), key=lambda start: start[0])
    chapters = []
    for index, (first, title) in enumerate(starts):
        following = [page for page, _ in starts[index + 1:] if page > first]
        chapters.append({"title": title, "first_page": first,
                         "last_page": (following[0] - 1) if following else page_count})
    return chapters


def document_as_dict(version: MaterialVersion | None) -> dict[str, Any]:
    """Chapters and OCR'd pages of a paged version (PDF, DOCX; empty for other kinds of file), and whether
    it has any text at all (``False``: an image-only scan that was not OCR'd, found by its metadata only)."""
    meta = (version.doc_metadata or {}) if version is not None else {}
    return {"chapters": chapters_from_outline(meta.get("outline") or [], version.page_count if version else None),
            "ocr_pages": list(meta.get("ocr_pages") or []), "has_text": meta.get("has_text"),
            "source_format": meta.get("source_format")}


def lecture_package_dicts(session: Session, material: Material,
                          version: MaterialVersion | None) -> dict[str, Any]:
    """The API's "slides" of a deck and "scorm" of a package (absent for other files)."""
    found = {"slides": slides_as_dict(version), "scorm": scorm_as_dict(session, material, version)}
    return {key: value for key, value in found.items() if value is not None}


def material_as_dict(session: Session, material: Material) -> dict[str, Any]:
    version_id = visible_version_id(material)
    version = session.get(MaterialVersion, version_id) if version_id else None
    all_files = material_files(session, version_id)
    files = [f for f in all_files if f.role == "original"]
    job = latest_job(session, material.current_version_id) if can_see_unpublished(current_user, material) \
        else None
    data = {
        "id": material.id,
        "title": material.title,
        "description": material.description,
        "kind": material.kind,
        "level": material.level,
        "grade": material.grade,
        "subject": material.subject,
        "series": material.series or None,
        "chapter": material.chapter or None,
        "lesson": material.lesson or None,
        "licence": material.licence,
        "status": material.status,
        "owner": {"id": material.owner_id, "name": material.owner.name},
        "created_at": material.created_at.isoformat(),
        "published_at": material.published_at.isoformat() if material.published_at else None,
        "pages": version.page_count if version else None,
        "ingest_status": version.ingest_status if version else None,
        "files": [{"id": f.id, "name": f.filename, "size": f.size, "sha256": f.sha256,
                   "content_type": f.content_type, "url": file_url(material.id, f.id)} for f in files],
        "versions": [{"number": v.number, "created_at": v.created_at.isoformat(),
                      "ingest_status": v.ingest_status,
                      "published": v.id == material.published_version_id}
                     for v in material.versions if can_see_unpublished(current_user, material)
                     or v.id == material.published_version_id],
        "job": {"id": job.id, "status": job.status, "progress": job.progress} if job else None,
        "url": url_for("materials.detail", material_id=material.id),
        **document_as_dict(version),
    }
    derived = {f.role: f for f in all_files if f.role in ("thumbnail", "preview")}
    data["cover"] = file_url(material.id, derived["thumbnail"].id, "view") if "thumbnail" in derived else None
    data["preview"] = file_url(material.id, derived["preview"].id, "view") if "preview" in derived else None
    media = media_as_dict(material, version, all_files)
    if media is not None:
        data["media"] = media
    data.update(lecture_package_dicts(session, material, version))
    return data
