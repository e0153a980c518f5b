"""Plugs the search domain into the app: the engine chosen by configuration, pages, outbox draining, and
the usage counters behind "most used"."""

from __future__ import annotations

from flask import Flask, Response, request

from search import usage_models  # noqa: F401  (registers material_usage on Base.metadata)
from search.service import drain_outbox, make_search_index
from search.usage import UsageRecorder, usage_of
from search.views import bp


def register(app: Flask) -> None:
    settings = app.extensions["settings"]
    app.extensions["search"] = make_search_index(settings)
    app.extensions["usage"] = UsageRecorder(app, flush_seconds=float(settings.get("search", "usage_flush_seconds", 10)),
                                            flush_events=int(settings.get("search", "usage_flush_events", 500)))
    app.register_blueprint(bp)
    app.extensions["jobs"].registry.notifications["search_outbox"] = drain_outbox

    @app.after_request
    def _count_usage(response: Response) -> Response:
        used = usage_of(request, response)
        if used is not None:
            app.extensions["usage"].record(*used)
        return response
