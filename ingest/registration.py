"""Plugs ingest into the app: the upload sniffer and the "ingest" job kind."""

from __future__ import annotations

from flask import Flask

from ingest.pipeline import mark_version_failed, media_ladder, run_ingest, sniff_for_kind
from repository.jobs import JobKind


def register(app: Flask) -> None:
    media_ladder(app.extensions["settings"])  # a malformed [media] ladder stops the app at start, not a job
    app.extensions["upload_sniffer"] = sniff_for_kind
    kind = JobKind("ingest", run=run_ingest, on_failure=mark_version_failed)
    app.extensions["jobs"].registry.register(kind)
