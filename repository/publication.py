"""Publication scope: who a published material reaches. A material published at school scope reaches the
users of its school, at province scope the users of its province, at national scope everybody (anonymous
visitors included). The review workflow decides the scope; every way of reaching a material (pages, files,
media, API, search) asks this module.

A published material without a scope row was published before scopes existed and is national (migration
0003 writes those rows explicitly).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_login import AnonymousUserMixin
from sqlalchemy import ForeignKey, String, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column, object_session
from sqlalchemy.sql.elements import ColumnElement

from repository.db import Base
from repository.models import Material, Timestamp, Unit, User, utcnow

NATIONAL = "national"
#: Roles that see every published material whatever its scope (they review and administer them).
SEE_ALL_ROLES = frozenset({"reviewer", "admin"})


class PublishedScope(Base):
    """The scope of a material's published version and the unit/province it belongs to."""

    __tablename__ = "published_scopes"
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id", ondelete="CASCADE"), primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))   # school | province | national
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    province_code: Mapped[str | None] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(Timestamp(), default=utcnow, onupdate=utcnow)


@dataclass(frozen=True)
class Viewer:
    """Where a user stands for publication scope: their unit and province; ``everything`` for reviewers
    and administrators; anonymous visitors have neither unit nor province."""

    unit_id: int | None = None
    province_code: str | None = None
    everything: bool = False


PUBLIC = Viewer()


def viewer_of(user: User | AnonymousUserMixin | None) -> Viewer:
    if user is None or not getattr(user, "is_authenticated", False):
        return PUBLIC
    if user.role in SEE_ALL_ROLES:
        return Viewer(user.unit_id, None, everything=True)
    unit = user.unit
    return Viewer(user.unit_id, unit.province_code if unit is not None else None)


def reaches(viewer: Viewer, scope: str, unit_id: int | None, province_code: str | None) -> bool:
    if viewer.everything or scope == NATIONAL:
        return True
    if scope == "province":
        return province_code is not None and viewer.province_code == province_code
    if scope == "school":
        return unit_id is not None and viewer.unit_id == unit_id
    return False


def scope_of(session: Session, material_id: int) -> PublishedScope | None:
    return session.get(PublishedScope, material_id)


def published_reaches(user: User | AnonymousUserMixin | None, material: Material) -> bool:
    """Whether the material's published version reaches this user (False when nothing is published)."""
    if material.published_version_id is None:
        return False
    session = object_session(material)
    row = scope_of(session, material.id) if session is not None else None
    if row is None:
        return True
    return reaches(viewer_of(user), row.scope, row.unit_id, row.province_code)


def reachable_clause(viewer: Viewer) -> ColumnElement[bool]:
    """SQL condition on Material: published and reaching the viewer (for lists and counts)."""
    published = Material.published_version_id.is_not(None)
    if viewer.everything:
        return published
    scoped = select(PublishedScope.material_id)
    allowed = [PublishedScope.scope == NATIONAL]
    if viewer.province_code:
        allowed.append((PublishedScope.scope == "province") & (PublishedScope.province_code == viewer.province_code))
    if viewer.unit_id is not None:
        allowed.append((PublishedScope.scope == "school") & (PublishedScope.unit_id == viewer.unit_id))
    return published & or_(Material.id.not_in(select(PublishedScope.material_id)),
                           Material.id.in_(scoped.where(or_(*allowed))))


def set_scope(session: Session, material: Material, scope: str) -> PublishedScope:
    """Record the scope the material is published at, with its unit and province as they are now."""
    unit = session.get(Unit, material.unit_id) if material.unit_id else None
    row = scope_of(session, material.id) or PublishedScope(material_id=material.id)
    row.scope, row.unit_id = scope, material.unit_id
    row.province_code = unit.province_code if unit is not None else None
    session.add(row)
    return row
