"""The review workflow on top of the state machine: submissions are routed, decisions carry a rubric and close
the assignment, withdrawals release it, and the people concerned are told by e-mail — each in the
transition's own transaction, so a decision that loses a race leaves nothing behind."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from repository.models import AuditRecord, Material, User
from review.assignment import check_assignee, close_open, route
from review.config import ReviewConfig
from review.mail import queue_mail
from review.models import ReviewDecision
from review.rubric import RubricScores, check_rubric
from review.services import Outcome, ReviewError, apply_transition, check_transition, conflict
from review.states import ACTION_LABELS, DECISIONS, STATES


def submit(session: Session, material_id: int, actor: User, cfg: ReviewConfig, comment: str = "") -> Outcome:
    """Send a material to review and route it to a fitting reviewer, if there is one."""
    def routed(db: Session, material: Material, _record: AuditRecord) -> None:
        route(db, material, cfg)

    return apply_transition(session, material_id, "submit", actor, comment, on_apply=routed)


def decide(session: Session, material_id: int, actor: User, cfg: ReviewConfig, decision: str, summary: str,
           scores: Any = None, comments: Any = None, expected_lock: int | None = None) -> Outcome:
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
    check_assignee(session, material_id, actor)
    if cfg.rubric.required and not summary:
        raise ReviewError("comment_required", "Hãy ghi nhận xét tổng hợp cho quyết định.", 400, "comment")
    rubric = check_rubric(cfg.rubric, scores, comments)

    def record(db: Session, decided: Material, audit: AuditRecord) -> None:
        _store_decision(db, decided, actor, decision, summary, rubric, audit)

    return apply_transition(session, material_id, decision, actor, summary, expected_lock=expected_lock,
                            on_apply=record)


def _store_decision(session: Session, material: Material, actor: User, decision: str, summary: str,
                    rubric: RubricScores, audit: AuditRecord) -> None:
    session.add(ReviewDecision(material_id=material.id, version_id=material.current_version_id,
                               reviewer_id=actor.id, decision=decision, summary=summary, scores=rubric.scores,
                               comments=rubric.comments, audit=audit))
    close_open(session, material.id, "done")
    queue_mail(session, material.owner.email, f"Kết quả thẩm định: {material.title}",
               f"{ACTION_LABELS[decision]} — “{material.title}”: {STATES[material.status]}.\n\n{summary}")


def withdraw(session: Session, material_id: int, actor: User, reason: str,
             expected_lock: int | None = None) -> Outcome:
    """Unpublish (or pull back from review) with a reason; the search outbox removes it from the index."""
    def released(db: Session, material: Material, _record: AuditRecord) -> None:
        close_open(db, material.id, "released")
        if actor.id != material.owner_id:
            queue_mail(db, material.owner.email, f"Học liệu đã bị gỡ xuống: {material.title}",
                       f"“{material.title}” đã được gỡ xuống.\n\nLý do: {reason.strip()}")

    return apply_transition(session, material_id, "withdraw", actor, reason, expected_lock=expected_lock,
                            on_apply=released)
