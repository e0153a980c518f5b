"""Plugs the search domain into the app: the engine chosen by configuration, pages, outbox draining."""

from __future__ import annotations

from flask import Flask

from search.service import drain_outbox, make_search_index
from search.views import bp


def register(app: Flask) -> None:
    app.extensions["search"] = make_search_index(app.extensions["settings"])
    app.register_blueprint(bp)
    app.extensions["jobs"].registry.notifications["search_outbox"] = drain_outbox
