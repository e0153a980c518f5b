"""Reminders of overdue review work: each reviewer with an overdue open assignment gets an e-mail (through the
mail outbox) and an in-app notification, at most once per REMIND_EVERY per assignment."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from repository.models import AuditRecord, Material, utcnow
from review.mail import queue_mail
from review.models import ReviewAssignment
from review.notifications import notify

REMIND_EVERY = timedelta(days=1)


def remind_overdue(session: Session, now: datetime | None = None) -> list[int]:
    """Queue the reminders that are due; commits. Returns the ids of the assignments reminded."""
    now = now or utcnow()
    late = list(session.scalars(select(ReviewAssignment).where(
        ReviewAssignment.status == "open", ReviewAssignment.due_at < now,
        or_(ReviewAssignment.reminded_at.is_(None), ReviewAssignment.reminded_at <= now - REMIND_EVERY))
        .order_by(ReviewAssignment.due_at)))
    for assignment in late:
        material = session.get(Material, assignment.material_id)
        days = max(1, (now - assignment.due_at).days)
        text = (f"Nhắc hạn: “{material.title}” đã quá hạn thẩm định {days} ngày "
                f"(hạn {assignment.due_at:%d/%m/%Y}).")
        queue_mail(session, assignment.reviewer.email, f"Quá hạn thẩm định: {material.title}", text)
        notify(session, assignment.reviewer_id, material, "remind", text)
        session.add(AuditRecord(material_id=material.id, version_id=material.current_version_id, action="remind",
                                from_state=material.status, to_state=material.status,
                                comment=f"{assignment.reviewer.email}: {text}"))
        assignment.reminded_at = now
    session.commit()
    return [a.id for a in late]
