"""Who may do what with a bank: a bank the user may not see is a 404, one they see but do not own a 403."""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy.orm import Session

from repository.banks.store import is_bank
from repository.materials.queries import get_visible_material
from repository.models import Material
from repository.permissions import can_edit_material, can_see_unpublished


def visible_bank(session: Session, bank_id: int) -> Material:
    material = get_visible_material(session, bank_id)
    if not is_bank(material):
        abort(404)
    return material


def owned_bank(session: Session, bank_id: int) -> Material:
    """The bank, for its owner (or an administrator) to change."""
    bank = visible_bank(session, bank_id)
    if not can_edit_material(current_user, bank):
        abort(403)
    return bank


def sees_drafts(bank: Material) -> bool:
    """Owner, administrators, and reviewers of a submitted bank see the current versions; everyone else
    only the published ones."""
    return can_see_unpublished(current_user, bank)


#: Roles that may see the keys and explanations of a published bank (students practise on test papers).
KEY_ROLES = frozenset({"teacher", "reviewer", "admin"})


def sees_keys(bank: Material) -> bool:
    """Keys, explanations and exports are for staff: never for students or anonymous visitors."""
    return sees_drafts(bank) or (getattr(current_user, "is_authenticated", False) and current_user.role in KEY_ROLES)
