"""Launch grants for SCORM packages and the files of a package as the sandboxed frame receives them.

A package runs in an iframe sandboxed to an opaque origin (and its responses carry a CSP `sandbox`
directive too, so a package opened outside the frame is no better off): its scripts cannot read our
cookies, our pages or our API. Such a frame sends no session cookie, so each launch URL carries a signed,
short-lived grant naming the material, version, SCO and learner; every file request re-checks that this
learner may still see that version. HTML pages get the runtime API (static/js/scorm-api.js) injected at the
top of their head, seeded with the learner's stored data; the API passes commits to the material page,
which stores them with the learner's session and CSRF token.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from flask import Response, current_app, request, send_file, url_for
from flask_login import AnonymousUserMixin
from itsdangerous import BadSignature, URLSafeTimedSerializer
from markupsafe import escape
from sqlalchemy.orm import Session

from repository.models import MaterialFile, User

SALT = "hoclieu-scorm-launch"
MAX_HTML_BYTES = 8 * 1024 * 1024
PACKAGE_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
               "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; "
               "font-src 'self' data:; connect-src 'self'; object-src 'none'; frame-src 'self'; "
               "base-uri 'self'; form-action 'self'; frame-ancestors 'self'; "
               "sandbox allow-scripts allow-forms allow-popups")
#: The iframe's own sandbox: no allow-same-origin, so the package runs in an opaque origin.
IFRAME_SANDBOX = "allow-scripts allow-forms allow-popups"
_HEAD = re.compile(rb"<head(?:\s[^>]*)?>", re.IGNORECASE)
_HTML = re.compile(rb"<html(?:\s[^>]*)?>", re.IGNORECASE)


@dataclass(frozen=True)
class Grant:
    material_id: int
    version_number: int
    #: flask-login id of the learner ("<id>.<session version>"), "" for a visitor.
    user: str
    sco: str


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_grant(grant: Grant) -> str:
    return _serializer().dumps([grant.material_id, grant.version_number, grant.user, grant.sco])


def read_grant(token: str) -> Grant | None:
    hours = float(current_app.extensions["settings"].get("scorm", "launch_hours", 12))
    try:
        material_id, version_number, user, sco = _serializer().loads(token, max_age=int(hours * 3600))
    except (BadSignature, ValueError, TypeError):
        return None
    return Grant(int(material_id), int(version_number), str(user), str(sco))


def launch_url(grant: Grant, href: str) -> str:
    """`href` is the launch file inside the package, possibly with its query string."""
    path, _, query = href.partition("?")
    return url_for("scorm.package_file", token=make_grant(grant), name=path) + (f"?{query}" if query else "")


def grant_learner(session: Session, grant: Grant) -> User | AnonymousUserMixin | None:
    """The learner the grant was made for, if still signed in with the same session version; None if the
    grant is stale (password changed, account disabled, "log out everywhere")."""
    if not grant.user:
        return AnonymousUserMixin()
    user_id, _, session_version = grant.user.partition(".")
    user = session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.active or user.get_id() != grant.user or not session_version:
        return None
    return user


def inject_runtime(html: bytes, runtime_tag: bytes) -> bytes:
    """Put the runtime script first in the head, so it exists before any script of the page looks for it."""
    for pattern in (_HEAD, _HTML):
        match = pattern.search(html)
        if match:
            return html[:match.end()] + runtime_tag + html[match.end():]
    return runtime_tag + html


def runtime_tag(version: str, sco: str, state: dict[str, str]) -> bytes:
    src = url_for("static", filename="js/scorm-api.js")
    return (f'<script src="{escape(src)}" id="hoclieu-scorm-api" data-version="{escape(version)}" '
            f'data-sco="{escape(sco)}" data-state="{escape(json.dumps(state, ensure_ascii=False))}"></script>'
            ).encode()


def serve_package_html(stored: MaterialFile, tag: bytes) -> Response:
    with current_app.extensions["storage"].open(stored.storage_key) as fh:
        html = fh.read(MAX_HTML_BYTES + 1)
    if len(html) > MAX_HTML_BYTES:
        return Response("Trang HTML của gói quá lớn.", status=413, mimetype="text/plain")
    response = Response(inject_runtime(html, tag), mimetype="text/html")
    response.headers["Cache-Control"] = "private, no-store"
    return _package_headers(response)


def serve_package_asset(stored: MaterialFile) -> Response:
    """Scripts, styles and images of the package from our own path (a presigned redirect to another origin
    would fall outside the package's CSP): X-Accel when nginx fronts local storage, else from here."""
    storage = current_app.extensions["storage"]
    path = storage.local_path(stored.storage_key)
    offload = current_app.extensions["settings"].get("app", "media_offload")
    if path is not None and offload == "x-accel":
        response = Response(status=200, mimetype=stored.content_type)
        response.headers["X-Accel-Redirect"] = f"/_protected/{stored.storage_key}"
    elif path is not None:
        response = send_file(path, mimetype=stored.content_type, conditional=True, etag=stored.sha256,
                             max_age=3600)
    else:
        response = Response(_stream(stored), mimetype=stored.content_type)
        response.set_etag(stored.sha256)
        response = response.make_conditional(request)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return _package_headers(response)


def _stream(stored: MaterialFile):
    with current_app.extensions["storage"].open(stored.storage_key) as fh:
        yield from iter(lambda: fh.read(256 * 1024), b"")


def _package_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = PACKAGE_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
