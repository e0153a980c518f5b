"""Material pages: upload, detail (with the viewer), files, and the teacher's own list."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from repository.db import get_session
from repository.materials.captions import CAPTION_LANGUAGES, attach_captions
from repository.materials.delivery import serve_file, serve_media
from repository.materials.lectures import deck_view, scorm_view
from repository.materials.queries import get_visible_material, media_as_dict, visible_version_id
from repository.materials.services import MaterialError, Upload, add_version, latest_job, material_files
from repository.materials.uploads import handle_new_material
from repository.models import AuditRecord, Material, MaterialFile, MaterialVersion
from repository.permissions import can_access_version, can_edit_material, can_see_unpublished, has_permission
from repository.reference import current_reference

bp = Blueprint("materials", __name__)

#: Roles of the files the media route serves (a lecture's streams, fallback, poster and captions).
MEDIA_ROLES = ("hls", "mp4", "poster", "captions", "thumbnails")
#: What the upload inputs offer in the file picker (the server decides by content anyway).
UPLOAD_ACCEPT = "application/pdf,.pdf,.docx,video/*,audio/*,.mp4,.webm,.mkv,.mov,.mp3,.m4a,.pptx,.zip"
#: hls.js inside the static folder, installed by npm at setup (never committed).
HLS_JS = "node_modules/hls.js/dist/hls.min.js"
#: pdf.js (pdfjs-dist, modern build) inside the static folder, installed by npm at setup (never committed): the
#: library, its worker, the viewer components and their style sheet.
PDFJS_FILES = {
    "lib": "node_modules/pdfjs-dist/build/pdf.min.mjs",
    "worker": "node_modules/pdfjs-dist/build/pdf.worker.min.mjs",
    "viewer": "node_modules/pdfjs-dist/web/pdf_viewer.mjs",
    "css": "node_modules/pdfjs-dist/web/pdf_viewer.css",
}
#: pdf.js's data folders (trailing slash: pdf.js appends file names): character maps for CJK fonts, the 14
#: standard fonts a PDF may use without embedding, and the JPEG 2000 / JBIG2 decoders of scanned pages (their
#: JavaScript versions: the CSP forbids compiling WebAssembly).
PDFJS_FOLDERS = {
    "cmaps": "node_modules/pdfjs-dist/cmaps/",
    "fonts": "node_modules/pdfjs-dist/standard_fonts/",
    "decoders": "node_modules/pdfjs-dist/wasm/",
}
#: The longest search term the viewer is asked to highlight (longer terms are cut).
MAX_VIEWER_TERM = 200
#: States in which the owner may upload a new version (a published material stays published at its current
#: version until the new one is submitted and approved).
REVISABLE_STATES = frozenset({"draft", "changes_requested", "published"})


@bp.route("/materials/new", methods=["GET", "POST"])
@login_required
def new():
    if not has_permission(current_user, "upload"):
        abort(403)
    ref = current_reference(get_session())
    if request.method == "POST":
        try:
            material, job = handle_new_material(request.form, request.files.get("file"))
        except MaterialError as exc:
            return render_template("materials/new.html", ref=ref, form=request.form, error=exc,
                                   upload_accept=UPLOAD_ACCEPT), exc.status
        flash(_("Đã tải lên. Hệ thống đang xử lý tệp.") if job else
              _("Đã tạo ngân hàng câu hỏi. Hãy nhập câu hỏi từ tệp."), "success")
        return redirect(url_for("materials.detail", material_id=material.id))
    return render_template("materials/new.html", ref=ref, form={}, error=None, upload_accept=UPLOAD_ACCEPT)


def hls_js_url() -> str | None:
    """hls.js as `repository/bootstrap.py` installs it with npm (static/node_modules); None when absent, and
    the player then relies on the browser's native HLS or the MP4 fallback."""
    if not (Path(current_app.static_folder) / HLS_JS).is_file():
        return None
    return url_for("static", filename=HLS_JS)


def pdfjs_urls() -> dict[str, str] | None:
    """pdf.js's files as `repository/bootstrap.py` installs them with npm; None when any is absent, and the
    material page then embeds the browser's own PDF viewer instead."""
    static = Path(current_app.static_folder)
    if not all((static / name).is_file() for name in PDFJS_FILES.values()):
        return None
    return {role: url_for("static", filename=name) for role, name in (PDFJS_FILES | PDFJS_FOLDERS).items()}


def viewer_term() -> str:
    """The search term the viewer highlights (``?q=``, as a page hit's link carries it), spaces collapsed."""
    return " ".join(request.args.get("q", "")[:MAX_VIEWER_TERM].split())


def viewer_page(version: MaterialVersion | None) -> int | None:
    """The page the viewer opens at (``?page=N``): a positive whole number within the document, else none."""
    raw = request.args.get("page", "")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6) or version is None or not version.page_count:
        return None
    number = int(raw)
    return number if 1 <= number <= version.page_count else None


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
        preview=next((f for f in files if f.role == "preview"), None),
        media=media_as_dict(material, version, files), upload_accept=UPLOAD_ACCEPT,
        deck=deck_view(material, version, files), scorm=scorm_view(material, version), hls_js=hls_js_url(),
        caption_languages=CAPTION_LANGUAGES,
        job=latest_job(db, material.current_version_id) if unpublished_view else None,
        audit=audit, ref=current_reference(db), can_edit=can_edit_material(current_user, material),
        viewer_page=viewer_page(version), viewer_term=viewer_term(), pdfjs=pdfjs_urls(),
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


@bp.get("/materials/<int:material_id>/media/<int:version_number>/<path:name>")
def media(material_id: int, version_number: int, name: str):
    """Every playlist, segment, fallback, poster and caption file, each with the file permission check."""
    db = get_session()
    material = get_visible_material(db, material_id)
    version = db.scalar(select(MaterialVersion).where(MaterialVersion.material_id == material.id,
                                                      MaterialVersion.number == version_number))
    if version is None or not can_access_version(current_user, material, version):
        abort(404)
    stored = db.scalar(select(MaterialFile).where(MaterialFile.version_id == version.id,
                                                  MaterialFile.filename == name,
                                                  MaterialFile.role.in_(MEDIA_ROLES)))
    if stored is None:
        abort(404)
    return serve_media(stored)


@bp.post("/materials/<int:material_id>/captions")
@login_required
def captions(material_id: int):
    """The owner attaches captions (SRT or WebVTT) in one language to the lecture's current version."""
    db = get_session()
    material = get_visible_material(db, material_id)
    if not can_edit_material(current_user, material) or material.status not in REVISABLE_STATES \
            or material.current_version_id == material.published_version_id:  # the published version is reviewed
        abort(403)
    version = db.get(MaterialVersion, material.current_version_id)
    file = request.files.get("file")
    try:
        attach_captions(db, version, request.form.get("lang", ""), file.read() if file else b"",
                        current_app.extensions["storage"])
        db.commit()
    except MaterialError as exc:
        db.rollback()
        flash(exc.message_vi, "error")
        return redirect(url_for("materials.detail", material_id=material.id))
    flash(_("Đã lưu phụ đề."), "success")
    return redirect(url_for("materials.detail", material_id=material.id))


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
