"""Routing submissions to reviewers: expertise (subject × level) must match, the least-loaded reviewer wins,
reviewers may claim unassigned work, overdue assignments are handed to someone else. Every step is audited."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from repository.models import AuditRecord, Material, User, utcnow
from review.config import ReviewConfig
from review.mail import queue_mail
from review.models import ReviewAssignment, ReviewDecision, ReviewerExpertise
from review.notifications import notify
from review.scopes import eligible, target_policy
from review.services import ReviewError

REVIEWER_ROLES = ("reviewer",)


def open_assignment(session: Session, material_id: int) -> ReviewAssignment | None:
    return session.scalar(select(ReviewAssignment).where(ReviewAssignment.material_id == material_id,
                                                         ReviewAssignment.status == "open"))


def open_loads(session: Session) -> dict[int, int]:
    rows = session.execute(select(ReviewAssignment.reviewer_id, func.count()).where(
        ReviewAssignment.status == "open").group_by(ReviewAssignment.reviewer_id))
    return {reviewer_id: count for reviewer_id, count in rows}


def may_review(reviewer: User, material: Material, cfg: ReviewConfig) -> bool:
    """Never the author; not the author's own unit when the configuration says so; only reviewers the policy
    of the round's publication scope accepts."""
    if reviewer.id == material.owner_id:
        return False
    if cfg.exclude_own_unit and reviewer.unit_id is not None \
            and reviewer.unit_id in {material.unit_id, material.owner.unit_id}:
        return False
    session = object_session(material)
    return session is None or eligible(session, reviewer, material, target_policy(session, material, cfg))


def candidates(session: Session, material: Material, cfg: ReviewConfig, exclude: Iterable[int] = ()) -> list[User]:
    """Active reviewers whose expertise covers the material's subject and level, least open load first."""
    reviewers = session.scalars(
        select(User).join(ReviewerExpertise, ReviewerExpertise.user_id == User.id)
        .where(ReviewerExpertise.subject == material.subject, ReviewerExpertise.level == material.level,
               User.role.in_(REVIEWER_ROLES), User.active.is_(True), User.id.not_in(list(exclude))))
    loads = open_loads(session)
    fitting = [r for r in reviewers if may_review(r, material, cfg)]
    return sorted(fitting, key=lambda r: (loads.get(r.id, 0), r.id))


def _assign(session: Session, material: Material, reviewer: User, how: str, cfg: ReviewConfig,
            actor: User | None, now: datetime) -> ReviewAssignment:
    policy = target_policy(session, material, cfg)
    assignment = ReviewAssignment(material_id=material.id, reviewer_id=reviewer.id, how=how, assigned_at=now,
                                  due_at=now + policy.due)
    session.add(assignment)
    action = {"routed": "assign", "claimed": "claim", "reassigned": "reassign"}[how]
    _audit(session, material, actor, action, f"{reviewer.name or reviewer.email}, hạn {assignment.due_at:%d/%m/%Y}")
    text = (f"Bạn được phân công thẩm định “{material.title}” (phạm vi {policy.label}), "
            f"hạn {assignment.due_at:%d/%m/%Y}.")
    queue_mail(session, reviewer.email, f"Học liệu cần thẩm định: {material.title}", text)
    if how != "claimed":
        notify(session, reviewer.id, material, "assign", text)
    return assignment


def _audit(session: Session, material: Material, actor: User | None, action: str, comment: str) -> None:
    session.add(AuditRecord(material_id=material.id, version_id=material.current_version_id,
                            actor_id=actor.id if actor else None, action=action, from_state=material.status,
                            to_state=material.status, comment=comment))


def previous_reviewer(session: Session, material: Material, cfg: ReviewConfig,
                      exclude: Iterable[int] = ()) -> User | None:
    """Whoever decided on the material last, if they may still review it: a revision goes back to them."""
    reviewer = session.scalar(select(User).join(ReviewDecision, ReviewDecision.reviewer_id == User.id)
                              .where(ReviewDecision.material_id == material.id)
                              .order_by(ReviewDecision.id.desc()).limit(1))
    if reviewer is None or not reviewer.active or reviewer.role not in {"reviewer", "admin"} \
            or reviewer.id in set(exclude):
        return None
    return reviewer if may_review(reviewer, material, cfg) else None


def route(session: Session, material: Material, cfg: ReviewConfig, now: datetime | None = None,
          exclude: Iterable[int] = ()) -> ReviewAssignment | None:
    """Assign a submission, in the caller's transaction: a revision to its previous reviewer, otherwise to the
    best-fitting reviewer. None: nobody fits, the submission waits in the queue for a claim."""
    exclude = set(exclude)
    chosen = previous_reviewer(session, material, cfg, exclude)
    if chosen is None:
        fitting = candidates(session, material, cfg, exclude)
        chosen = fitting[0] if fitting else None
    if chosen is None:
        return None
    return _assign(session, material, chosen, "routed", cfg, None, now or utcnow())


def close_open(session: Session, material_id: int, status: str, now: datetime | None = None) -> None:
    """Close the open assignment of a material (decided, withdrawn, overdue)."""
    assignment = open_assignment(session, material_id)
    if assignment is not None:
        assignment.status, assignment.open_slot, assignment.closed_at = status, None, now or utcnow()


def claim(session: Session, material_id: int, reviewer: User, cfg: ReviewConfig) -> ReviewAssignment:
    """Take an unassigned submission from the queue. Commits; two claims at once leave one winner."""
    material = session.get(Material, material_id)
    if material is None or material.status != "in_review":
        raise ReviewError("not_claimable", "Học liệu không ở trạng thái chờ thẩm định.", 409)
    if reviewer.role not in {"reviewer", "admin"} or not may_review(reviewer, material, cfg):
        raise ReviewError("forbidden", "Bạn không thể thẩm định học liệu này (tác giả hoặc cùng đơn vị).", 403)
    current = open_assignment(session, material_id)
    if current is not None:
        if current.reviewer_id == reviewer.id:
            return current
        raise _taken(current)
    assignment = _assign(session, material, reviewer, "claimed", cfg, reviewer, utcnow())
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise _taken(open_assignment(session, material_id)) from exc
    return assignment


def _taken(assignment: ReviewAssignment | None) -> ReviewError:
    who = assignment.reviewer.name or assignment.reviewer.email if assignment else "người khác"
    return ReviewError("already_assigned", f"Học liệu đã được phân công cho {who}.", 409)


def check_assignee(session: Session, material_id: int, actor: User) -> None:
    """A reviewer decides only unassigned work or their own assignment; an administrator may always."""
    current = open_assignment(session, material_id)
    if current is not None and current.reviewer_id != actor.id and actor.role != "admin":
        raise _taken(current)


def reassign_overdue(session: Session, cfg: ReviewConfig, now: datetime | None = None,
                     grace: timedelta = timedelta(0)) -> list[int]:
    """Hand every assignment overdue by more than ``grace`` (time for the reminders to work) to a fitting reviewer
    who has not let this material run late before (or back to the common queue). Commits.
    Returns the ids of the materials whose assignment was overdue."""
    now = now or utcnow()
    overdue = list(session.scalars(select(ReviewAssignment).where(ReviewAssignment.status == "open",
                                                                  ReviewAssignment.due_at < now - grace)))
    for assignment in overdue:
        assignment.status, assignment.open_slot, assignment.closed_at = "overdue", None, now
        session.flush()
        material = session.get(Material, assignment.material_id)
        late = session.scalars(select(ReviewAssignment.reviewer_id).where(
            ReviewAssignment.material_id == material.id, ReviewAssignment.status == "overdue"))
        fitting = candidates(session, material, cfg, exclude=set(late))
        if fitting:
            _assign(session, material, fitting[0], "reassigned", cfg, None, now)
        else:
            _audit(session, material, None, "reassign", "Quá hạn, không còn chuyên gia phù hợp: trả về hàng đợi chung")
    session.commit()
    return [a.material_id for a in overdue]
