"""Plugs the review domain into the app: its blueprint and the template helper for action buttons."""

from __future__ import annotations

from flask import Flask
from flask_login import current_user

from review.services import allowed_actions
from review.states import ACTION_LABELS, STATES
from review.views import bp


def register(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def review_helpers():
        return {"review_actions": lambda material: allowed_actions(current_user, material),
                "state_labels": STATES, "action_labels": ACTION_LABELS}
