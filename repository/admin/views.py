"""Administration: users (roles, units), units, every material and every job."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from repository.auth.services import ROLES, UserError, create_user
from repository.db import get_session
from repository.models import Job, Material, Unit, User
from repository.permissions import has_permission
from repository.reference import current_reference
from repository.units import UnitError, create_school

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def _require_admin():
    if not has_permission(current_user, "administer"):
        abort(403)


@bp.route("/users", methods=["GET", "POST"])
def users():
    db = get_session()
    if request.method == "POST":
        try:
            user = create_user(db, email=request.form.get("email", ""),
                               password=request.form.get("password", ""),
                               role=request.form.get("role", ""), name=request.form.get("name", "").strip(),
                               unit_code=request.form.get("unit") or None,
                               min_password_length=current_app.extensions["settings"].get(
                                   "auth", "min_password_length"))
            db.commit()
            flash(_("Đã tạo tài khoản %(email)s.", email=user.email), "success")
        except UserError as exc:
            db.rollback()
            flash(exc.message_vi, "error")
        return redirect(url_for("admin.users"))
    all_users = db.scalars(select(User).order_by(User.id)).all()
    units = db.scalars(select(Unit).order_by(Unit.kind, Unit.name)).all()
    return render_template("admin/users.html", users=all_users, units=units, roles=ROLES)


@bp.post("/users/<int:user_id>")
def update_user(user_id: int):
    db = get_session()
    user = db.get(User, user_id) or abort(404)
    role = request.form.get("role", user.role)
    if role not in ROLES:
        flash(_("Vai trò không hợp lệ."), "error")
        return redirect(url_for("admin.users"))
    unit_code = request.form.get("unit", "")
    unit = db.scalar(select(Unit).where(Unit.code == unit_code)) if unit_code else None
    if unit_code and unit is None:
        flash(_("Không có đơn vị này."), "error")
        return redirect(url_for("admin.users"))
    if user.role != role or not request.form.get("active"):
        user.session_version += 1  # a changed role or a disabled account takes effect at once
    user.role, user.unit_id = role, unit.id if unit else None
    user.active = bool(request.form.get("active"))
    db.commit()
    flash(_("Đã cập nhật %(email)s.", email=user.email), "success")
    return redirect(url_for("admin.users"))


@bp.route("/units", methods=["GET", "POST"])
def units():
    db = get_session()
    if request.method == "POST":
        try:
            create_school(db, code=request.form.get("code", ""), name=request.form.get("name", ""),
                          province_code=request.form.get("province", ""))
            db.commit()
            flash(_("Đã thêm đơn vị."), "success")
        except UnitError as exc:
            db.rollback()
            flash(exc.message_vi, "error")
        return redirect(url_for("admin.units"))
    all_units = db.scalars(select(Unit).order_by(Unit.kind, Unit.province_code, Unit.name)).all()
    return render_template("admin/units.html", units=all_units, ref=current_reference(db))


@bp.get("/materials")
def materials():
    db = get_session()
    status = request.args.get("status", "")
    query = select(Material).order_by(Material.id.desc()).limit(500)
    if status:
        query = query.where(Material.status == status)
    return render_template("admin/materials.html", materials=db.scalars(query).all(), status=status,
                           ref=current_reference(db))


@bp.get("/jobs")
def jobs():
    db = get_session()
    status = request.args.get("status", "")
    query = select(Job).order_by(Job.id.desc()).limit(500)
    if status:
        query = query.where(Job.status == status)
    return render_template("admin/jobs.html", jobs=db.scalars(query).all(), status=status)
