"""Users, passwords and personal access tokens."""

from __future__ import annotations

import hashlib
import re
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from repository.models import ApiToken, Unit, User, utcnow

ROLES = ("teacher", "reviewer", "student", "admin")
ROLE_NAMES_VI = {"teacher": "Giáo viên", "reviewer": "Chuyên gia thẩm định", "student": "Học sinh",
                 "admin": "Quản trị"}
TOKEN_PREFIX = "hl_"  # noqa: S105 - a public marker, not a secret
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Checked against on unknown e-mails too, so a login takes as long whether or not the account exists.
_DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16))


class UserError(ValueError):
    def __init__(self, field: str, message_vi: str) -> None:
        super().__init__(message_vi)
        self.field = field
        self.message_vi = message_vi


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(session: Session, *, email: str, password: str, role: str, name: str = "",
                unit_code: str | None = None, min_password_length: int = 10) -> User:
    email = normalise_email(email)
    if not EMAIL_RE.match(email):
        raise UserError("email", "Địa chỉ e-mail không hợp lệ.")
    if role not in ROLES:
        raise UserError("role", f"Vai trò không hợp lệ: {role}. Chọn một trong: {', '.join(ROLES)}.")
    if len(password) < min_password_length:
        raise UserError("password", f"Mật khẩu cần ít nhất {min_password_length} ký tự.")
    if session.scalar(select(User.id).where(User.email == email)):
        raise UserError("email", "Đã có tài khoản với e-mail này.")
    unit_id = None
    if unit_code:
        unit = session.scalar(select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise UserError("unit", f"Không có đơn vị mã {unit_code}.")
        unit_id = unit.id
    user = User(email=email, name=name or email.split("@")[0], role=role, unit_id=unit_id,
                password_hash=generate_password_hash(password))
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def set_password(session: Session, user: User, password: str, min_length: int = 10) -> None:
    """Change a password: every session, remember cookie and access token of the user stops working."""
    if len(password) < min_length:
        raise UserError("password", f"Mật khẩu cần ít nhất {min_length} ký tự.")
    user.password_hash = generate_password_hash(password)
    user.session_version += 1
    session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                    .values(revoked_at=utcnow()))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, name: str = "") -> str:
    """Create a personal access token and return it; only its hash is stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=name[:100], prefix=token[:10], token_hash=hash_token(token)))
    return token


def user_for_token(session: Session, token: str) -> User | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token),
                                                ApiToken.revoked_at.is_(None)))
    if row is None or not row.user.active:
        return None
    row.last_used_at = utcnow()
    session.commit()
    return row.user
