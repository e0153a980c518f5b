"""What changed between the version a reviewer decided on and the version now in review: metadata (from the
snapshot taken when each version was submitted) and files (name, size, content hash, pages, duration)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from repository.materials.services import METADATA_FIELDS, material_files
from repository.models import Material, MaterialVersion
from review.models import ReviewDecision, VersionSnapshot

#: Vietnamese labels of the compared fields, in display order.
FIELD_LABELS: dict[str, str] = {
    "title": "Tiêu đề", "description": "Mô tả", "kind": "Loại học liệu", "level": "Cấp học", "grade": "Lớp",
    "subject": "Môn học", "series": "Bộ sách", "chapter": "Chương", "lesson": "Bài", "licence": "Giấy phép",
    "file_name": "Tên tệp", "file_size": "Dung lượng (byte)", "file_sha256": "Mã băm nội dung (SHA-256)",
    "file_type": "Loại tệp", "page_count": "Số trang", "duration": "Thời lượng (giây)",
}


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    before: Any
    after: Any


@dataclass(frozen=True)
class VersionDiff:
    old: MaterialVersion
    new: MaterialVersion
    changes: list[Change]


def _version_fields(session: Session, version: MaterialVersion) -> dict[str, Any]:
    original = next((f for f in material_files(session, version.id) if f.role == "original"), None)
    media = (version.doc_metadata or {}).get("media") or {}
    return {"file_name": original.filename if original else None, "file_size": original.size if original else None,
            "file_sha256": original.sha256 if original else None, "file_type": version.file_type or None,
            "page_count": version.page_count, "duration": media.get("duration")}


def _holds_proposal(material: Material) -> bool:
    """A published material's new version carries its metadata in its snapshot until approval: the material's
    own fields are what the public sees meanwhile."""
    return material.published_version_id is not None and material.current_version_id != material.published_version_id


def snapshot(session: Session, material: Material) -> None:
    """Record the metadata and files of the current version as submitted (again, on a resubmission)."""
    version = session.get(MaterialVersion, material.current_version_id)
    if version is None:
        return
    row = session.get(VersionSnapshot, version.id) or VersionSnapshot(version_id=version.id)
    source = row.fields if row.fields and _holds_proposal(material) else \
        {name: getattr(material, name) for name in METADATA_FIELDS}
    row.fields = {**{name: source.get(name) for name in METADATA_FIELDS}, **_version_fields(session, version)}
    session.add(row)


def propose_metadata(session: Session, material: Material, metadata: dict[str, Any]) -> None:
    """New metadata for the version being revised: applied at once to a material nobody else sees, kept with the
    new version of a published material until that version is approved."""
    if not _holds_proposal(material):
        for name in METADATA_FIELDS:
            setattr(material, name, metadata[name])
    version = session.get(MaterialVersion, material.current_version_id)
    row = session.get(VersionSnapshot, version.id) or VersionSnapshot(version_id=version.id)
    row.fields = {**metadata, **_version_fields(session, version)}
    session.add(row)


def proposed_metadata(session: Session, material: Material) -> dict[str, Any]:
    """The metadata the next approval would publish (the revision form starts from it)."""
    row = session.get(VersionSnapshot, material.current_version_id or 0)
    if row is not None and _holds_proposal(material):
        return {name: row.fields.get(name) for name in METADATA_FIELDS}
    return {name: getattr(material, name) for name in METADATA_FIELDS}


def publish_metadata(session: Session, material: Material) -> None:
    """At approval, in the publishing transaction: the approved version's metadata becomes the material's."""
    row = session.get(VersionSnapshot, material.current_version_id or 0)
    if row is not None:
        for name in METADATA_FIELDS:
            if name in row.fields:
                setattr(material, name, row.fields[name])


def _fields(session: Session, version: MaterialVersion) -> dict[str, Any]:
    row = session.get(VersionSnapshot, version.id)
    if row is not None:
        return dict(row.fields)
    fields = {name: None for name in METADATA_FIELDS}
    fields.update(_version_fields(session, version))
    return fields


def reviewed_version(session: Session, material: Material, reviewer_id: int | None = None) -> MaterialVersion | None:
    """The latest earlier version with a decision (by this reviewer when given, else by anyone)."""
    query = select(ReviewDecision.version_id).where(ReviewDecision.material_id == material.id,
                                                    ReviewDecision.version_id != material.current_version_id)
    mine = query.where(ReviewDecision.reviewer_id == reviewer_id) if reviewer_id is not None else None
    version_id = (session.scalar(mine.order_by(ReviewDecision.id.desc()).limit(1)) if mine is not None else None) \
        or session.scalar(query.order_by(ReviewDecision.id.desc()).limit(1))
    return session.get(MaterialVersion, version_id) if version_id else None


def diff_since_review(session: Session, material: Material, reviewer_id: int | None = None) -> VersionDiff | None:
    """Changes from the version last reviewed to the current one; None when there is no earlier review."""
    old = reviewed_version(session, material, reviewer_id)
    new = session.get(MaterialVersion, material.current_version_id or 0)
    if old is None or new is None:
        return None
    before, after = _fields(session, old), _fields(session, new)
    if session.get(VersionSnapshot, new.id) is None:
        after.update({name: getattr(material, name) for name in METADATA_FIELDS})
    changes = [Change(name, label, before.get(name), after.get(name)) for name, label in FIELD_LABELS.items()
               if before.get(name) != after.get(name) and (before.get(name) is not None or name in after)]
    return VersionDiff(old, new, changes)
