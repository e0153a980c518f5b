"""The review workflow on top of the state machine: submissions are routed, decisions carry a rubric and close
the assignment, withdrawals release it, and the people concerned are told by e-mail — each in the
transition's own transaction, so a decision that loses a race leaves nothing behind."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from repository.models import AuditRecord, Material, User, utcnow
from repository.publication import set_scope
from review.assignment import check_assignee, close_open, route
from review.config import ReviewConfig, ScopePolicy
from review.mail import queue_mail
from review.models import ReviewDecision
from review.notifications import notify
from review.revisions import publish_metadata, snapshot
from review.rubric import RubricScores, check_rubric
from review.scopes import approvers, check_eligible, choose_scope, current_request, open_round, published_scope
from review.services import Outcome, ReviewError, apply_transition, check_transition, conflict
from review.states import ACTION_LABELS, DECISIONS, STATES


def submit(session: Session, material_id: int, actor: User, cfg: ReviewConfig, comment: str = "",
           scope: str | None = None) -> Outcome:
    """Send a material to review for a publication scope and route it to a fitting reviewer, if there is one.
    A published material comes back for a new version or a wider scope; it stays published meanwhile."""
    material = session.get(Material, material_id)
    if material is None:
        raise ReviewError("not_found", "Không tìm thấy học liệu.", 404)
    check_transition(session, material, "submit", actor, comment)
    policy = choose_scope(session, material, cfg, scope)
    if material.status == "published" and material.current_version_id == material.published_version_id \
            and policy.scope == published_scope(session, material):
        raise ReviewError("nothing_to_review", "Phiên bản này đã được xuất bản ở phạm vi "
                          f"{policy.label}: hãy tải lên phiên bản mới hoặc chọn phạm vi rộng hơn.", 409, "scope")

    def routed(db: Session, submitted: Material, _record: AuditRecord) -> None:
        open_round(db, submitted, policy)
        snapshot(db, submitted)
        route(db, submitted, cfg)

    note = f"[Phạm vi: {policy.label}] {comment}".strip()
    return apply_transition(session, material_id, "submit", actor, note, on_apply=routed)


def decide(session: Session, material_id: int, actor: User, cfg: ReviewConfig, decision: str, summary: str,
           scores: Any = None, comments: Any = None, expected_lock: int | None = None, scope: Any = None) -> Outcome:
    """Approve, request changes or reject, with the rubric; stores the rubric with the audit record."""
    if decision not in DECISIONS:
        raise ReviewError("invalid_decision", "Quyết định phải là phê duyệt, yêu cầu chỉnh sửa hoặc từ chối.",
                          400, "decision")
    summary = (summary or "").strip()
    material = session.get(Material, material_id)
    if material is None:
        raise ReviewError("not_found", "Không tìm thấy học liệu.", 404)
    if expected_lock is not None and material.lock_version != expected_lock:
        raise conflict(session, material)
    check_transition(session, material, decision, actor, summary)
    request = current_request(session, material_id)
    policy = cfg.policy(request.scope if request else cfg.default_scope)
    _check_scope_field(policy, scope)
    check_eligible(session, actor, material, policy)
    earlier = approvers(session, material_id, request)
    if actor.id in earlier:
        raise ReviewError("already_approved", "Bạn đã phê duyệt học liệu này trong đợt thẩm định hiện tại; "
                          "cần phê duyệt của chuyên gia khác.", 409)
    check_assignee(session, material_id, actor)
    if cfg.rubric.required and not summary:
        raise ReviewError("comment_required", "Hãy ghi nhận xét tổng hợp cho quyết định.", 400, "comment")
    rubric = check_rubric(cfg.rubric, scores, comments)
    action = "endorse" if decision == "approve" and len(earlier) + 1 < policy.approvals else decision

    def record(db: Session, decided: Material, audit: AuditRecord) -> None:
        _store_decision(db, decided, actor, decision, summary, rubric, audit, policy, request.round if request else 0)
        if action == "endorse":
            decided.updated_at = utcnow()   # an UPDATE of the row: the optimistic lock still applies
            route(db, decided, cfg, exclude=approvers(db, decided.id, request) | {actor.id})
        elif decision == "approve":
            publish_metadata(db, decided)
            set_scope(db, decided, policy.scope)

    return apply_transition(session, material_id, action, actor, summary, expected_lock=expected_lock,
                            on_apply=record)


def _check_scope_field(policy: ScopePolicy, scope: Any) -> None:
    """The API's optional ``scope`` names the scope the reviewer believes they decide on: it must be the round's."""
    if scope not in (None, "") and scope != policy.scope:
        raise ReviewError("scope_mismatch", f"Đợt thẩm định này xét phạm vi {policy.label} ({policy.scope}), "
                          f"không phải {str(scope)[:40]}.", 409, "scope")


def _store_decision(session: Session, material: Material, actor: User, decision: str, summary: str,
                    rubric: RubricScores, audit: AuditRecord, policy: ScopePolicy, round_number: int) -> None:
    session.add(ReviewDecision(material_id=material.id, version_id=material.current_version_id,
                               reviewer_id=actor.id, decision=decision, summary=summary, scores=rubric.scores,
                               comments=rubric.comments, audit=audit, scope=policy.scope, round=round_number))
    close_open(session, material.id, "done")
    outcome = f"{ACTION_LABELS[decision]} (phạm vi {policy.label}) — “{material.title}”: {STATES[material.status]}."
    queue_mail(session, material.owner.email, f"Kết quả thẩm định: {material.title}", f"{outcome}\n\n{summary}")
    notify(session, material.owner_id, material, decision, outcome)


def withdraw(session: Session, material_id: int, actor: User, reason: str,
             expected_lock: int | None = None) -> Outcome:
    """Unpublish (or pull back from review) with a reason; the search outbox removes it from the index."""
    def released(db: Session, material: Material, _record: AuditRecord) -> None:
        close_open(db, material.id, "released")
        if actor.id != material.owner_id:
            queue_mail(db, material.owner.email, f"Học liệu đã bị gỡ xuống: {material.title}",
                       f"“{material.title}” đã được gỡ xuống.\n\nLý do: {reason.strip()}")
            notify(db, material.owner_id, material, "withdraw",
                   f"“{material.title}” đã được gỡ xuống: {reason.strip()}")

    return apply_transition(session, material_id, "withdraw", actor, reason, expected_lock=expected_lock,
                            on_apply=released)
