"""Template helpers: Vietnamese number and date formats, reference names, error pages."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, render_template, request
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from repository.permissions import has_permission

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def number_vi(value: float | int, decimals: int = 0) -> str:
    """1234567.5 -> '1.234.567,5' (Vietnamese: dot for thousands, comma for decimals)."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def filesize_vi(size: int | None) -> str:
    if size is None:
        return ""
    for unit, factor in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= factor:
            return f"{number_vi(size / factor, 1)} {unit}"
    return f"{size} byte"


def datetime_vi(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters.update(number_vi=number_vi, filesize=filesize_vi, datetime_vi=datetime_vi)

    @app.context_processor
    def common():
        return {"can": lambda permission: has_permission(current_user, permission),
                "locale": str(get_locale() or "vi"),
                "locales": app.extensions["settings"].get("app", "locales")}


def render_error_page(exc: HTTPException, message: str | None = None):
    status = getattr(exc, "code", None) or 400
    titles = {400: "Yêu cầu không hợp lệ", 403: "Không có quyền truy cập", 404: "Không tìm thấy trang",
              405: "Phương thức không được hỗ trợ", 413: "Tệp quá lớn", 429: "Quá nhiều yêu cầu"}
    return render_template("error.html", status=status, title=titles.get(status, "Đã xảy ra lỗi"),
                           message=message, path=request.path), status
