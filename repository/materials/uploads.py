"""The upload request, shared by the HTML form and the API: parse, validate, store, commit, enqueue."""

from __future__ import annotations

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
    validate_metadata,
)
from repository.models import Job, Material
from repository.reference import current_reference


def handle_new_material(form: MultiDict, file: FileStorage | None) -> tuple[Material, Job | None]:
    """Returns the material and its ingest job; a question bank may come without a file (no job)."""
    db = get_session()
    metadata = validate_metadata(form.to_dict(), current_reference(db))
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
        db.commit()
    except BaseException:
        db.rollback()
        raise
    current_app.extensions["jobs"].enqueue(job.id)
    db.refresh(material)
    return material, job
