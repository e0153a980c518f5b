"""Review pages and API: the reviewer's queue, the review page (viewer beside the rubric), decisions, claims,
withdrawal, the audit trail and its CSV export."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from repository.api import api_error
from repository.db import get_session
from repository.materials.queries import get_visible_material
from repository.materials.services import MaterialError, Upload, add_version, material_files, validate_metadata
from repository.models import Material, utcnow
from repository.permissions import can_edit_material, can_view_material, has_permission
from repository.reference import current_reference
from review.assignment import claim, open_assignment
from review.audit import audit_csv, records_for
from review.comments import ANCHORS, add_comment, anchor_label, comments_of
from review.config import SCOPES, ReviewConfig
from review.models import ReviewDecision
from review.notifications import mark_all_read, recent, unread_count
from review.queue import DUE_FILTERS, QUEUE_STATES, QueueFilters, review_queue
from review.revisions import diff_since_review, propose_metadata, proposed_metadata
from review.scopes import approvers, current_request, published_scope, target_policy
from review.services import Outcome, ReviewError, apply_transition, audit_trail
from review.states import ACTION_LABELS, DECISIONS, INTERNAL_ACTIONS, STATES
from review.workflow import decide, submit, withdraw

bp = Blueprint("review", __name__, template_folder="templates")
AUDIT_ROLES = frozenset({"reviewer", "admin"})


def _cfg() -> ReviewConfig:
    return current_app.extensions["review"]


def _after_commit(outcome: Outcome | None = None) -> None:
    """Wake the worker: the search outbox after a publication change, the mail outbox always."""
    jobs = current_app.extensions["jobs"]
    if outcome is not None and outcome.transition.publication != "keep":
        jobs.notify("search_outbox")
    jobs.notify("review_mail")


def _run(material_id: int, action: str, data: dict[str, Any]) -> Outcome:
    """Take a workflow action on a material the user may see (404 otherwise)."""
    db = get_session()
    get_visible_material(db, material_id)
    comment = str(data.get("comment") or "")
    lock = _int_or_none(data.get("lock_version"))
    if action in INTERNAL_ACTIONS:
        raise ReviewError("invalid_decision", f"Quyết định không hợp lệ: {action}.", 400, "decision")
    if action == "submit":
        outcome = submit(db, material_id, current_user, _cfg(), comment, scope=_str_or_none(data.get("scope")))
    elif action == "withdraw":
        outcome = withdraw(db, material_id, current_user, comment, expected_lock=lock)
    elif action in DECISIONS:
        outcome = decide(db, material_id, current_user, _cfg(), action, comment, data.get("scores"),
                         data.get("comments"), expected_lock=lock, scope=data.get("scope"))
    else:
        outcome = apply_transition(db, material_id, action, current_user, comment, expected_lock=lock)
    _after_commit(outcome)
    return outcome


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _require_reviewer() -> None:
    if not has_permission(current_user, "review"):
        abort(403)


# -- HTML ----------------------------------------------------------------------------------------------
@bp.get("/review/queue")
@login_required
def queue():
    _require_reviewer()
    db = get_session()
    filters = QueueFilters.from_args(request.args)
    return render_template("review/queue.html", items=review_queue(db, current_user, _cfg(), filters),
                           filters=filters, ref=current_reference(db), states=STATES, now=utcnow(),
                           queue_states=QUEUE_STATES, due_filters=DUE_FILTERS, scopes=_cfg().scopes)


@bp.get("/review/materials/<int:material_id>")
@login_required
def review_page(material_id: int):
    _require_reviewer()
    db = get_session()
    material = get_visible_material(db, material_id)
    files = material_files(db, material.current_version_id)
    decisions = db.scalars(select(ReviewDecision).where(ReviewDecision.material_id == material_id)
                           .order_by(ReviewDecision.id)).all()
    request_row = current_request(db, material_id)
    policy = target_policy(db, material, _cfg())
    return render_template("review/review.html", material=material, rubric=_cfg().rubric,
                           original=next((f for f in files if f.role == "original"), None),
                           assignment=open_assignment(db, material_id), decisions=decisions,
                           ref=current_reference(db), decisions_allowed=DECISIONS, policy=policy,
                           approved_by=len(approvers(db, material_id, request_row)),
                           published_scope=published_scope(db, material), scopes=SCOPES,
                           diff=diff_since_review(db, material, current_user.id),
                           comments=comments_of(db, material_id), anchors=ANCHORS, anchor_label=anchor_label,
                           versions=material.versions)


@bp.post("/review/materials/<int:material_id>/comments")
@login_required
def comment_page(material_id: int):
    _require_reviewer()
    db = get_session()
    material = get_visible_material(db, material_id)
    try:
        add_comment(db, material, current_user, request.form.get("anchor_kind", "general"),
                    request.form.get("anchor"), request.form.get("body", ""))
    except ReviewError as exc:
        db.rollback()
        flash(exc.message_vi, "error")
    else:
        flash("Đã ghi nhận xét.", "success")
    return redirect(url_for("review.review_page", material_id=material_id, _anchor="comments"), 303)


#: States in which the author may revise (mirrors repository.materials.views.REVISABLE_STATES).
REVISABLE = frozenset({"draft", "changes_requested", "published"})


@bp.route("/materials/<int:material_id>/revise", methods=["GET", "POST"])
@login_required
def revise(material_id: int):
    """The author's revision: new metadata and, optionally, a new file. For a published material the public keeps
    seeing the published version and its metadata until the revision is approved."""
    db = get_session()
    material = get_visible_material(db, material_id)
    if not can_edit_material(current_user, material) or material.status not in REVISABLE:
        abort(403)
    ref = current_reference(db)
    if request.method == "GET":
        return render_template("review/revise.html", material=material, form=proposed_metadata(db, material),
                               ref=ref, error=None)
    try:
        job = _revise(db, material, ref)
    except MaterialError as exc:
        db.rollback()
        return render_template("review/revise.html", material=material, form=request.form, ref=ref,
                               error=exc), exc.status
    if job is not None:
        current_app.extensions["jobs"].enqueue(job.id)
    flash("Đã lưu bản sửa. Hãy gửi thẩm định khi sẵn sàng.", "success")
    return redirect(url_for("materials.detail", material_id=material_id), 303)


def _revise(db: Any, material: Material, ref: Any) -> Any:
    metadata = validate_metadata(request.form.to_dict(), ref)
    if metadata["kind"] != material.kind:
        raise MaterialError("kind", "Không thể đổi loại học liệu trong một phiên bản mới.")
    file = request.files.get("file")
    job = None
    if file is not None and file.filename:
        _version, job = add_version(db, material, author=current_user,
                                    upload=Upload(file.stream, file.filename, file.mimetype),
                                    storage=current_app.extensions["storage"],
                                    sniffer=current_app.extensions["upload_sniffer"],
                                    max_bytes=current_app.config["MAX_UPLOAD_BYTES"])
    elif material.current_version_id == material.published_version_id:
        raise MaterialError("file", "Học liệu đang xuất bản: hãy tải lên tệp của phiên bản mới kèm thông tin sửa.",
                            "missing")
    propose_metadata(db, material, metadata)
    db.commit()
    return job


@bp.get("/notifications")
@login_required
def notifications_page():
    db = get_session()
    items = recent(db, current_user.id)
    return render_template("review/notifications.html", items=items)


@bp.post("/notifications/read")
@login_required
def notifications_read():
    mark_all_read(get_session(), current_user.id)
    return redirect(url_for("review.notifications_page"), 303)


@bp.post("/review/materials/<int:material_id>/claim")
@login_required
def claim_page(material_id: int):
    _require_reviewer()
    db = get_session()
    get_visible_material(db, material_id)
    try:
        claim(db, material_id, current_user, _cfg())
    except ReviewError as exc:
        flash(exc.message_vi, "error")
    else:
        _after_commit()
        flash("Bạn đã nhận thẩm định học liệu này.", "success")
    return redirect(url_for("review.review_page", material_id=material_id), 303)


def _rubric_from_form(form: Any) -> tuple[dict[str, str], dict[str, str]]:
    codes = _cfg().rubric.criteria
    scores = {c: form.get(f"score-{c}", "") for c in codes if form.get(f"score-{c}", "")}
    comments = {c: form.get(f"note-{c}", "") for c in codes if form.get(f"note-{c}", "").strip()}
    return scores, comments


@bp.post("/review/materials/<int:material_id>/decision")
@login_required
def decision_page(material_id: int):
    _require_reviewer()
    scores, comments = _rubric_from_form(request.form)
    data = {"comment": request.form.get("comment", ""), "scores": scores, "comments": comments,
            "lock_version": request.form.get("lock_version")}
    try:
        outcome = _run(material_id, request.form.get("decision", ""), data)
    except ReviewError as exc:
        if exc.status == 404:
            abort(404)
        flash(exc.message_vi, "error")
        return redirect(url_for("review.review_page", material_id=material_id), 303)
    flash(f"{ACTION_LABELS[outcome.transition.action]}: {STATES[outcome.material.status]}.", "success")
    return redirect(url_for("review.queue"), 303)


@bp.post("/materials/<int:material_id>/actions/<action>")
@login_required
def act(material_id: int, action: str):
    """The buttons of the material page (submit, withdraw; decisions when no rubric is required)."""
    try:
        outcome = _run(material_id, action, {"comment": request.form.get("comment", ""),
                                             "scope": request.form.get("scope")})
    except ReviewError as exc:
        if exc.status == 404:
            abort(404)
        flash(exc.message_vi, "error")
        target = "review.review_page" if action in DECISIONS else "materials.detail"
        return redirect(url_for(target, material_id=material_id), 303)
    flash(f"{ACTION_LABELS[action]}: {STATES[outcome.material.status]}.", "success")
    if action in DECISIONS:
        return redirect(url_for("review.queue"), 303)
    return redirect(url_for("materials.detail", material_id=material_id), 303)


# -- API -----------------------------------------------------------------------------------------------
def _api_run(material_id: int, action: str, data: dict[str, Any]):
    try:
        outcome = _run(material_id, action, data)
    except ReviewError as exc:
        return api_error(exc.status, exc.code, exc.message_vi, exc.field)
    material = outcome.material
    return jsonify({"id": material.id, "status": material.status, "lock_version": material.lock_version,
                    "published": material.published_version_id is not None})


def _json_body() -> dict[str, Any] | None:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else None


@bp.post("/api/v1/materials/<int:material_id>/submit")
@login_required
def api_submit(material_id: int):
    return _api_run(material_id, "submit", _json_body() or {})


@bp.post("/api/v1/materials/<int:material_id>/review")
@login_required
def api_review(material_id: int):
    body = _json_body()
    if body is None:
        return api_error(400, "bad_request", "Cần thân JSON {\"decision\", \"comment\", \"scores\"}.")
    if body.get("decision") not in DECISIONS:
        return api_error(400, "invalid_decision",
                         "decision phải là approve, reject hoặc request_changes.", "decision")
    return _api_run(material_id, body["decision"], body)


@bp.post("/api/v1/materials/<int:material_id>/withdraw")
@login_required
def api_withdraw(material_id: int):
    body = _json_body() or {}
    return _api_run(material_id, "withdraw", {"comment": body.get("reason") or body.get("comment"),
                                              "lock_version": body.get("lock_version")})


@bp.post("/api/v1/materials/<int:material_id>/claim")
@login_required
def api_claim(material_id: int):
    if not has_permission(current_user, "review"):
        return api_error(403, "forbidden", "Chỉ chuyên gia thẩm định nhận được việc thẩm định.")
    db = get_session()
    get_visible_material(db, material_id)
    try:
        assignment = claim(db, material_id, current_user, _cfg())
    except ReviewError as exc:
        return api_error(exc.status, exc.code, exc.message_vi, exc.field)
    _after_commit()
    return jsonify({"material_id": material_id, "reviewer": current_user.email,
                    "due_at": assignment.due_at.isoformat()})


@bp.get("/api/v1/review/queue")
@login_required
def api_queue():
    if not has_permission(current_user, "review"):
        return api_error(403, "forbidden", "Chỉ chuyên gia thẩm định và quản trị viên có hàng đợi thẩm định.")
    now = utcnow()
    items = review_queue(get_session(), current_user, _cfg(), QueueFilters.from_args(request.args), now)
    return jsonify({"materials": [{
        "id": i.material.id, "title": i.material.title, "subject": i.material.subject,
        "grade": i.material.grade, "level": i.material.level, "status": i.material.status,
        "submitted_at": i.material.updated_at.isoformat(), "due_at": i.due_at.isoformat(),
        "overdue": i.overdue(now), "lock_version": i.material.lock_version, "scope": i.scope,
        "assigned_to": i.assignment.reviewer.email if i.assignment else None} for i in items]})


@bp.get("/api/v1/materials/<int:material_id>/audit")
@login_required
def api_audit(material_id: int):
    if current_user.role not in AUDIT_ROLES:
        return api_error(403, "forbidden", "Chỉ chuyên gia thẩm định và quản trị viên xem được nhật ký.")
    db = get_session()
    get_visible_material(db, material_id)
    return jsonify({"records": [{"at": r.at.isoformat(), "actor": r.actor.email if r.actor else None,
                                 "action": r.action, "from": r.from_state, "to": r.to_state,
                                 "comment": r.comment} for r in audit_trail(db, material_id)]})


def _csv_response(text: str, filename: str) -> Response:
    return Response(text, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@bp.get("/api/v1/materials/<int:material_id>/audit.csv")
@login_required
def audit_csv_material(material_id: int):
    if current_user.role not in AUDIT_ROLES:
        return api_error(403, "forbidden", "Chỉ chuyên gia thẩm định và quản trị viên xuất được nhật ký.")
    db = get_session()
    get_visible_material(db, material_id)
    return _csv_response(audit_csv(db, records_for(db, material_id=material_id)),
                         f"nhat-ky-hoc-lieu-{material_id}.csv")


def _day(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        raise ReviewError("bad_date", f"Ngày không hợp lệ ở '{field}': dùng dạng NNNN-TT-NN.", 400, field) from None


@bp.get("/api/v1/review/audit.csv")
@login_required
def audit_csv_period():
    """Every record of a period (``since`` and ``until`` are days, both included) that the caller may see."""
    if current_user.role not in AUDIT_ROLES:
        return api_error(403, "forbidden", "Chỉ chuyên gia thẩm định và quản trị viên xuất được nhật ký.")
    try:
        since = _day(request.args.get("since"), "since")
        until = _day(request.args.get("until"), "until")
    except ReviewError as exc:
        return api_error(exc.status, exc.code, exc.message_vi, exc.field)
    db = get_session()
    records = records_for(db, since=since, until=until + timedelta(days=1) if until else None)
    visible = {m.id for m in db.scalars(select(Material).where(Material.id.in_({r.material_id for r in records})))
               if can_view_material(current_user, m)}
    name = f"nhat-ky-{since:%Y%m%d}" if since else "nhat-ky-tu-dau"
    name += f"-{until:%Y%m%d}.csv" if until else "-den-nay.csv"
    return _csv_response(audit_csv(db, [r for r in records if r.material_id in visible]), name)


def _comment_as_dict(c) -> dict[str, Any]:
    return {"id": c.id, "version_id": c.version_id, "author": c.author.email, "anchor_kind": c.anchor_kind,
            "anchor": c.anchor, "where": anchor_label(c.anchor_kind, c.anchor), "body": c.body,
            "created_at": c.created_at.isoformat()}


@bp.get("/api/v1/materials/<int:material_id>/comments")
@login_required
def api_comments(material_id: int):
    """Review comments, for reviewers, administrators and the material's author."""
    db = get_session()
    material = get_visible_material(db, material_id)
    if current_user.role not in AUDIT_ROLES and material.owner_id != current_user.id:
        return api_error(403, "forbidden", "Chỉ tác giả, chuyên gia thẩm định và quản trị viên xem được nhận xét.")
    return jsonify({"comments": [_comment_as_dict(c) for c in comments_of(db, material_id)]})


@bp.post("/api/v1/materials/<int:material_id>/comments")
@login_required
def api_add_comment(material_id: int):
    if not has_permission(current_user, "review"):
        return api_error(403, "forbidden", "Chỉ chuyên gia thẩm định ghi được nhận xét thẩm định.")
    db = get_session()
    material = get_visible_material(db, material_id)
    body = _json_body()
    if body is None:
        return api_error(400, "bad_request", "Cần thân JSON {\"anchor_kind\", \"anchor\", \"body\"}.")
    try:
        comment = add_comment(db, material, current_user, str(body.get("anchor_kind") or "general"),
                              body.get("anchor"), str(body.get("body") or ""))
    except ReviewError as exc:
        db.rollback()
        return api_error(exc.status, exc.code, exc.message_vi, exc.field)
    response = jsonify(_comment_as_dict(comment))
    response.status_code = 201
    return response


@bp.get("/api/v1/notifications")
@login_required
def api_notifications():
    db = get_session()
    return jsonify({"unread": unread_count(db, current_user.id), "notifications": [
        {"id": n.id, "kind": n.kind, "text": n.text, "material_id": n.material_id,
         "created_at": n.created_at.isoformat(), "read": n.read_at is not None} for n in recent(db, current_user.id)]})
