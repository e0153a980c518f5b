"""Taking review transitions: the permission check, the state change, the audit record and the search
outbox row, all in one transaction; optimistic locking makes concurrent decisions produce one winner."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from repository.models import AuditRecord, Material, MaterialVersion, SearchOutbox, User, utcnow
from review.states import ACTION_LABELS, STATES, Transition, actions_from, find_transition

MAX_COMMENT = 5000


class ReviewError(Exception):
    """A transition that may not happen; ``status`` is the HTTP status, the message Vietnamese."""

    def __init__(self, code: str, message_vi: str, status: int = 400, field: str | None = None) -> None:
        super().__init__(message_vi)
        self.code, self.message_vi, self.status, self.field = code, message_vi, status, field


@dataclass
class Outcome:
    material: Material
    transition: Transition


def _actor_fits(transition: Transition, actor: User, material: Material) -> bool:
    if actor.role not in transition.roles:
        return False
    owner = material.owner_id == actor.id
    if transition.owner == "must":
        return owner or (transition.admin_overrides_owner and actor.role == "admin")
    if transition.owner == "must_not":
        return not owner
    return True


def allowed_actions(actor: User, material: Material) -> list[Transition]:
    """The transitions this user may take now (for buttons); ingest readiness is checked on submit."""
    if not getattr(actor, "is_authenticated", False):
        return []
    return [t for t in actions_from(material.status) if _actor_fits(t, actor, material)]


#: Work done inside the transition's transaction, given the new audit record (e.g. store the rubric).
OnApply = Callable[[Session, Material, AuditRecord], None]


def apply_transition(session: Session, material_id: int, action: str, actor: User, comment: str = "",
                     expected_status: str | None = None, expected_lock: int | None = None,
                     on_apply: OnApply | None = None) -> Outcome:
    """Take ``action`` on the material as ``actor``. Commits; raises ReviewError (nothing changed).
    ``expected_lock`` is the lock_version the caller saw: a material changed since then is a conflict."""
    comment = (comment or "").strip()
    material = session.get(Material, material_id)
    if material is None:
        raise ReviewError("not_found", "Không tìm thấy học liệu.", 404)
    if (expected_status and material.status != expected_status) or \
            (expected_lock is not None and material.lock_version != expected_lock):
        raise conflict(session, material)
    transition = check_transition(session, material, action, actor, comment)
    from_state = material.status
    material.status = transition.target
    _apply_publication(session, material, transition)
    record = AuditRecord(material_id=material.id, version_id=material.current_version_id, actor_id=actor.id,
                         action=action, from_state=from_state, to_state=transition.target, comment=comment)
    session.add(record)
    try:
        if on_apply is not None:
            on_apply(session, material, record)
        session.commit()
    except StaleDataError as exc:
        session.rollback()
        session.expire_all()
        raise conflict(session, session.get(Material, material_id)) from exc
    return Outcome(material, transition)


def check_transition(session: Session, material: Material, action: str, actor: User,
                     comment: str) -> Transition:
    """The transition ``action`` takes from the material's state, if this actor may take it now."""
    if action not in ACTION_LABELS:
        raise ReviewError("invalid_decision", f"Quyết định không hợp lệ: {action}.", 400, "decision")
    transition = find_transition(action, material.status)
    if transition is None:
        raise ReviewError("invalid_transition",
                          f"Không thể '{ACTION_LABELS[action]}' khi học liệu đang ở trạng thái "
                          f"'{STATES[material.status]}'.", 409)
    if not _actor_fits(transition, actor, material):
        reason = ("Bạn không thể tự thẩm định học liệu của chính mình."
                  if transition.owner == "must_not" and material.owner_id == actor.id
                  else "Bạn không có quyền thực hiện thao tác này.")
        raise ReviewError("forbidden", reason, 403)
    if transition.comment_required and not comment:
        raise ReviewError("comment_required", "Hãy ghi nhận xét giải thích quyết định.", 400, "comment")
    if len(comment) > MAX_COMMENT:
        raise ReviewError("comment_too_long", f"Nhận xét dài quá {MAX_COMMENT} ký tự.", 400, "comment")
    if transition.requires_ingested:
        version = session.get(MaterialVersion, material.current_version_id or 0)
        if version is None or version.ingest_status != "succeeded":
            raise ReviewError("not_ready", "Tệp chưa xử lý xong hoặc xử lý lỗi: chưa thể gửi thẩm định.", 409)
    return transition


def _apply_publication(session: Session, material: Material, transition: Transition) -> None:
    if transition.publication == "publish":
        material.published_version_id = material.current_version_id
        material.published_at = utcnow()
        session.add(SearchOutbox(material_id=material.id, operation="upsert"))
    elif transition.publication == "unpublish":
        material.published_version_id = None
        session.add(SearchOutbox(material_id=material.id, operation="delete"))


def conflict(session: Session, material: Material | None) -> ReviewError:
    """A 409 telling the loser of a race what happened: who did what last, and the state now."""
    if material is None:
        return ReviewError("not_found", "Không tìm thấy học liệu.", 404)
    state = STATES.get(material.status, material.status)
    last = session.scalar(select(AuditRecord).where(AuditRecord.material_id == material.id)
                          .order_by(AuditRecord.id.desc()).limit(1))
    what = ""
    if last is not None and last.action in ACTION_LABELS:
        who = last.actor.name or last.actor.email if last.actor else "hệ thống"
        what = f" ({who}: “{ACTION_LABELS[last.action]}” lúc {last.at:%H:%M:%S %d/%m/%Y} UTC)"
    return ReviewError("conflict", f"Học liệu vừa được người khác xử lý{what}; trạng thái hiện tại: "
                       f"'{state}'. Quyết định của bạn chưa được ghi. Hãy tải lại trang.", 409)


def audit_trail(session: Session, material_id: int) -> list[AuditRecord]:
    return list(session.scalars(select(AuditRecord).where(AuditRecord.material_id == material_id)
                                .order_by(AuditRecord.id)))
