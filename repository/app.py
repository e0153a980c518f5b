"""The application factory: configuration, extensions and blueprints are wired here, and only here."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, Request, Response, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask_babel import Babel
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from repository.config import DEFAULT_SECRET, Settings, load_settings
from repository.db import Database, close_session
from repository.i18n import compile_translations, select_locale
from repository.jobs import JobQueue, make_huey
from repository.ratelimit import make_limiter
from repository.storage import make_blob_store

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)

csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; "
    "script-src 'self'; worker-src 'self'; object-src 'self'; frame-src 'self'; frame-ancestors 'self'; "
    "base-uri 'self'; form-action 'self'"
)


def create_app(overrides: dict[str, Any] | None = None, settings: Settings | None = None) -> Flask:
    """Build the Flask app. ``overrides`` are config sections merged over config.toml and the environment."""
    settings = settings or load_settings(overrides=overrides)
    app = Flask(__name__, static_folder=str(ROOT / "static"), template_folder="templates")
    app.extensions["settings"] = settings
    _configure_flask(app, settings)
    _init_extensions(app, settings)
    _register_domains(app)
    _register_hooks(app)
    return app


def _secret_key(settings: Settings) -> str:
    """Production: only from HOCLIEU_APP_SECRET_KEY (checked by config.validate). Embedded: a random
    key created once in the data directory, so each instance has its own and none is committed."""
    key = settings.get("app", "secret_key")
    if key:
        return key
    path = settings.data_dir / "secret_key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    key = path.read_text().strip()
    return key if key != DEFAULT_SECRET else secrets.token_urlsafe(48)


class BearerAwareSessionInterface(SecureCookieSessionInterface):
    """Calls authenticated by a bearer token are stateless: the cookie session is neither read nor set.

    Otherwise a leftover anonymous cookie (holding only a CSRF token) trips Flask-Login's "strong" session
    protection, which then refuses the token too.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.headers.get("Authorization", "").startswith("Bearer "):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if request.headers.get("Authorization", "").startswith("Bearer "):
            return
        super().save_session(app, session, response)


def _configure_flask(app: Flask, settings: Settings) -> None:
    production = settings.profile == "production"
    secure = production or bool(settings.get("auth", "secure_cookies"))
    max_upload = int(settings.get("storage", "max_upload_mb")) * 1024 * 1024
    app.config.update(
        SECRET_KEY=_secret_key(settings),
        MAX_CONTENT_LENGTH=max_upload + 1024 * 1024,  # room for the multipart envelope and metadata
        MAX_UPLOAD_BYTES=max_upload,
        MAX_FORM_PARTS=200,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_NAME="hoclieu_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        REMEMBER_COOKIE_DURATION=timedelta(days=int(settings.get("auth", "remember_days"))),
        REMEMBER_COOKIE_SECURE=True,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_REFRESH_EACH_REQUEST=False,
        WTF_CSRF_CHECK_DEFAULT=False,  # checked in _protect_csrf, which skips bearer-token API calls
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE=settings.get("app", "locales")[0],
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
        JSON_SORT_KEYS=False,
    )
    app.json.ensure_ascii = False
    app.session_interface = BearerAwareSessionInterface()


def _init_extensions(app: Flask, settings: Settings) -> None:
    app.extensions["db"] = Database(settings.database_url, int(settings.get("database", "pool_size")))
    app.extensions["storage"] = make_blob_store(
        {**settings.section("storage"), "profile": settings.profile}, settings.data_dir)
    app.extensions["jobs"] = JobQueue(app, make_huey(settings), settings)
    app.extensions["limiter"] = make_limiter(app, settings)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    compile_translations(Path(app.config["BABEL_TRANSLATION_DIRECTORIES"]))
    babel.init_app(app, locale_selector=lambda: select_locale(settings.get("app", "locales")))
    app.teardown_appcontext(close_session)


def _register_domains(app: Flask) -> None:
    """Blueprints and job kinds of every domain package. The only place ``repository`` imports them."""
    from ingest.registration import register as register_ingest
    from repository.admin.views import bp as admin_bp
    from repository.api import bp as api_bp
    from repository.auth.views import bp as auth_bp
    from repository.auth.views import register_login_loaders
    from repository.banks.registration import register as register_banks
    from repository.materials.scorm_views import bp as scorm_bp
    from repository.materials.views import bp as materials_bp
    from repository.papers.registration import register as register_papers
    from repository.textbooks.registration import register as register_textbooks
    from review.registration import register as register_review
    from search.registration import register as register_search

    register_login_loaders(login_manager)
    for blueprint in (auth_bp, materials_bp, scorm_bp, admin_bp, api_bp):
        app.register_blueprint(blueprint)
    register_ingest(app)
    register_review(app)
    register_search(app)
    register_textbooks(app)
    register_banks(app)
    register_papers(app)


def _register_hooks(app: Flask) -> None:
    from repository.api import is_bearer_request
    from repository.templating import register_template_helpers

    register_template_helpers(app)
    from repository.cli import cli

    for name, command in cli.commands.items():
        if name != "run":  # Flask's own "run" stays; "hoclieu run" is the portal's
            app.cli.add_command(command, name)

    @app.before_request
    def _protect_csrf() -> None:
        """Cookie sessions need the CSRF token; bearer calls do not, and an anonymous API call is
        answered 401 by the view rather than 400 here, since it carries no session to forge."""
        if request.method not in {"POST", "PUT", "PATCH", "DELETE"} or is_bearer_request():
            return
        if request.path.startswith("/api/") and not current_user.is_authenticated:
            return
        csrf.protect()

    @app.before_request
    def _request_locale() -> None:
        lang = request.args.get("lang")
        if lang in app.extensions["settings"].get("app", "locales"):
            session["lang"] = lang
        g.setdefault("csp_nonce", "")

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        if request.path.startswith("/api/") or request.endpoint in {"auth.login"}:
            response.headers.setdefault("Cache-Control", "no-store")
        return response
