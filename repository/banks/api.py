"""API v1 of question banks: import a file into a bank, list, edit and review its questions, export them."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, request
from flask_login import current_user, login_required

from ingest.questions.limits import MAX_FILE_BYTES
from repository.api import api_error
from repository.banks.access import owned_bank, sees_drafts, sees_keys, visible_bank
from repository.banks.editing import QuestionInputError, question_from_json
from repository.banks.formats import EXPORTERS
from repository.banks.importing import BankImportError, import_into_bank
from repository.banks.models import BankQuestion, QuestionVersion
from repository.banks.presenting import question_as_dict
from repository.banks.records import to_question
from repository.banks.store import QuestionFilter, StoredQuestion, bank_questions
from repository.banks.versions import VersionError, decide_version, edit_question
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


#: The longest search text a question list looks for (as the portal's search).
MAX_TEXT_CHARS = 500


def question_filter() -> QuestionFilter:
    """The filters of a question list from the request: topic, level, type, and ``q``, words of the questions."""
    return QuestionFilter(topic=request.args.get("topic") or None, level=request.args.get("level") or None,
                          type=request.args.get("type") or None,
                          text=request.args.get("q", "")[:MAX_TEXT_CHARS] or None)


@bp.get("/api/v1/banks/<int:bank_id>/questions")
def list_questions(bank_id: int):
    db = get_session()
    bank = visible_bank(db, bank_id)
    stored = bank_questions(db, bank.id, question_filter(), published_only=not sees_drafts(bank))
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
    stored = bank_questions(db, bank.id, question_filter(), published_only=not sees_drafts(bank),
                            storage=current_app.extensions["storage"])
    body = exporter([s.question for s in stored])
    return Response(body, content_type=content_type, headers={
        "Content-Disposition": f'attachment; filename="ngan-hang-{bank.id}.{suffix}"'})



def _question_of(db, bank_id: int, question_id: int) -> BankQuestion:
    question = db.get(BankQuestion, question_id)
    if question is None or question.bank_id != bank_id:
        abort(404)
    return question


def _version_dict(record: BankQuestion, version: QuestionVersion) -> dict[str, object]:
    stored = StoredQuestion(id=record.id, version=version.number, version_id=version.id, bank_id=record.bank_id,
                            status=version.status, question=to_question(version), position=record.position)
    return question_as_dict(stored)


@bp.put("/api/v1/banks/<int:bank_id>/questions/<int:question_id>")
@login_required
def edit(bank_id: int, question_id: int):
    """Edit a question (owner). A published question gets a new version that waits for review."""
    db = get_session()
    bank = owned_bank(db, bank_id)
    if bank.status not in IMPORTABLE_STATES:
        return api_error(409, "in_review", "Ngân hàng đang được thẩm định: chưa thể sửa câu hỏi.")
    record = _question_of(db, bank.id, question_id)
    current = db.get(QuestionVersion, record.current_version_id)
    try:
        content = question_from_json(request.get_json(silent=True), to_question(current))
    except QuestionInputError as exc:
        return api_error(400, "invalid", exc.message_vi, exc.field)
    version = edit_question(db, record, content, current_user)
    db.commit()
    return jsonify(_version_dict(record, version))


@bp.get("/api/v1/banks/<int:bank_id>/questions/<int:question_id>/versions")
@login_required
def versions(bank_id: int, question_id: int):
    """Every version of a question (owner, administrators, reviewers of a submitted bank)."""
    db = get_session()
    bank = visible_bank(db, bank_id)
    if not sees_drafts(bank) and current_user.role not in {"reviewer", "admin"}:
        abort(404)
    record = _question_of(db, bank.id, question_id)
    return jsonify({"id": record.id, "current_version_id": record.current_version_id,
                    "published_version_id": record.published_version_id,
                    "versions": [_version_dict(record, v) for v in record.versions]})


@bp.post("/api/v1/banks/<int:bank_id>/questions/<int:question_id>/review")
@login_required
def review_version(bank_id: int, question_id: int):
    """A reviewer approves or rejects the pending version of a question."""
    db = get_session()
    bank = visible_bank(db, bank_id)
    record = _question_of(db, bank.id, question_id)
    decision = (request.get_json(silent=True) or {}).get("decision")
    if decision not in {"approve", "reject"}:
        return api_error(400, "invalid", "Quyết định phải là approve hoặc reject.", "decision")
    try:
        queued = decide_version(db, db.get(QuestionVersion, record.current_version_id), current_user,
                                decision == "approve")
    except VersionError as exc:
        db.rollback()
        return api_error(exc.status, "forbidden" if exc.status == 403 else "conflict", exc.message_vi)
    db.commit()
    if queued:
        current_app.extensions["jobs"].notify("search_outbox")
    return jsonify({"id": record.id, "current_version_id": record.current_version_id,
                    "published_version_id": record.published_version_id})
