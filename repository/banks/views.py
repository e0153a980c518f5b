"""The bank page: questions with their maths rendered, and for the owner an import in two steps (a dry run
that reports, then a confirmed import of all or of the valid questions), plus the XLSX template."""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ingest.questions.limits import MAX_FILE_BYTES
from ingest.questions.xlsx_template import build_template
from repository.banks.access import owned_bank, sees_drafts, sees_keys, visible_bank
from repository.banks.api import IMPORTABLE_STATES, question_filter
from repository.banks.importing import FORMATS, BankImportError, ImportOutcome, import_into_bank
from repository.banks.models import VERSION_STATES, BankQuestion, QuestionImage, QuestionVersion
from repository.banks.presenting import rendered
from repository.banks.store import bank_questions
from repository.banks.versions import REVIEWER_ROLES, VersionError, decide_version
from repository.db import get_session
from repository.materials.delivery import content_disposition
from repository.permissions import can_edit_material

bp = Blueprint("banks", __name__, template_folder="templates")

#: Where a file waits between the dry run and the confirmation (the session holds its key, never the file).
PENDING_PREFIX = "bank-imports"
CONFIRM_MODES = ("all_or_nothing", "valid_only")
TYPE_LABELS = {"single_choice": "Một đáp án", "multiple_choice": "Nhiều đáp án", "true_false": "Đúng/Sai",
               "short_answer": "Trả lời ngắn", "essay": "Tự luận"}
INLINE_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _page(bank, outcome: ImportOutcome | None = None, error: str = "", status: int = 200):
    db = get_session()
    filters = question_filter()
    stored = bank_questions(db, bank.id, filters, published_only=not sees_drafts(bank))
    owner = can_edit_material(current_user, bank)
    reviewer = getattr(current_user, "is_authenticated", False) and current_user.role in REVIEWER_ROLES
    return render_template(
        "banks/bank.html", bank=bank, questions=[(s, rendered(s.question, _image_urls(db, bank.id, s)))
                                                 for s in stored],
        can_import=owner and bank.status in IMPORTABLE_STATES, show_keys=sees_keys(bank),
        show_versions=sees_drafts(bank),
        can_review=reviewer and not owner, outcome=outcome, error=error,
        formats=FORMATS, type_labels=TYPE_LABELS, version_states=VERSION_STATES, filters=filters), status


def _image_urls(db, bank_id: int, stored) -> dict[str, str]:
    rows = db.scalars(select(QuestionImage).where(QuestionImage.version_id == stored.version_id))
    return {row.name: url_for("banks.image", bank_id=bank_id, image_id=row.id) for row in rows}


@bp.get("/banks/<int:bank_id>")
def show(bank_id: int):
    return _page(visible_bank(get_session(), bank_id))


@bp.get("/banks/<int:bank_id>/images/<int:image_id>")
def image(bank_id: int, image_id: int):
    """An image of a question version the user may see: the published version for everyone who sees the
    bank, any version for its owner and reviewers. Raster types only are shown inline (never SVG)."""
    db = get_session()
    bank = visible_bank(db, bank_id)
    row = db.get(QuestionImage, image_id)
    if row is None or row.version.question.bank_id != bank.id:
        abort(404)
    if not sees_drafts(bank) and row.version_id != row.version.question.published_version_id:
        abort(404)
    with current_app.extensions["storage"].open(row.storage_key) as fh:
        data = fh.read()
    inline = row.content_type in INLINE_IMAGES
    response = Response(data, content_type=row.content_type if inline else "application/octet-stream")
    response.headers["Content-Disposition"] = content_disposition(row.name, inline)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.get("/banks/template.xlsx")
def template():
    return Response(build_template(), content_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="mau-ngan-hang-cau-hoi.xlsx"'})


@bp.post("/banks/<int:bank_id>/import")
@login_required
def check_import(bank_id: int):
    """Step 1: a dry run on the uploaded file; the file waits in the blob store for the confirmation."""
    db = get_session()
    bank = owned_bank(db, bank_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(bank, error=_("Hãy chọn tệp câu hỏi để nhập."), status=400)
    data = upload.stream.read(MAX_FILE_BYTES + 1)
    try:
        outcome = import_into_bank(db, bank, data=data, filename=upload.filename,
                                   fmt=request.form.get("format", "auto"), mode="dry_run", author=current_user,
                                   storage=current_app.extensions["storage"])
    except BankImportError as exc:
        return _page(bank, error=exc.message_vi, status=400)
    key = f"{PENDING_PREFIX}/{secrets.token_hex(16)}"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload"
        path.write_bytes(data)
        current_app.extensions["storage"].put_file(path, key)
    _forget_pending()
    session["bank_import"] = {"bank_id": bank.id, "key": key, "filename": upload.filename[:255],
                              "format": outcome.format}
    return _page(bank, outcome=outcome)


@bp.post("/banks/<int:bank_id>/import/confirm")
@login_required
def confirm_import(bank_id: int):
    """Step 2: import the file the dry run checked, all or nothing, or only the valid questions."""
    db = get_session()
    bank = owned_bank(db, bank_id)
    pending = session.get("bank_import")
    mode = request.form.get("mode", "")
    if bank.status not in IMPORTABLE_STATES:
        flash(_("Ngân hàng đang được thẩm định: chưa thể nhập thêm câu hỏi."), "error")
        return redirect(url_for("banks.show", bank_id=bank.id))
    if not pending or pending.get("bank_id") != bank.id or mode not in CONFIRM_MODES:
        flash(_("Không còn tệp chờ nhập. Hãy tải tệp lên và kiểm tra lại."), "error")
        return redirect(url_for("banks.show", bank_id=bank.id))
    storage = current_app.extensions["storage"]
    with storage.open(pending["key"]) as fh:
        data = fh.read()
    outcome = import_into_bank(db, bank, data=data, filename=pending["filename"], fmt=pending["format"], mode=mode,
                               author=current_user, storage=storage)
    db.commit()
    _forget_pending()
    if outcome.refused:
        flash(_("Không nhập câu nào: tệp có %(count)s câu bị từ chối.", count=len(outcome.rejected)), "error")
    else:
        flash(_("Đã nhập %(imported)s/%(found)s câu hỏi.", imported=outcome.imported, found=outcome.found),
              "success")
    return redirect(url_for("banks.show", bank_id=bank.id))


@bp.post("/banks/<int:bank_id>/questions/<int:question_id>/review")
@login_required
def review_question(bank_id: int, question_id: int):
    """A reviewer's decision on the pending version of a question, from the bank page."""
    db = get_session()
    bank = visible_bank(db, bank_id)
    record = db.get(BankQuestion, question_id)
    if record is None or record.bank_id != bank.id:
        abort(404)
    decision = request.form.get("decision")
    if decision not in {"approve", "reject"}:
        abort(400)
    try:
        queued = decide_version(db, db.get(QuestionVersion, record.current_version_id), current_user,
                                decision == "approve")
    except VersionError as exc:
        db.rollback()
        flash(exc.message_vi, "error")
        return redirect(url_for("banks.show", bank_id=bank.id))
    db.commit()
    if queued:
        current_app.extensions["jobs"].notify("search_outbox")
    flash(_("Đã duyệt phiên bản mới của câu hỏi.") if decision == "approve" else
          _("Đã từ chối phiên bản mới; câu hỏi giữ phiên bản đã xuất bản."), "success")
    return redirect(url_for("banks.show", bank_id=bank.id) + f"#q{record.id}")


def _forget_pending() -> None:
    pending = session.pop("bank_import", None)
    if pending and str(pending.get("key", "")).startswith(f"{PENDING_PREFIX}/"):
        current_app.extensions["storage"].delete(pending["key"])
