"""The upload request, shared by the HTML form and the API: parse, validate, store, commit, enqueue."""

from __future__ import annotations

from pathlib import PurePath

from flask import current_app
from flask_login import current_user
from werkzeug.datastructures import FileStorage, MultiDict

from repository.banks.creation import create_empty_bank
from repository.banks.models import BANK_KIND
from repository.db import get_session
from repository.materials.services import (
    INITIAL_STATE,
    MaterialError,
    Upload,
    create_material,
    sniff_upload,
    validate_metadata,
)
from repository.models import Job, Material, MaterialVersion
from repository.reference import current_reference

#: Detected families whose file carries its own title (a deck's, a SCORM package's): the form may leave the
#: title empty, ingest then takes it from the file (the file name stands in until then).
TITLE_FROM_FILE_FAMILIES = frozenset({"ooxml-pptx", "zip"})
TITLE_FROM_FILE = "title_from_file"


def handle_new_material(form: MultiDict, file: FileStorage | None) -> tuple[Material, Job | None]:
    """Returns the material and its ingest job; a question bank may come without a file (no job)."""
    db = get_session()
    raw = form.to_dict()
    title_from_file = False
    if not (raw.get("title") or "").strip() and file is not None and file.filename:
        title_from_file = _carries_title(file, raw.get("kind") or "")
        if title_from_file:
            raw["title"] = PurePath(file.filename).stem[:300] or file.filename[:300]
    metadata = validate_metadata(raw, current_reference(db))
    if (file is None or not file.filename) and metadata["kind"] == BANK_KIND:
        material = create_empty_bank(db, owner=current_user, metadata=metadata, state=INITIAL_STATE)
        db.commit()
        return material, None
    if file is None or not file.filename:
        raise MaterialError("file", "Hãy chọn tệp để tải lên.", "missing")
    upload = Upload(stream=file.stream, filename=file.filename, content_type=file.mimetype)
    try:
        material, job = create_material(
            db, owner=current_user, metadata=metadata, upload=upload,
            storage=current_app.extensions["storage"], sniffer=current_app.extensions["upload_sniffer"],
            max_bytes=current_app.config["MAX_UPLOAD_BYTES"])
        if title_from_file:
            db.get(MaterialVersion, material.current_version_id).doc_metadata = {TITLE_FROM_FILE: True}
        db.commit()
    except BaseException:
        db.rollback()
        raise
    current_app.extensions["jobs"].enqueue(job.id)
    db.refresh(material)
    return material, job


def _carries_title(file: FileStorage, kind: str) -> bool:
    """Whether the upload is a deck or package (decided by content) that the kind accepts."""
    try:
        family, _mime = sniff_upload(Upload(file.stream, file.filename or "", file.mimetype), kind,
                                     current_app.extensions["upload_sniffer"])
    except MaterialError:
        return False  # the title is reported missing first; the file's own error follows once it is given
    return family in TITLE_FROM_FILE_FAMILIES
