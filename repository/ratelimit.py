"""Login rate limiting with Flask-Limiter; counters in shared storage (Redis in production)."""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from repository.config import Settings


def make_limiter(app: Flask, settings: Settings) -> Limiter:
    limiter = Limiter(key_func=get_remote_address, app=app, default_limits=[],
                      storage_uri=settings.get("auth", "rate_limit_storage"),
                      strategy="moving-window", headers_enabled=True)
    return limiter
