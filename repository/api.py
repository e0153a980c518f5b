"""Public API v1 (JSON) of the core: health, materials, jobs, reference lists, the OpenAPI document.

Authenticated by the session cookie (with CSRF token) or by a personal access token
(``Authorization: Bearer …``). Errors are ``{"error": {"code", "message", "field"?}}``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from sqlalchemy import select, text
from werkzeug.exceptions import HTTPException

from repository.db import get_session
from repository.jobs import job_as_dict
from repository.materials.queries import get_visible_material, material_as_dict, visible_version_id
from repository.materials.services import MaterialError
from repository.materials.uploads import handle_new_material
from repository.models import Job, Material, MaterialVersion, PageText
from repository.openapi import openapi_document
from repository.permissions import can_see_unpublished, has_permission
from repository.reference import current_reference

bp = Blueprint("api", __name__)

HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "too_large", 429: "too_many_requests"}
HTTP_MESSAGES_VI = {400: "Yêu cầu không hợp lệ.", 401: "Cần đăng nhập.",
                    403: "Bạn không có quyền làm việc này.", 404: "Không tìm thấy.",
                    405: "Phương thức không được hỗ trợ.",
                    413: "Dữ liệu gửi lên quá lớn.", 429: "Quá nhiều yêu cầu, hãy thử lại sau."}


def is_bearer_request() -> bool:
    return request.headers.get("Authorization", "").startswith("Bearer ")


def api_error(status: int, code: str, message: str, field: str | None = None) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if field:
        body["field"] = field
    response = jsonify({"error": body})
    response.status_code = status
    return response


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


@bp.app_errorhandler(HTTPException)
def http_error(exc: HTTPException):
    if not wants_json():
        from repository.templating import render_error_page
        return render_error_page(exc)
    status = exc.code or 500
    return api_error(status, HTTP_CODES.get(status, "error"), HTTP_MESSAGES_VI.get(status, exc.description))


@bp.app_errorhandler(CSRFError)
def csrf_error(exc: CSRFError):
    message = "Thiếu hoặc sai mã chống giả mạo (CSRF). Hãy tải lại trang rồi thử lại."
    if wants_json():
        return api_error(400, "csrf", message)
    from repository.templating import render_error_page
    return render_error_page(exc, message=message)


@bp.app_errorhandler(MaterialError)
def material_error(exc: MaterialError):
    return api_error(exc.status, exc.code, exc.message_vi, exc.field)


@bp.get("/healthz")
def healthz():
    checks = {"database": _check_database, "storage": lambda: current_app.extensions["storage"].check(),
              "search": lambda: current_app.extensions["search"].check(),
              "queue": lambda: current_app.extensions["jobs"].status()}
    report: dict[str, str] = {}
    for name, check in checks.items():
        try:
            report[name] = check()
        except Exception as exc:  # a health check reports failures, it must not raise
            current_app.logger.warning("health check %s failed: %s", name, exc)
            report[name] = "error"
    status = "ok" if all(value == "ok" for value in report.values()) else "degraded"
    response = jsonify({"status": status, **report})
    response.status_code = 200 if status == "ok" else 503
    return response


def _check_database() -> str:
    get_session().execute(text("SELECT 1"))
    return "ok"


@bp.get("/api/v1/openapi.json")
def openapi():
    return jsonify(openapi_document(current_app))


@bp.get("/api/v1/reference")
def reference():
    ref = current_reference(get_session())
    return jsonify({domain: [{"code": i.code, "name": i.name_vi, "name_en": i.name_en, **i.extra}
                             for i in items] for domain, items in ref.items.items()})


@bp.post("/api/v1/materials")
@login_required
def create_material():
    if not has_permission(current_user, "upload"):
        return api_error(403, "forbidden", "Chỉ giáo viên và quản trị viên được tải học liệu lên.")
    material, job = handle_new_material(request.form, request.files.get("file"))
    response = jsonify({"id": material.id, "status": material.status, "job_id": job.id if job else None,
                        "url": material_as_dict(get_session(), material)["url"]})
    response.status_code = 201
    return response


@bp.get("/api/v1/materials")
@login_required
def my_materials():
    db = get_session()
    query = select(Material).order_by(Material.id.desc()).limit(200)
    if current_user.role != "admin":
        query = query.where(Material.owner_id == current_user.id)
    return jsonify({"materials": [material_as_dict(db, m) for m in db.scalars(query)]})


@bp.get("/api/v1/materials/<int:material_id>")
def get_material(material_id: int):
    db = get_session()
    return jsonify(material_as_dict(db, get_visible_material(db, material_id)))


@bp.get("/api/v1/materials/<int:material_id>/pages/<int:number>")
def get_page_text(material_id: int, number: int):
    """The text of one page of the version the user may see, and where it came from (text layer or OCR)."""
    db = get_session()
    material = get_visible_material(db, material_id)
    version_id = visible_version_id(material)
    page = db.scalar(select(PageText).where(PageText.version_id == version_id, PageText.number == number)) \
        if version_id else None
    if page is None:
        return api_error(404, "not_found", f"Học liệu không có trang {number}.")
    return jsonify({"page": page.number, "text": page.text, "source": page.source})


@bp.get("/api/v1/jobs/<int:job_id>")
@login_required
def get_job(job_id: int):
    db = get_session()
    job = db.get(Job, job_id)
    if job is None or not _may_see_job(db, job):
        return api_error(404, "not_found", "Không tìm thấy công việc này.")
    return jsonify(job_as_dict(job))


def _may_see_job(db, job: Job) -> bool:
    if current_user.role == "admin":
        return True
    if job.version_id is None:
        return False
    version = db.get(MaterialVersion, job.version_id)
    return version is not None and can_see_unpublished(current_user, version.material)
