"""Plugs the review domain into the app: its tables, blueprint, configuration, background housekeeping (mail
outbox, overdue assignments), the append-only audit guard and the template helpers."""

from __future__ import annotations

from flask import Flask
from flask_login import current_user

from review import models  # noqa: F401  (registers the review tables on Base.metadata)
from review.assignment import reassign_overdue
from review.audit import guard_audit_records
from review.config import review_config
from review.mail import send_pending
from review.services import allowed_actions
from review.states import ACTION_LABELS, DECISIONS, EVENT_LABELS, STATES
from review.views import bp


def drain_mail(app: Flask) -> None:
    with app.extensions["db"].session() as session:
        send_pending(session, app.extensions["review"].mail)


def reassign_late(app: Flask) -> None:
    with app.extensions["db"].session() as session:
        reassign_overdue(session, app.extensions["review"])


def register(app: Flask) -> None:
    cfg = review_config(app.extensions["settings"])
    app.extensions["review"] = cfg
    app.register_blueprint(bp)
    guard_audit_records()
    notifications = app.extensions["jobs"].registry.notifications
    notifications["review_mail"] = drain_mail
    notifications["review_overdue"] = reassign_late

    def page_actions(material):
        """Buttons of the material page; with a required rubric, decisions are taken on the review page."""
        actions = allowed_actions(current_user, material)
        return [t for t in actions if not (cfg.rubric.required and t.action in DECISIONS)]

    @app.context_processor
    def review_helpers():
        return {"review_actions": page_actions, "state_labels": STATES,
                "action_labels": {**EVENT_LABELS, **ACTION_LABELS}}
