"""In-app notifications (the bell): written in the transaction that causes them, read on the notifications
page. E-mail goes separately through the mail outbox (review.mail)."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from repository.models import Material, utcnow
from review.models import Notification

LIST_LIMIT = 100


def notify(session: Session, user_id: int | None, material: Material | None, kind: str, text: str) -> None:
    """Add a notification to the caller's transaction."""
    if user_id is not None:
        session.add(Notification(user_id=user_id, material_id=material.id if material else None, kind=kind,
                                 text=text[:500]))


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def recent(session: Session, user_id: int) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.user_id == user_id)
                                .order_by(Notification.id.desc()).limit(LIST_LIMIT)))


def mark_all_read(session: Session, user_id: int) -> int:
    result = session.execute(update(Notification).where(Notification.user_id == user_id,
                                                        Notification.read_at.is_(None)).values(read_at=utcnow()))
    session.commit()
    return result.rowcount
