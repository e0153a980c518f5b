"""API v1 of question banks: import a file into a bank, list its questions, export them."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request
from flask_login import current_user, login_required

from ingest.questions.limits import MAX_FILE_BYTES
from repository.api import api_error
from repository.banks.access import owned_bank, sees_drafts, sees_keys, visible_bank
from repository.banks.formats import EXPORTERS
from repository.banks.importing import BankImportError, import_into_bank
from repository.banks.presenting import question_as_dict
from repository.banks.store import QuestionFilter, bank_questions
from repository.db import get_session

bp = Blueprint("banks_api", __name__)

#: Bank states in which questions may be imported (a bank under review is frozen until decided).
IMPORTABLE_STATES = frozenset({"draft", "changes_requested", "published", "rejected", "withdrawn"})


@bp.post("/api/v1/banks/<int:bank_id>/import")
@login_required
def import_questions(bank_id: int):
    db = get_session()
    bank = owned_bank(db, bank_id)
    if bank.status not in IMPORTABLE_STATES:
        return api_error(409, "in_review", "Ngân hàng đang được thẩm định: chưa thể nhập thêm câu hỏi.")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return api_error(400, "missing", "Hãy chọn tệp câu hỏi để nhập.", "file")
    data = upload.stream.read(MAX_FILE_BYTES + 1)
    try:
        outcome = import_into_bank(
            db, bank, data=data, filename=upload.filename, fmt=request.form.get("format", "auto"),
            mode=request.form.get("mode", "dry_run"), author=current_user,
            storage=current_app.extensions["storage"])
        db.commit()
    except BankImportError as exc:
        db.rollback()
        return api_error(400, "invalid", exc.message_vi, exc.field)
    except BaseException:
        db.rollback()
        raise
    response = jsonify(outcome.as_dict())
    response.status_code = 422 if outcome.refused else 200
    return response


def _filters() -> QuestionFilter:
    return QuestionFilter(topic=request.args.get("topic") or None, level=request.args.get("level") or None,
                          type=request.args.get("type") or None)


@bp.get("/api/v1/banks/<int:bank_id>/questions")
def list_questions(bank_id: int):
    db = get_session()
    bank = visible_bank(db, bank_id)
    stored = bank_questions(db, bank.id, _filters(), published_only=not sees_drafts(bank))
    keys = sees_keys(bank)
    return jsonify({"bank_id": bank.id, "count": len(stored),
                    "questions": [question_as_dict(s, with_keys=keys) for s in stored]})


@bp.get("/api/v1/banks/<int:bank_id>/export")
def export_questions(bank_id: int):
    db = get_session()
    bank = visible_bank(db, bank_id)
    if not sees_keys(bank):
        return api_error(403, "forbidden", "Chỉ giáo viên, người thẩm định và quản trị viên được xuất ngân hàng "
                                           "câu hỏi (tệp xuất có đáp án).")
    fmt = request.args.get("format", "moodle_xml")
    if fmt not in EXPORTERS:
        return api_error(400, "invalid", f"Định dạng xuất không hợp lệ: {fmt}. Chọn một trong: "
                                         f"{', '.join(EXPORTERS)}.", "format")
    exporter, content_type, suffix = EXPORTERS[fmt]
    stored = bank_questions(db, bank.id, _filters(), published_only=not sees_drafts(bank),
                            storage=current_app.extensions["storage"])
    body = exporter([s.question for s in stored])
    return Response(body, content_type=content_type, headers={
        "Content-Disposition": f'attachment; filename="ngan-hang-{bank.id}.{suffix}"'})

