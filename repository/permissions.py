"""Who may do what: role permissions as a table, and object-level checks on materials.

Every view, download and API call asks these functions; a material a user may not see is answered
with 404, so its existence does not leak.
"""

from __future__ import annotations

from flask_login import AnonymousUserMixin

from repository.models import Material, MaterialVersion, User
from repository.publication import published_reaches

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "student": frozenset({"search"}),
    "teacher": frozenset({"search", "upload"}),
    "reviewer": frozenset({"search", "review"}),
    "admin": frozenset({"search", "upload", "review", "administer"}),
}

#: Material states in which a reviewer (who is not the owner) may open a material.
STATES_VISIBLE_TO_REVIEWERS = frozenset({"in_review", "changes_requested", "rejected", "published",
                                         "withdrawn"})

AnyUser = User | AnonymousUserMixin


def has_permission(user: AnyUser, permission: str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return permission in ROLE_PERMISSIONS.get(user.role, frozenset())


def is_owner(user: AnyUser, material: Material) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and material.owner_id == user.id


def can_see_unpublished(user: AnyUser, material: Material) -> bool:
    """Owner, administrators, and reviewers once the material was submitted."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role == "admin" or is_owner(user, material):
        return True
    return user.role == "reviewer" and material.status in STATES_VISIBLE_TO_REVIEWERS


def can_view_material(user: AnyUser, material: Material) -> bool:
    """Published and within the user's publication scope, or visible unpublished."""
    return published_reaches(user, material) or can_see_unpublished(user, material)


def can_access_version(user: AnyUser, material: Material, version: MaterialVersion) -> bool:
    """Students and visitors reach only the published version's files."""
    if version.material_id != material.id:
        return False
    if can_see_unpublished(user, material):
        return True
    return version.id == material.published_version_id and published_reaches(user, material)


def can_edit_material(user: AnyUser, material: Material) -> bool:
    return is_owner(user, material) or (getattr(user, "is_authenticated", False) and user.role == "admin")
