"""Material pages: upload, detail (with the viewer), files, and the teacher's own list."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from repository.db import get_session
from repository.materials.delivery import serve_file
from repository.materials.queries import get_visible_material, visible_version_id
from repository.materials.services import MaterialError, Upload, add_version, latest_job, material_files
from repository.materials.uploads import handle_new_material
from repository.models import AuditRecord, Material, MaterialFile, MaterialVersion
from repository.permissions import can_access_version, can_edit_material, can_see_unpublished, has_permission
from repository.reference import current_reference

bp = Blueprint("materials", __name__)

#: States in which the owner may upload a new version.
REVISABLE_STATES = frozenset({"draft", "changes_requested"})


@bp.route("/materials/new", methods=["GET", "POST"])
@login_required
def new():
    if not has_permission(current_user, "upload"):
        abort(403)
    ref = current_reference(get_session())
    if request.method == "POST":
        try:
            material, _job = handle_new_material(request.form, request.files.get("file"))
        except MaterialError as exc:
            return render_template("materials/new.html", ref=ref, form=request.form, error=exc), exc.status
        flash(_("Đã tải lên. Hệ thống đang xử lý tệp."), "success")
        return redirect(url_for("materials.detail", material_id=material.id))
    return render_template("materials/new.html", ref=ref, form={}, error=None)


@bp.get("/materials/<int:material_id>")
def detail(material_id: int):
    db = get_session()
    material = get_visible_material(db, material_id)
    version_id = visible_version_id(material)
    version = db.get(MaterialVersion, version_id) if version_id else None
    files = material_files(db, version_id)
    unpublished_view = can_see_unpublished(current_user, material)
    audit = []
    if unpublished_view:
        audit = db.scalars(select(AuditRecord).where(AuditRecord.material_id == material.id)
                           .order_by(AuditRecord.id)).all()
    return render_template(
        "materials/detail.html", material=material, version=version,
        original=next((f for f in files if f.role == "original"), None),
        thumbnail=next((f for f in files if f.role == "thumbnail"), None),
        job=latest_job(db, material.current_version_id) if unpublished_view else None,
        audit=audit, ref=current_reference(db), can_edit=can_edit_material(current_user, material),
        can_revise=can_edit_material(current_user, material) and material.status in REVISABLE_STATES)


@bp.get("/materials/<int:material_id>/files/<int:file_id>/<any(view, download):action>")
def file(material_id: int, file_id: int, action: str):
    db = get_session()
    material = get_visible_material(db, material_id)
    stored = db.get(MaterialFile, file_id)
    if stored is None:
        abort(404)
    version = db.get(MaterialVersion, stored.version_id)
    if not can_access_version(current_user, material, version):
        abort(404)
    return serve_file(stored, inline=action == "view")


@bp.post("/materials/<int:material_id>/versions")
@login_required
def new_version(material_id: int):
    db = get_session()
    material = get_visible_material(db, material_id)
    if not can_edit_material(current_user, material) or material.status not in REVISABLE_STATES:
        abort(403)
    file = request.files.get("file")
    if file is None or not file.filename:
        flash(_("Hãy chọn tệp để tải lên."), "error")
        return redirect(url_for("materials.detail", material_id=material.id))
    try:
        _version, job = add_version(db, material, author=current_user,
                                    upload=Upload(file.stream, file.filename, file.mimetype),
                                    storage=current_app.extensions["storage"],
                                    sniffer=current_app.extensions["upload_sniffer"],
                                    max_bytes=current_app.config["MAX_UPLOAD_BYTES"])
        db.commit()
    except MaterialError as exc:
        db.rollback()
        flash(exc.message_vi, "error")
        return redirect(url_for("materials.detail", material_id=material.id))
    current_app.extensions["jobs"].enqueue(job.id)
    flash(_("Đã tải lên phiên bản mới."), "success")
    return redirect(url_for("materials.detail", material_id=material.id))


@bp.get("/my/materials")
@login_required
def mine():
    db = get_session()
    materials = db.scalars(select(Material).where(Material.owner_id == current_user.id)
                           .order_by(Material.id.desc()).limit(500)).all()
    return render_template("materials/mine.html", materials=materials, ref=current_reference(db))
