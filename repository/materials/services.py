"""Creating materials and their versions from uploads: validate, store, record, then queue ingest.

Views and the API both call these functions; they decide, the views only parse and render.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from repository.models import AuditRecord, Job, Material, MaterialFile, MaterialVersion, User
from repository.reference import Reference
from repository.storage import BlobStore, BlobTooLarge

#: The state a new material starts in; it is the first state of review.states.STATES.
INITIAL_STATE = "draft"

METADATA_FIELDS = ("title", "description", "kind", "level", "grade", "subject", "series", "chapter",
                   "lesson", "licence")
TEXT_LIMITS = {"title": 300, "description": 5000, "chapter": 300, "lesson": 300}
SNIFF_BYTES = 8192


class MaterialError(ValueError):
    """Bad input from the user. ``field`` names the form field; the message is Vietnamese."""

    def __init__(self, field: str, message_vi: str, code: str = "invalid", status: int = 400) -> None:
        super().__init__(message_vi)
        self.field, self.message_vi, self.code, self.status = field, message_vi, code, status


@dataclass
class Upload:
    stream: BinaryIO
    filename: str
    content_type: str = "application/octet-stream"


#: Decides the file's type from its first bytes; raises MaterialError when the kind does not accept it.
#: ingest registers the real one (app.extensions["upload_sniffer"]).
Sniffer = Callable[[Path, str], tuple[str, str]]


def validate_metadata(raw: dict[str, str], ref: Reference) -> dict[str, object]:
    """Check every field against the reference data; return the cleaned values or raise MaterialError."""
    clean: dict[str, object] = {}
    for name in METADATA_FIELDS:
        value = (raw.get(name) or "").strip()
        if name in TEXT_LIMITS and len(value) > TEXT_LIMITS[name]:
            raise MaterialError(name, f"Trường '{name}' dài quá {TEXT_LIMITS[name]} ký tự.")
        clean[name] = value
    if not clean["title"]:
        raise MaterialError("title", "Hãy nhập tiêu đề học liệu.", "missing")
    _check_code(clean, ref, "kind", "Loại học liệu")
    _check_code(clean, ref, "level", "Cấp học")
    _check_code(clean, ref, "licence", "Giấy phép")
    if clean["series"]:
        _check_code(clean, ref, "series", "Bộ sách")
    clean["grade"] = _clean_grade(str(clean["grade"]), str(clean["level"]), ref)
    if not clean["subject"]:
        raise MaterialError("subject", "Hãy chọn môn học.", "missing")
    if ref.get("subject", str(clean["subject"])) is None:
        raise MaterialError("subject", f"Môn học không có trong danh mục: {clean['subject']}.")
    if not ref.subject_fits(str(clean["subject"]), str(clean["level"]), clean["grade"]):
        raise MaterialError("subject", f"Môn {ref.name('subject', str(clean['subject']))} không được dạy "
                                       f"ở {ref.name('level', str(clean['level']))}"
                                       + (f", lớp {clean['grade']}." if clean["grade"] else "."))
    return clean


def _check_code(clean: dict[str, object], ref: Reference, field: str, label: str) -> None:
    if not clean[field]:
        raise MaterialError(field, f"Hãy chọn {label.lower()}.", "missing")
    if ref.get(field, str(clean[field])) is None:
        raise MaterialError(field, f"{label} không có trong danh mục: {clean[field]}.")


def _clean_grade(value: str, level: str, ref: Reference) -> int | None:
    grades = ref.grades_of_level(level)
    if not value:
        if grades:
            raise MaterialError("grade", "Hãy chọn lớp.", "missing")
        return None
    if not value.isdigit() or int(value) not in grades:
        allowed = f"{grades[0]}–{grades[-1]}" if grades else "không có lớp"
        raise MaterialError("grade", f"Lớp {value} không thuộc {ref.name('level', level)} ({allowed}).")
    return int(value)


def sniff_upload(upload: Upload, kind: str, sniffer: Sniffer) -> tuple[str, str]:
    """Decide the file type by content before anything is stored. Returns (family, mime)."""
    head = upload.stream.read(SNIFF_BYTES)
    upload.stream.seek(0)
    if not head:
        raise MaterialError("file", "Tệp tải lên rỗng (0 byte). Hãy chọn lại tệp.", "empty")
    with tempfile.NamedTemporaryFile(suffix=".head") as tmp:
        tmp.write(head)
        tmp.flush()
        return sniffer(Path(tmp.name), kind)


def store_original(storage: BlobStore, upload: Upload, max_bytes: int, mime: str) -> MaterialFile:
    try:
        blob = storage.put_stream(upload.stream, max_bytes=max_bytes, content_type=mime)
    except BlobTooLarge as exc:
        raise MaterialError("file", f"Tệp lớn hơn giới hạn {max_bytes // (1024 * 1024)} MB.",
                            "too_large", 413) from exc
    if blob.size == 0:
        raise MaterialError("file", "Tệp tải lên rỗng (0 byte). Hãy chọn lại tệp.", "empty")
    name = Path(upload.filename or "tep-tai-len").name[:255] or "tep-tai-len"
    return MaterialFile(role="original", filename=name, size=blob.size, sha256=blob.sha256,
                        content_type=mime, storage_backend=storage.name, storage_key=blob.key)


def create_material(session: Session, *, owner: User, metadata: dict[str, object], upload: Upload,
                    storage: BlobStore, sniffer: Sniffer, max_bytes: int) -> tuple[Material, Job]:
    """Store the upload, create the material in its first state and its ingest job (not yet enqueued:
    the caller commits, then calls ``jobs.enqueue(job.id)``)."""
    family, mime = sniff_upload(upload, str(metadata["kind"]), sniffer)
    original = store_original(storage, upload, max_bytes, mime)
    material = Material(owner_id=owner.id, unit_id=owner.unit_id, status=INITIAL_STATE, **metadata)
    session.add(material)
    session.flush()
    version, job = _add_version(session, material, owner, original, family)
    session.add(AuditRecord(material_id=material.id, version_id=version.id, actor_id=owner.id,
                            action="upload", from_state="", to_state=INITIAL_STATE))
    return material, job


def add_version(session: Session, material: Material, *, author: User, upload: Upload, storage: BlobStore,
                sniffer: Sniffer, max_bytes: int) -> tuple[MaterialVersion, Job]:
    """A new revision of an existing material (answering "changes requested", or fixing a failed ingest)."""
    family, mime = sniff_upload(upload, material.kind, sniffer)
    original = store_original(storage, upload, max_bytes, mime)
    version, job = _add_version(session, material, author, original, family)
    session.add(AuditRecord(material_id=material.id, version_id=version.id, actor_id=author.id,
                            action="new_version", from_state=material.status, to_state=material.status))
    return version, job


def _add_version(session: Session, material: Material, author: User, original: MaterialFile,
                 family: str) -> tuple[MaterialVersion, Job]:
    number = (session.scalar(select(MaterialVersion.number).where(MaterialVersion.material_id == material.id)
                             .order_by(MaterialVersion.number.desc()).limit(1)) or 0) + 1
    version = MaterialVersion(material_id=material.id, number=number, created_by=author.id,
                              file_type=family, ingest_status="pending")
    session.add(version)
    session.flush()
    original.version_id = version.id
    session.add(original)
    material.current_version_id = version.id
    job = current_app.extensions["jobs"].create(session, "ingest", version_id=version.id)
    return version, job


def material_files(session: Session, version_id: int | None) -> list[MaterialFile]:
    if version_id is None:
        return []
    return list(session.scalars(select(MaterialFile).where(MaterialFile.version_id == version_id)
                                .order_by(MaterialFile.id)))


def latest_job(session: Session, version_id: int | None) -> Job | None:
    if version_id is None:
        return None
    return session.scalar(select(Job).where(Job.version_id == version_id).order_by(Job.id.desc()).limit(1))
