"""Publication scope in the review workflow: which scope a round aims at, who may approve for it, how many
approvals it still needs. The policies come from ``[review.scopes.*]`` (review.config); what a scope
reaches once published is repository.publication's business."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from repository.models import Material, Unit, User
from repository.publication import PublishedScope
from review.config import SCOPES, ReviewConfig, ScopePolicy
from review.models import ReviewDecision, ScopeRequest
from review.services import ReviewError

RANKS = {name: rank for rank, name in enumerate(SCOPES)}
UNIT_KIND_LABELS = {"school": "trường", "province": "sở giáo dục", "ministry": "Bộ Giáo dục và Đào tạo"}


def current_request(session: Session, material_id: int) -> ScopeRequest | None:
    return session.get(ScopeRequest, material_id)


def target_policy(session: Session, material: Material, cfg: ReviewConfig) -> ScopePolicy:
    """The policy of the scope the material's review round aims at (the default before any submission)."""
    request = current_request(session, material.id)
    return cfg.policy(request.scope if request else cfg.default_scope)


def published_scope(session: Session, material: Material) -> str | None:
    if material.published_version_id is None:
        return None
    row = session.get(PublishedScope, material.id)
    return row.scope if row else "national"


def choose_scope(session: Session, material: Material, cfg: ReviewConfig, wanted: str | None) -> ScopePolicy:
    """The scope a submission aims at: the one asked for, else the scope already published (a revision keeps
    its reach), else the configured default. Refuses unknown scopes, narrowing, and unmet prerequisites."""
    current = published_scope(session, material)
    name = (wanted or "").strip() or current or cfg.default_scope
    if name not in cfg.scopes:
        labels = ", ".join(f"{n} ({SCOPES[n]})" for n in cfg.scopes)
        raise ReviewError("invalid_scope", f"Phạm vi không hợp lệ: {name[:40]}. Chọn một trong: {labels}.", 400,
                          "scope")
    if current is not None and RANKS[name] < RANKS[current]:
        raise ReviewError("invalid_scope", f"Học liệu đã xuất bản ở phạm vi {SCOPES[current]}: không thể "
                          f"thu hẹp xuống {SCOPES[name]} bằng một lần thẩm định.", 409, "scope")
    policy = cfg.scopes[name]
    if policy.requires and (current is None or RANKS[current] < RANKS[policy.requires]):
        raise ReviewError("scope_requires", f"Phạm vi {policy.label} chỉ xét cho học liệu đã được xuất bản ở "
                          f"phạm vi {SCOPES[policy.requires]}.", 409, "scope")
    return policy


def scope_allowed(session: Session, material: Material, cfg: ReviewConfig, scope: str) -> bool:
    try:
        choose_scope(session, material, cfg, scope)
    except ReviewError:
        return False
    return True


def open_round(session: Session, material: Material, policy: ScopePolicy) -> ScopeRequest:
    """Start a review round for this scope: approvals of earlier rounds no longer count."""
    request = current_request(session, material.id)
    if request is None:
        request = ScopeRequest(material_id=material.id, scope=policy.scope, round=0)
        session.add(request)
    request.scope, request.round = policy.scope, request.round + 1
    return request


def _unit(session: Session, unit_id: int | None) -> Unit | None:
    return session.get(Unit, unit_id) if unit_id else None


def eligible(session: Session, reviewer: User, material: Material, policy: ScopePolicy) -> bool:
    """Whether the reviewer's unit fits the scope's policy (kind of unit, same province if asked)."""
    if reviewer.role == "admin":
        return True
    unit = _unit(session, reviewer.unit_id)
    if policy.reviewer_units and (unit is None or unit.kind not in policy.reviewer_units):
        return False
    if policy.same_school and unit is not None and unit.kind == "school" and unit.id != material.unit_id:
        return False
    if policy.same_province and unit is not None and unit.kind != "ministry":
        home = _unit(session, material.unit_id)
        return home is not None and home.province_code == unit.province_code
    return True


def check_eligible(session: Session, reviewer: User, material: Material, policy: ScopePolicy) -> None:
    if not eligible(session, reviewer, material, policy):
        kinds = ", ".join(UNIT_KIND_LABELS[k] for k in sorted(policy.reviewer_units)) or "bất kỳ"
        where = " cùng tỉnh/thành với học liệu" if policy.same_province else ""
        where += " (chuyên gia của trường: chỉ trường của học liệu)" if policy.same_school else ""
        raise ReviewError("not_eligible", f"Thẩm định phạm vi {policy.label} cần chuyên gia thuộc {kinds}{where}.",
                          403)


def approvers(session: Session, material_id: int, request: ScopeRequest | None) -> set[int]:
    """Reviewers who approved in the current round."""
    if request is None:
        return set()
    return set(session.scalars(select(ReviewDecision.reviewer_id).where(
        ReviewDecision.material_id == material_id, ReviewDecision.decision == "approve",
        ReviewDecision.scope == request.scope, ReviewDecision.round == request.round)))
