"""SCORM packages in the portal: the package files behind a launch grant, and the runtime endpoint that
stores what the package reports for the signed-in learner."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from repository.db import get_session
from repository.materials.queries import get_visible_material
from repository.materials.scorm_data import RuntimeDataError, apply_values, attempt_as_dict, initial_state
from repository.materials.scorm_launch import (
    grant_learner,
    read_grant,
    runtime_tag,
    serve_package_asset,
    serve_package_html,
)
from repository.materials.scorm_models import ScormAttempt
from repository.models import Material, MaterialFile, MaterialVersion
from repository.permissions import can_access_version, can_view_material

bp = Blueprint("scorm", __name__)
MAX_RUNTIME_BYTES = 512 * 1024


def scorm_meta(version: MaterialVersion | None) -> dict[str, Any] | None:
    if version is None or version.ingest_status != "succeeded":
        return None
    return (version.doc_metadata or {}).get("scorm")


@bp.get("/scorm/<token>/<path:name>")
def package_file(token: str, name: str):
    """A file of a package, for the learner named by the grant, if that learner may still see it."""
    grant = read_grant(token)
    if grant is None:
        abort(404)
    db = get_session()
    material = db.get(Material, grant.material_id)
    learner = grant_learner(db, grant)
    if material is None or learner is None or not can_view_material(learner, material):
        abort(404)
    version = db.scalar(select(MaterialVersion).where(MaterialVersion.material_id == material.id,
                                                      MaterialVersion.number == grant.version_number))
    meta = scorm_meta(version)
    if meta is None or not can_access_version(learner, material, version):
        abort(404)
    stored = db.scalar(select(MaterialFile).where(MaterialFile.version_id == version.id,
                                                  MaterialFile.role == "scorm", MaterialFile.filename == name))
    if stored is None:
        abort(404)
    if stored.content_type != "text/html":
        return serve_package_asset(stored)
    attempt = None
    if getattr(learner, "is_authenticated", False):
        attempt = db.scalar(select(ScormAttempt).where(ScormAttempt.version_id == version.id,
                                                       ScormAttempt.user_id == learner.id,
                                                       ScormAttempt.sco == grant.sco))
    learner_id = str(learner.id) if getattr(learner, "is_authenticated", False) else "khach"
    learner_name = getattr(learner, "name", "") or learner_id
    state = initial_state(meta["version"], attempt, learner_id, learner_name)
    return serve_package_html(stored, runtime_tag(meta["version"], grant.sco, state))


def _error(status: int, code: str, message: str):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


@bp.post("/materials/<int:material_id>/scorm/<int:version_number>/runtime")
def runtime(material_id: int, version_number: int):
    """Store what the package reported (LMSCommit/LMSFinish, Commit/Terminate) for the signed-in learner.
    The CSRF token is checked before this view runs (app-wide, on every cookie-authenticated POST)."""
    if not current_user.is_authenticated:
        return _error(401, "unauthorized", "Cần đăng nhập để lưu kết quả học tập.")
    if (request.content_length or 0) > MAX_RUNTIME_BYTES:
        return _error(413, "too_large", "Dữ liệu SCORM gửi lên quá lớn.")
    db = get_session()
    material = get_visible_material(db, material_id)
    version = db.scalar(select(MaterialVersion).where(MaterialVersion.material_id == material.id,
                                                      MaterialVersion.number == version_number))
    meta = scorm_meta(version)
    if meta is None or not can_access_version(current_user, material, version):
        abort(404)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(400, "bad_request", "Dữ liệu SCORM phải là một đối tượng JSON.")
    sco = str(body.get("sco") or "")
    if sco not in {item["id"] for item in meta["items"]}:
        return _error(400, "unknown_sco", f"Gói không có mục “{sco[:100]}”.")
    try:
        attempt = _store(db, version, meta["version"], sco, body.get("values"), bool(body.get("finish")))
    except RuntimeDataError as exc:
        db.rollback()
        return _error(400, "invalid_value", str(exc))
    return jsonify({"saved": True, "attempt": attempt_as_dict(attempt)})


def _store(db: Session, version: MaterialVersion, scorm_version: str, sco: str, values: Any,
           finish: bool) -> ScormAttempt:
    """Apply and commit; a concurrent first commit of the same learner wins the insert, and this one then
    applies its values on top of that row."""
    for _try in range(2):
        attempt = db.scalar(select(ScormAttempt).where(ScormAttempt.version_id == version.id,
                                                       ScormAttempt.user_id == current_user.id,
                                                       ScormAttempt.sco == sco))
        if attempt is None:
            attempt = ScormAttempt(version_id=version.id, user_id=current_user.id, sco=sco,
                                   scorm_version=scorm_version, values={}, total_seconds=0.0,
                                   completion_status="not attempted", success_status="unknown",
                                   location="", suspend_data="")
            db.add(attempt)
        apply_values(attempt, scorm_version, values, finish)
        try:
            db.commit()
            return attempt
        except IntegrityError:
            db.rollback()
            current_app.logger.info("scorm attempt of user %s inserted concurrently; retrying", current_user.id)
    raise RuntimeError("could not store the SCORM attempt")
