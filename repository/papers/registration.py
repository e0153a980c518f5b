"""Plugs test papers into the app: their tables, the API and the pages."""

from __future__ import annotations

from flask import Flask

from repository.papers import models  # noqa: F401  (registers the paper tables on Base.metadata)


def register(app: Flask) -> None:
    from repository.papers.api import bp as api_bp
    from repository.papers.views import bp as views_bp

    app.register_blueprint(api_bp)
    app.register_blueprint(views_bp)
