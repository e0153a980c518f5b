"""Log in and out, personal access tokens, and the flask-login loaders (session cookie or bearer token)."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from sqlalchemy import select

from repository.auth.services import UserError, authenticate, create_token, set_password, user_for_token
from repository.db import get_session
from repository.models import ApiToken, User, utcnow

bp = Blueprint("auth", __name__)


def register_login_loaders(login_manager: LoginManager) -> None:
    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        ident, _, version = user_id.partition(".")
        if not ident.isdigit() or not version.isdigit():
            return None
        user = get_session().get(User, int(ident))
        if user is None or user.session_version != int(version) or not user.active:
            return None
        return user

    @login_manager.request_loader
    def load_user_from_bearer(req) -> User | None:
        header = req.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        return user_for_token(get_session(), header[7:].strip())

    @login_manager.unauthorized_handler
    def unauthorized():
        if request.path.startswith("/api/"):
            from repository.api import api_error
            return api_error(401, "unauthorized", "Cần đăng nhập hoặc mã truy cập (Bearer token).")
        return redirect(url_for("auth.login", next=request.full_path))


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("search.home")


def _login_limit() -> str:
    return current_app.extensions["settings"].get("auth", "login_rate_limit")


def _account_key() -> str:
    return "login:" + (request.form.get("email") or "").strip().lower()[:254]


@bp.route("/login", methods=["GET", "POST"])
def login():
    limiter = current_app.extensions["limiter"]
    if request.method == "POST":
        blocked = _check_rate_limit(limiter)
        if blocked is not None:
            return blocked
        user = authenticate(get_session(), request.form.get("email", ""), request.form.get("password", ""))
        if user is not None:
            session.clear()  # a fresh session at every login (no fixation)
            login_user(user, remember=bool(request.form.get("remember")))
            user.last_login_at = utcnow()
            get_session().commit()
            return redirect(_safe_next(request.args.get("next")))
        flash(_("E-mail hoặc mật khẩu không đúng."), "error")
        return render_template("auth/login.html", email=request.form.get("email", "")), 401
    return render_template("auth/login.html", email="")


def _check_rate_limit(limiter):
    """Count the attempt per client address and per account; refuse past the configured limit."""
    from limits import parse_many

    for item in parse_many(_login_limit()):
        for key in (f"login-ip:{request.remote_addr}", _account_key()):
            if not limiter.limiter.hit(item, key):
                flash(_("Bạn đã thử đăng nhập quá nhiều lần. Hãy đợi vài phút rồi thử lại."), "error")
                return render_template("auth/login.html", email=request.form.get("email", "")), 429
    return None


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.clear()
    return redirect(url_for("search.home"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    db = get_session()
    new_token = None
    if request.method == "POST":
        action = request.form.get("action")
        if action == "create_token":
            new_token = create_token(db, current_user, request.form.get("name", "").strip())
            db.commit()
        elif action == "revoke_token":
            token = db.get(ApiToken, request.form.get("token_id", type=int) or 0)
            if token is None or token.user_id != current_user.id:
                abort(404)
            token.revoked_at = utcnow()
            db.commit()
        elif action == "change_password":
            return _change_password(db)
    tokens = db.scalars(select(ApiToken).where(ApiToken.user_id == current_user.id)
                        .order_by(ApiToken.id.desc())).all()
    return render_template("auth/account.html", tokens=tokens, new_token=new_token)


def _change_password(db):
    user = authenticate(db, current_user.email, request.form.get("current_password", ""))
    if user is None:
        flash(_("Mật khẩu hiện tại không đúng."), "error")
        return redirect(url_for("auth.account"))
    try:
        set_password(db, user, request.form.get("new_password", ""),
                     current_app.extensions["settings"].get("auth", "min_password_length"))
    except UserError as exc:
        flash(exc.message_vi, "error")
        return redirect(url_for("auth.account"))
    db.commit()
    login_user(user)
    flash(_("Đã đổi mật khẩu. Các phiên đăng nhập và mã truy cập cũ đã bị thu hồi."), "success")
    return redirect(url_for("auth.account"))
