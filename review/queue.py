"""The reviewer's queue: submissions assigned to them or free to claim, filtered by publication scope, subject,
level, status and due date, overdue work first. Due dates of unassigned work follow the scope's policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from repository.models import Material, User, utcnow
from review.assignment import may_review
from review.config import SCOPES, ReviewConfig
from review.models import ReviewAssignment, ScopeRequest

#: Material states a queue can list (the filter "status"); the default is work waiting for a decision.
QUEUE_STATES = ("in_review", "changes_requested")
#: Due-date filters: name -> Vietnamese label.
DUE_FILTERS: dict[str, str] = {"overdue": "Quá hạn", "soon": "Đến hạn trong 2 ngày", "later": "Còn hạn"}
SOON = timedelta(days=2)
LIMIT = 200


@dataclass(frozen=True)
class QueueFilters:
    scope: str = ""
    subject: str = ""
    level: str = ""
    status: str = "in_review"
    due: str = ""

    @classmethod
    def from_args(cls, args: dict[str, str]) -> QueueFilters:
        status = args.get("status") or "in_review"
        due = args.get("due") or ""
        scope = args.get("scope") or ""
        return cls(scope=scope if scope in SCOPES else "", subject=args.get("subject") or "",
                   level=args.get("level") or "",
                   status=status if status in QUEUE_STATES else "in_review",
                   due=due if due in DUE_FILTERS else "")


@dataclass(frozen=True)
class QueueItem:
    material: Material
    assignment: ReviewAssignment | None
    due_at: datetime
    scope: str

    def overdue(self, now: datetime) -> bool:
        return self.due_at < now

    def due_state(self, now: datetime) -> str:
        if self.overdue(now):
            return "overdue"
        return "soon" if self.due_at < now + SOON else "later"


def _visible(item: QueueItem, reviewer: User, cfg: ReviewConfig) -> bool:
    if reviewer.role == "admin":
        return item.material.owner_id != reviewer.id
    mine_or_free = item.assignment is None or item.assignment.reviewer_id == reviewer.id
    return mine_or_free and may_review(reviewer, item.material, cfg)


def review_queue(session: Session, reviewer: User, cfg: ReviewConfig, filters: QueueFilters | None = None,
                 now: datetime | None = None) -> list[QueueItem]:
    """The reviewer's work, overdue first, then by due date. Administrators see every submission."""
    filters, now = filters or QueueFilters(), now or utcnow()
    query = select(Material, ReviewAssignment, ScopeRequest.scope).outerjoin(
        ReviewAssignment, (ReviewAssignment.material_id == Material.id) & (ReviewAssignment.status == "open")
    ).outerjoin(ScopeRequest, ScopeRequest.material_id == Material.id).where(
        Material.status == filters.status, Material.owner_id != reviewer.id)
    if filters.scope:
        query = query.where(func.coalesce(ScopeRequest.scope, cfg.default_scope) == filters.scope)
    if filters.subject:
        query = query.where(Material.subject == filters.subject)
    if filters.level:
        query = query.where(Material.level == filters.level)
    items = []
    for m, a, scope in session.execute(query.order_by(Material.updated_at).limit(LIMIT * 5)):
        policy = cfg.policy(scope or cfg.default_scope)
        items.append(QueueItem(m, a, a.due_at if a else m.updated_at + policy.due, policy.scope))
    items = [i for i in items if _visible(i, reviewer, cfg)]
    if filters.due:
        items = [i for i in items if i.due_state(now) == filters.due]
    return sorted(items, key=lambda i: (not i.overdue(now), i.due_at, i.material.id))[:LIMIT]
