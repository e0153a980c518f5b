"""Reading materials for views and the API, with authorization applied."""

from __future__ import annotations

from typing import Any

from flask import abort, url_for
from flask_login import current_user
from sqlalchemy.orm import Session

from repository.materials.services import latest_job, material_files
from repository.models import Material, MaterialVersion
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


def material_as_dict(session: Session, material: Material) -> dict[str, Any]:
    version_id = visible_version_id(material)
    version = session.get(MaterialVersion, version_id) if version_id else None
    files = [f for f in material_files(session, version_id) if f.role == "original"]
    job = latest_job(session, material.current_version_id) if can_see_unpublished(current_user, material) \
        else None
    return {
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
    }
