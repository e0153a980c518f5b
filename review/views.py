"""Review pages and API: the reviewer's queue, decisions on a material, the audit trail."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from repository.api import api_error
from repository.db import get_session
from repository.materials.queries import get_visible_material
from repository.permissions import has_permission
from repository.reference import current_reference
from review.services import ReviewError, apply_transition, audit_trail, review_queue
from review.states import ACTION_LABELS, STATES

bp = Blueprint("review", __name__, template_folder="templates")


def _decide(material_id: int, action: str, comment: str):
    db = get_session()
    get_visible_material(db, material_id)  # 404 for what the user may not see
    outcome = apply_transition(db, material_id, action, current_user, comment)
    if outcome.transition.publication != "keep":
        current_app.extensions["jobs"].notify("search_outbox")
    return outcome


# -- HTML ----------------------------------------------------------------------------------------------
@bp.get("/review/queue")
@login_required
def queue():
    if not has_permission(current_user, "review"):
        abort(403)
    db = get_session()
    return render_template("review/queue.html", materials=review_queue(db, current_user),
                           ref=current_reference(db), states=STATES)


@bp.post("/materials/<int:material_id>/actions/<action>")
@login_required
def act(material_id: int, action: str):
    try:
        outcome = _decide(material_id, action, request.form.get("comment", ""))
    except ReviewError as exc:
        if exc.status == 404:
            abort(404)
        flash(exc.message_vi, "error")
        return redirect(url_for("materials.detail", material_id=material_id), 303)
    flash(f"{ACTION_LABELS[action]}: {STATES[outcome.material.status]}.", "success")
    if action in {"approve", "reject", "request_changes"}:
        return redirect(url_for("review.queue"), 303)
    return redirect(url_for("materials.detail", material_id=material_id), 303)


# -- API -----------------------------------------------------------------------------------------------
@bp.post("/api/v1/materials/<int:material_id>/submit")
@login_required
def api_submit(material_id: int):
    return _api_decide(material_id, "submit", (request.get_json(silent=True) or {}).get("comment", ""))


@bp.post("/api/v1/materials/<int:material_id>/review")
@login_required
def api_review(material_id: int):
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return api_error(400, "bad_request", "Cần thân JSON {\"decision\", \"comment\"}.")
    decision = body.get("decision")
    if decision not in {"approve", "reject", "request_changes"}:
        return api_error(400, "invalid_decision",
                         "decision phải là approve, reject hoặc request_changes.", "decision")
    return _api_decide(material_id, decision, str(body.get("comment") or ""))


def _api_decide(material_id: int, action: str, comment: str):
    try:
        outcome = _decide(material_id, action, comment)
    except ReviewError as exc:
        return api_error(exc.status, exc.code, exc.message_vi, exc.field)
    material = outcome.material
    return jsonify({"id": material.id, "status": material.status,
                    "published": material.published_version_id is not None})


@bp.get("/api/v1/review/queue")
@login_required
def api_queue():
    if not has_permission(current_user, "review"):
        return api_error(403, "forbidden", "Chỉ chuyên gia thẩm định và quản trị viên có hàng đợi thẩm định.")
    items = review_queue(get_session(), current_user)
    return jsonify({"materials": [{"id": m.id, "title": m.title, "subject": m.subject, "grade": m.grade,
                                   "level": m.level, "status": m.status,
                                   "submitted_at": m.updated_at.isoformat()} for m in items]})


@bp.get("/api/v1/materials/<int:material_id>/audit")
@login_required
def api_audit(material_id: int):
    if current_user.role not in {"reviewer", "admin"}:
        return api_error(403, "forbidden", "Chỉ chuyên gia thẩm định và quản trị viên xem được nhật ký.")
    db = get_session()
    get_visible_material(db, material_id)
    return jsonify({"records": [{"at": r.at.isoformat(), "actor": r.actor.email if r.actor else None,
                                 "action": r.action, "from": r.from_state, "to": r.to_state,
                                 "comment": r.comment} for r in audit_trail(db, material_id)]})
