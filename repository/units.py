"""Organisational units: the ministry and the provincial departments come from reference data; schools
are added by administrators."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from repository.models import ReferenceItem, Unit

MINISTRY_CODE = "bo-gddt"
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,60}$")


class UnitError(ValueError):
    def __init__(self, message_vi: str) -> None:
        super().__init__(message_vi)
        self.message_vi = message_vi


def province_unit_code(province_code: str) -> str:
    return f"so-{province_code.lower()}"


def ensure_standard_units(session: Session) -> int:
    """The ministry and one department of education per provincial unit in the reference data."""
    existing = set(session.scalars(select(Unit.code)))
    added = 0
    ministry = session.scalar(select(Unit).where(Unit.code == MINISTRY_CODE))
    if ministry is None:
        ministry = Unit(code=MINISTRY_CODE, name="Bộ Giáo dục và Đào tạo", kind="ministry")
        session.add(ministry)
        session.flush()
        added += 1
    provinces = session.scalars(select(ReferenceItem).where(ReferenceItem.domain == "province")
                                .order_by(ReferenceItem.position))
    for province in provinces:
        code = province_unit_code(province.code)
        if code not in existing:
            session.add(Unit(code=code, name=f"Sở GD&ĐT {province.name_vi}", kind="province",
                             parent_id=ministry.id, province_code=province.code))
            added += 1
    session.flush()
    return added


def create_school(session: Session, *, code: str, name: str, province_code: str) -> Unit:
    code, name = code.strip().lower(), name.strip()
    if not CODE_RE.match(code):
        raise UnitError("Mã đơn vị chỉ gồm chữ thường không dấu, số và gạch ngang (2–61 ký tự).")
    if not name:
        raise UnitError("Hãy nhập tên trường.")
    if session.scalar(select(Unit.id).where(Unit.code == code)):
        raise UnitError(f"Đã có đơn vị mã {code}.")
    department = session.scalar(select(Unit).where(Unit.code == province_unit_code(province_code)))
    if department is None:
        raise UnitError(f"Không có tỉnh/thành mã {province_code}.")
    school = Unit(code=code, name=name, kind="school", parent_id=department.id, province_code=province_code)
    session.add(school)
    session.flush()
    return school
