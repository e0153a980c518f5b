"""E-mail notifications through an outbox: rows are written in the transaction that causes them and sent
later by SMTP. A mail server that is down delays mail; a row is marked sent only after the server took it."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from repository.models import utcnow
from review.config import MailConfig
from review.models import MailOutbox

log = logging.getLogger(__name__)
BATCH = 100
MAX_BACKOFF_DOUBLINGS = 6

SmtpFactory = Callable[..., smtplib.SMTP]


def queue_mail(session: Session, recipient: str, subject: str, body: str) -> None:
    """Add an e-mail to the caller's transaction."""
    if recipient:
        session.add(MailOutbox(recipient=recipient, subject=subject[:300], body=body))


def _message(cfg: MailConfig, row: MailOutbox) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = cfg.sender, row.recipient, row.subject
    message.set_content(row.body)
    return message


def _connect(cfg: MailConfig, factory: SmtpFactory) -> smtplib.SMTP:
    smtp = factory(cfg.host, cfg.port, timeout=10)
    if cfg.starttls:
        smtp.starttls()
    if cfg.user:
        smtp.login(cfg.user, cfg.password)
    return smtp


def due_mail(session: Session, now: datetime) -> list[MailOutbox]:
    return list(session.scalars(select(MailOutbox).where(
        MailOutbox.sent_at.is_(None), or_(MailOutbox.next_attempt_at.is_(None), MailOutbox.next_attempt_at <= now))
        .order_by(MailOutbox.id).limit(BATCH)))


def _failed(row: MailOutbox, cfg: MailConfig, now: datetime, error: Exception) -> None:
    row.attempts += 1
    row.last_error = f"{type(error).__name__}: {error}"[:2000]
    delay = cfg.retry_seconds * 2 ** min(row.attempts - 1, MAX_BACKOFF_DOUBLINGS)
    row.next_attempt_at = now + timedelta(seconds=delay)


def send_pending(session: Session, cfg: MailConfig, now: datetime | None = None,
                 factory: SmtpFactory = smtplib.SMTP) -> int:
    """Send what is due; returns how many were sent. Each row is committed as sent right after the server
    accepted it; when the server cannot be reached the first row records the failure and the rest wait."""
    now = now or utcnow()
    rows = due_mail(session, now)
    if not rows:
        return 0
    try:
        smtp = _connect(cfg, factory)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("mail server %s:%s unreachable: %s", cfg.host, cfg.port, exc)
        _failed(rows[0], cfg, now, exc)
        session.commit()
        return 0
    sent = 0
    with smtp:
        for row in rows:
            try:
                smtp.send_message(_message(cfg, row))
            except (OSError, smtplib.SMTPException) as exc:
                _failed(row, cfg, now, exc)
                session.commit()
                break
            row.sent_at, row.attempts = utcnow(), row.attempts + 1
            session.commit()
            sent += 1
    return sent
