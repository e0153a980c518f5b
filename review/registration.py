"""Plugs the review domain into the app: its tables, blueprint, configuration, background housekeeping (mail
outbox, reminders, overdue assignments), its CLI, the append-only audit guard and the template helpers."""

from __future__ import annotations

from flask import Flask
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from repository.db import get_session
from review import models  # noqa: F401  (registers the review tables on Base.metadata)
from review.assignment import reassign_overdue
from review.audit import guard_audit_records
from review.cli import review_cli
from review.config import SCOPES, review_config
from review.mail import send_pending
from review.notifications import unread_count
from review.reminders import remind_overdue
from review.scopes import published_scope, scope_allowed
from review.services import allowed_actions
from review.states import ACTION_LABELS, DECISIONS, EVENT_LABELS, INTERNAL_ACTIONS, STATES
from review.views import bp


def drain_mail(app: Flask) -> None:
    with app.extensions["db"].session() as session:
        send_pending(session, app.extensions["review"].mail)


def reassign_late(app: Flask) -> None:
    with app.extensions["db"].session() as session:
        cfg = app.extensions["review"]
        reassign_overdue(session, cfg, grace=cfg.reassign_grace)


def send_reminders(app: Flask) -> None:
    with app.extensions["db"].session() as session:
        remind_overdue(session)


def register(app: Flask) -> None:
    cfg = review_config(app.extensions["settings"])
    app.extensions["review"] = cfg
    app.register_blueprint(bp)
    guard_audit_records()
    notifications = app.extensions["jobs"].registry.notifications
    notifications["review_mail"] = drain_mail
    notifications["review_reminders"] = send_reminders
    notifications["review_overdue"] = reassign_late
    app.cli.add_command(review_cli)

    def page_actions(material):
        """Buttons of the material page; with a required rubric, decisions are taken on the review page."""
        actions = allowed_actions(current_user, material)
        return [t for t in actions if t.action not in INTERNAL_ACTIONS
                and not (cfg.rubric.required and t.action in DECISIONS)
                and not (t.action == "submit" and not submit_scopes(material))]

    def submit_scopes(material) -> list[tuple[str, str, bool]]:
        """The scopes a submission may aim at now (prerequisites met, no narrowing): (code, label, preselected)."""
        session = get_session()
        current = published_scope(session, material)
        unchanged = material.current_version_id == material.published_version_id  # same scope: nothing to review
        codes = [code for code in cfg.scopes if scope_allowed(session, material, cfg, code)
                 and not (unchanged and code == current)]
        chosen = current if current in codes else (cfg.default_scope if cfg.default_scope in codes else "")
        return [(code, cfg.scopes[code].label, code == (chosen or codes[0])) for code in codes]

    def unread_notifications() -> int:
        """The bell's count; an error page rendered after a failed transaction shows no count rather than fail."""
        if not getattr(current_user, "is_authenticated", False):
            return 0
        try:
            return unread_count(get_session(), current_user.id)
        except SQLAlchemyError:
            return 0

    def publication_scope_label(material) -> str:
        scope = published_scope(get_session(), material)
        return SCOPES.get(scope, "") if scope else ""

    @app.context_processor
    def review_helpers():
        return {"review_actions": page_actions, "state_labels": STATES, "submit_scopes": submit_scopes,
                "publication_scope_label": publication_scope_label,
                "unread_notifications": unread_notifications, "action_labels": {**EVENT_LABELS, **ACTION_LABELS}}
