"""Plugs question banks into the app: their tables, the API and pages, and the publication rule."""

from __future__ import annotations

from flask import Flask

from repository.banks import models  # noqa: F401  (registers the bank tables on Base.metadata)
from repository.banks.publication import publish_with_bank


def register(app: Flask) -> None:
    from repository.banks.api import bp as api_bp
    from repository.banks.views import bp as views_bp

    app.register_blueprint(api_bp)
    app.register_blueprint(views_bp)
    publish_with_bank()
